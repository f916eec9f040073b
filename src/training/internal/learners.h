// The learners behind a training run, each turning encoded features and labels into model bytes
// in its library's own format. The trainer owns everything around them: data, split, tracking.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "models/features.h"
#include "tracking/types.h"
#include "training/config.h"

namespace sluice::training::internal {

// One part of the data, encoded: rows x num_features row-major, and one label per row. Features
// are encoded once, in the precision the learner takes (XGBoost float32, linear double): a double
// copy beside XGBoost's float input was the largest allocation of a training run.
struct EncodedPart {
  std::vector<float> features32;  // XGBoost
  std::vector<double> features;   // linear
  std::vector<double> labels;
  size_t rows = 0;
};

struct LearnerInput {
  const TrainConfig& config;
  models::Task task;
  size_t num_classes = 0;                  // classification only
  std::vector<std::string> feature_names;  // the encoder's
  const EncodedPart& train;
  const EncodedPart& validation;  // rows 0 when there is no validation split
  // Receives per-round metrics (keys like "validation-logloss", step = round) as they come.
  std::function<Status(std::vector<tracking::Metric>)> log_metrics;
  std::function<void(int64_t done, int64_t total)> on_progress;
  std::function<int64_t()> now_ms;
};

struct LearnerOutput {
  std::string model_bytes;
  int rounds = 0;
  std::optional<int> best_round;
  std::vector<std::pair<std::string, double>> importance;  // descending
  std::map<std::string, std::string> libraries;            // name -> version
};

Result<LearnerOutput> FitXgboost(const LearnerInput& input);
Result<LearnerOutput> FitLinear(const LearnerInput& input);

}  // namespace sluice::training::internal
