#!/usr/bin/env bash
# Data validation: `sluice validate run` against the same 20 checks written with pandas
# (bench/validate_bench/pandas_baseline.py, Great Expectations' semantics), side by side on one
# generated numeric CSV (bench/validate_bench/gen_data.awk: an id and nine numeric columns), with
# the suite bench/validate_bench/suite.yaml. Then the engine's in-memory throughput, one core
# (validate_throughput_bench).
#
#   bench/validate_bench.sh [--json] [--size-mb 1000] [--quick] [--repeats 3] [BUILD_DIR]
#
# --size-mb sets the CSV's size (default 1000, about 15 M rows); --quick is --size-mb 50
# --repeats 1. BUILD_DIR (default: build) holds apps/sluice/sluice and
# bench/validate_throughput_bench; $SLUICE overrides the binary. The pandas side needs Debian's
# python3-pandas under /usr/bin/python3 (scripts/install-bench-deps.sh). Data is generated once
# per size (mawk: about 40 MB/s) and cached in $SLUICE_BENCH_DATA (default:
# $TMPDIR/sluice-validate-bench). SLUICE_BENCH_KEEP=1 keeps the raw runs.
#
# Each side runs --repeats times, alternating which goes first; both read the file from the page
# cache. Wall time, CPU time and peak RSS come from GNU time. Both sides print every
# expectation's success and count or observed value, and the summary says whether they agree.
# "peak/parsed" is peak RSS over the size of the parsed columns (rows x 10 x 8 bytes + a validity
# byte), the memory target of issue 7 (under 1.2).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
json=0
size_mb=1000
repeats=3
build=build
while (($#)); do
  case "$1" in
    --json) json=1 ;;
    --size-mb) size_mb=${2:?--size-mb needs a value}; shift ;;
    --repeats) repeats=${2:?--repeats needs a value}; shift ;;
    --quick) size_mb=50; repeats=1 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "validate_bench: unknown flag $1" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
sluice=${SLUICE:-$build/apps/sluice/sluice}
sluice=$(realpath "$sluice" 2>/dev/null || echo "$sluice")
if [[ ! -x "$sluice" ]]; then
  echo "validate_bench: no sluice binary at $sluice (build it, or set SLUICE)" >&2
  exit 1
fi
cache=$(dirname "$(dirname "$(dirname "$sluice")")")/CMakeCache.txt
if [[ -f "$cache" ]] && grep -q '^CMAKE_BUILD_TYPE:STRING=Debug$' "$cache"; then
  echo "validate_bench: warning: $sluice is a Debug build; use a Release build to compare" >&2
fi
py=/usr/bin/python3
if ! "$py" -c 'import pandas' 2>/dev/null; then
  echo "validate_bench: $py lacks pandas: run scripts/install-bench-deps.sh" >&2
  exit 1
fi
gnu_time=/usr/bin/time
if ! "$gnu_time" -f '%M' true 2>/dev/null; then
  echo "validate_bench: GNU time is missing (Debian package: time)" >&2
  exit 1
fi
log() { echo "$@" >&2; }

data_dir=${SLUICE_BENCH_DATA:-${TMPDIR:-/tmp}/sluice-validate-bench}
mkdir -p "$data_dir"
data="$data_dir/numeric_${size_mb}mb.csv"
# About 68 bytes a row.
rows=$((size_mb * 1000000 / 68))
if [[ ! -s "$data" ]]; then
  log "validate_bench: generating $data ($rows rows)"
  awk -v rows="$rows" -v seed=1 -f "$here/validate_bench/gen_data.awk" > "$data.tmp"
  mv "$data.tmp" "$data"
fi
rows=$(($(wc -l < "$data") - 1))
bytes=$(stat -c %s "$data")
cat "$data" > /dev/null  # into the page cache for both sides

results=$(mktemp -d "${TMPDIR:-/tmp}/sluice-validate-bench-runs.XXXXXX")
if [[ -n "${SLUICE_BENCH_KEEP:-}" ]]; then
  log "validate_bench: raw runs kept in $results"
else
  trap 'rm -rf "$results"' EXIT
fi

# $1 = run folder, then the command; records wall seconds, peak RSS KiB, user and system CPU.
timed() {
  local dir=$1
  shift
  mkdir -p "$dir"
  local status=0
  "$gnu_time" -f '%e %M %U %S' -o "$dir/rusage" "$@" > "$dir/out.json" 2> "$dir/stderr" ||
    status=$?
  # `validate run` exits 8 when an expectation fails; that is a result, not a crash.
  if ((status != 0 && status != 8)); then
    log "validate_bench: command failed ($status): $*"
    cat "$dir/stderr" >&2
    exit 1
  fi
}

run_sluice() { timed "$1" "$sluice" validate run "$data" --suite "$here/validate_bench/suite.yaml" --json; }
run_pandas() { timed "$1" "$py" "$here/validate_bench/pandas_baseline.py" "$data" --timings "$1/timings.json"; }

cut -d' ' -f1-3 /proc/loadavg > "$results/load_before"
for ((i = 1; i <= repeats; i++)); do
  order=(sluice pandas)
  ((i % 2 == 0)) && order=(pandas sluice)
  for tool in "${order[@]}"; do
    log "validate_bench: $tool, run $i of $repeats"
    "run_$tool" "$results/$tool/$i"
  done
done
cut -d' ' -f1-3 /proc/loadavg > "$results/load_after"

throughput_bench=$build/bench/validate_throughput_bench
if [[ -x "$throughput_bench" ]]; then
  log "validate_bench: in-memory throughput (validate_throughput_bench)"
  "$throughput_bench" --benchmark_min_time=1 --benchmark_format=json > "$results/throughput.json" \
    2> /dev/null
else
  log "validate_bench: no $throughput_bench: build the validate_throughput_bench target for the" \
    "in-memory figures"
fi

versions="$("$sluice" --version); $("$py" -c 'import pandas, numpy, platform
print(f"python {platform.python_version()}, pandas {pandas.__version__}, numpy {numpy.__version__}")'); load $(cat "$results/load_before") -> $(cat "$results/load_after")"
format=table
((json)) && format=json
"$py" "$here/validate_bench/summarize.py" "$results" --format "$format" --data-bytes "$bytes" \
  --rows "$rows" --versions "$versions"
