// `sluice tune`: a random search over a space of training fields. One parent run holds the
// search; each trial is a child training run (tag mlflow.parentRunId) on the same split, so
// trials differ only in the fields searched. The best trial by the chosen validation metric is
// recorded on the parent and optionally registered.
//
// train.yaml:
//   tune:
//     trials: 30                      # --trials overrides
//     metric: validation_auc          # default: validation_ + the task's headline metric
//     space:
//       xgboost.max_depth: {min: 3, max: 10}                 # integers for integer fields
//       xgboost.learning_rate: {min: 0.01, max: 0.3, log: true}
//       xgboost.tree_method: [hist, approx]                  # a choice
//
// Thread safety: trials run one after another (each uses every core); one search per call.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "training/trainer.h"

namespace sluice::training {

struct SearchDimension {
  std::string key;                   // a train.yaml field
  std::vector<std::string> choices;  // a choice, or else a range:
  double min = 0, max = 0;
  bool log = false;
  bool integer = false;
};

struct TuneSpec {
  int trials = 20;
  std::string metric;  // "" = the task's headline validation metric
  std::vector<SearchDimension> space;
};

// Parses the `tune:` section (TrainConfig::tune_section()). kInvalidArgument for unknown fields,
// ranges on non-numeric fields, min > max, log ranges not above 0, or values the field refuses.
Result<TuneSpec> ParseTuneSpec(std::string_view yaml, std::string_view source);

struct Trial {
  std::string run_id;
  std::map<std::string, std::string> values;  // the searched fields
  std::optional<double> score;                // nullopt when the trial failed
  std::string error;
};

struct TuneResult {
  std::string parent_run_id;
  std::string parent_run_name;
  std::string metric;
  bool higher_is_better = true;
  std::vector<Trial> trials;
  std::optional<size_t> best;  // index into trials
  std::optional<registry::ModelVersion> registered;
};

// `on_trial` is called after each trial (for progress). A failing trial is recorded and the
// search goes on; kFailedPrecondition when every trial failed.
Result<TuneResult> Tune(const TrainConfig& base, const TuneSpec& spec, const Services& services,
                        const std::function<void(const Trial&, size_t done)>& on_trial = {});

}  // namespace sluice::training
