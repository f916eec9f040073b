// Evaluate(): a task's metrics by name, validated once up front so every error names the
// caller's arrays ("prediction[3] is NaN") rather than an inner function's.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stats/internal/ranking.h"
#include "stats/internal/validate.h"
#include "stats/metrics.h"

namespace sluice::stats {
namespace {

constexpr std::string_view kBinaryMetrics[] = {
    "auc", "pr_auc", "log_loss", "accuracy", "precision", "recall", "f1", "brier", "ece"};
constexpr std::string_view kMulticlassMetrics[] = {"accuracy",     "macro_f1", "macro_precision",
                                                   "macro_recall", "log_loss", "macro_auc"};
constexpr std::string_view kRegressionMetrics[] = {"rmse", "mae", "r2", "mape"};
constexpr std::string_view kLowerIsBetter[] = {"log_loss", "brier", "ece", "rmse", "mae", "mape"};

bool Contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Status CheckMetricNames(Task task, std::span<const std::string> metrics) {
  const std::span<const std::string_view> valid = MetricNames(task);
  for (const std::string& m : metrics) {
    if (!Contains(valid, m)) {
      return InvalidArgument("unknown metric '{}' for a {} task; valid metrics: {}", m,
                             TaskName(task), fmt::join(valid, ", "));
    }
  }
  return Status::Ok();
}

// y_true as class indices, checking that each double is an integer in range.
Result<std::vector<int>> ClassIndices(std::span<const double> y_true, int num_classes) {
  std::vector<int> out(y_true.size());
  for (size_t i = 0; i < y_true.size(); ++i) {
    const double y = y_true[i];
    if (!(y >= 0 && y < num_classes) || y != std::floor(y)) {
      return InvalidArgument("y_true[{}] is {}; class indices must be integers in [0, {})", i, y,
                             num_classes);
    }
    out[i] = static_cast<int>(y);
  }
  return out;
}

// Computes one metric by name; `name` has been validated for the task.
using MetricFn = std::function<Result<double>(std::string_view name)>;

Result<std::map<std::string, double>> RunAll(Task task, std::span<const std::string> metrics,
                                             const MetricFn& fn) {
  std::vector<std::string> names(metrics.begin(), metrics.end());
  if (names.empty()) {
    for (std::string_view n : MetricNames(task)) names.emplace_back(n);
  }
  std::map<std::string, double> out;
  for (const std::string& name : names) {
    if (out.count(name) > 0) continue;
    SLUICE_ASSIGN_OR_RETURN(out[name], fn(name).WithContext(fmt::format("metric '{}'", name)));
  }
  return out;
}

Result<std::map<std::string, double>> EvaluateBinary(std::span<const double> y_true,
                                                     std::span<const double> prob,
                                                     std::span<const std::string> metrics,
                                                     double threshold) {
  SLUICE_RETURN_IF_ERROR(
      internal::CheckSameLength("y_true", y_true.size(), "prediction", prob.size()));
  SLUICE_RETURN_IF_ERROR(internal::CheckNotEmpty("y_true", y_true.size()));
  SLUICE_RETURN_IF_ERROR(internal::CheckBinaryLabels("y_true", y_true));
  SLUICE_RETURN_IF_ERROR(internal::CheckProbabilities("prediction", prob));
  if (std::isnan(threshold)) return InvalidArgument("threshold is NaN");

  std::optional<ClassificationReport> report;  // built on first use
  auto get_report = [&]() -> Result<ClassificationReport> {
    if (!report) {
      std::vector<int> truth(y_true.size()), pred(y_true.size());
      for (size_t i = 0; i < y_true.size(); ++i) {
        truth[i] = y_true[i] == 1.0 ? 1 : 0;
        pred[i] = prob[i] >= threshold ? 1 : 0;
      }
      SLUICE_ASSIGN_OR_RETURN(ConfusionMatrix cm, Confusion(truth, pred, 2));
      report = Report(cm);
    }
    return *report;
  };
  // "auc" and "pr_auc" share one sort, the only O(n log n) step.
  std::vector<internal::RankedSample> sorted;
  auto get_sorted = [&]() -> const std::vector<internal::RankedSample>& {
    if (sorted.empty()) sorted = internal::SortedBinarySamples(y_true, prob, {});
    return sorted;
  };
  return RunAll(Task::kBinary, metrics, [&](std::string_view name) -> Result<double> {
    if (name == "auc") {
      SLUICE_RETURN_IF_ERROR(internal::CheckBothClasses(y_true, {}));
      return internal::RocArea(get_sorted());
    }
    if (name == "pr_auc") {
      SLUICE_RETURN_IF_ERROR(internal::CheckHasPositive(y_true, {}));
      return internal::AveragePrecision(get_sorted());
    }
    if (name == "log_loss") return LogLoss(y_true, prob);
    if (name == "brier") return BrierScore(y_true, prob);
    if (name == "ece") return ExpectedCalibrationError(y_true, prob);
    SLUICE_ASSIGN_OR_RETURN(ClassificationReport r, get_report());
    if (name == "accuracy") return r.accuracy;
    if (name == "precision") return r.precision;
    if (name == "recall") return r.recall;
    return r.f1;  // "f1", the last binary name
  });
}

Result<std::map<std::string, double>> EvaluateMulticlass(std::span<const double> y_true,
                                                         std::span<const double> probs,
                                                         int num_classes,
                                                         std::span<const std::string> metrics) {
  SLUICE_RETURN_IF_ERROR(internal::CheckNumClasses(num_classes, kMaxConfusionClasses));
  SLUICE_RETURN_IF_ERROR(internal::CheckNotEmpty("y_true", y_true.size()));
  SLUICE_ASSIGN_OR_RETURN(std::vector<int> truth, ClassIndices(y_true, num_classes));
  SLUICE_RETURN_IF_ERROR(
      internal::CheckProbabilityRows("prediction", probs, truth.size(), num_classes));

  const size_t k = static_cast<size_t>(num_classes);
  std::vector<int> pred(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    const auto row = probs.subspan(i * k, k);
    pred[i] = static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
  }
  SLUICE_ASSIGN_OR_RETURN(ConfusionMatrix cm, Confusion(truth, pred, num_classes));
  const ClassificationReport r = Report(cm);
  return RunAll(Task::kMulticlass, metrics, [&](std::string_view name) -> Result<double> {
    if (name == "accuracy") return r.accuracy;
    if (name == "macro_f1") return r.macro_f1;
    if (name == "macro_precision") return r.macro_precision;
    if (name == "macro_recall") return r.macro_recall;
    if (name == "log_loss") return MulticlassLogLoss(truth, probs, num_classes);
    return MacroRocAucOvr(truth, probs, num_classes);  // "macro_auc"
  });
}

Result<std::map<std::string, double>> EvaluateRegression(std::span<const double> y_true,
                                                         std::span<const double> pred,
                                                         std::span<const std::string> metrics) {
  SLUICE_RETURN_IF_ERROR(
      internal::CheckSameLength("y_true", y_true.size(), "prediction", pred.size()));
  SLUICE_RETURN_IF_ERROR(internal::CheckNotEmpty("y_true", y_true.size()));
  SLUICE_RETURN_IF_ERROR(internal::CheckFinite("y_true", y_true));
  SLUICE_RETURN_IF_ERROR(internal::CheckFinite("prediction", pred));
  return RunAll(Task::kRegression, metrics, [&](std::string_view name) -> Result<double> {
    if (name == "rmse") return Rmse(y_true, pred);
    if (name == "mae") return Mae(y_true, pred);
    if (name == "r2") return R2(y_true, pred);
    return Mape(y_true, pred);  // "mape"
  });
}

}  // namespace

std::string_view TaskName(Task task) {
  switch (task) {
    case Task::kBinary:
      return "binary";
    case Task::kMulticlass:
      return "multiclass";
    case Task::kRegression:
      return "regression";
  }
  return "unknown";
}

Result<Task> ParseTask(std::string_view name) {
  if (name == "binary") return Task::kBinary;
  if (name == "multiclass") return Task::kMulticlass;
  if (name == "regression") return Task::kRegression;
  return InvalidArgument("unknown task '{}'; use binary, multiclass or regression", name);
}

std::span<const std::string_view> MetricNames(Task task) {
  switch (task) {
    case Task::kBinary:
      return kBinaryMetrics;
    case Task::kMulticlass:
      return kMulticlassMetrics;
    case Task::kRegression:
      return kRegressionMetrics;
  }
  return {};
}

bool IsKnownMetric(std::string_view metric) {
  return Contains(kBinaryMetrics, metric) || Contains(kMulticlassMetrics, metric) ||
         Contains(kRegressionMetrics, metric);
}

bool HigherIsBetter(std::string_view metric) {
  return IsKnownMetric(metric) && !Contains(kLowerIsBetter, metric);
}

Result<std::map<std::string, double>> Evaluate(Task task, std::span<const double> y_true,
                                               std::span<const double> prediction, int num_classes,
                                               std::span<const std::string> metrics,
                                               double threshold) {
  SLUICE_RETURN_IF_ERROR(CheckMetricNames(task, metrics));
  switch (task) {
    case Task::kBinary:
      return EvaluateBinary(y_true, prediction, metrics, threshold);
    case Task::kMulticlass:
      return EvaluateMulticlass(y_true, prediction, num_classes, metrics);
    case Task::kRegression:
      return EvaluateRegression(y_true, prediction, metrics);
  }
  return InvalidArgument("unknown task {}", static_cast<int>(task));
}

}  // namespace sluice::stats
