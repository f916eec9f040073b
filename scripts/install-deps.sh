#!/usr/bin/env bash
# The one list of Debian packages Sluice needs to build, test and benchmark.
# Idempotent: installs only what is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git
  # libraries
  libboost-dev            # Boost.Beast/Asio: the HTTP server (header-only)
  libsqlite3-dev          # metadata database
  libssl-dev              # SHA-256
  nlohmann-json3-dev      # JSON
  libyaml-cpp-dev         # config.yaml
  libcli11-dev            # command line
  libfmt-dev              # formatting (GCC 12 has no <format>)
  libcurl4-openssl-dev    # HTTP client: tests, benchmarks, later S3
  libxgboost-dev          # gradient-boosted trees (the xgb adapter)
  libhiredis-dev          # Redis client: the Redis Streams consumer
  liburing-dev            # io_uring: batched system calls for many small files (datasets)
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-requests  # the MLflow-wire client in tests/e2e
  wrk                       # HTTP load for bench/
  redis-server redis-tools  # a real Redis for the Streams consumer's tests
  curl
)

. "$(dirname "$0")/apt-missing.sh"
apt_install_missing install-deps "${packages[@]}"
