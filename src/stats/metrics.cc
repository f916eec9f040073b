#include "stats/metrics.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <optional>

#include "stats/internal/ranking.h"
#include "stats/internal/sum.h"
#include "stats/internal/validate.h"

namespace sluice::stats {
namespace {

using internal::CompensatedSum;
using internal::WeightAt;

// sklearn's historical default; keeps log(0) out of the sums.
constexpr double kProbClip = 1e-15;

// Weighted mean of f(i) over the samples; the weights were checked to sum to more than zero.
template <typename F>
double WeightedMean(size_t n, std::span<const double> weight, F f) {
  CompensatedSum sum, total;
  for (size_t i = 0; i < n; ++i) {
    const double w = WeightAt(weight, i);
    if (w == 0) continue;  // so an infinite loss on a zero-weight sample cannot make NaN
    sum += static_cast<long double>(w) * f(i);
    total += w;
  }
  return static_cast<double>(sum.value() / total.value());
}

double NegLogClipped(double p) { return -std::log(std::clamp(p, kProbClip, 1.0 - kProbClip)); }

Status CheckMulticlassInputs(std::span<const int> y_true, std::span<const double> probs,
                             int num_classes) {
  SLUICE_RETURN_IF_ERROR(internal::CheckNumClasses(num_classes, std::numeric_limits<int>::max()));
  SLUICE_RETURN_IF_ERROR(internal::CheckNotEmpty("y_true", y_true.size()));
  SLUICE_RETURN_IF_ERROR(internal::CheckClassIndices("y_true", y_true, num_classes));
  return internal::CheckProbabilityRows("probs", probs, y_true.size(), num_classes);
}

double SafeRatio(int64_t num, int64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

Result<double> RocAuc(std::span<const double> y_true, std::span<const double> score,
                      std::span<const double> weight) {
  SLUICE_RETURN_IF_ERROR(internal::CheckBinaryInputs(y_true, "score", score, weight, false));
  SLUICE_RETURN_IF_ERROR(internal::CheckBothClasses(y_true, weight));
  return internal::RocArea(internal::SortedBinarySamples(y_true, score, weight));
}

Result<double> PrAuc(std::span<const double> y_true, std::span<const double> score,
                     std::span<const double> weight) {
  SLUICE_RETURN_IF_ERROR(internal::CheckBinaryInputs(y_true, "score", score, weight, false));
  SLUICE_RETURN_IF_ERROR(internal::CheckHasPositive(y_true, weight));
  return internal::AveragePrecision(internal::SortedBinarySamples(y_true, score, weight));
}

Result<double> LogLoss(std::span<const double> y_true, std::span<const double> prob,
                       std::span<const double> weight) {
  SLUICE_RETURN_IF_ERROR(internal::CheckBinaryInputs(y_true, "prob", prob, weight, true));
  return WeightedMean(y_true.size(), weight, [&](size_t i) {
    return y_true[i] == 1.0 ? NegLogClipped(prob[i]) : NegLogClipped(1.0 - prob[i]);
  });
}

Result<double> BrierScore(std::span<const double> y_true, std::span<const double> prob,
                          std::span<const double> weight) {
  SLUICE_RETURN_IF_ERROR(internal::CheckBinaryInputs(y_true, "prob", prob, weight, true));
  return WeightedMean(y_true.size(), weight, [&](size_t i) {
    const double d = y_true[i] - prob[i];
    return d * d;
  });
}

Result<double> ExpectedCalibrationError(std::span<const double> y_true,
                                        std::span<const double> prob, int bins) {
  if (bins < 1 || bins > kMaxBins) {
    return InvalidArgument("bins must be between 1 and {}, got {}", kMaxBins, bins);
  }
  SLUICE_RETURN_IF_ERROR(internal::CheckBinaryInputs(y_true, "prob", prob, {}, true));
  const size_t k = static_cast<size_t>(bins);
  std::vector<int64_t> count(k, 0);
  std::vector<CompensatedSum> sum_prob(k), sum_y(k);
  for (size_t i = 0; i < y_true.size(); ++i) {
    const size_t b = std::min(static_cast<size_t>(prob[i] * bins), k - 1);
    ++count[b];
    sum_prob[b] += prob[i];
    sum_y[b] += y_true[i];
  }
  // sum_b (n_b / n) |sum_prob_b / n_b - sum_y_b / n_b| = sum_b |sum_prob_b - sum_y_b| / n.
  long double ece = 0;
  for (size_t b = 0; b < k; ++b) ece += std::fabs(sum_prob[b].value() - sum_y[b].value());
  return static_cast<double>(ece / static_cast<long double>(y_true.size()));
}

int64_t ConfusionMatrix::at(int t, int p) const {
  SLUICE_CHECK(t >= 0 && t < num_classes && p >= 0 && p < num_classes);
  return counts[static_cast<size_t>(t) * static_cast<size_t>(num_classes) + static_cast<size_t>(p)];
}

Result<ConfusionMatrix> Confusion(std::span<const int> y_true, std::span<const int> y_pred,
                                  int num_classes) {
  SLUICE_RETURN_IF_ERROR(internal::CheckNumClasses(num_classes, kMaxConfusionClasses));
  SLUICE_RETURN_IF_ERROR(
      internal::CheckSameLength("y_true", y_true.size(), "y_pred", y_pred.size()));
  SLUICE_RETURN_IF_ERROR(internal::CheckNotEmpty("y_true", y_true.size()));
  SLUICE_RETURN_IF_ERROR(internal::CheckClassIndices("y_true", y_true, num_classes));
  SLUICE_RETURN_IF_ERROR(internal::CheckClassIndices("y_pred", y_pred, num_classes));
  const size_t k = static_cast<size_t>(num_classes);
  ConfusionMatrix cm{num_classes, std::vector<int64_t>(k * k, 0)};
  for (size_t i = 0; i < y_true.size(); ++i) {
    ++cm.counts[static_cast<size_t>(y_true[i]) * k + static_cast<size_t>(y_pred[i])];
  }
  return cm;
}

ClassificationReport Report(const ConfusionMatrix& cm) {
  const int k = cm.num_classes;
  ClassificationReport r;
  r.per_class_precision.assign(static_cast<size_t>(k), 0.0);
  r.per_class_recall.assign(static_cast<size_t>(k), 0.0);
  r.per_class_f1.assign(static_cast<size_t>(k), 0.0);
  int64_t total = 0, correct = 0;
  int present = 0;
  for (int c = 0; c < k; ++c) {
    int64_t row = 0, col = 0;
    for (int j = 0; j < k; ++j) {
      row += cm.at(c, j);
      col += cm.at(j, c);
    }
    const int64_t tp = cm.at(c, c);
    const auto ci = static_cast<size_t>(c);
    r.per_class_precision[ci] = SafeRatio(tp, col);
    r.per_class_recall[ci] = SafeRatio(tp, row);
    // 2tp / (2tp + fp + fn) equals 2PR / (P + R) and is 0, not 0/0, when tp is 0.
    r.per_class_f1[ci] = SafeRatio(2 * tp, row + col);
    total += row;
    correct += tp;
    if (row + col > 0) {
      ++present;
      r.macro_precision += r.per_class_precision[ci];
      r.macro_recall += r.per_class_recall[ci];
      r.macro_f1 += r.per_class_f1[ci];
    }
  }
  if (present > 0) {
    r.macro_precision /= present;
    r.macro_recall /= present;
    r.macro_f1 /= present;
  }
  r.accuracy = SafeRatio(correct, total);
  if (k == 2) {
    r.precision = r.per_class_precision[1];
    r.recall = r.per_class_recall[1];
    r.f1 = r.per_class_f1[1];
  } else {
    r.precision = r.macro_precision;
    r.recall = r.macro_recall;
    r.f1 = r.macro_f1;
  }
  return r;
}

Result<double> MulticlassLogLoss(std::span<const int> y_true, std::span<const double> probs,
                                 int num_classes) {
  SLUICE_RETURN_IF_ERROR(CheckMulticlassInputs(y_true, probs, num_classes));
  const size_t k = static_cast<size_t>(num_classes);
  return WeightedMean(y_true.size(), {}, [&](size_t i) {
    return NegLogClipped(probs[i * k + static_cast<size_t>(y_true[i])]);
  });
}

Result<double> MacroRocAucOvr(std::span<const int> y_true, std::span<const double> probs,
                              int num_classes) {
  SLUICE_RETURN_IF_ERROR(CheckMulticlassInputs(y_true, probs, num_classes));
  const size_t k = static_cast<size_t>(num_classes);
  std::vector<int64_t> class_count(k, 0);
  for (int y : y_true) ++class_count[static_cast<size_t>(y)];
  for (size_t c = 0; c < k; ++c) {
    if (class_count[c] == 0) {
      return InvalidArgument(
          "AUC is undefined for class {}: it does not occur in y_true, and one-vs-rest AUC "
          "needs every class",
          c);
    }
  }
  // Every class occurs and there are at least two, so each one-vs-rest split has both sides.
  long double sum = 0;
  std::vector<internal::RankedSample> samples(y_true.size());
  for (size_t c = 0; c < k; ++c) {
    for (size_t i = 0; i < y_true.size(); ++i) {
      const bool pos = static_cast<size_t>(y_true[i]) == c;
      samples[i] = {probs[i * k + c], pos ? 1.0 : 0.0, pos ? 0.0 : 1.0};
    }
    internal::SortDescending(samples);
    sum += internal::RocArea(samples);
  }
  return static_cast<double>(sum / static_cast<long double>(k));
}

Result<double> Rmse(std::span<const double> y_true, std::span<const double> pred,
                    std::span<const double> weight) {
  SLUICE_RETURN_IF_ERROR(internal::CheckRegressionInputs(y_true, pred, weight));
  return std::sqrt(WeightedMean(y_true.size(), weight, [&](size_t i) {
    const long double d = static_cast<long double>(y_true[i]) - pred[i];
    return d * d;
  }));
}

Result<double> Mae(std::span<const double> y_true, std::span<const double> pred,
                   std::span<const double> weight) {
  SLUICE_RETURN_IF_ERROR(internal::CheckRegressionInputs(y_true, pred, weight));
  return WeightedMean(y_true.size(), weight, [&](size_t i) {
    return std::fabs(static_cast<long double>(y_true[i]) - pred[i]);
  });
}

Result<double> R2(std::span<const double> y_true, std::span<const double> pred,
                  std::span<const double> weight) {
  SLUICE_RETURN_IF_ERROR(internal::CheckRegressionInputs(y_true, pred, weight));
  if (y_true.size() < 2) {
    return InvalidArgument("R2 needs at least 2 samples, got {}", y_true.size());
  }
  const size_t n = y_true.size();
  const double mean = WeightedMean(n, weight, [&](size_t i) { return y_true[i]; });
  CompensatedSum ss_res, ss_tot;
  bool constant = true;
  std::optional<double> first;  // the first y_true that carries weight
  for (size_t i = 0; i < n; ++i) {
    const long double w = WeightAt(weight, i);
    const long double res = static_cast<long double>(y_true[i]) - pred[i];
    const long double dev = static_cast<long double>(y_true[i]) - mean;
    ss_res += w * res * res;
    ss_tot += w * dev * dev;
    if (w == 0) continue;
    if (!first) first = y_true[i];
    if (y_true[i] != *first) constant = false;
  }
  // Decide "constant" on the values rather than on ss_tot, which rounding can leave a hair
  // above zero, turning a would-be 0.0 into a huge negative number.
  if (constant) return ss_res.value() == 0 ? 1.0 : 0.0;
  return static_cast<double>(1 - ss_res.value() / ss_tot.value());
}

Result<double> Mape(std::span<const double> y_true, std::span<const double> pred,
                    std::span<const double> weight) {
  SLUICE_RETURN_IF_ERROR(internal::CheckRegressionInputs(y_true, pred, weight));
  return WeightedMean(y_true.size(), weight, [&](size_t i) {
    return std::fabs(static_cast<long double>(y_true[i]) - pred[i]) /
           std::max(std::fabs(y_true[i]), DBL_EPSILON);
  });
}

}  // namespace sluice::stats
