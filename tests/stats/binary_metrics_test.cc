// Expected values come from scikit-learn's documentation examples where it has one (quoted in
// comments), otherwise from exact rational arithmetic with Python's fractions module over the
// definitions (pairwise for AUC, per-threshold for average precision): the fraction is given
// next to each literal so it can be checked by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "stats/metrics.h"
#include "testing/status_matchers.h"

namespace sluice::stats {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

using Vec = std::vector<double>;

constexpr double kTol = 1e-12;

// ---- RocAuc ----

TEST(RocAucTest, SklearnDocExample) {
  // sklearn roc_curve/roc_auc_score docs: y = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8] -> 0.75
  ASSERT_OK_AND_ASSIGN(double auc, RocAuc(Vec{0, 0, 1, 1}, Vec{0.1, 0.4, 0.35, 0.8}));
  EXPECT_DOUBLE_EQ(auc, 0.75);
}

TEST(RocAucTest, PerfectReversedAndAllTied) {
  EXPECT_DOUBLE_EQ(*RocAuc(Vec{0, 0, 1, 1}, Vec{0.1, 0.2, 0.3, 0.4}), 1.0);
  EXPECT_DOUBLE_EQ(*RocAuc(Vec{0, 0, 1, 1}, Vec{0.4, 0.3, 0.2, 0.1}), 0.0);
  // One tied group: the ROC curve is the diagonal.
  EXPECT_DOUBLE_EQ(*RocAuc(Vec{0, 1, 0, 1}, Vec{0.5, 0.5, 0.5, 0.5}), 0.5);
}

TEST(RocAucTest, TiesCountHalf) {
  // Pairs (pos, neg): 9; wins 7, ties 2 -> (7 + 1) / 9 = 8/9.
  ASSERT_OK_AND_ASSIGN(double auc,
                       RocAuc(Vec{0, 0, 1, 1, 1, 0}, Vec{0.1, 0.5, 0.5, 0.9, 0.5, 0.2}));
  EXPECT_NEAR(auc, 8.0 / 9.0, kTol);
}

TEST(RocAucTest, Weighted) {
  // Fractions: 29/36.
  ASSERT_OK_AND_ASSIGN(double auc, RocAuc(Vec{0, 0, 1, 1, 1, 0}, Vec{0.1, 0.5, 0.5, 0.9, 0.5, 0.2},
                                          Vec{1, 2, 0.5, 1, 3, 1}));
  EXPECT_NEAR(auc, 29.0 / 36.0, kTol);
}

TEST(RocAucTest, IntegerWeightsEqualRepeatedSamplesAndZeroWeightEqualsRemoval) {
  const Vec y{0, 1, 1, 0, 1, 0};
  const Vec s{0.3, 0.3, 0.8, 0.1, 0.2, 0.9};
  const Vec w{2, 0, 3, 1, 1, 2};
  // Repeat each sample w times (a zero weight drops it).
  Vec ry, rs;
  for (size_t i = 0; i < y.size(); ++i) {
    for (int k = 0; k < static_cast<int>(w[i]); ++k) {
      ry.push_back(y[i]);
      rs.push_back(s[i]);
    }
  }
  EXPECT_NEAR(*RocAuc(y, s, w), *RocAuc(ry, rs), kTol);
  EXPECT_NEAR(*PrAuc(y, s, w), *PrAuc(ry, rs), kTol);
  EXPECT_NEAR(*LogLoss(y, s, w), *LogLoss(ry, rs), kTol);
  EXPECT_NEAR(*BrierScore(y, s, w), *BrierScore(ry, rs), kTol);
}

TEST(RocAucTest, InfiniteScoresRankNormally) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_DOUBLE_EQ(*RocAuc(Vec{0, 1, 0, 1}, Vec{-inf, inf, 0, inf}), 1.0);
}

