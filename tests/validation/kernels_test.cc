// The engine's block kernels against straightforward references. The moments must match bit for
// bit, so the references repeat the order of additions the kernels have always used (eight lanes,
// tails into lane 0, 512-row pieces for masked doubles): stored results and the GE result tests
// depend on it. Data are random, with masks that mix all-null, no-null and mixed 64-row words,
// and lengths that are not multiples of 8 or 64.
#include "validation/internal/kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace sluice::validation::internal {
namespace {

__extension__ typedef __int128 Int128;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t k2To53 = int64_t{1} << 53;

// Bit-for-bit equality, so that -0.0 differs from 0.0 and any NaN equals itself.
bool Same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::vector<uint8_t> RandomMask(std::mt19937_64& random, size_t n) {
  std::vector<uint8_t> mask(n);
  for (size_t w = 0; w < n; w += 64) {
    const int kind = static_cast<int>(random() % 4);  // all null, none null, mixed, mostly valid
    for (size_t i = w; i < std::min(n, w + 64); ++i) {
      const uint64_t r = random() % 100;
      mask[i] = kind == 0 ? 0 : kind == 1 ? 1 : kind == 2 ? (r < 50) : (r < 95);
    }
  }
  return mask;
}

const std::vector<size_t> kLengths = {0,  1,   3,   7,   8,    9,    63,  64,
                                      65, 511, 512, 513, 1000, 4095, 4096};

// ---- doubles ----

struct RefMoments {
  size_t count = 0;
  double sum = 0, min = INFINITY, max = -INFINITY, m2 = 0;
};

// The unmasked accumulation as two vectors of four lanes, written out.
void RefAccumulate(const double* x, size_t n, double k, double& sum_d, double& sum_d2, double& lo,
                   double& hi) {
  double s1a[4] = {}, s1b[4] = {}, s2a[4] = {}, s2b[4] = {};
  double loa[4] = {k, k, k, k}, lob[4] = {k, k, k, k}, hia[4] = {k, k, k, k}, hib[4] = {k, k, k, k};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 4; ++l) {
      const double a = x[i + l], b = x[i + 4 + l];
      const double da = a - k, db = b - k;
      s1a[l] += da;
      s1b[l] += db;
      s2a[l] += da * da;
      s2b[l] += db * db;
      loa[l] = a < loa[l] ? a : loa[l];
      lob[l] = b < lob[l] ? b : lob[l];
      hia[l] = a > hia[l] ? a : hia[l];
      hib[l] = b > hib[l] ? b : hib[l];
    }
  }
  double s1[4], s2[4];
  for (int l = 0; l < 4; ++l) {
    s1[l] = s1a[l] + s1b[l];
    s2[l] = s2a[l] + s2b[l];
  }
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

