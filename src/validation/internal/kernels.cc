#include "validation/internal/kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
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

namespace {

// One loop per combination of inputs: testing for nullptr inside the loop keeps GCC from
// vectorizing it.
template <bool kValid, bool kSelected, bool kX>
inline void Present(uint8_t* p, size_t n, const uint8_t* valid, const uint8_t* selected,
                    const double* x) {
  for (size_t i = 0; i < n; ++i) {
    uint8_t keep = 1;
    if constexpr (kValid) keep &= static_cast<uint8_t>(valid[i] != 0);
    if constexpr (kSelected) keep &= static_cast<uint8_t>(selected[i] != 0);
    if constexpr (kX) keep &= static_cast<uint8_t>(x[i] == x[i]);
    p[i] = keep;
  }
}

template <bool kValid, bool kSelected>
inline void PresentX(uint8_t* p, size_t n, const uint8_t* valid, const uint8_t* selected,
                     const double* x) {
  if (x != nullptr) {
    Present<kValid, kSelected, true>(p, n, valid, selected, x);
  } else {
    Present<kValid, kSelected, false>(p, n, valid, selected, x);
  }
}

}  // namespace

SLUICE_KERNEL void FillPresentPortable(uint8_t* p, size_t n, const uint8_t* valid,
                                       const uint8_t* selected, const double* x) {
  if (valid != nullptr) {
    if (selected != nullptr) {
      PresentX<true, true>(p, n, valid, selected, x);
    } else {
      PresentX<true, false>(p, n, valid, selected, x);
    }
  } else if (selected != nullptr) {
    PresentX<false, true>(p, n, valid, selected, x);
  } else {
    PresentX<false, false>(p, n, valid, selected, x);
  }
}

namespace {

// Byte j of kSpread[bits] is bit j of bits: eight comparison bits become eight 0/1 bytes.
constexpr std::array<uint64_t, 256> kSpread = [] {
  std::array<uint64_t, 256> table{};
  for (uint64_t bits = 0; bits < 256; ++bits) {
    for (int j = 0; j < 8; ++j) table[bits] |= ((bits >> j) & 1) << (8 * j);
  }
  return table;
}();

typedef unsigned char B8 __attribute__((vector_size(8)));

// With doubles to test for NaN, GCC leaves the loop scalar (it cannot narrow eight 64-bit
// comparisons to eight bytes cheaply); AVX2's movemask turns them into bits, and a table into
// bytes.
template <bool kValid, bool kSelected>
__attribute__((target("avx2"))) void PresentAvx2(uint8_t* p, size_t n, const uint8_t* valid,
                                                 const uint8_t* selected, const double* x) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256d a = _mm256_loadu_pd(x + i), b = _mm256_loadu_pd(x + i + 4);
    const unsigned bits =
        static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(a, a, _CMP_ORD_Q))) |
        static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(b, b, _CMP_ORD_Q))) << 4;
    B8 keep;
    std::memcpy(&keep, &kSpread[bits], sizeof keep);
    if constexpr (kValid) {
      B8 v;
      std::memcpy(&v, valid + i, sizeof v);
      keep &= v != 0;
    }
    if constexpr (kSelected) {
      B8 v;
      std::memcpy(&v, selected + i, sizeof v);
      keep &= v != 0;
    }
    std::memcpy(p + i, &keep, sizeof keep);
  }
  FillPresentPortable(p + i, n - i, valid == nullptr ? nullptr : valid + i,
                      selected == nullptr ? nullptr : selected + i, x + i);
}

}  // namespace

void FillPresent(uint8_t* p, size_t n, const uint8_t* valid, const uint8_t* selected,
                 const double* x) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (x == nullptr || !avx2) {
    FillPresentPortable(p, n, valid, selected, x);
  } else if (valid != nullptr) {
    if (selected != nullptr) {
      PresentAvx2<true, true>(p, n, valid, selected, x);
    } else {
      PresentAvx2<true, false>(p, n, valid, selected, x);
    }
  } else if (selected != nullptr) {
    PresentAvx2<false, true>(p, n, valid, selected, x);
  } else {
    PresentAvx2<false, false>(p, n, valid, selected, x);
  }
}

