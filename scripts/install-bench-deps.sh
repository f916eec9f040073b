#!/usr/bin/env bash
# Debian packages needed only by bench/train_bench.sh, which runs the Python stack an ML engineer
# would otherwise use (pandas + xgboost + scikit-learn) beside `sluice train`. Not part of CI or
# of scripts/install-deps.sh: Sluice itself never needs Python's ML libraries.
# Idempotent: installs only what is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  python3-pandas   # read_csv, category codes
  python3-xgboost  # the Python binding of the same libxgboost (1.7.4) that Sluice links
  python3-sklearn  # split and metrics: roc_auc_score, log_loss, accuracy_score, ...
  python3-fastapi python3-uvicorn  # the Python model server bench/serve_bench.sh compares with
  python3-numpy    # data generator
  time             # GNU time: /usr/bin/time -v reports peak RSS
)

. "$(dirname "$0")/apt-missing.sh"
apt_install_missing install-bench-deps "${packages[@]}"