RefMoments RefDoubleMoments(const double* x, const uint8_t* mask, size_t n) {
  RefMoments m;
  size_t first = 0;
  if (mask != nullptr) {
    while (first < n && mask[first] == 0) ++first;
  }
  if (first == n) return m;
  const double k = x[first];
  double sum_d = 0, sum_d2 = 0;
  size_t count = n;
  if (mask == nullptr) {
    RefAccumulate(x, n, k, sum_d, sum_d2, m.min, m.max);
  } else {
    std::vector<double> kept(512);
    count = 0;
    m.min = m.max = k;
    for (size_t begin = 0; begin < n; begin += 512) {
      const size_t len = std::min<size_t>(512, n - begin);
      for (size_t i = 0; i < len; ++i) {
        kept[i] = mask[begin + i] != 0 ? x[begin + i] : k;
        count += mask[begin + i] != 0;
      }
      double d1 = 0, d2 = 0, lo = k, hi = k;
      RefAccumulate(kept.data(), len, k, d1, d2, lo, hi);
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

TEST(KernelsTest, MomentsMatchReferenceBitForBit) {
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> uniform(-1e6, 1e6);
  for (size_t n : kLengths) {
    for (int trial = 0; trial < 8; ++trial) {
      std::vector<double> x(n);
      for (double& v : x) v = uniform(random);
      // Signed zeros test that min and max keep the first of equal values, as before.
      for (size_t i = 0; i < n; i += 13) x[i] = (i / 13) % 2 == 0 ? 0.0 : -0.0;
      std::vector<uint8_t> mask = RandomMask(random, n);
      // Masked-out rows hold NaN, as nulls do in a float column.
      std::vector<double> masked_x = x;
      for (size_t i = 0; i < n; ++i) {
        if (mask[i] == 0) masked_x[i] = std::nan("");
      }
      for (bool use_mask : {false, true}) {
        const double* data = use_mask ? masked_x.data() : x.data();
        const uint8_t* m = use_mask ? mask.data() : nullptr;
        const BlockMoments got = Moments(data, m, n);
        const RefMoments want = RefDoubleMoments(data, m, n);
        const std::string where = "n=" + std::to_string(n) + " trial=" + std::to_string(trial) +
                                  " mask=" + std::to_string(use_mask);
        EXPECT_EQ(got.count, want.count) << where;
        EXPECT_TRUE(Same(got.sum, want.sum)) << where << " " << got.sum << " " << want.sum;
        EXPECT_TRUE(Same(got.min, want.min)) << where << " " << got.min << " " << want.min;
        EXPECT_TRUE(Same(got.max, want.max)) << where << " " << got.max << " " << want.max;
        EXPECT_TRUE(Same(got.m2, want.m2)) << where << " " << got.m2 << " " << want.m2;
      }
    }
  }
}

// ---- integers ----

int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

// Eight lanes, row i in lane i % 8, the tail in lane 0; lanes added in order.
IntBlockMoments RefIntMoments(const int64_t* x, const uint8_t* mask, size_t n) {
  IntBlockMoments m;
  size_t first = 0;
  if (mask != nullptr) {
    while (first < n && mask[first] == 0) ++first;
  }
  if (first == n) return m;
  const int64_t k = x[first];
  double s1[8] = {}, s2[8] = {};
  m.min = m.max = k;
  const size_t whole = n - n % 8;
  for (size_t i = 0; i < n; ++i) {
    if (mask != nullptr && mask[i] == 0) continue;
    m.hi_sum += x[i] >> 32;
    m.lo_sum += static_cast<uint64_t>(x[i] & 0xffffffff);
    m.min = std::min(m.min, x[i]);
    m.max = std::max(m.max, x[i]);
    ++m.count;
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t lane = i < whole ? i % 8 : 0;
    const bool keep = mask == nullptr || mask[i] != 0;
    const double d = static_cast<double>(keep ? WrappingSub(x[i], k) : 0);
    s1[lane] += d;
    s2[lane] += d * d;
  }
  double sum_d = 0, sum_d2 = 0;
  for (int l = 0; l < 8; ++l) {
    sum_d += s1[l];
    sum_d2 += s2[l];
  }
  const double cnt = static_cast<double>(m.count);
  m.mean = static_cast<double>(k) + sum_d / cnt;
  m.m2 = std::max(0.0, sum_d2 - sum_d * sum_d / cnt);
  return m;
}

void ExpectSameIntMoments(const IntBlockMoments& got, const IntBlockMoments& want,
                          const std::string& where) {
  EXPECT_EQ(got.count, want.count) << where;
  EXPECT_EQ(got.min, want.min) << where;
  EXPECT_EQ(got.max, want.max) << where;
  EXPECT_EQ(got.hi_sum, want.hi_sum) << where;
  EXPECT_EQ(got.lo_sum, want.lo_sum) << where;
  EXPECT_TRUE(Same(got.mean, want.mean)) << where << " " << got.mean << " " << want.mean;
  EXPECT_TRUE(Same(got.m2, want.m2)) << where << " " << got.m2 << " " << want.m2;
}

// Values drawn from one of several ranges: small, around +-2^53 (where doubles start to skip
// integers), anywhere in int64, and the two extremes.
std::vector<int64_t> RandomInts(std::mt19937_64& random, size_t n, int range) {
  std::vector<int64_t> x(n);
  for (int64_t& v : x) {
    const int64_t r = static_cast<int64_t>(random());
    switch (range) {
      case 0:
        v = r % 1000;
        break;
      case 1:
        v = (r % 2 == 0 ? k2To53 : -k2To53) + r % 5;
        break;
      case 2:
        v = r;
        break;
      default:
        v = r % 3 == 0 ? kMin : r % 3 == 1 ? kMax : r % 7;
        break;
    }
  }
  return x;
}

TEST(KernelsTest, IntMomentsMatchReferenceBitForBitInBothVersions) {
  std::mt19937_64 random(12);
  for (size_t n : kLengths) {
    for (int range = 0; range < 4; ++range) {
      for (int trial = 0; trial < 4; ++trial) {
        const std::vector<int64_t> x = RandomInts(random, n, range);
        const std::vector<uint8_t> mask = RandomMask(random, n);
        for (bool use_mask : {false, true}) {
          const uint8_t* m = use_mask ? mask.data() : nullptr;
          const IntBlockMoments want = RefIntMoments(x.data(), m, n);
          const std::string where = "n=" + std::to_string(n) + " range=" + std::to_string(range) +
                                    " trial=" + std::to_string(trial) +
                                    " mask=" + std::to_string(use_mask);
          ExpectSameIntMoments(IntMoments(x.data(), m, n), want, where + " dispatched");
          ExpectSameIntMoments(IntMomentsPortable(x.data(), m, n), want, where + " portable");
        }
      }
    }
  }
}

TEST(KernelsTest, IntMomentsExactSumAtTheExtremes) {
  std::vector<int64_t> x(4099);
  for (size_t i = 0; i < x.size(); ++i) x[i] = i % 2 == 0 ? kMax : kMin;
  const IntBlockMoments m = IntMoments(x.data(), nullptr, x.size());
  // 2050 times kMax and 2049 times kMin: kMax + 2049 * (kMax + kMin) = kMax - 2049.
  const Int128 sum = (static_cast<Int128>(m.hi_sum) << 32) + m.lo_sum;
  EXPECT_TRUE(sum == static_cast<Int128>(kMax) - 2049);
  EXPECT_EQ(m.min, kMin);
  EXPECT_EQ(m.max, kMax);
  EXPECT_EQ(m.count, x.size());
}

// ---- presence and ranges ----

TEST(KernelsTest, FillPresentMatchesReferenceInBothVersions) {
  std::mt19937_64 random(13);
  for (size_t n : kLengths) {
    std::vector<double> x(n);
    std::vector<uint8_t> valid(n), selected(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = random() % 5 == 0 ? std::nan("") : static_cast<double>(random() % 100);
      valid[i] = static_cast<uint8_t>(random() % 3);  // any non-zero byte means valid
      selected[i] = static_cast<uint8_t>(random() % 2 == 0 ? 0 : 7);
    }
    for (int inputs = 0; inputs < 8; ++inputs) {
      const uint8_t* v = (inputs & 1) != 0 ? valid.data() : nullptr;
      const uint8_t* s = (inputs & 2) != 0 ? selected.data() : nullptr;
      const double* d = (inputs & 4) != 0 ? x.data() : nullptr;
      std::vector<uint8_t> want(n), got(n, 9), portable(n, 9);
      for (size_t i = 0; i < n; ++i) {
        want[i] = (v == nullptr || v[i] != 0) && (s == nullptr || s[i] != 0) &&
                  (d == nullptr || !std::isnan(d[i]));
      }
      FillPresent(got.data(), n, v, s, d);
      FillPresentPortable(portable.data(), n, v, s, d);
      EXPECT_EQ(got, want) << "n=" << n << " inputs=" << inputs;
      EXPECT_EQ(portable, want) << "n=" << n << " inputs=" << inputs;
    }
  }
}

TEST(KernelsTest, CountOutsideMatchesReference) {
  std::mt19937_64 random(14);
  for (size_t n : kLengths) {
    const std::vector<uint8_t> mask = RandomMask(random, n);
    std::vector<double> x(n);
    for (double& v : x) v = random() % 7 == 0 ? std::nan("") : static_cast<double>(random() % 11);
    for (bool slo : {false, true}) {
      for (bool shi : {false, true}) {
        for (bool use_mask : {false, true}) {
          size_t want = 0;
          for (size_t i = 0; i < n; ++i) {
            const bool ok = (slo ? x[i] > 3 : x[i] >= 3) && (shi ? x[i] < 7 : x[i] <= 7);
            want += (!use_mask || mask[i] != 0) && !ok;
          }
          EXPECT_EQ(CountOutside(x.data(), use_mask ? mask.data() : nullptr, n, 3, 7, slo, shi),
                    want)
              << "n=" << n;
        }
      }
    }
    for (int range = 0; range < 4; ++range) {
      const std::vector<int64_t> ints = RandomInts(random, n, range);
      for (auto [lo, hi] : {std::pair{kMin, kMax}, std::pair{int64_t{-3}, int64_t{500}},
                            std::pair{k2To53, k2To53 + 2}, std::pair{kMax, kMax}}) {
        size_t want = 0;
        for (size_t i = 0; i < n; ++i) want += mask[i] != 0 && (ints[i] < lo || ints[i] > hi);
        EXPECT_EQ(CountOutside(ints.data(), mask.data(), n, lo, hi), want) << "n=" << n;
      }
    }
  }
}

}  // namespace
}  // namespace sluice::validation::internal
