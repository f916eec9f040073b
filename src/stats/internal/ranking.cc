#include "stats/internal/ranking.h"

#include <algorithm>

#include "stats/internal/sum.h"
#include "stats/internal/validate.h"

namespace sluice::stats::internal {
namespace {

// Walks the distinct scores from the highest down, calling step(dtp, dfp, tp, fp) once per group
// of tied scores with the group's positive and negative weight and the running totals after it.
template <typename Step>
void ForEachThreshold(const std::vector<RankedSample>& sorted, Step step) {
  CompensatedSum tp, fp;
  size_t i = 0;
  while (i < sorted.size()) {
    const double s = sorted[i].score;
    CompensatedSum dtp, dfp;
    for (; i < sorted.size() && sorted[i].score == s; ++i) {
      dtp += sorted[i].pos;
      dfp += sorted[i].neg;
    }
    tp += dtp.value();
    fp += dfp.value();
    step(dtp.value(), dfp.value(), tp.value(), fp.value());
  }
}

struct ClassPresence {
  bool has_pos = false, has_neg = false;
  bool pos_weighted = false, neg_weighted = false;  // some sample of the class has weight > 0
};

ClassPresence Presence(std::span<const double> y_true, std::span<const double> weight) {
  ClassPresence p;
  for (size_t i = 0; i < y_true.size(); ++i) {
    const bool weighted = WeightAt(weight, i) > 0;
    if (y_true[i] == 1.0) {
      p.has_pos = true;
      p.pos_weighted |= weighted;
    } else {
      p.has_neg = true;
      p.neg_weighted |= weighted;
    }
  }
  return p;
}

}  // namespace

void SortDescending(std::vector<RankedSample>& samples) {
  std::sort(samples.begin(), samples.end(),
            [](const RankedSample& a, const RankedSample& b) { return a.score > b.score; });
}

std::vector<RankedSample> SortedBinarySamples(std::span<const double> y_true,
                                              std::span<const double> score,
                                              std::span<const double> weight) {
  std::vector<RankedSample> samples(y_true.size());
  for (size_t i = 0; i < y_true.size(); ++i) {
    const double w = WeightAt(weight, i);
    samples[i] = {score[i], y_true[i] == 1.0 ? w : 0.0, y_true[i] == 1.0 ? 0.0 : w};
  }
  SortDescending(samples);
  return samples;
}

Status CheckBothClasses(std::span<const double> y_true, std::span<const double> weight) {
  const ClassPresence p = Presence(y_true, weight);
  if (!p.has_pos || !p.has_neg) {
    return InvalidArgument("AUC is undefined when y_true has only one class (all {})",
                           p.has_pos ? 1 : 0);
  }
  if (!p.pos_weighted || !p.neg_weighted) {
    return InvalidArgument("AUC is undefined when all class {} samples have zero weight",
                           p.pos_weighted ? 0 : 1);
  }
  return Status::Ok();
}

Status CheckHasPositive(std::span<const double> y_true, std::span<const double> weight) {
  if (!Presence(y_true, weight).pos_weighted) {
    return InvalidArgument(
        "average precision is undefined when y_true has no positive samples (or they all have "
        "zero weight)");
  }
  return Status::Ok();
}

double RocArea(const std::vector<RankedSample>& sorted) {
  CompensatedSum area;
  long double total_tp = 0, total_fp = 0;
  ForEachThreshold(sorted, [&](long double dtp, long double dfp, long double tp, long double fp) {
    area += dfp * (tp - dtp / 2);
    total_tp = tp;
    total_fp = fp;
  });
  return static_cast<double>(area.value() / (total_tp * total_fp));
}

double AveragePrecision(const std::vector<RankedSample>& sorted) {
  // Each threshold adds (its share of recall) x (precision at it); a group that adds no
  // positives adds no recall, which also skips the 0/0 precision of zero-weight groups.
  CompensatedSum ap;
  long double total_tp = 0;
  ForEachThreshold(sorted, [&](long double dtp, long double, long double tp, long double fp) {
    if (dtp > 0) ap += dtp * (tp / (tp + fp));
    total_tp = tp;
  });
  return static_cast<double>(ap.value() / total_tp);
}

}  // namespace sluice::stats::internal
