// Model-evaluation metrics for binary, multiclass and regression tasks, defined to give the same
// numbers as scikit-learn's functions of the same name (each function says which one), plus
// Evaluate(), which computes a task's metrics by name for training, early stopping and gates.
//
//   SLUICE_ASSIGN_OR_RETURN(double auc, stats::RocAuc(labels, probs));
//   SLUICE_ASSIGN_OR_RETURN(auto all, stats::Evaluate(stats::Task::kBinary, labels, probs, 2, {}));
//
// Inputs are validated and every problem is an InvalidArgument that names the array and index
// ("score[3] is NaN", "y_true has 10 values, score has 9"). Sums are compensated (Neumaier)
// in long double, so long inputs lose no accuracy to summation order.
// Thread safety: pure functions of their arguments; call from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice::stats {

// ---- Binary ----------------------------------------------------------------------------------
// y_true holds 0 or 1 (anything else is an error). `weight` is one non-negative finite weight per
// sample, or empty for all 1; weights must not sum to zero. Scores may be any non-NaN value
// (including +-inf) for the AUCs; probabilities must lie in [0, 1].

// Area under the ROC curve, equal to sklearn.metrics.roc_auc_score: tied scores form one step
// whose area is a trapezoid, so the result is P(score_pos > score_neg) + 0.5 P(tie) over
// (weighted) positive-negative pairs. Error when y_true holds one class only, or when one
// class has zero total weight. O(n log n).
Result<double> RocAuc(std::span<const double> y_true, std::span<const double> score,
                      std::span<const double> weight = {});

// Average precision, equal to sklearn.metrics.average_precision_score: the sum over distinct
// score thresholds (descending) of (R_i - R_{i-1}) * P_i, step-wise with no interpolation.
// Error when no sample is positive (or positives have zero total weight); all positive gives 1.
Result<double> PrAuc(std::span<const double> y_true, std::span<const double> score,
                     std::span<const double> weight = {});

// Mean negative log-likelihood (sklearn log_loss); prob = P(class 1), clipped to
// [1e-15, 1 - 1e-15] so a confident mistake costs about 34.5 rather than infinity.
Result<double> LogLoss(std::span<const double> y_true, std::span<const double> prob,
                       std::span<const double> weight = {});

// Mean of (y - prob)^2 (sklearn brier_score_loss).
Result<double> BrierScore(std::span<const double> y_true, std::span<const double> prob,
                          std::span<const double> weight = {});

// sum over bins b of (n_b / n) * |mean(prob in b) - mean(y in b)|, with `bins` equal-width bins
// on [0, 1]: bin i holds [i/bins, (i+1)/bins), and prob 1 falls in the last bin. Empty bins add
// nothing. `bins` must be in [1, kMaxBins].
inline constexpr int kMaxBins = 100000;
Result<double> ExpectedCalibrationError(std::span<const double> y_true,
                                        std::span<const double> prob, int bins = 10);

// ---- Classification from labels --------------------------------------------------------------

// Counts of (true class, predicted class) pairs.
struct ConfusionMatrix {
  int num_classes = 0;
  std::vector<int64_t> counts;  // row = true class, column = predicted class, row-major
  // Aborts if t or p is outside [0, num_classes): that is a bug in the caller.
  int64_t at(int t, int p) const;
};

// num_classes must be in [2, kMaxConfusionClasses] (the matrix has num_classes^2 cells); every
// label must lie in [0, num_classes).
inline constexpr int kMaxConfusionClasses = 4096;
Result<ConfusionMatrix> Confusion(std::span<const int> y_true, std::span<const int> y_pred,
                                  int num_classes);

// Precision, recall and F1 per class, 0 where undefined (sklearn's zero_division=0; F1 is
// 2tp / (2tp + fp + fn)). Macro averages leave out classes that appear neither as a true nor as
// a predicted label, as sklearn does when it infers labels from the data. `precision`, `recall`
// and `f1` are those of class 1 when num_classes == 2 (sklearn average='binary') and the macro
// averages otherwise. An all-zero matrix gives all zeros.
struct ClassificationReport {
  double accuracy = 0;
  double precision = 0, recall = 0, f1 = 0;
  std::vector<double> per_class_precision, per_class_recall, per_class_f1;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;  // macro whatever num_classes is
};
ClassificationReport Report(const ConfusionMatrix& cm);

