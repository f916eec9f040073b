#include "validation/internal/kernels.h"

#include <algorithm>
#include <cstring>

namespace sluice::validation::internal {
namespace {

// Independent accumulators: eight lanes break the dependency chain of a sum and map onto two
// AVX2 registers of doubles.
constexpr size_t kLanes = 8;

// Four doubles (and four 64-bit integers, the result of comparing them) as GCC's vector
// extension: one AVX2 register in the avx2 clone, two SSE2 registers otherwise. The compiler does
// not vectorize reductions such as a sum with a min and a max on its own, so these loops say it
// directly.
typedef double V4 __attribute__((vector_size(32)));
typedef long long I4 __attribute__((vector_size(32)));

}  // namespace

#define SLUICE_KERNEL __attribute__((target_clones("avx2", "default")))

SLUICE_KERNEL bool AnyNan(const double* x, size_t n) {
  I4 nan = {};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    V4 a;
    std::memcpy(&a, x + i, sizeof a);
    nan |= a != a;
  }
  bool any = (nan[0] | nan[1] | nan[2] | nan[3]) != 0;
  for (; i < n; ++i) any |= x[i] != x[i];
  return any;
}

// Bytes are 0 or 1, so eight of them add as one 64-bit word, each byte lane holding its own
// count for up to 255 words before the lanes are folded together.
SLUICE_KERNEL size_t CountOnes(const uint8_t* p, size_t n) {
  size_t count = 0;
  size_t i = 0;
  while (i + 8 <= n) {
    const size_t words = std::min<size_t>((n - i) / 8, 255);
    uint64_t lanes = 0;
    for (size_t w = 0; w < words; ++w) {
      uint64_t v;
      std::memcpy(&v, p + i + 8 * w, sizeof v);
      lanes += v;
    }
    i += 8 * words;
    lanes = (lanes & 0x00ff00ff00ff00ffULL) + ((lanes >> 8) & 0x00ff00ff00ff00ffULL);
    count += static_cast<size_t>((lanes * 0x0001000100010001ULL) >> 48);
  }
  for (; i < n; ++i) count += p[i];
  return count;
}

SLUICE_KERNEL void FillPresent(uint8_t* p, size_t n, const uint8_t* valid, const uint8_t* selected,
                               const double* x) {
  for (size_t i = 0; i < n; ++i) {
    uint8_t keep = 1;
    if (valid != nullptr) keep &= static_cast<uint8_t>(valid[i] != 0);
    if (selected != nullptr) keep &= static_cast<uint8_t>(selected[i] != 0);
    if (x != nullptr) keep &= static_cast<uint8_t>(x[i] == x[i]);
    p[i] = keep;
  }
}

namespace {

// Sums of d = x - k and d^2, min and max, over n values without a mask.
inline void Accumulate(const double* x, size_t n, double k, double& sum_d, double& sum_d2,
                       double& lo, double& hi) {
  const V4 kk = {k, k, k, k};
  V4 s1a = {}, s1b = {}, s2a = {}, s2b = {};
  V4 loa = kk, lob = kk, hia = kk, hib = kk;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    V4 a, b;  // unaligned loads
    std::memcpy(&a, x + i, sizeof a);
    std::memcpy(&b, x + i + 4, sizeof b);
    const V4 da = a - kk, db = b - kk;
    s1a += da;
    s1b += db;
    s2a += da * da;
    s2b += db * db;
    loa = a < loa ? a : loa;
    lob = b < lob ? b : lob;
    hia = a > hia ? a : hia;
    hib = b > hib ? b : hib;
  }
  const V4 s1 = s1a + s1b, s2 = s2a + s2b;
  sum_d = s1[0] + s1[1] + s1[2] + s1[3];
  sum_d2 = s2[0] + s2[1] + s2[2] + s2[3];
  lo = k;
  hi = k;
  for (int l = 0; l < 4; ++l) {
    lo = std::min({lo, loa[l], lob[l]});
    hi = std::max({hi, hia[l], hib[l]});
  }
  for (; i < n; ++i) {
    const double d = x[i] - k;
    sum_d += d;
    sum_d2 += d * d;
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
}

}  // namespace

// One pass over data shifted by its first value k: sums of d = x - k and of d squared give the
// mean and m2 = sum d^2 - (sum d)^2 / n without the cancellation of unshifted sums. Masked rows
// are replaced by k, which adds nothing to either sum nor moves min or max.
SLUICE_KERNEL BlockMoments Moments(const double* x, const uint8_t* mask, size_t n) {
  BlockMoments m;
  size_t first = 0;
  if (mask != nullptr) {
    while (first < n && mask[first] == 0) ++first;
  }
  if (first == n) return m;
  const double k = x[first];
  double sum_d = 0, sum_d2 = 0;
  size_t count = n;
  if (mask == nullptr) {
    Accumulate(x, n, k, sum_d, sum_d2, m.min, m.max);
  } else {
    double kept[512];
    count = 0;
    m.min = m.max = k;
    for (size_t begin = 0; begin < n; begin += 512) {
      const size_t len = std::min<size_t>(512, n - begin);
      for (size_t i = 0; i < len; ++i) kept[i] = mask[begin + i] != 0 ? x[begin + i] : k;
      count += CountOnes(mask + begin, len);
      double d1 = 0, d2 = 0, lo = k, hi = k;
      Accumulate(kept, len, k, d1, d2, lo, hi);
      sum_d += d1;
      sum_d2 += d2;
      m.min = std::min(m.min, lo);
      m.max = std::max(m.max, hi);
    }
  }
  m.count = count;
  const double cnt = static_cast<double>(count);
  m.sum = sum_d + cnt * k;
  m.m2 = std::max(0.0, sum_d2 - sum_d * sum_d / cnt);
  return m;
}

