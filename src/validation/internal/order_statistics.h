// Values at given ranks of a column's non-null values (medians, quantiles) without sorting them
// or reordering them: a histogram over the value range finds the bucket each rank falls in, and
// only those buckets' values are selected among (std::nth_element over a copy). Buckets are a
// monotone function of the value, so a bucket holds exactly the ranks its counts say, and the
// result is the value std::sort would put at that rank. On 15 M doubles this is two cheap passes
// instead of one std::nth_element over everything per rank.
//
//   std::vector<double> v = ValuesAtRanks(values, {n / 2});  // upper median
//
// Thread safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sluice::validation::internal {

// out[k] = the value at 0-based rank ranks[k] of `values` in ascending order; every rank must be
// below values.size(). `values` holds no NaN (nulls are left out before). Equal values (0.0 and
// -0.0 too) are interchangeable, as they are to std::sort.
std::vector<double> ValuesAtRanks(std::span<const double> values, std::span<const size_t> ranks);
// The same over integers (ColumnState's scaled values), each given as a double.
std::vector<double> IntegersAtRanks(std::span<const int32_t> values, std::span<const size_t> ranks);

}  // namespace sluice::validation::internal
