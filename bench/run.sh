#!/usr/bin/env bash
# make bench: starts a Sluice server on a fresh workspace and measures it with every benchmark in
# bench/. Point a benchmark at another server (e.g. MLflow) yourself: tracking_bench --url URL.
set -euo pipefail
build=${1:?usage: bench/run.sh BUILD_DIR}
sluice="$build/apps/sluice/sluice"
work=$(mktemp -d /tmp/sluice-bench.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$sluice" init "$work" > /dev/null
"$sluice" server --workspace "$work" --port 0 --json > "$work/server.json" &
server_pid=$!
for _ in $(seq 100); do
  [[ -s "$work/server.json" ]] && break
  sleep 0.1
done
url=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$work/server.json" | head -1)
[[ -n "$url" ]] || { echo "bench: the server did not start" >&2; exit 1; }

echo "== tracking over MLflow's REST API ($url)"
"$build/bench/tracking_bench" --url "$url" ${TRACKING_BENCH_ARGS:-}

if [[ -x "$build/tests/http/http_hello_server" ]] && command -v wrk > /dev/null; then
  echo
  echo "== HTTP layer: hello handler, wrk -t2 -c64 -d5s"
  bash "$(dirname "$0")/http_hello.sh" "$build"
fi