// O(n^2) definition: P(score_pos > score_neg) + 0.5 P(tie) over weighted pairs.
double PairwiseAuc(const Vec& y, const Vec& s, const Vec& w) {
  long double num = 0, den = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    for (size_t j = 0; j < y.size(); ++j) {
      if (y[i] != 1 || y[j] != 0) continue;
      const long double pw = static_cast<long double>(w[i]) * w[j];
      den += pw;
      if (s[i] > s[j]) num += pw;
      if (s[i] == s[j]) num += pw / 2;
    }
  }
  return static_cast<double>(num / den);
}

TEST(RocAucTest, EqualsPairwiseDefinitionOnRandomDataWithManyTies) {
  std::mt19937_64 rng(20240601);  // fixed seed: deterministic
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 2 + static_cast<int>(rng() % 300);
    const int levels = 1 + static_cast<int>(rng() % 8);  // few distinct scores: many ties
    const bool weighted = trial % 2 == 1;
    Vec y(n), s(n), w(n, 1.0);
    for (int i = 0; i < n; ++i) {
      y[i] = static_cast<double>(rng() % 2);
      s[i] = static_cast<double>(rng() % levels) / levels;
      if (weighted) w[i] = static_cast<double>(rng() % 5) * 0.5;  // zeros included
    }
    y[0] = 0;  // both classes, with weight
    y[1] = 1;
    w[0] = w[1] = 1;
    ASSERT_OK_AND_ASSIGN(double auc, RocAuc(y, s, weighted ? Vec(w) : Vec{}));
    EXPECT_NEAR(auc, PairwiseAuc(y, s, w), 1e-12) << "trial " << trial << " n " << n;
  }
}

TEST(RocAucTest, Errors) {
  EXPECT_THAT(RocAuc(Vec(10, 0.0), Vec(9, 0.5)),
              StatusIs(StatusCode::kInvalidArgument, "y_true has 10 values, score has 9"));
  EXPECT_THAT(RocAuc(Vec{}, Vec{}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("y_true is empty")));
  EXPECT_THAT(RocAuc(Vec{0, 1, 0, 1}, Vec{0.1, 0.2, 0.3, std::nan("")}),
              StatusIs(StatusCode::kInvalidArgument, "score[3] is NaN"));
  EXPECT_THAT(
      RocAuc(Vec{0, 2, 0, 1}, Vec{0.1, 0.2, 0.3, 0.4}),
      StatusIs(StatusCode::kInvalidArgument, "y_true[1] is 2; binary labels must be 0 or 1"));
  EXPECT_THAT(RocAuc(Vec{0, std::nan(""), 0, 1}, Vec{0.1, 0.2, 0.3, 0.4}),
              StatusIs(StatusCode::kInvalidArgument, "y_true[1] is NaN"));
  EXPECT_THAT(RocAuc(Vec{0, 0, 0}, Vec{0.1, 0.2, 0.3}),
              StatusIs(StatusCode::kInvalidArgument,
                       "AUC is undefined when y_true has only one class (all 0)"));
  EXPECT_THAT(RocAuc(Vec{1, 1}, Vec{0.1, 0.2}),
              StatusIs(StatusCode::kInvalidArgument,
                       "AUC is undefined when y_true has only one class (all 1)"));
  EXPECT_THAT(RocAuc(Vec{0, 1, 1}, Vec{0.1, 0.2, 0.3}, Vec{1, 0, 0}),
              StatusIs(StatusCode::kInvalidArgument,
                       "AUC is undefined when all class 1 samples have zero weight"));
}

TEST(WeightTest, Errors) {
  const Vec y{0, 1, 0, 1}, s{0.1, 0.2, 0.3, 0.4};
  EXPECT_THAT(RocAuc(y, s, Vec{1, 1, 1}),
              StatusIs(StatusCode::kInvalidArgument, "weight has 3 values, y_true has 4"));
  EXPECT_THAT(
      LogLoss(y, s, Vec{1, -1, 1, 1}),
      StatusIs(StatusCode::kInvalidArgument, "weight[1] is -1; weights must be non-negative"));
  EXPECT_THAT(BrierScore(y, s, Vec{1, 1, std::numeric_limits<double>::infinity(), 1}),
              StatusIs(StatusCode::kInvalidArgument, "weight[2] is inf"));
  EXPECT_THAT(PrAuc(y, s, Vec{0, 0, 0, 0}),
              StatusIs(StatusCode::kInvalidArgument, "weights sum to zero"));
}

