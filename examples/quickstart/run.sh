#!/usr/bin/env bash
# The quickstart: a workspace, a tracking server, three training runs logged the way the MLflow
# client logs them (its REST calls, sent with curl), artifacts, then the CLI to find the best
# run, compare runs, register the best run's model and promote it staging -> production. Run it with `make quickstart`; it leaves the workspace in
# ./quickstart-workspace so you can look around (sluice --help).
set -euo pipefail
sluice=${SLUICE:-sluice}
here=$(pwd)
ws="$here/quickstart-workspace"
rm -rf "$ws"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "sluice init"
"$sluice" init "$ws"

step "sluice server (on a free port; MLflow clients point mlflow.set_tracking_uri at it)"
"$sluice" server --workspace "$ws" --port 0 --json > "$ws/server.json" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s "$ws/server.json" ]] && break; sleep 0.1; done
url=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$ws/server.json" | head -1)
echo "server: $url"
api="$url/api/2.0/mlflow"
post() { curl -sf -H 'Content-Type: application/json' -d "$2" "$api/$1"; }
field() { sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" | head -1; }

step "sluice experiments create churn"
"$sluice" experiments create churn --workspace "$ws"
exp=$("$sluice" experiments show churn --workspace "$ws" --json | field experiment_id)

step "three runs, logged over MLflow's REST API"
now=$(date +%s%3N)
for depth in 4 6 8; do
  run=$(post runs/create "{\"experiment_id\": \"$exp\", \"run_name\": \"depth-$depth\", \"start_time\": $now}" | field run_id)
  auc=$(awk -v d="$depth" 'BEGIN { printf "%.3f", 0.80 + d * 0.012 - (d == 8 ? 0.03 : 0) }')
  post runs/log-batch "{\"run_id\": \"$run\",
    \"params\": [{\"key\": \"depth\", \"value\": \"$depth\"}, {\"key\": \"eta\", \"value\": \"0.1\"}],
    \"metrics\": [{\"key\": \"auc\", \"value\": $auc, \"timestamp\": $now, \"step\": 3},
                  {\"key\": \"logloss\", \"value\": 0.$((40 - depth)), \"timestamp\": $now, \"step\": 3}]}" > /dev/null
  echo "<html><body>depth $depth: auc $auc</body></html>" > "$ws/report.html"
  curl -sf -X PUT --data-binary @"$ws/report.html" \
    "$url/api/2.0/mlflow-artifacts/artifacts/$exp/$run/artifacts/report.html" > /dev/null
  # Until `sluice train` exists, a stand-in model file so the registered source has bytes.
  printf 'artifact_path: model\nflavors: {}\nmetadata: {depth: %s}\n' "$depth" |
    curl -sf -X PUT --data-binary @- \
      "$url/api/2.0/mlflow-artifacts/artifacts/$exp/$run/artifacts/model/MLmodel" > /dev/null
  post runs/update "{\"run_id\": \"$run\", \"status\": \"FINISHED\", \"end_time\": $(date +%s%3N)}" > /dev/null
  echo "run depth-$depth: auc $auc"
done

step "sluice runs list --experiment churn --filter 'metrics.auc > 0.8' --order-by 'metrics.auc DESC'"
"$sluice" runs list --experiment churn --filter "metrics.auc > 0.8" --order-by "metrics.auc DESC" --workspace "$ws"
ids=$("$sluice" runs list --experiment churn --order-by "metrics.auc DESC" --json --workspace "$ws" \
  | sed -n 's/.*"run_id": *"\([0-9a-f]\{32\}\)".*/\1/p' | awk '!seen[$0]++')
best=$(echo "$ids" | head -1)

step "sluice runs show <best run>"
"$sluice" runs show "$best" --workspace "$ws"

step "sluice runs compare <run> <run> <run>"
"$sluice" runs compare $ids --workspace "$ws"

step "the best run's report, downloaded through the artifact API"
curl -sf "$url/api/2.0/mlflow-artifacts/artifacts/$exp/$best/artifacts/report.html"

step "sluice models register churn --run <best run>   (version 1)"
"$sluice" models register churn --run "$best" --workspace "$ws"
second=$(echo "$ids" | sed -n 2p)
"$sluice" models register churn --run "$second" --workspace "$ws" > /dev/null

step "sluice models alias churn staging 1; sluice models promote churn --from staging --to production"
"$sluice" models alias churn staging 1 --workspace "$ws"
"$sluice" models promote churn --from staging --to production --reason "best auc" --workspace "$ws"

step "a bad push to production, then sluice models rollback churn production"
"$sluice" models alias churn production 2 --workspace "$ws"
"$sluice" models rollback churn production --reason "v2 was a mistake" --workspace "$ws"

step "sluice models show churn; sluice models history churn"
"$sluice" models show churn --workspace "$ws"
"$sluice" models history churn --workspace "$ws"

printf '\nDone. The workspace is in %s; try: %s runs list -e churn --workspace %s\n' "$ws" "$sluice" "$ws"
