#include <algorithm>
#include <cmath>

#include "linear/linear.h"
#include "training/internal/learners.h"

namespace sluice::training::internal {
namespace {

// The solver's objective is logged every this many iterations (and at the last), so a
// thousand-iteration fit is a curve of a hundred points, not a thousand writes.
constexpr size_t kObjectiveEvery = 10;

// Standard deviation of each feature over the training rows (NaN skipped).
std::vector<double> FeatureSpread(const EncodedPart& part, size_t cols) {
  std::vector<double> spread(cols, 0.0);
  for (size_t j = 0; j < cols; ++j) {
    double sum = 0, sum_sq = 0;
    size_t count = 0;
    for (size_t i = 0; i < part.rows; ++i) {
      double v = part.features[i * cols + j];
      if (std::isnan(v)) continue;
      sum += v;
      sum_sq += v * v;
      ++count;
    }
    if (count > 1) {
      double mean = sum / static_cast<double>(count);
      spread[j] = std::sqrt(std::max(0.0, sum_sq / static_cast<double>(count) - mean * mean));
    }
  }
  return spread;
}

}  // namespace

Result<LearnerOutput> FitLinear(const LearnerInput& input) {
  const TrainConfig& config = input.config;
  const size_t cols = input.feature_names.size();
  linear::Options options;
  switch (input.task) {
    case models::Task::kBinary:
      options.objective = linear::Objective::kLogistic;
      break;
    case models::Task::kMulticlass:
      options.objective = linear::Objective::kSoftmax;
      options.num_classes = static_cast<int>(input.num_classes);
      break;
    case models::Task::kRegression:
      options.objective = linear::Objective::kSquaredError;
      break;
  }
  options.l2 = config.Double("linear.l2");
  options.l1 = config.Double("linear.l1");
  options.max_iterations = static_cast<int>(config.Int("linear.max_iterations"));
  options.tolerance = config.Double("linear.tolerance");
  options.standardize = config.Bool("linear.standardize");
  SLUICE_ASSIGN_OR_RETURN(
      auto fitted, linear::Fit(input.train.features, input.train.rows, cols, input.train.labels, {},
                               input.feature_names, options));
  auto& [model, report] = fitted;
  if (input.on_progress) input.on_progress(report.iterations, report.iterations);

  std::vector<tracking::Metric> curve;
  const int64_t now = input.now_ms();
  const auto& objective = report.objective_per_iteration;
  for (size_t i = 0; i < objective.size(); ++i) {
    if (i % kObjectiveEvery != 0 && i + 1 != objective.size()) continue;
    curve.push_back({.key = "train-objective",
                     .value = objective[i],
                     .timestamp = now,
                     .step = static_cast<int64_t>(i)});
  }
  for (size_t begin = 0; begin < curve.size(); begin += 1000) {
    size_t end = std::min(curve.size(), begin + 1000);
    SLUICE_RETURN_IF_ERROR(input.log_metrics({curve.begin() + begin, curve.begin() + end}));
  }

  LearnerOutput output;
  output.rounds = report.iterations;
  // Importance of a feature: how far one standard deviation of it moves the margin, summed over
  // outputs, so features in different units compare.
  const std::vector<double> spread = FeatureSpread(input.train, cols);
  for (size_t j = 0; j < cols; ++j) {
    double total = 0;
    for (int c = 0; c < model.num_outputs; ++c) total += std::abs(model.weights[c * cols + j]);
    output.importance.emplace_back(input.feature_names[j], total * spread[j]);
  }
  std::stable_sort(output.importance.begin(), output.importance.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  output.model_bytes = model.ToJson();
  return output;
}

}  // namespace sluice::training::internal