SLUICE_KERNEL IntBlockMoments IntMoments(const int64_t* x, const uint8_t* mask, size_t n) {
  IntBlockMoments m;
  size_t first = 0;
  if (mask != nullptr) {
    while (first < n && mask[first] == 0) ++first;
  }
  if (first == n) return m;
  const int64_t k = x[first];
  int64_t hi_sum[kLanes] = {}, lo_sum[kLanes] = {}, lo[kLanes], hi[kLanes], count[kLanes] = {};
  double s1[kLanes] = {}, s2[kLanes] = {};
  for (size_t l = 0; l < kLanes; ++l) lo[l] = hi[l] = k;
  // Two loops over the block (in cache): integer sums and range, then the shifted moments in
  // doubles; each vectorizes alone, together they do not. Tails go to lane 0.
  auto integers = [&](size_t i, size_t l) {
    const bool keep = mask == nullptr || mask[i] != 0;
    const int64_t v = keep ? x[i] : k;
    const int64_t s = keep ? x[i] : 0;
    hi_sum[l] += s >> 32;
    lo_sum[l] += s & 0xffffffff;
    lo[l] = v < lo[l] ? v : lo[l];
    hi[l] = v > hi[l] ? v : hi[l];
    count[l] += keep;
  };
  auto doubles = [&](size_t i, size_t l) {
    const bool keep = mask == nullptr || mask[i] != 0;
    // Wrapping difference: exact unless the spread exceeds 2^63.
    const int64_t d64 =
        keep ? static_cast<int64_t>(static_cast<uint64_t>(x[i]) - static_cast<uint64_t>(k)) : 0;
    const double d = static_cast<double>(d64);
    s1[l] += d;
    s2[l] += d * d;
  };
  const size_t whole = n - n % kLanes;
  for (size_t i = 0; i < whole; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) integers(i + l, l);
  }
  for (size_t i = whole; i < n; ++i) integers(i, 0);
  for (size_t i = 0; i < whole; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) doubles(i + l, l);
  }
  for (size_t i = whole; i < n; ++i) doubles(i, 0);
  double sum_d = 0, sum_d2 = 0;
  m.min = k;
  m.max = k;
  for (size_t l = 0; l < kLanes; ++l) {
    m.hi_sum += hi_sum[l];
    m.lo_sum += static_cast<uint64_t>(lo_sum[l]);
    m.min = std::min(m.min, lo[l]);
    m.max = std::max(m.max, hi[l]);
    m.count += static_cast<size_t>(count[l]);
    sum_d += s1[l];
    sum_d2 += s2[l];
  }
  const double cnt = static_cast<double>(m.count);
  m.mean = static_cast<double>(k) + sum_d / cnt;
  m.m2 = std::max(0.0, sum_d2 - sum_d * sum_d / cnt);
  return m;
}

namespace {

template <bool kStrictLo, bool kStrictHi>
inline size_t Outside(const double* x, const uint8_t* mask, size_t n, double lo, double hi) {
  const V4 lo4 = {lo, lo, lo, lo}, hi4 = {hi, hi, hi, hi};
  I4 bad = {};
  size_t i = 0;
  // Comparisons give -1 (true) or 0; NaN fails both bounds, so it counts as outside.
  if (mask == nullptr) {
    for (; i + 4 <= n; i += 4) {
      V4 a;
      std::memcpy(&a, x + i, sizeof a);
      const I4 ok = (kStrictLo ? a > lo4 : a >= lo4) & (kStrictHi ? a < hi4 : a <= hi4);
      bad += ~ok & 1;
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      V4 a;
      std::memcpy(&a, x + i, sizeof a);
      const I4 ok = (kStrictLo ? a > lo4 : a >= lo4) & (kStrictHi ? a < hi4 : a <= hi4);
      const I4 keep = {mask[i], mask[i + 1], mask[i + 2], mask[i + 3]};
      bad += ~ok & keep;
    }
  }
  size_t count = static_cast<size_t>(bad[0] + bad[1] + bad[2] + bad[3]);
  for (; i < n; ++i) {
    const bool ok = (kStrictLo ? x[i] > lo : x[i] >= lo) && (kStrictHi ? x[i] < hi : x[i] <= hi);
    count += (mask == nullptr || mask[i] != 0) && !ok;
  }
  return count;
}

}  // namespace

SLUICE_KERNEL size_t CountOutside(const double* x, const uint8_t* mask, size_t n, double lo,
                                  double hi, bool strict_lo, bool strict_hi) {
  if (strict_lo) {
    return strict_hi ? Outside<true, true>(x, mask, n, lo, hi)
                     : Outside<true, false>(x, mask, n, lo, hi);
  }
  return strict_hi ? Outside<false, true>(x, mask, n, lo, hi)
                   : Outside<false, false>(x, mask, n, lo, hi);
}

SLUICE_KERNEL size_t CountOutside(const int64_t* x, const uint8_t* mask, size_t n, int64_t lo,
                                  int64_t hi) {
  size_t c[kLanes] = {};
  size_t i = 0;
  if (mask == nullptr) {
    for (; i + kLanes <= n; i += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) c[l] += (x[i + l] < lo) | (x[i + l] > hi);
    }
    for (; i < n; ++i) c[0] += (x[i] < lo) | (x[i] > hi);
  } else {
    for (; i + kLanes <= n; i += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) {
        c[l] += (mask[i + l] != 0) & ((x[i + l] < lo) | (x[i + l] > hi));
      }
    }
    for (; i < n; ++i) c[0] += (mask[i] != 0) & ((x[i] < lo) | (x[i] > hi));
  }
  size_t count = 0;
  for (size_t l = 0; l < kLanes; ++l) count += c[l];
  return count;
}

}  // namespace sluice::validation::internal