// ---- PrAuc ----

TEST(PrAucTest, SklearnDocExample) {
  // sklearn average_precision_score docs: y = [0, 0, 1, 1], scores = [0.1, 0.4, 0.35, 0.8]
  // -> 0.83... (= 5/6: recall 1/2 at precision 1, then 1/2 at precision 2/3).
  ASSERT_OK_AND_ASSIGN(double ap, PrAuc(Vec{0, 0, 1, 1}, Vec{0.1, 0.4, 0.35, 0.8}));
  EXPECT_NEAR(ap, 5.0 / 6.0, kTol);
}

TEST(PrAucTest, TiesFormOneStepWithoutInterpolation) {
  // One threshold: precision = 2/4 at recall 1.
  EXPECT_DOUBLE_EQ(*PrAuc(Vec{0, 1, 0, 1}, Vec{0.5, 0.5, 0.5, 0.5}), 0.5);
  // Fractions: 5/6 (the tie at 0.5 holds 2 positives and 1 negative).
  EXPECT_NEAR(*PrAuc(Vec{0, 0, 1, 1, 1, 0}, Vec{0.1, 0.5, 0.5, 0.9, 0.5, 0.2}), 5.0 / 6.0, kTol);
}

TEST(PrAucTest, Weighted) {
  // Fractions: 89/117.
  EXPECT_NEAR(
      *PrAuc(Vec{0, 0, 1, 1, 1, 0}, Vec{0.1, 0.5, 0.5, 0.9, 0.5, 0.2}, Vec{1, 2, 0.5, 1, 3, 1}),
      89.0 / 117.0, kTol);
}

TEST(PrAucTest, AllPositiveIsOneAndNoPositiveIsAnError) {
  EXPECT_DOUBLE_EQ(*PrAuc(Vec{1, 1, 1}, Vec{0.1, 0.5, 0.2}), 1.0);
  EXPECT_THAT(PrAuc(Vec{0, 0}, Vec{0.1, 0.5}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("average precision is undefined when y_true has no positive")));
}

// ---- LogLoss and BrierScore ----

TEST(LogLossTest, SklearnDocExample) {
  // sklearn log_loss docs: log_loss(["spam", "ham", "ham", "spam"],
  //   [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]) -> 0.21616...
  // Python: -(log(.9) + log(.9) + log(.8) + log(.65)) / 4 = 0.21616187468057912.
  ASSERT_OK_AND_ASSIGN(double loss, LogLoss(Vec{1, 0, 0, 1}, Vec{.9, .1, .2, .65}));
  EXPECT_NEAR(loss, 0.21616187468057912, kTol);
}

TEST(LogLossTest, Weighted) {
  // Python: sum(w * -log(p if y else 1 - p)) / sum(w) = 0.18475440907112844.
  EXPECT_NEAR(*LogLoss(Vec{1, 0, 0, 1}, Vec{.9, .1, .2, .65}, Vec{1, 2, 3, 0.5}),
              0.18475440907112844, kTol);
}

TEST(LogLossTest, ProbabilitiesAreClipped) {
  // -log(1e-15) = 34.538776394910684: a confident mistake is finite.
  EXPECT_NEAR(*LogLoss(Vec{1}, Vec{0.0}), 34.538776394910684, 1e-9);
  EXPECT_NEAR(*LogLoss(Vec{0}, Vec{1.0}), 34.538776394910684, 1e-9);
  // A confident hit costs about 1e-15, not exactly 0.
  const double hit = *LogLoss(Vec{1, 0}, Vec{1.0, 0.0});
  EXPECT_GT(hit, 0.0);
  EXPECT_LT(hit, 2e-15);
}