// ---- Multiclass from probabilities -----------------------------------------------------------
// y_true holds class indices in [0, num_classes); probs is row-major [n x num_classes], each
// value in [0, 1] and each row summing to 1 within kProbRowSumTolerance (catches logits or a
// wrong num_classes). num_classes must be at least 2.
inline constexpr double kProbRowSumTolerance = 1e-3;

// Mean of -log(clip(probs[i, y_true[i]])) with the same clipping as LogLoss (sklearn log_loss).
Result<double> MulticlassLogLoss(std::span<const int> y_true, std::span<const double> probs,
                                 int num_classes);

// Unweighted mean over classes of RocAuc(y_true == c, probs[:, c]) (sklearn roc_auc_score with
// multi_class='ovr', average='macro'). Every class must occur in y_true, as sklearn requires.
Result<double> MacroRocAucOvr(std::span<const int> y_true, std::span<const double> probs,
                              int num_classes);

// ---- Regression ------------------------------------------------------------------------------
// y_true and pred must be finite; weights as for the binary metrics.

// sqrt of the (weighted) mean squared error.
Result<double> Rmse(std::span<const double> y_true, std::span<const double> pred,
                    std::span<const double> weight = {});
// (Weighted) mean absolute error.
Result<double> Mae(std::span<const double> y_true, std::span<const double> pred,
                   std::span<const double> weight = {});
// 1 - SS_res / SS_tot about the (weighted) mean of y_true (sklearn r2_score). When y_true is
// constant SS_tot is 0 and, like sklearn's force_finite=True, the result is 1.0 for a perfect
// prediction and 0.0 otherwise. Needs at least 2 samples (sklearn returns NaN there).
Result<double> R2(std::span<const double> y_true, std::span<const double> pred,
                  std::span<const double> weight = {});
// (Weighted) mean of |y - p| / max(|y|, DBL_EPSILON) (sklearn mean_absolute_percentage_error):
// a fraction, not a percentage, and huge where y_true is 0 and p is not.
Result<double> Mape(std::span<const double> y_true, std::span<const double> pred,
                    std::span<const double> weight = {});

// ---- By name ---------------------------------------------------------------------------------

enum class Task { kBinary, kMulticlass, kRegression };

// "binary", "multiclass", "regression".
std::string_view TaskName(Task task);
// The inverse of TaskName; kInvalidArgument naming the three for anything else.
Result<Task> ParseTask(std::string_view name);

// The metrics Evaluate knows for a task, in a fixed order:
//   binary:     auc pr_auc log_loss accuracy precision recall f1 brier ece
//   multiclass: accuracy macro_f1 macro_precision macro_recall log_loss macro_auc
//   regression: rmse mae r2 mape
std::span<const std::string_view> MetricNames(Task task);

// Whether `metric` is a name MetricNames lists for some task.
bool IsKnownMetric(std::string_view metric);

// Whether larger values of `metric` are better (auc, accuracy, r2, ...) or worse (log_loss,
// brier, ece, rmse, ...). False for unknown names: check IsKnownMetric first where it matters.
bool HigherIsBetter(std::string_view metric);

// Computes `metrics` (empty = all of MetricNames(task)) and returns them by name.
//   y_true: binary 0/1; multiclass a class index in [0, num_classes) stored as a double;
//           regression the target.
//   prediction: binary P(class 1), n values in [0, 1]; multiclass probabilities, row-major
//           [n x num_classes]; regression the predicted value, n values.
//   num_classes: used by multiclass only (at least 2); ignored otherwise.
//   threshold: binary label metrics (accuracy, precision, recall, f1) predict class 1 when
//           prediction >= threshold. The predicted class for multiclass is the argmax (the
//           first one on ties).
// Unknown names are rejected before anything is computed, with the list of valid names. An
// error from one metric (e.g. AUC with one class present) fails the call, prefixed with the
// metric's name.
Result<std::map<std::string, double>> Evaluate(Task task, std::span<const double> y_true,
                                               std::span<const double> prediction, int num_classes,
                                               std::span<const std::string> metrics,
                                               double threshold = 0.5);

}  // namespace sluice::stats
