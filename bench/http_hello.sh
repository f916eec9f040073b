#!/usr/bin/env bash
# Measures the http server on a hello-world route with wrk, the way reference section 2.3 measured
# the candidate libraries: wrk -t2 -c64 -d5s --latency on 127.0.0.1, server and wrk sharing cores.
#
#   bench/http_hello.sh BUILD_DIR [IO_THREADS] [DURATION]
#
# BUILD_DIR holds tests/http/http_hello_server (cmake --build BUILD_DIR --target http_hello_server).
# Runs twice: the default route (handler on the worker pool, two thread hops per request) and a
# Router::AddNonBlocking route (handler on the io thread). Prints requests/s and p99 latency for
# each. Only the servers this script starts are stopped (by their PID).
set -euo pipefail

build_dir=${1:?usage: $0 BUILD_DIR [IO_THREADS] [DURATION]}
io_threads=${2:-2}
duration=${3:-5s}
server_bin="$build_dir/tests/http/http_hello_server"
[[ -x "$server_bin" ]] || { echo "missing $server_bin; build the http_hello_server target" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (Debian package: wrk)" >&2; exit 1; }

out=$(mktemp -d)
server_pid=""
trap '[[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$out"' EXIT

run() {  # $1 = 0 (worker pool) or 1 (non-blocking), $2 = label
  "$server_bin" --io-threads "$io_threads" --non-blocking "$1" >"$out/server.log" 2>&1 &
  server_pid=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$out/server.log")
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log" >&2; exit 1; }
    sleep 0.05
  done
  [[ -n "$port" ]] || { echo "server did not report its port" >&2; exit 1; }
  local url="http://127.0.0.1:$port/hello"
  [[ "$(curl -s "$url")" == "Hello, World!" ]] || { echo "unexpected answer from $url" >&2; exit 1; }

  wrk -t2 -c64 -d"$duration" --latency "$url" >"$out/wrk.txt"
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  cat "$out/wrk.txt"
  local rps p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$out/wrk.txt")
  errors=$(grep -E 'Socket errors|Non-2xx' "$out/wrk.txt" || true)
  summary+="sluice http (Beast, $io_threads io threads, $2): $rps req/s, p99 $p99"$'\n'
  [[ -z "$errors" ]] || summary+="  wrk reported: $errors"$'\n'
}

summary=""
run 0 "handler on the worker pool"
run 1 "AddNonBlocking handler on the io thread"
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s' "$summary"
