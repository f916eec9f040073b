#!/usr/bin/env bash
# The quickstart: the lifecycle on one workspace. Versioned, validated data -> a tracked training run -> a tuning
# search -> an evaluation gate against production -> promotion -> reproduction from the record
# -> the bundle downloaded as MLflow would -> rollback; with the tracking server showing the same
# runs and models to MLflow clients. Run it with `make quickstart`; it leaves the workspace in
# ./quickstart-workspace so you can look around (sluice --help).
set -euo pipefail
sluice=${SLUICE:-sluice}
here=$(pwd)
ws="$here/quickstart-workspace"
rm -rf "$ws"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
s() { "$sluice" "$@" --workspace "$ws"; }

step "sluice init"
"$sluice" init "$ws"
cd "$ws"

step "data: churn.csv (5000 customers) and holdout.csv (2000), generated"
gen() {  # rows seed [first id] -> CSV: churn depends on tenure, plan, support calls and noise
  awk -v rows="$1" -v seed="$2" -v first="${3:-1}" 'BEGIN {
    srand(seed); print "customer_id,tenure_months,plan,monthly_fee,support_calls,churned"
    split("basic pro team", plans, " ")
    for (i = first; i < first + rows; i++) {
      tenure = int(rand() * 72); plan = plans[1 + int(rand() * 3)]
      fee = (plan == "basic" ? 20 : plan == "pro" ? 45 : 80) + rand() * 10
      calls = int(rand() * rand() * 10)
      risk = 1.2 - tenure / 40 + calls * 0.25 + (plan == "basic" ? 0.4 : 0) + (rand() - 0.5)
      printf "c%05d,%d,%s,%.2f,%d,%s\n", i, tenure, plan, fee, calls, (risk > 0.5 ? "yes" : "no")
    } }'
}
gen 5000 1 > churn.csv
gen 2000 2 > holdout.csv
head -3 churn.csv

step "sluice data add: versions churn@1 and holdout@1 (a churn.csv.sluice pointer for git)"
s data add churn.csv --name churn -m "export of November"
s data add holdout.csv --name holdout

step "sluice validate infer churn@1: a suite of expectations from the data"
s validate infer churn@1 --out checks.yaml --margin 0.5

step "December's rows arrive: validate them, then version them (only new chunks stored)"
gen 500 3 5001 | tail -n +2 >> churn.csv
s data status
s validate run churn.csv --suite checks.yaml
s data add churn.csv --name churn -m "plus December"
s data diff churn@1 churn@2

cat > train.yaml <<'EOF'
data: churn                   # the latest version of the dataset (recorded as churn@2)
target: churned
exclude: [customer_id]        # an id is not a feature
experiment: churn
xgboost:
  num_rounds: 300
  max_depth: 4
  learning_rate: 0.1
  early_stopping_rounds: 20
tune:
  trials: 8
  space:
    xgboost.max_depth: {min: 2, max: 8}
    xgboost.learning_rate: {min: 0.02, max: 0.3, log: true}
    xgboost.min_child_weight: {min: 1, max: 10}
EOF

step "sluice train --config train.yaml --register churn   (version 1, to production)"
s train --config train.yaml --register churn --run-name baseline
s models alias churn production 1

step "sluice train --algo linear   (a fast baseline to compare against)"
s train --config train.yaml --algo linear --run-name linear-baseline

step "sluice tune --config train.yaml --register churn   (8 child runs; the best is version 2)"
s tune --config train.yaml --register churn --run-name search
s models alias churn staging 2

step "sluice evaluate: staging against production on the holdout, through a gate"
cat > gates.yaml <<'EOF'
gates:
  - metric: auc
    min: 0.85
  - metric: auc                # no worse than what production does now
    min_delta: -0.005
EOF
if s evaluate --model models:/churn@staging --baseline models:/churn@production \
     --data holdout --gate gates.yaml; then
  step "the gate passed: sluice models promote churn --from staging --to production"
  s models promote churn --from staging --to production --reason "passed the holdout gate"
else
  echo "the gate failed: production stays where it is"
fi

step "sluice runs list --experiment churn --order-by 'metrics.validation_auc DESC'"
s runs list --experiment churn --filter "metrics.validation_auc > 0" \
  --order-by "metrics.validation_auc DESC" --max-results 5

run=$(s models show churn --version 1 --json | sed -n 's/.*"run_id": *"\([0-9a-f]\{32\}\)".*/\1/p' | head -1)
step "sluice runs reproduce $run   (retrains from the record; same model bytes)"
s runs reproduce "$run"

step "sluice server: MLflow clients see the same runs and registry"
"$sluice" server --workspace "$ws" --port 0 --json > server.json &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s server.json ]] && break; sleep 0.1; done
url=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' server.json | head -1)
echo "server: $url   (mlflow.set_tracking_uri(\"$url\"))"
curl -sf "$url/api/2.0/mlflow/registered-models/alias?name=churn&alias=production" | head -c 300
echo
echo "mlflow.xgboost.load_model(\"models:/churn@production\") reads MLmodel -> model.json:"
s models download models:/churn@production model
ls model

step "sluice data log churn: each version with the runs that used it"
s data log churn

step "a bad push to production, then sluice models rollback churn production"
s models alias churn production 1
s models rollback churn production --reason "v1 was a mistake"
s models history churn

printf '\nDone. The workspace is in %s; try: %s runs list -e churn --workspace %s\n' "$ws" "$sluice" "$ws"