TEST(LogLossTest, ProbabilityOutOfRange) {
  EXPECT_THAT(
      LogLoss(Vec{0, 1}, Vec{0.5, 1.5}),
      StatusIs(StatusCode::kInvalidArgument, "prob[1] is 1.5; probabilities must be in [0, 1]"));
  EXPECT_THAT(BrierScore(Vec{0, 1}, Vec{-0.1, 0.5}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("prob[0] is -0.1")));
}

TEST(BrierScoreTest, SklearnDocExampleAndWeights) {
  // sklearn brier_score_loss docs: y = [0, 1, 1, 0], p = [0.1, 0.9, 0.8, 0.3] -> 0.037...
  // (= (0.01 + 0.01 + 0.04 + 0.09) / 4 = 0.0375).
  EXPECT_NEAR(*BrierScore(Vec{0, 1, 1, 0}, Vec{0.1, 0.9, 0.8, 0.3}), 0.0375, kTol);
  // (0.01 + 2 * 0.01 + 3 * 0.04 + 0.5 * 0.09) / 6.5 = 0.03.
  EXPECT_NEAR(*BrierScore(Vec{0, 1, 1, 0}, Vec{0.1, 0.9, 0.8, 0.3}, Vec{1, 2, 3, 0.5}), 0.03, kTol);
}

// ---- ExpectedCalibrationError ----

TEST(EceTest, HandComputed) {
  const Vec y{0, 0, 1, 1, 1, 0};
  const Vec p{0.05, 0.15, 0.15, 0.95, 1.0, 0.0};
  // bin 0 {0.05, 0.0}: |0.025 - 0| * 2/6; bin 1 {0.15, 0.15}: |0.15 - 0.5| * 2/6;
  // bin 9 {0.95, 1.0} (1.0 falls in the last bin): |0.975 - 1| * 2/6. Sum = 0.8 / 6.
  EXPECT_NEAR(*ExpectedCalibrationError(y, p, 10), 0.8 / 6, kTol);
  // One bin: |mean(p) - mean(y)| = |2.3 - 3| / 6.
  EXPECT_NEAR(*ExpectedCalibrationError(y, p, 1), 0.7 / 6, kTol);
  // Perfect calibration within each bin.
  EXPECT_NEAR(*ExpectedCalibrationError(Vec{0, 1, 0, 1}, Vec{0.5, 0.5, 0.0, 1.0}, 2), 0.0, kTol);
}

TEST(EceTest, Errors) {
  EXPECT_THAT(ExpectedCalibrationError(Vec{0, 1}, Vec{0.2, 0.8}, 0),
              StatusIs(StatusCode::kInvalidArgument, "bins must be between 1 and 100000, got 0"));
  EXPECT_THAT(ExpectedCalibrationError(Vec{0, 1}, Vec{0.2, 2.0}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("prob[1] is 2")));
  EXPECT_THAT(ExpectedCalibrationError(Vec{0, 1}, Vec{0.2}),
              StatusIs(StatusCode::kInvalidArgument, "y_true has 2 values, prob has 1"));
}

// ---- Scale ----

TEST(RocAucTest, LargeInputMatchesClosedForm) {
  // Scores i / n with y = 1 on odd i: each positive 2j+1 beats j + 1 negatives (0, 2, ..., 2j),
  // so the area is sum_{j<m} (j + 1) / m^2 = (m + 1) / (2m) for m = n / 2 of each class.
  const size_t n = 1 << 18;
  Vec y(n), s(n);
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<double>(i % 2);
    s[i] = static_cast<double>(i) / static_cast<double>(n);
  }
  const double m = static_cast<double>(n / 2);
  EXPECT_NEAR(*RocAuc(y, s), (m + 1) / (2 * m), 1e-15);
}

}  // namespace
}  // namespace sluice::stats
