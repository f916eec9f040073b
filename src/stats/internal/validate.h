// Input checks shared by the metrics. Each returns InvalidArgument naming the array and the first
// offending index, so a caller can find the bad row: "score[3] is NaN".
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "base/status.h"

namespace sluice::stats::internal {

// "y_true has 10 values, score has 9".
Status CheckSameLength(std::string_view a_name, size_t a_size, std::string_view b_name,
                       size_t b_size);
Status CheckNotEmpty(std::string_view name, size_t size);
Status CheckNoNaN(std::string_view name, std::span<const double> values);
// No NaN and no infinity.
Status CheckFinite(std::string_view name, std::span<const double> values);
// Every value exactly 0 or 1 (and not NaN).
Status CheckBinaryLabels(std::string_view name, std::span<const double> values);
// Every value in [0, 1] (and not NaN).
Status CheckProbabilities(std::string_view name, std::span<const double> values);
// Empty, or `n` finite non-negative values with a positive sum.
Status CheckWeights(std::span<const double> weight, size_t n);
Status CheckClassIndices(std::string_view name, std::span<const int> values, int num_classes);
Status CheckNumClasses(int num_classes, int max_classes);
// `probs` is [n x num_classes] row-major probabilities whose rows sum to 1.
Status CheckProbabilityRows(std::string_view name, std::span<const double> probs, size_t n,
                            int num_classes);

// The weight of sample i: 1 when `weight` is empty.
inline double WeightAt(std::span<const double> weight, size_t i) {
  return weight.empty() ? 1.0 : weight[i];
}

// The checks every binary metric makes, in the order a user would fix them: lengths, emptiness,
// labels, the score array (NaN always; [0, 1] when `probabilities`), weights.
Status CheckBinaryInputs(std::span<const double> y_true, std::string_view score_name,
                         std::span<const double> score, std::span<const double> weight,
                         bool probabilities);

// Lengths, emptiness, finiteness and weights for the regression metrics.
Status CheckRegressionInputs(std::span<const double> y_true, std::span<const double> pred,
                             std::span<const double> weight);

}  // namespace sluice::stats::internal
