#!/usr/bin/env bash
# Training a tracked model: `sluice train` against the Python stack an ML engineer would run for
# the same result (pandas + xgboost + scikit-learn, bench/train_bench/python_baseline.py), side by
# side on the same generated CSV, same split fractions, same XGBoost library (Debian's 1.7.4 is
# the one shared object both load) and the same parameters.
#
#   bench/train_bench.sh [--json] [--rows 100000,1000000] [--repeats 3] [BUILD_DIR]
#
# BUILD_DIR (default: build) holds apps/sluice/sluice; $SLUICE overrides the binary. The Python
# side needs Debian's python3-pandas, python3-xgboost and python3-sklearn under /usr/bin/python3
# (scripts/install-bench-deps.sh). Data is generated once per size and cached in
# $SLUICE_BENCH_DATA (default: $TMPDIR/sluice-train-bench). SLUICE_BENCH_KEEP=1 keeps raw runs.
#
# Each side runs --repeats times, alternating which goes first so a load change on this shared
# machine hits both alike; every run gets a fresh workspace / run folder. Wall time is process
# start to exit; peak RSS and CPU time come from GNU time (the numbers `time -v` prints). CPU time
# is the steadier number when other jobs share the cores. The table shows medians (each column
# alone) and the ratio python/sluice; --json prints the same as one JSON document and nothing
# else on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
json=0
rows_list="100000,1000000"
repeats=3
build=build
while (($#)); do
  case "$1" in
    --json) json=1 ;;
    --rows) rows_list=${2:?--rows needs a value}; shift ;;
    --repeats) repeats=${2:?--repeats needs a value}; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "train_bench: unknown flag $1" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
sluice=${SLUICE:-$build/apps/sluice/sluice}
sluice=$(realpath "$sluice" 2>/dev/null || echo "$sluice")
if [[ ! -x "$sluice" ]]; then
  echo "train_bench: no sluice binary at $sluice (build it, or set SLUICE)" >&2
  exit 1
fi

# A Debug build would measure the compiler's settings, not Sluice: say so, but still run.
cache=$(dirname "$(dirname "$(dirname "$sluice")")")/CMakeCache.txt
if [[ -f "$cache" ]] && grep -q '^CMAKE_BUILD_TYPE:STRING=Debug$' "$cache"; then
  echo "train_bench: warning: $sluice is a Debug build; use a Release build to compare" >&2
fi

# Debian's packages live under the system interpreter; a `python3` on PATH may be a pyenv or venv
# without them.
py=/usr/bin/python3
if ! "$py" -c 'import pandas, sklearn, xgboost' 2>/dev/null; then
  echo "train_bench: $py lacks pandas, scikit-learn or xgboost:" \
    "run scripts/install-bench-deps.sh" >&2
  exit 1
fi
gnu_time=/usr/bin/time
if ! "$gnu_time" -f '%M' true 2>/dev/null; then
  echo "train_bench: GNU time is missing (Debian package: time):" \
    "peak RSS and CPU time will not be reported" >&2
  gnu_time=""
fi

# Both sides must wait for OpenMP work passively: spinning threads on a shared 2-core machine
# slow everything down (see src/cli/cli.cc), and the comparison has to run under equal rules.
export OMP_WAIT_POLICY=passive
nthread=2
log() { echo "$@" >&2; }

data_dir=${SLUICE_BENCH_DATA:-${TMPDIR:-/tmp}/sluice-train-bench}
mkdir -p "$data_dir"
results=$(mktemp -d "${TMPDIR:-/tmp}/sluice-train-bench-runs.XXXXXX")
# SLUICE_BENCH_KEEP=1 keeps the raw runs (stdout, timings, run records) for a closer look.
if [[ -n "${SLUICE_BENCH_KEEP:-}" ]]; then
  log "train_bench: raw runs kept in $results"
else
  trap 'rm -rf "$results"' EXIT
fi

# Runs one command under GNU time, recording when it started and ended (epoch seconds, microsecond
# resolution, taken without forking), its peak RSS in KiB and its user + system CPU seconds.
# $1 = run folder, then the command.
timed() {
  local dir=$1
  shift
  local start=$EPOCHREALTIME
  if [[ -n "$gnu_time" ]]; then
    "$gnu_time" -f '%M %U %S' -o "$dir/rusage" "$@" > "$dir/out.json" 2> "$dir/stderr"
  else
    "$@" > "$dir/out.json" 2> "$dir/stderr"
  fi || { log "train_bench: command failed: $*"; cat "$dir/stderr" >&2; exit 1; }
  local end=$EPOCHREALTIME
  echo "$start" > "$dir/launch"
  echo "$end" > "$dir/end"
}

run_sluice() {  # $1 = run folder, $2 = data
  local dir=$1 data=$2
  # Creating the workspace is a one-time step for a user, so it stays outside the timing.
  "$sluice" init "$dir/ws" > /dev/null
  timed "$dir" "$sluice" train --workspace "$dir/ws" --json --data "$data" --target label \
    --set split.validation=0.2 --set split.test=0.1 \
    --set xgboost.tree_method=hist --set xgboost.max_depth=6 --set xgboost.learning_rate=0.1 \
    --set xgboost.num_rounds=200 --set xgboost.early_stopping_rounds=20 \
    --set xgboost.eval_metric=logloss --set xgboost.nthread=$nthread
  # The run's own record gives the phases: it starts once the data is read and split, each
  # boosting round's metrics carry a time stamp, and the run ends after evaluation and upload.
  local run_id
  run_id=$("$py" -c 'import json,sys; print(json.load(sys.stdin)["run_id"])' < "$dir/out.json")
  "$sluice" runs show "$run_id" --workspace "$dir/ws" --json > "$dir/show.json"
}

run_python() {  # $1 = run folder, $2 = data
  local dir=$1 data=$2
  timed "$dir" "$py" "$here/train_bench/python_baseline.py" --data "$data" --target label \
    --out "$dir/run" --timings "$dir/timings.json" --validation 0.2 --test 0.1 \
    --num-rounds 200 --max-depth 6 --eta 0.1 --early-stopping 20 --nthread $nthread
}

IFS=, read -r -a sizes <<< "$rows_list"
for rows in "${sizes[@]}"; do
  data="$data_dir/binary_${rows}.csv"
  if [[ ! -s "$data" ]]; then
    log "train_bench: generating $data"
    "$py" "$here/train_bench/gen_data.py" "$rows" "$data"
  fi
  # Both sides read from the page cache, never the first one from disk.
  cat "$data" > /dev/null
  mkdir -p "$results/$rows"
  cut -d' ' -f1-3 /proc/loadavg > "$results/$rows/load_before"
  for ((i = 1; i <= repeats; i++)); do
    order=(sluice python)
    ((i % 2 == 0)) && order=(python sluice)
    for tool in "${order[@]}"; do
      dir="$results/$rows/$tool/$i"
      mkdir -p "$dir"
      log "train_bench: $rows rows, $tool, run $i of $repeats"
      "run_$tool" "$dir" "$data"
    done
  done
  cut -d' ' -f1-3 /proc/loadavg > "$results/$rows/load_after"
done

versions=$("$py" -c 'import platform, pandas, sklearn, xgboost
print(f"python {platform.python_version()}, pandas {pandas.__version__}, "
      f"scikit-learn {sklearn.__version__}, xgboost {xgboost.__version__}")')
format=table
((json)) && format=json
"$py" "$here/train_bench/summarize.py" "$results" --format "$format" \
  --sluice-version "$("$sluice" --version)" --python-versions "$versions" --nthread "$nthread"
