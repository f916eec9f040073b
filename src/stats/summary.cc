#include "stats/summary.h"

#include <algorithm>
#include <cmath>

namespace sluice::stats {

void Moments::Add(double x) {
  if (std::isnan(x)) {
    ++nan_count;
    return;
  }
  // Welford: update the mean first, then m2 with the old and new deviations, which avoids the
  // cancellation of sum(x^2) - n mean^2.
  ++count;
  const double delta = x - mean;
  mean += delta / static_cast<double>(count);
  m2 += delta * (x - mean);
  min = std::min(min, x);
  max = std::max(max, x);
}

double Moments::variance_sample() const {
  if (count < 2) return std::numeric_limits<double>::quiet_NaN();
  return m2 / static_cast<double>(count - 1);
}

double Moments::stddev_sample() const { return std::sqrt(variance_sample()); }

Moments ComputeMoments(std::span<const double> values) {
  Moments m;
  for (double x : values) m.Add(x);
  return m;
}

Moments Merge(const Moments& a, const Moments& b) {
  if (a.count == 0 || b.count == 0) {
    Moments out = a.count == 0 ? b : a;
    out.nan_count = a.nan_count + b.nan_count;
    return out;
  }
  Moments out;
  out.count = a.count + b.count;
  out.nan_count = a.nan_count + b.nan_count;
  const double na = static_cast<double>(a.count), nb = static_cast<double>(b.count);
  const double n = static_cast<double>(out.count);
  const double delta = b.mean - a.mean;
  out.mean = a.mean + delta * (nb / n);
  out.m2 = a.m2 + b.m2 + delta * delta * (na * nb / n);
  out.min = std::min(a.min, b.min);
  out.max = std::max(a.max, b.max);
  return out;
}

Result<std::vector<double>> Quantiles(std::span<const double> values, std::span<const double> qs) {
  for (size_t j = 0; j < qs.size(); ++j) {
    if (std::isnan(qs[j])) return InvalidArgument("qs[{}] is NaN", j);
    if (!(qs[j] >= 0.0 && qs[j] <= 1.0)) {
      return InvalidArgument("qs[{}] is {}; quantiles must be in [0, 1]", j, qs[j]);
    }
  }
  std::vector<double> sorted;
  sorted.reserve(values.size());
  for (double v : values) {
    if (!std::isnan(v)) sorted.push_back(v);
  }
  if (sorted.empty()) {
    return InvalidArgument("no values to take quantiles of: {} given, all NaN", values.size());
  }
  std::sort(sorted.begin(), sorted.end());
  const size_t last = sorted.size() - 1;
  std::vector<double> out;
  out.reserve(qs.size());
  for (double q : qs) {
    const double h = q * static_cast<double>(last);
    const size_t lo = std::min(static_cast<size_t>(h), last);
    const size_t hi = std::min(lo + 1, last);
    const double t = h - static_cast<double>(lo);
    const double a = sorted[lo], b = sorted[hi];
    if (t == 0 || a == b) {
      out.push_back(a);  // also keeps inf - inf out of the arithmetic
    } else if (t < 0.5) {
      out.push_back(a + (b - a) * t);
    } else {
      // numpy's lerp interpolates from the nearer end, so q = 1 - eps stays at or below b.
      out.push_back(b - (b - a) * (1 - t));
    }
  }
  return out;
}

Result<Histogram> EqualWidth(std::span<const double> values, int bins) {
  if (bins < 1 || bins > kMaxHistogramBins) {
    return InvalidArgument("bins must be between 1 and {}, got {}", kMaxHistogramBins, bins);
  }
  Histogram h;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (std::isnan(v)) {
      ++h.nan_count;
      continue;
    }
    if (std::isinf(v)) {
      return InvalidArgument("values[{}] is {}; equal-width bins need finite values", i, v);
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo > hi) {  // no values
    lo = 0;
    hi = 1;
  } else if (lo == hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const size_t k = static_cast<size_t>(bins);
  const double step = (hi - lo) / bins;
  h.edges.resize(k + 1);
  for (size_t i = 0; i < k; ++i) h.edges[i] = lo + static_cast<double>(i) * step;
  h.edges[k] = hi;
  h.counts.assign(k, 0);
  const double scale = bins / (hi - lo);
  for (double v : values) {
    if (std::isnan(v)) continue;
    // The scaled guess can land one bin off through rounding; the edges are the truth.
    size_t b = std::min(static_cast<size_t>((v - lo) * scale), k - 1);
    if (v < h.edges[b]) --b;
    if (b + 1 < k && v >= h.edges[b + 1]) ++b;
    ++h.counts[b];
  }
  return h;
}

}  // namespace sluice::stats
