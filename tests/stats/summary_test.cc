// Moments, quantiles and histograms. Quantile and histogram expectations follow numpy's
// documented definitions (method='linear'; numpy.histogram's equal-width bins), worked by hand.
#include "stats/summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "testing/status_matchers.h"

namespace sluice::stats {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pointwise;

using Vec = std::vector<double>;

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

TEST(MomentsTest, KnownValuesAndNaNSkipped) {
  // Mean 5, sum of squared deviations 32: sample variance 32/7.
  const Moments m = ComputeMoments(Vec{2, 4, kNaN, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(m.count, 8);
  EXPECT_EQ(m.nan_count, 1);
  EXPECT_DOUBLE_EQ(m.mean, 5.0);
  EXPECT_DOUBLE_EQ(m.variance_sample(), 32.0 / 7.0);
  EXPECT_DOUBLE_EQ(m.stddev_sample(), std::sqrt(32.0 / 7.0));
  EXPECT_EQ(m.min, 2.0);
  EXPECT_EQ(m.max, 9.0);
}

TEST(MomentsTest, LargeOffsetDoesNotCancel) {
  // The textbook case where sum(x^2) - n mean^2 loses every digit: variance is exactly 30.
  const Moments m = ComputeMoments(Vec{1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16});
  EXPECT_DOUBLE_EQ(m.mean, 1e9 + 10);
  EXPECT_DOUBLE_EQ(m.variance_sample(), 30.0);
}

TEST(MomentsTest, FewValues) {
  const Moments empty = ComputeMoments(Vec{});
  EXPECT_EQ(empty.count, 0);
  EXPECT_TRUE(std::isnan(empty.variance_sample()));
  EXPECT_EQ(empty.min, kInf);
  const Moments one = ComputeMoments(Vec{3.5});
  EXPECT_EQ(one.mean, 3.5);
  EXPECT_TRUE(std::isnan(one.variance_sample()));
}

TEST(MomentsTest, MergeAtEverySplitEqualsOnePass) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> dist(100.0, 15.0);
  Vec v(101);
  for (double& x : v) x = dist(rng);
  v[10] = kNaN;
  const Moments whole = ComputeMoments(v);
  for (size_t split = 0; split <= v.size(); ++split) {
    const Moments left = ComputeMoments(std::span(v).first(split));
    const Moments right = ComputeMoments(std::span(v).subspan(split));
    for (const Moments& m : {Merge(left, right), Merge(right, left)}) {
      EXPECT_EQ(m.count, whole.count);
      EXPECT_EQ(m.nan_count, 1);
      EXPECT_NEAR(m.mean, whole.mean, 1e-12);
      EXPECT_NEAR(m.variance_sample(), whole.variance_sample(), 1e-9);
      EXPECT_EQ(m.min, whole.min);
      EXPECT_EQ(m.max, whole.max);
    }
  }
}

TEST(QuantilesTest, LinearInterpolationLikeNumpy) {
  // h = q (n - 1): 0 -> 1; 1 -> 2; 2 -> 3; 3.6 -> 4 + 0.6 (5 - 4) = 4.6; 4 -> 5.
  ASSERT_OK_AND_ASSIGN(Vec q, Quantiles(Vec{5, 3, 1, 4, 2}, Vec{0, 0.25, 0.5, 0.9, 1}));
  EXPECT_THAT(q, Pointwise(DoubleEq(), Vec{1, 2, 3, 4.6, 5}));
  // numpy.quantile docs: a = [[10, 7, 4], [3, 2, 1]], quantile(a, 0.5) -> 3.5 (flattened).
  // q = 0.1: h = 0.5 between 1 and 2 -> 1.5.
  ASSERT_OK_AND_ASSIGN(Vec q2, Quantiles(Vec{10, 7, 4, 3, 2, 1}, Vec{0.5, 0.1}));
  EXPECT_THAT(q2, ElementsAre(3.5, 1.5));
}

TEST(QuantilesTest, NaNSkippedSingleValueAndInfinities) {
  ASSERT_OK_AND_ASSIGN(Vec q, Quantiles(Vec{kNaN, 2, kNaN, 4}, Vec{0.5}));
  EXPECT_THAT(q, ElementsAre(3.0));
  ASSERT_OK_AND_ASSIGN(Vec one, Quantiles(Vec{7}, Vec{0, 0.3, 1}));
  EXPECT_THAT(one, ElementsAre(7, 7, 7));
  ASSERT_OK_AND_ASSIGN(Vec inf, Quantiles(Vec{1, kInf, kInf}, Vec{0.75, 1}));
  EXPECT_THAT(inf, ElementsAre(kInf, kInf));
  ASSERT_OK_AND_ASSIGN(Vec none, Quantiles(Vec{1, 2}, Vec{}));
  EXPECT_TRUE(none.empty());
}

TEST(QuantilesTest, Errors) {
  EXPECT_THAT(Quantiles(Vec{1, 2}, Vec{0.5, 1.5}),
              StatusIs(StatusCode::kInvalidArgument, "qs[1] is 1.5; quantiles must be in [0, 1]"));
  EXPECT_THAT(Quantiles(Vec{1, 2}, Vec{kNaN}),
              StatusIs(StatusCode::kInvalidArgument, "qs[0] is NaN"));
  EXPECT_THAT(
      Quantiles(Vec{kNaN, kNaN}, Vec{0.5}),
      StatusIs(StatusCode::kInvalidArgument, "no values to take quantiles of: 2 given, all NaN"));
  EXPECT_THAT(Quantiles(Vec{}, Vec{0.5}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("0 given")));
}

TEST(EqualWidthTest, MaxGoesInTheLastBin) {
  ASSERT_OK_AND_ASSIGN(Histogram h, EqualWidth(Vec{0, 1, 2, 3, 4, kNaN}, 4));
  EXPECT_THAT(h.edges, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(h.counts, ElementsAre(1, 1, 1, 2));
  EXPECT_EQ(h.nan_count, 1);
  // numpy.histogram([1, 2, 1], bins=2) -> counts [2, 1], edges [1, 1.5, 2].
  ASSERT_OK_AND_ASSIGN(Histogram h2, EqualWidth(Vec{1, 2, 1}, 2));
  EXPECT_THAT(h2.edges, ElementsAre(1, 1.5, 2));
  EXPECT_THAT(h2.counts, ElementsAre(2, 1));
}

TEST(EqualWidthTest, ConstantAndEmptyFollowNumpy) {
  ASSERT_OK_AND_ASSIGN(Histogram c, EqualWidth(Vec{3, 3, 3}, 2));
  EXPECT_THAT(c.edges, ElementsAre(2.5, 3, 3.5));
  EXPECT_THAT(c.counts, ElementsAre(0, 3));
  ASSERT_OK_AND_ASSIGN(Histogram e, EqualWidth(Vec{kNaN}, 2));
  EXPECT_THAT(e.edges, ElementsAre(0, 0.5, 1));
  EXPECT_THAT(e.counts, ElementsAre(0, 0));
  EXPECT_EQ(e.nan_count, 1);
}

TEST(EqualWidthTest, EveryValueLandsBetweenItsEdges) {
  // Values that sit exactly on (rounded) edges are where a scaled index goes one bin off.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> dist(-3.7, 12.1);
  for (int bins : {1, 3, 7, 10, 97}) {
    Vec v(500);
    for (double& x : v) x = dist(rng);
    ASSERT_OK_AND_ASSIGN(Histogram first, EqualWidth(v, bins));
    for (double e : first.edges) v.push_back(e);  // inside [min, max] by construction
    ASSERT_OK_AND_ASSIGN(Histogram h, EqualWidth(v, bins));
    std::vector<int64_t> brute(static_cast<size_t>(bins), 0);
    for (double x : v) {
      size_t b = 0;
      while (b + 1 < static_cast<size_t>(bins) && x >= h.edges[b + 1]) ++b;
      ++brute[b];
    }
    EXPECT_EQ(h.counts, brute) << "bins " << bins;
  }
}

TEST(EqualWidthTest, Errors) {
  EXPECT_THAT(EqualWidth(Vec{1, 2}, 0),
              StatusIs(StatusCode::kInvalidArgument, "bins must be between 1 and 1000000, got 0"));
  EXPECT_THAT(EqualWidth(Vec{1, -kInf}, 3),
              StatusIs(StatusCode::kInvalidArgument,
                       "values[1] is -inf; equal-width bins need finite values"));
}

}  // namespace
}  // namespace sluice::stats
