// Summaries of a column of numbers for data validation and drift monitoring: moments (Welford,
// mergeable across threads or shards), quantiles (numpy's default method) and equal-width
// histograms (numpy's binning). NaN means "missing" here: it is skipped and counted.
//
//   Moments m = ComputeMoments(column);             // or Add() as values stream in
//   Moments all = Merge(left_half, right_half);     // same result as one pass, up to rounding
//   SLUICE_ASSIGN_OR_RETURN(std::vector<double> q, Quantiles(column, std::vector{0.5, 0.99}));
//
// Thread safety: values and pure functions; a Moments being Add()ed is not shared.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "base/status.h"

namespace sluice::stats {

// Count, mean, spread and range of the non-NaN values seen. With no values, mean and m2 are 0,
// min is +inf and max is -inf (the identities of a merge). Infinite values make mean and
// variance inf or NaN, as they would in any one-pass formula.
struct Moments {
  int64_t count = 0;      // non-NaN values
  int64_t nan_count = 0;  // NaN values, skipped
  double mean = 0;
  double m2 = 0;  // sum of squared deviations from the mean
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

  void Add(double x);
  // m2 / (count - 1), the unbiased sample variance (numpy var(ddof=1)); NaN when count < 2.
  double variance_sample() const;
  double stddev_sample() const;
};

Moments ComputeMoments(std::span<const double> values);

// The moments of the union of a's and b's values (Chan et al.'s pairwise update), so a column
// can be summarized in parallel chunks and combined in any order.
Moments Merge(const Moments& a, const Moments& b);

// Quantiles of the non-NaN values by linear interpolation between closest ranks: numpy's
// default (method='linear', Hyndman & Fan type 7). For sorted values x[0..n-1] and h = q (n-1),
// the answer is x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]); q = 0 is the minimum
// and q = 1 the maximum. Each q must be in [0, 1]. Error when there is no non-NaN value.
// O(n log n) for any number of qs.
Result<std::vector<double>> Quantiles(std::span<const double> values, std::span<const double> qs);

// bins + 1 ascending edges and bins counts. Bin i holds [edges[i], edges[i+1]); the last bin
// also holds edges[bins], the maximum.
struct Histogram {
  std::vector<double> edges;
  std::vector<int64_t> counts;
  int64_t nan_count = 0;  // NaN values, skipped
};

// `bins` equal-width bins from the minimum to the maximum of the non-NaN values, as
// numpy.histogram(values, bins) computes them. When all values are equal the range is
// [v - 0.5, v + 0.5]; with no values it is [0, 1] (numpy's choices). Errors: bins outside
// [1, kMaxHistogramBins]; an infinite value (no finite range to divide).
inline constexpr int kMaxHistogramBins = 1000000;
Result<Histogram> EqualWidth(std::span<const double> values, int bins);

}  // namespace sluice::stats
