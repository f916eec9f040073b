#include "validation/internal/order_statistics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace sluice::validation::internal {
namespace {

// 16 K buckets: 128 KiB of counts, in the second-level cache; 15 M values put about a thousand in
// a bucket.
constexpr size_t kBuckets = size_t{1} << 14;
// Below this many values, selecting over a copy costs less than more passes.
constexpr size_t kSmall = size_t{1} << 14;
// A bucket holding more than this share of the values (all but a few outliers, say) is not
// copied but bucketed again in place, over its own range, so memory stays at a fraction of the
// values however they are spread.
constexpr size_t kCopyShare = 16;
// Levels of bucketing before selecting over a copy whatever its size; each narrows the range by
// up to kBuckets times.
constexpr int kMaxDepth = 8;

struct Target {
  size_t rank;  // among the values considered
  size_t out;   // index into the result
};

// The values considered at one level: all of them, or those in [lo, hi] (one bucket of the level
// above, whose members are exactly the values between its smallest and largest: buckets are a
// monotone function of the value).
struct Range {
  bool all = true;
  double lo = 0;
  double hi = 0;
  bool Holds(double v) const { return all || (v >= lo && v <= hi); }
};

template <typename T>
void SelectByCopy(std::vector<T>& copy, std::vector<Target>& targets, double* out) {
  // In rank order, each selection leaves everything before its rank no greater, so the next rank
  // is found among the rest.
  size_t done = 0;
  for (const Target& t : targets) {
    std::nth_element(copy.begin() + static_cast<ptrdiff_t>(done),
                     copy.begin() + static_cast<ptrdiff_t>(t.rank), copy.end());
    out[t.out] = static_cast<double>(copy[t.rank]);
    done = t.rank;
  }
}

template <typename T>
std::vector<T> Considered(std::span<const T> values, const Range& range) {
  if (range.all) return {values.begin(), values.end()};
  std::vector<T> kept;
  for (T v : values) {
    if (range.Holds(static_cast<double>(v))) kept.push_back(v);
  }
  return kept;
}

// `targets` are in rank order and below the number of values `range` holds. T is double, or an
// integer type whose values doubles hold exactly.
template <typename T>
void Select(std::span<const T> values, const Range& range, size_t considered,
            std::vector<Target>& targets, double* out, int depth) {
  if (!range.all && range.lo == range.hi) {  // one value (an infinity, say) however many times
    for (const Target& t : targets) out[t.out] = range.lo;
    return;
  }
  if (considered <= kSmall || depth >= kMaxDepth) {
    std::vector<T> copy = Considered(values, range);
    SelectByCopy(copy, targets, out);
    return;
  }
  // The range of the finite values; infinities go to the end buckets.
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  if (range.all) {
    // Four lanes each, so the loop need not wait on one min and one max chain.
    double low[4] = {lo, lo, lo, lo};
    double high[4] = {hi, hi, hi, hi};
    size_t i = 0;
    for (; i + 4 <= values.size(); i += 4) {
      for (size_t k = 0; k < 4; ++k) {
        low[k] = std::min(low[k], static_cast<double>(values[i + k]));
        high[k] = std::max(high[k], static_cast<double>(values[i + k]));
      }
    }
    for (; i < values.size(); ++i) {
      low[0] = std::min(low[0], static_cast<double>(values[i]));
      high[0] = std::max(high[0], static_cast<double>(values[i]));
    }
    for (size_t k = 0; k < 4; ++k) {
      lo = std::min(lo, low[k]);
      hi = std::max(hi, high[k]);
    }
  } else {
    lo = range.lo;
    hi = range.hi;
  }
  const bool infinities = std::isinf(lo) || std::isinf(hi);
  if (infinities) {
    lo = std::numeric_limits<double>::infinity();
    hi = -lo;
    for (const T value : values) {
      const auto v = static_cast<double>(value);
      if (std::isinf(v) || !range.Holds(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!infinities && lo == hi) {  // all equal: nothing to select among
    for (const Target& t : targets) out[t.out] = lo;
    return;
  }
  const double width = hi - lo;
  const double scale = static_cast<double>(kBuckets) / width;
  // Finite values all equal among infinities, no finite value, or a spread past the largest
  // double: nothing to bucket by.
  if (!(width > 0) || !std::isfinite(width) || !std::isfinite(scale)) {
    std::vector<T> copy = Considered(values, range);
    SelectByCopy(copy, targets, out);
    return;
  }
  // Monotone: (v - lo) and the product round monotonically, and so do the clamps and the
  // truncation (through int64, which x86-64 converts in one instruction, unlike size_t).
  auto bucket = [lo, scale](double v) {
    const double t = std::min(std::max((v - lo) * scale, 0.0), static_cast<double>(kBuckets - 1));
    return static_cast<size_t>(static_cast<int64_t>(t));
  };
  std::vector<size_t> counts(kBuckets, 0);
  for (const T value : values) {
    const auto v = static_cast<double>(value);
    if (range.Holds(v)) ++counts[bucket(v)];
  }

  // Each target's bucket and its rank there; targets are in rank order, so buckets ascend.
  struct Wanted {
    size_t bucket;
    std::vector<Target> targets;
    bool copy;  // small enough to copy, else bucketed again in place
    std::vector<T> values;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
  };
  std::vector<Wanted> wanted;
  size_t b = 0;
  size_t below = 0;  // values in buckets before b
  for (const Target& t : targets) {
    while (below + counts[b] <= t.rank) below += counts[b++];
    if (wanted.empty() || wanted.back().bucket != b) {
      wanted.push_back({b, {}, counts[b] <= std::max(kSmall, considered / kCopyShare), {}});
      if (wanted.back().copy) wanted.back().values.reserve(counts[b]);
    }
    wanted.back().targets.push_back({t.rank - below, t.out});
  }
  std::vector<int32_t> slot(kBuckets, -1);
  for (size_t i = 0; i < wanted.size(); ++i) slot[wanted[i].bucket] = static_cast<int32_t>(i);
  for (const T value : values) {
    const auto v = static_cast<double>(value);
    if (!range.Holds(v)) continue;
    const int32_t s = slot[bucket(v)];
    if (s < 0) continue;
    Wanted& w = wanted[static_cast<size_t>(s)];
    if (w.copy) {
      w.values.push_back(value);
    } else {
      w.lo = std::min(w.lo, v);
      w.hi = std::max(w.hi, v);
    }
  }
  for (Wanted& w : wanted) {
    if (w.copy) {
      Select(std::span<const T>(w.values), Range{}, w.values.size(), w.targets, out, depth + 1);
    } else {
      Select(values, Range{false, w.lo, w.hi}, counts[w.bucket], w.targets, out, depth + 1);
    }
  }
}

template <typename T>
std::vector<double> AtRanks(std::span<const T> values, std::span<const size_t> ranks) {
  std::vector<double> out(ranks.size(), std::nan(""));
  std::vector<Target> targets;
  for (size_t k = 0; k < ranks.size(); ++k) {
    if (ranks[k] < values.size()) targets.push_back({ranks[k], k});
  }
  std::sort(targets.begin(), targets.end(),
            [](const Target& a, const Target& b) { return a.rank < b.rank; });
  if (!targets.empty()) Select(values, Range{}, values.size(), targets, out.data(), 0);
  return out;
}

}  // namespace

std::vector<double> ValuesAtRanks(std::span<const double> values, std::span<const size_t> ranks) {
  return AtRanks(values, ranks);
}

std::vector<double> IntegersAtRanks(std::span<const int32_t> values,
                                    std::span<const size_t> ranks) {
  return AtRanks(values, ranks);
}

}  // namespace sluice::validation::internal
