#include "validation/internal/order_statistics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace sluice::validation::internal {
namespace {

// What std::sort puts at each rank.
std::vector<double> SortedAt(std::vector<double> values, const std::vector<size_t>& ranks) {
  std::sort(values.begin(), values.end());
  std::vector<double> out;
  for (size_t r : ranks) out.push_back(values[r]);
  return out;
}

// The ranks a median and the quantiles 0, 0.05, 0.5, 0.95 and 1 read, and a few random ones.
std::vector<size_t> SomeRanks(size_t n, std::mt19937_64& rng) {
  std::vector<size_t> ranks = {0, n - 1, n / 2, (n - 1) / 2, n / 20, n / 20 + 1, n - n / 20 - 1};
  for (int i = 0; i < 5; ++i) ranks.push_back(rng() % n);
  for (size_t& r : ranks) r = std::min(r, n - 1);
  return ranks;
}

void ExpectSameAsSort(const std::vector<double>& values, std::mt19937_64& rng) {
  const std::vector<size_t> ranks = SomeRanks(values.size(), rng);
  const std::vector<double> got = ValuesAtRanks(values, ranks);
  const std::vector<double> want = SortedAt(values, ranks);
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    // Equal as doubles: 0.0 and -0.0 are one value to a sort.
    EXPECT_TRUE(got[k] == want[k] || (std::isinf(got[k]) && got[k] == want[k]))
        << "rank " << ranks[k] << " of " << values.size() << ": " << got[k] << " vs " << want[k];
  }
}

TEST(ValuesAtRanksTest, MatchesSortOnManyShapes) {
  std::mt19937_64 rng(5);
  const double inf = std::numeric_limits<double>::infinity();
  for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{1000}, size_t{20000}, size_t{300000}}) {
    std::normal_distribution<double> normal(50, 10);
    std::exponential_distribution<double> exponential(0.01);
    std::vector<std::vector<double>> shapes(8, std::vector<double>(n));
    for (size_t i = 0; i < n; ++i) {
      shapes[0][i] = normal(rng);
      shapes[1][i] = exponential(rng);
      shapes[2][i] = static_cast<double>(rng() % 5);       // few distinct values
      shapes[3][i] = 7.5;                                  // all equal
      shapes[4][i] = i % 1000 == 0 ? 1e300 : normal(rng);  // outliers: one crowded bucket
      shapes[5][i] = i % 97 == 0 ? (i % 2 ? inf : -inf) : normal(rng);  // infinities
      shapes[6][i] = i % 3 == 0 ? -0.0 : i % 3 == 1 ? 0.0 : 1.0;        // signed zeros
      shapes[7][i] = static_cast<double>(i);                            // sorted
    }
    shapes.push_back(std::vector<double>(n, inf));  // no finite value
    std::vector<double> crowded(n);                 // most values -inf, then one crowded bucket
    for (size_t i = 0; i < n; ++i) crowded[i] = i % 4 == 0 ? normal(rng) : i % 50 ? -inf : 1e300;
    shapes.push_back(crowded);
    std::vector<double> nested(n);  // a bucket within a bucket within a bucket
    for (size_t i = 0; i < n; ++i) {
      nested[i] = i % 100 == 0 ? 1e300 : i % 100 == 1 ? 1e200 : i % 100 == 2 ? 1e100 : normal(rng);
    }
    shapes.push_back(nested);
    std::vector<double> spread(n);
    for (size_t i = 0; i < n; ++i) spread[i] = i % 2 ? std::numeric_limits<double>::max() : -1e308;
    shapes.push_back(spread);  // a range wider than the largest double
    for (const std::vector<double>& values : shapes) ExpectSameAsSort(values, rng);
  }
}

TEST(ValuesAtRanksTest, RanksInAnyOrderRepeatedOrOutOfRange) {
  const std::vector<double> values = {5, 1, 4, 2, 3};
  const std::vector<size_t> ranks = {4, 0, 2, 2, 5};
  const std::vector<double> got = ValuesAtRanks(values, ranks);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], 5);
  EXPECT_EQ(got[1], 1);
  EXPECT_EQ(got[2], 3);
  EXPECT_EQ(got[3], 3);
  EXPECT_TRUE(std::isnan(got[4]));  // past the end
  EXPECT_TRUE(ValuesAtRanks({}, std::vector<size_t>{}).empty());
}

TEST(ValuesAtRanksTest, LeavesTheValuesAsTheyWere) {
  std::mt19937_64 rng(9);
  std::vector<double> values(100000);
  for (double& v : values) v = static_cast<double>(rng() % 100000);
  const std::vector<double> before = values;
  ValuesAtRanks(values, std::vector<size_t>{50000});
  EXPECT_EQ(values, before);
}

}  // namespace
}  // namespace sluice::validation::internal
