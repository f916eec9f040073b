#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "training/internal/learners.h"
#include "xgb/xgb.h"

namespace sluice::training::internal {
namespace {

// Metrics are sent to the tracking store in batches, so a long training run shows its curve
// while it runs without one write per round.
constexpr size_t kMetricFlushRounds = 25;

std::string DefaultEvalMetric(models::Task task) {
  switch (task) {
    case models::Task::kBinary:
      return "logloss";
    case models::Task::kMulticlass:
      return "mlogloss";
    case models::Task::kRegression:
      return "rmse";
  }
  return "rmse";
}

bool EvalHigherIsBetter(std::string_view metric) { return metric == "auc" || metric == "aucpr"; }

// XGBoost refuses feature names containing '[', ']' or '<' (its model dump syntax); such models
// train with the default names f0, f1, ... and importance maps them back.
bool XgboostAcceptsNames(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (name.empty() || name.find_first_of("[]<") != std::string::npos) return false;
  }
  return true;
}

Result<xgb::DMatrix> MakeMatrix(const EncodedPart& part, size_t cols,
                                const std::vector<std::string>& names, bool set_names) {
  SLUICE_ASSIGN_OR_RETURN(xgb::DMatrix matrix,
                          xgb::DMatrix::FromDense(part.features32, part.rows, cols));
  std::vector<float> labels(part.labels.begin(), part.labels.end());
  SLUICE_RETURN_IF_ERROR(matrix.SetLabels(labels));
  if (set_names) SLUICE_RETURN_IF_ERROR(matrix.SetFeatureNames(names));
  return matrix;
}

}  // namespace

Result<LearnerOutput> FitXgboost(const LearnerInput& input) {
  const TrainConfig& config = input.config;
  const size_t cols = input.feature_names.size();
  const bool set_names = XgboostAcceptsNames(input.feature_names);
  SLUICE_RETURN_IF_ERROR(xgb::Configure(/*verbosity=*/0));
  SLUICE_ASSIGN_OR_RETURN(xgb::DMatrix train,
                          MakeMatrix(input.train, cols, input.feature_names, set_names));
  std::optional<xgb::DMatrix> validation;
  if (input.validation.rows > 0) {
    SLUICE_ASSIGN_OR_RETURN(validation,
                            MakeMatrix(input.validation, cols, input.feature_names, set_names));
  }
  std::vector<const xgb::DMatrix*> cache = {&train};
  if (validation) cache.push_back(&*validation);
  SLUICE_ASSIGN_OR_RETURN(xgb::Booster booster, xgb::Booster::Create(cache));

  std::string eval_metric = config.String("xgboost.eval_metric");
  if (eval_metric == "auto") eval_metric = DefaultEvalMetric(input.task);
  std::vector<std::pair<std::string, std::string>> params = {
      {"objective", input.task == models::Task::kBinary       ? "binary:logistic"
                    : input.task == models::Task::kMulticlass ? "multi:softprob"
                                                              : "reg:squarederror"},
      {"eval_metric", eval_metric},
      {"seed", config.String("seed")},
      {"nthread", config.String("xgboost.nthread")},
      {"tree_method", config.String("xgboost.tree_method")},
      {"max_depth", config.String("xgboost.max_depth")},
      {"learning_rate", config.String("xgboost.learning_rate")},
      {"min_child_weight", config.String("xgboost.min_child_weight")},
      {"subsample", config.String("xgboost.subsample")},
      {"colsample_bytree", config.String("xgboost.colsample_bytree")},
      {"reg_lambda", config.String("xgboost.reg_lambda")},
      {"reg_alpha", config.String("xgboost.reg_alpha")},
      {"gamma", config.String("xgboost.gamma")},
      {"max_bin", config.String("xgboost.max_bin")},
      {"validate_parameters", "1"},
  };
  if (input.task == models::Task::kMulticlass) {
    params.emplace_back("num_class", std::to_string(input.num_classes));
  }
  if (input.task == models::Task::kBinary) {
    params.emplace_back("scale_pos_weight", config.String("xgboost.scale_pos_weight"));
  }
  for (const auto& [name, value] : params) SLUICE_RETURN_IF_ERROR(booster.SetParam(name, value));

  const int num_rounds = static_cast<int>(config.Int("xgboost.num_rounds"));
  const int patience =
      validation ? static_cast<int>(config.Int("xgboost.early_stopping_rounds")) : 0;
  const bool higher_better = EvalHigherIsBetter(eval_metric);
  std::vector<std::pair<std::string, const xgb::DMatrix*>> sets = {{"train", &train}};
  if (validation) sets.emplace_back("validation", &*validation);

  std::vector<tracking::Metric> pending;
  std::optional<int> best_round;
  double best_score = 0;
  int rounds = 0;
  for (int round = 0; round < num_rounds; ++round) {
    SLUICE_RETURN_IF_ERROR(booster.UpdateOneIter(round, train));
    rounds = round + 1;
    SLUICE_ASSIGN_OR_RETURN(std::vector<xgb::EvalValue> values, booster.Eval(round, sets));
    const int64_t now = input.now_ms();
    for (const xgb::EvalValue& v : values) {
      pending.push_back({.key = fmt::format("{}-{}", v.dataset, v.metric),
                         .value = v.value,
                         .timestamp = now,
                         .step = round});
      if (v.dataset == "validation" && v.metric == eval_metric && std::isfinite(v.value)) {
        if (!best_round || (higher_better ? v.value > best_score : v.value < best_score)) {
          best_round = round;
          best_score = v.value;
        }
      }
    }
    if (pending.size() >= kMetricFlushRounds * sets.size()) {
      SLUICE_RETURN_IF_ERROR(input.log_metrics(std::move(pending)));
      pending.clear();
    }
    if (input.on_progress) input.on_progress(rounds, num_rounds);
    if (patience > 0 && best_round && round - *best_round >= patience) break;
  }
  if (!pending.empty()) SLUICE_RETURN_IF_ERROR(input.log_metrics(std::move(pending)));

  LearnerOutput output;
  if (patience > 0 && best_round && *best_round + 1 < rounds) {
    // The model keeps the trees up to the best round only, so the file alone predicts like the
    // model that was selected.
    SLUICE_ASSIGN_OR_RETURN(booster, booster.Slice(0, *best_round + 1));
    rounds = *best_round + 1;
  }
  output.rounds = rounds;
  if (patience > 0) output.best_round = best_round;
  SLUICE_ASSIGN_OR_RETURN(output.model_bytes, booster.SaveJson());
  SLUICE_ASSIGN_OR_RETURN(auto gains, booster.FeatureImportance("gain"));
  for (size_t i = 0; i < cols; ++i) {
    const std::string key = set_names ? input.feature_names[i] : fmt::format("f{}", i);
    auto it = gains.find(key);
    output.importance.emplace_back(input.feature_names[i], it == gains.end() ? 0.0 : it->second);
  }
  std::stable_sort(output.importance.begin(), output.importance.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  output.libraries["xgboost"] = xgb::Version();
  return output;
}

}  // namespace sluice::training::internal
