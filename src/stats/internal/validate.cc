#include "stats/internal/validate.h"

#include <cmath>

#include "stats/metrics.h"

namespace sluice::stats::internal {

Status CheckSameLength(std::string_view a_name, size_t a_size, std::string_view b_name,
                       size_t b_size) {
  if (a_size != b_size) {
    return InvalidArgument("{} has {} values, {} has {}", a_name, a_size, b_name, b_size);
  }
  return Status::Ok();
}

Status CheckNotEmpty(std::string_view name, size_t size) {
  if (size == 0) return InvalidArgument("no samples: {} is empty", name);
  return Status::Ok();
}

Status CheckNoNaN(std::string_view name, std::span<const double> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) return InvalidArgument("{}[{}] is NaN", name, i);
  }
  return Status::Ok();
}

Status CheckFinite(std::string_view name, std::span<const double> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) return InvalidArgument("{}[{}] is NaN", name, i);
    if (std::isinf(values[i])) return InvalidArgument("{}[{}] is {}", name, i, values[i]);
  }
  return Status::Ok();
}

Status CheckBinaryLabels(std::string_view name, std::span<const double> values) {
  SLUICE_RETURN_IF_ERROR(CheckNoNaN(name, values));
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] != 0.0 && values[i] != 1.0) {
      return InvalidArgument("{}[{}] is {}; binary labels must be 0 or 1", name, i, values[i]);
    }
  }
  return Status::Ok();
}

Status CheckProbabilities(std::string_view name, std::span<const double> values) {
  SLUICE_RETURN_IF_ERROR(CheckNoNaN(name, values));
  for (size_t i = 0; i < values.size(); ++i) {
    if (!(values[i] >= 0.0 && values[i] <= 1.0)) {
      return InvalidArgument("{}[{}] is {}; probabilities must be in [0, 1]", name, i, values[i]);
    }
  }
  return Status::Ok();
}

Status CheckWeights(std::span<const double> weight, size_t n) {
  if (weight.empty()) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(CheckSameLength("weight", weight.size(), "y_true", n));
  SLUICE_RETURN_IF_ERROR(CheckFinite("weight", weight));
  long double sum = 0;
  for (size_t i = 0; i < weight.size(); ++i) {
    if (weight[i] < 0) {
      return InvalidArgument("weight[{}] is {}; weights must be non-negative", i, weight[i]);
    }
    sum += weight[i];
  }
  if (sum == 0) return InvalidArgument("weights sum to zero");
  return Status::Ok();
}

Status CheckNumClasses(int num_classes, int max_classes) {
  if (num_classes < 2)
    return InvalidArgument("num_classes must be at least 2, got {}", num_classes);
  if (num_classes > max_classes) {
    return InvalidArgument("num_classes is {}; at most {} are supported", num_classes, max_classes);
  }
  return Status::Ok();
}

Status CheckClassIndices(std::string_view name, std::span<const int> values, int num_classes) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || values[i] >= num_classes) {
      return InvalidArgument("{}[{}] is {}; class indices must be in [0, {})", name, i, values[i],
                             num_classes);
    }
  }
  return Status::Ok();
}

Status CheckProbabilityRows(std::string_view name, std::span<const double> probs, size_t n,
                            int num_classes) {
  const size_t k = static_cast<size_t>(num_classes);
  if (probs.size() != n * k) {
    return InvalidArgument("{} has {} values, expected {} ({} samples x {} classes)", name,
                           probs.size(), n * k, n, k);
  }
  SLUICE_RETURN_IF_ERROR(CheckProbabilities(name, probs));
  for (size_t i = 0; i < n; ++i) {
    long double sum = 0;
    for (size_t c = 0; c < k; ++c) sum += probs[i * k + c];
    if (std::fabs(static_cast<double>(sum) - 1.0) > kProbRowSumTolerance) {
      return InvalidArgument("{} row {} sums to {}, not 1; pass probabilities, not scores", name, i,
                             static_cast<double>(sum));
    }
  }
  return Status::Ok();
}

Status CheckBinaryInputs(std::span<const double> y_true, std::string_view score_name,
                         std::span<const double> score, std::span<const double> weight,
                         bool probabilities) {
  SLUICE_RETURN_IF_ERROR(CheckSameLength("y_true", y_true.size(), score_name, score.size()));
  SLUICE_RETURN_IF_ERROR(CheckNotEmpty("y_true", y_true.size()));
  SLUICE_RETURN_IF_ERROR(CheckBinaryLabels("y_true", y_true));
  if (probabilities) {
    SLUICE_RETURN_IF_ERROR(CheckProbabilities(score_name, score));
  } else {
    SLUICE_RETURN_IF_ERROR(CheckNoNaN(score_name, score));
  }
  return CheckWeights(weight, y_true.size());
}

Status CheckRegressionInputs(std::span<const double> y_true, std::span<const double> pred,
                             std::span<const double> weight) {
  SLUICE_RETURN_IF_ERROR(CheckSameLength("y_true", y_true.size(), "pred", pred.size()));
  SLUICE_RETURN_IF_ERROR(CheckNotEmpty("y_true", y_true.size()));
  SLUICE_RETURN_IF_ERROR(CheckFinite("y_true", y_true));
  SLUICE_RETURN_IF_ERROR(CheckFinite("pred", pred));
  return CheckWeights(weight, y_true.size());
}

}  // namespace sluice::stats::internal
