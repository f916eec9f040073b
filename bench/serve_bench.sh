#!/usr/bin/env bash
# Serving over REST: `sluice serve` against the FastAPI + uvicorn + xgboost server a user would
# otherwise write (bench/serve_bench/fastapi_server.py), side by side in one run, on the same
# models, the same Open Inference Protocol request bodies and the same wrk load.
#
#   bench/serve_bench.sh [--duration 5s] [--rows 50000] [--log] [--batch] [BUILD_DIR]
#
# The models are the reference's (../shared/reference/serving-techniques.md): XGBoost hist on a
# HIGGS-like synthetic set of 28 float features, "big" = 500 trees of depth 6, "small" = 100 trees
# of depth 4, both trained by `sluice train` and cached with their workspace in $SLUICE_BENCH_DATA
# (default: $TMPDIR/sluice-serve-bench). FastAPI loads the same model.json through Debian's
# python3-xgboost (scripts/install-bench-deps.sh installs python3-fastapi and python3-uvicorn).
# Both sides must answer a probe with the same float32 scores, or the bench stops.
#
# Runs: 1-row requests on both models at 8 and 64 connections, 100-row requests on the big model,
# against sluice (io threads = cores), FastAPI with 1 and with 2 workers, and the HTTP floor of
# each (GET /v2/health/live); then 1-row requests at 64 connections against the tutorial-style
# FastAPI server (pydantic request model; fastapi_server.py's typed_app) with 2 workers. wrk -t2
# shares the 2 cores with the servers, as in the reference. --log also measures sluice with every
# request written to the prediction log, --batch with micro-batching (--batch-delay-us 200, and
# 1000, at 64 connections). Prints one table, the ratios sluice / each FastAPI-2-workers server
# and sluice 1-row inference / its own HTTP floor. Only processes this script starts are stopped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
duration=5s
rows=50000
with_log=0
with_batch=0
build=build
while (($#)); do
  case "$1" in
    --duration) duration=${2:?--duration needs a value}; shift ;;
    --rows) rows=${2:?--rows needs a value}; shift ;;
    --log) with_log=1 ;;
    --batch) with_batch=1 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "serve_bench: unknown flag $1" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
sluice=$(realpath "${SLUICE:-$build/apps/sluice/sluice}")
[[ -x "$sluice" ]] || { echo "serve_bench: no sluice binary at $sluice (make build)" >&2; exit 1; }
command -v wrk > /dev/null || { echo "serve_bench: wrk is not installed (apt install wrk)" >&2; exit 1; }
/usr/bin/python3 -c 'import fastapi, uvicorn, xgboost' 2> /dev/null || {
  echo "serve_bench: needs python3-fastapi, python3-uvicorn, python3-xgboost (scripts/install-bench-deps.sh)" >&2
  exit 1
}

data=${SLUICE_BENCH_DATA:-${TMPDIR:-/tmp}/sluice-serve-bench}
ws="$data/workspace-$rows"
mkdir -p "$data"
if [[ ! -f "$ws/.ready" ]]; then
  rm -rf "$ws"
  echo "serve_bench: generating $rows rows and training the two models (once; cached in $ws)" >&2
  /usr/bin/python3 "$here/serve_bench/gen_data.py" "$rows" "$data/higgs-$rows.csv"
  "$sluice" init "$ws" > /dev/null
  common=(--workspace "$ws" --data "$data/higgs-$rows.csv" --target label
          --set xgboost.early_stopping_rounds=0 --set xgboost.learning_rate=0.1)
  "$sluice" train "${common[@]}" --register big --set xgboost.num_rounds=500 \
    --set xgboost.max_depth=6 > /dev/null
  "$sluice" train "${common[@]}" --register small --set xgboost.num_rounds=100 \
    --set xgboost.max_depth=4 > /dev/null
  for m in big small; do
    "$sluice" models download "models:/$m/1" "$ws/bundles/$m" --workspace "$ws" > /dev/null
  done
  touch "$ws/.ready"
fi

work=$(mktemp -d /tmp/sluice-serve-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Request bodies: one row and 100 rows of test data as a [rows, 28] FP32 tensor.
/usr/bin/python3 - "$data/higgs-$rows.csv" "$work" << 'EOF'
import csv, json, sys
with open(sys.argv[1]) as f:
    reader = csv.reader(f)
    next(reader)
    rows = [[float(v) if v else None for v in r[:28]] for _, r in zip(range(100), reader)]
rows = [[0.0 if v is None else v for v in r] for r in rows]
for n in (1, 100):
    body = {"inputs": [{"name": "input-0", "shape": [n, 28], "datatype": "FP32",
                        "data": [v for r in rows[:n] for v in r]}]}
    with open(f"{sys.argv[2]}/body-{n}.json", "w") as out:
        json.dump(body, out)
EOF

wait_for() {  # URL: until it answers
  for _ in $(seq 300); do
    curl -sf "$1" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "serve_bench: $1 never answered" >&2
  exit 1
}

start_sluice() {  # extra serve flags...
  "$sluice" serve "big=models:/big/1" "small=models:/small/1" --workspace "$ws" --port 0 --json \
    "$@" > "$work/sluice.json" 2> "$work/sluice.log" &
  pids+=($!)
  sluice_pid=$!
  for _ in $(seq 300); do
    [[ -s "$work/sluice.json" ]] && break
    sleep 0.1
  done
  url=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$work/sluice.json")
  [[ -n "$url" ]] || { cat "$work/sluice.log" >&2; exit 1; }
}

start_fastapi() {  # workers [app]
  local port
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$here/serve_bench" && SERVE_MODELS="big=$ws/bundles/big/model.json,small=$ws/bundles/small/model.json" \
    exec /usr/bin/python3 -m uvicorn "fastapi_server:${2:-app}" --host 127.0.0.1 --port "$port" \
    --workers "$1" --log-level warning --no-access-log) > "$work/fastapi.log" 2>&1 &
  pids+=($!)
  fastapi_pid=$!
  url="http://127.0.0.1:$port"
  wait_for "$url/v2/health/live"
}

stop() {  # pid
  kill "$1" 2> /dev/null || true
  wait "$1" 2> /dev/null || true
}

results="$work/results.tsv"
measure() {  # server model rows connections
  local server=$1 model=$2 n=$3 c=$4 out
  local body="$work/body-$n.json" target="$url/v2/models/$model/infer"
  if [[ "$model" == "-" ]]; then
    body="" target="$url/v2/health/live" model=floor n=-
  fi
  out=$(BODY_FILE="$body" wrk -t2 -c"$c" -d"$duration" -s "$here/serve_bench/post.lua" "$target" \
    2>&1 | grep '^RESULT')
  awk -v server="$server" -v model="$model" -v n="$n" -v c="$c" '{
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      rps = v["requests"] / (v["duration_us"] / 1e6)
      printf "%s\t%s\t%s\t%s\t%.0f\t%s\t%.2fms\t%.2fms\t%s\n", server, model, n, c, rps,
             (n == "-" ? "-" : sprintf("%.0f", rps * n)),
             v["p50_us"] / 1000, v["p99_us"] / 1000, v["errors"]
    }' <<< "$out" >> "$results"
}

