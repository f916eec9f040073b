// The ranking metrics' core: samples sorted once by descending score, then one walk over the
// distinct scores gives the ROC area or the average precision. Evaluate() shares one sort
// between "auc" and "pr_auc".
// Thread safety: pure functions.
#pragma once

#include <span>
#include <vector>

#include "base/status.h"

namespace sluice::stats::internal {

// One sample as the ranking metrics see it: its score and how much it counts as a positive and
// as a negative (its weight on one side, 0 on the other).
struct RankedSample {
  double score;
  double pos;
  double neg;
};

void SortDescending(std::vector<RankedSample>& samples);

// Validated binary inputs (see CheckBinaryInputs) as RankedSamples, sorted.
std::vector<RankedSample> SortedBinarySamples(std::span<const double> y_true,
                                              std::span<const double> score,
                                              std::span<const double> weight);

// Error unless both classes occur and carry weight: the ROC area is 0/0 otherwise.
Status CheckBothClasses(std::span<const double> y_true, std::span<const double> weight);
// Error unless class 1 occurs and carries weight: recall is 0/0 otherwise.
Status CheckHasPositive(std::span<const double> y_true, std::span<const double> weight);

// The area under the ROC curve of sorted samples whose positive and negative weights are both
// positive. A tied group moves the curve diagonally, so its trapezoid credits each tied
// positive-negative pair with one half.
double RocArea(const std::vector<RankedSample>& sorted);

// sum over distinct thresholds of (R_i - R_{i-1}) P_i for sorted samples with positive weight.
double AveragePrecision(const std::vector<RankedSample>& sorted);

}  // namespace sluice::stats::internal
