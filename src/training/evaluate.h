// Evaluation of a model on labelled data, optionally beside a baseline model, judged by gates:
// the check that stands between a candidate and promotion. The evaluation is a tracking run of
// its own (metrics, baseline metrics, gate results), and a registered candidate version is
// tagged with the verdict.
//
// gates.yaml:
//   gates:
//     - metric: auc          # the candidate's own value
//       min: 0.80
//     - metric: log_loss
//       max: 0.45
//     - metric: auc          # against the baseline: candidate - baseline >= -0.005
//       min_delta: -0.005
//
// Thread safety: Evaluate is one run; it may run beside other users of the stores.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "training/trainer.h"

namespace sluice::training {

struct Gate {
  std::string metric;
  std::optional<double> min, max;              // bounds on the candidate's value
  std::optional<double> min_delta, max_delta;  // bounds on candidate - baseline
  std::string Describe() const;                // "auc >= 0.8", "auc - baseline >= -0.005"
};

// kInvalidArgument naming the line for YAML errors, unknown keys, a gate without a bound or
// metric.
Result<std::vector<Gate>> ParseGates(std::string_view yaml, std::string_view source);

struct EvaluateRequest {
  std::string model_uri;     // models:/... or runs:/<id>/model
  std::string data;          // a CSV, TSV or JSONL file with the target column
  std::string baseline_uri;  // "" = no baseline
  std::vector<Gate> gates;
  std::vector<std::string> metrics;  // "" = all for the task
  double threshold = 0.5;
  std::string experiment = "Default";
};

struct GateResult {
  Gate gate;
  bool passed = false;
  double value = 0;    // the candidate's value, or the delta for delta gates
  std::string detail;  // "0.912 >= 0.8", or why it could not be checked
};

struct EvaluateResult {
  std::string run_id;
  std::string run_name;
  std::string model_version;  // "churn/3" when the model is registered, else ""
  std::map<std::string, double> metrics;
  std::map<std::string, double> baseline_metrics;
  std::vector<GateResult> gates;
  bool passed = true;  // every gate passed (true without gates)
  size_t rows = 0;
};

// Gates on metrics the task does not have, or delta gates without a baseline, are refused
// before anything runs. A gate that fails is a result, not an error.
Result<EvaluateResult> Evaluate(const EvaluateRequest& request, const Services& services);

}  // namespace sluice::training