namespace {

// Sums of d = x - k and d^2, min and max, over n values; with kMasked, a row whose mask byte is
// 0 counts as k (adding nothing to either sum, moving neither min nor max).
template <bool kMasked>
inline void Accumulate(const double* x, const uint8_t* mask, size_t n, double k, double& sum_d,
                       double& sum_d2, double& lo, double& hi) {
  const V4 kk = {k, k, k, k};
  V4 s1a = {}, s1b = {}, s2a = {}, s2b = {};
  V4 loa = kk, lob = kk, hia = kk, hib = kk;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    V4 a, b;  // unaligned loads
    std::memcpy(&a, x + i, sizeof a);
    std::memcpy(&b, x + i + 4, sizeof b);
    if constexpr (kMasked) {
      const I4 ka = {mask[i], mask[i + 1], mask[i + 2], mask[i + 3]};
      const I4 kb = {mask[i + 4], mask[i + 5], mask[i + 6], mask[i + 7]};
      a = ka != 0 ? a : kk;
      b = kb != 0 ? b : kk;
    }
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
    const double v = !kMasked || mask[i] != 0 ? x[i] : k;
    const double d = v - k;
    sum_d += d;
    sum_d2 += d * d;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
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
    Accumulate<false>(x, nullptr, n, k, sum_d, sum_d2, m.min, m.max);
  } else {
    // Pieces of 512 rows, each summed on its own and then added up: the order of additions the
    // results have always had, which tests and stored results compare exactly.
    count = 0;
    m.min = m.max = k;
    for (size_t begin = 0; begin < n; begin += 512) {
      const size_t len = std::min<size_t>(512, n - begin);
      count += CountOnes(mask + begin, len);
      double d1 = 0, d2 = 0, lo = k, hi = k;
      Accumulate<true>(x + begin, mask + begin, len, k, d1, d2, lo, hi);
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

namespace {

// Wrapping difference: exact unless the spread exceeds 2^63.
inline int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

typedef unsigned long long U4 __attribute__((vector_size(32)));

// Eight lanes of IntMoments' sums, as two vectors of four: lane l (0-3 in the "a" vectors, 4-7
// in "b") takes rows l, l + 8, l + 16, ... Integer sums are exact, so only the doubles' lanes
// must keep that order. The integer parts are summed over a and b together.
struct IntLanes {
  explicit IntLanes(int64_t k0) : k{k0, k0, k0, k0}, lo(k), hi(k) {}

  template <bool kMasked>
  __attribute__((always_inline)) void Add(const int64_t* x, const uint8_t* mask) {
    I4 a, b;
    std::memcpy(&a, x, sizeof a);
    std::memcpy(&b, x + 4, sizeof b);
    I4 da = reinterpret_cast<I4>(reinterpret_cast<U4>(a) - reinterpret_cast<U4>(k));
    I4 db = reinterpret_cast<I4>(reinterpret_cast<U4>(b) - reinterpret_cast<U4>(k));
    I4 sa = a, sb = b, va = a, vb = b;
    if constexpr (kMasked) {
      const I4 ka = I4{mask[0], mask[1], mask[2], mask[3]} != 0;
      const I4 kb = I4{mask[4], mask[5], mask[6], mask[7]} != 0;
      da &= ka;
      db &= kb;
      sa &= ka;
      sb &= kb;
      va = ka ? a : k;
      vb = kb ? b : k;
      count += ka + kb;  // true is -1
    } else {
      count -= 2;
    }
    hi_sum += (sa >> 32) + (sb >> 32);
    lo_sum += (sa & 0xffffffff) + (sb & 0xffffffff);
    lo = va < lo ? va : lo;
    lo = vb < lo ? vb : lo;
    hi = va > hi ? va : hi;
    hi = vb > hi ? vb : hi;
    const V4 fa = __builtin_convertvector(da, V4);
    const V4 fb = __builtin_convertvector(db, V4);
    s1a += fa;
    s1b += fb;
    const V4 qa = fa * fa, qb = fb * fb;
    s2a += qa;
    s2b += qb;
  }

  const I4 k;
  I4 lo, hi;
  I4 hi_sum = {}, lo_sum = {}, count = {};  // count is negative
  V4 s1a = {}, s1b = {}, s2a = {}, s2b = {};
};

// The body of IntMoments, compiled once per instruction set below.
__attribute__((always_inline)) inline IntBlockMoments IntMomentsBody(const int64_t* x,
                                                                     const uint8_t* mask,
                                                                     size_t n) {
  IntBlockMoments m;
  size_t first = 0;
  if (mask != nullptr) {
    while (first < n && mask[first] == 0) ++first;
  }
  if (first == n) return m;
  const int64_t k = x[first];
  m.min = m.max = k;
  IntLanes lanes(k);
  const size_t whole = n - n % kLanes;
  if (mask == nullptr) {
    for (size_t i = 0; i < whole; i += kLanes) lanes.Add<false>(x + i, nullptr);
  } else {
    for (size_t i = 0; i < whole; i += kLanes) lanes.Add<true>(x + i, mask + i);
  }
  // The tail goes to lane 0.
  int64_t hi_sum = 0, lo_sum = 0, count = 0;
  for (size_t i = whole; i < n; ++i) {
    const bool keep = mask == nullptr || mask[i] != 0;
    const int64_t v = keep ? x[i] : k;
    const int64_t s = keep ? x[i] : 0;
    hi_sum += s >> 32;
    lo_sum += s & 0xffffffff;
    m.min = std::min(m.min, v);
    m.max = std::max(m.max, v);
    count += keep;
    const double d = static_cast<double>(keep ? WrappingSub(x[i], k) : 0);
    lanes.s1a[0] += d;
    lanes.s2a[0] += d * d;
  }
  m.hi_sum = hi_sum;
  m.lo_sum = static_cast<uint64_t>(lo_sum);
  m.count = static_cast<size_t>(count);
  double sum_d = 0, sum_d2 = 0;
  for (int l = 0; l < 4; ++l) {
    m.hi_sum += static_cast<int64_t>(lanes.hi_sum[l]);
    m.lo_sum += static_cast<uint64_t>(lanes.lo_sum[l]);
    m.min = std::min(m.min, static_cast<int64_t>(lanes.lo[l]));
    m.max = std::max(m.max, static_cast<int64_t>(lanes.hi[l]));
    m.count += static_cast<size_t>(-lanes.count[l]);
  }
  // Lanes 0-7 in order: the same additions, in the same order, as the scalar loop this replaced
  // (lane l summed rows l, l + 8, l + 16, ...), so results stay bit for bit.
  for (int l = 0; l < 4; ++l) {
    sum_d += lanes.s1a[l];
    sum_d2 += lanes.s2a[l];
  }
  for (int l = 0; l < 4; ++l) {
    sum_d += lanes.s1b[l];
    sum_d2 += lanes.s2b[l];
  }
  const double cnt = static_cast<double>(m.count);
  m.mean = static_cast<double>(k) + sum_d / cnt;
  m.m2 = std::max(0.0, sum_d2 - sum_d * sum_d / cnt);
  return m;
}

}  // namespace

// AVX-512 converts four or eight int64 to double per instruction (AVX2 has no such instruction,
// so there each conversion is scalar), and has 64-bit min and max. Chosen by hand rather than
// with target_clones so that tests can run the portable version on a machine with AVX-512.
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))) static IntBlockMoments
IntMomentsAvx512(const int64_t* x, const uint8_t* mask, size_t n) {
  return IntMomentsBody(x, mask, n);
}

SLUICE_KERNEL IntBlockMoments IntMomentsPortable(const int64_t* x, const uint8_t* mask, size_t n) {
  return IntMomentsBody(x, mask, n);
}

IntBlockMoments IntMoments(const int64_t* x, const uint8_t* mask, size_t n) {
  static const bool avx512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
  return avx512 ? IntMomentsAvx512(x, mask, n) : IntMomentsPortable(x, mask, n);
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