probe() {  # model -> the scores for body-100, one per line, as float32 text
  curl -sf -H 'Content-Type: application/json' --data-binary "@$work/body-100.json" \
    "$url/v2/models/$1/infer" |
    /usr/bin/python3 -c 'import json, sys, numpy as np
for v in json.load(sys.stdin)["outputs"][0]["data"]: print(repr(np.float32(v)))'
}

runs() {  # server label
  measure "$1" big 1 8
  measure "$1" big 1 64
  measure "$1" small 1 64
  measure "$1" big 100 8
  measure "$1" - 1 64
}

start_sluice
probe big > "$work/sluice-big.txt"
probe small > "$work/sluice-small.txt"
runs sluice
stop "$sluice_pid"
if ((with_log)); then
  start_sluice --log-predictions 1 --log-dir "$work/predictions"
  measure "sluice+log" big 1 64
  measure "sluice+log" big 100 8
  curl -s "$url/metrics" | grep '^sluice_prediction_log_rows_total' > "$work/log-metrics.txt" || true
  stop "$sluice_pid"
fi
if ((with_batch)); then
  for delay in 200 1000; do
    start_sluice --batch-delay-us "$delay"
    measure "sluice+batch${delay}us" big 1 64
    measure "sluice+batch${delay}us" small 1 64
    curl -s "$url/metrics" | grep '^sluice_micro_batch' | tr '\n' ' ' > "$work/batch-$delay.txt" || true
    stop "$sluice_pid"
  done
fi
for workers in 1 2; do
  start_fastapi "$workers"
  if ((workers == 1)); then
    for m in big small; do
      probe "$m" > "$work/fastapi-$m.txt"
      cmp -s "$work/sluice-$m.txt" "$work/fastapi-$m.txt" || {
        echo "serve_bench: sluice and FastAPI disagree on the $m model's scores" >&2
        diff "$work/sluice-$m.txt" "$work/fastapi-$m.txt" | head >&2
        exit 1
      }
    done
  fi
  runs "fastapi-${workers}w"
  stop "$fastapi_pid"
done
start_fastapi 2 typed_app
probe big > "$work/typed-big.txt"
cmp -s "$work/sluice-big.txt" "$work/typed-big.txt" || {
  echo "serve_bench: sluice and the typed FastAPI server disagree on the big model's scores" >&2
  exit 1
}
measure fastapi-typed-2w big 1 64
measure fastapi-typed-2w small 1 64
stop "$fastapi_pid"

echo
echo "Serving over REST, wrk -t2 -d$duration on 127.0.0.1 (load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "Both sides answered 100 probe rows with the same float32 scores (big and small models)."
{
  printf 'server\tmodel\trows\tconns\treq/s\trows/s\tp50\tp99\terrors\n'
  cat "$results"
} | column -t -s $'\t'
if [[ -s "$work/log-metrics.txt" ]]; then
  echo
  echo "prediction log after the sluice+log runs:"
  cat "$work/log-metrics.txt"
fi
for f in "$work"/batch-*.txt; do
  [[ -s "$f" ]] && echo "micro-batching $(basename "$f" .txt): $(cat "$f")"
done
for baseline in fastapi-2w fastapi-typed-2w; do
  echo
  echo "sluice / $baseline (req/s; p99 ratio $baseline/sluice):"
  awk -F'\t' -v base="$baseline" '{ key = $2 "/" $3 "/" $4; rps[$1, key] = $5; p99[$1, key] = $8; keys[key] = 1 }
    END {
      for (k in keys) if ((base, k) in rps && rps[base, k] > 0) {
        a = p99["sluice", k]; b = p99[base, k]; sub(/ms/, "", a); sub(/ms/, "", b)
        printf "  %-16s %6.1fx faster, p99 %5.1fx lower\n", k, rps["sluice", k] / rps[base, k],
               (a > 0 ? b / a : 0)
      }
    }' "$results" | sort
done
echo
echo "sluice inference / its HTTP floor (GET /v2/health/live, 64 connections, same run):"
awk -F'\t' '$1 == "sluice" && $2 == "floor" { floor = $5 }
  $1 == "sluice" && $3 == 1 && $4 == 64 { rps[$2] = $5 }
  END { for (m in rps) if (floor > 0) printf "  %-6s 1 row  %4.2fx\n", m, rps[m] / floor }' "$results" | sort
