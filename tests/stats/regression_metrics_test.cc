// Regression metrics against scikit-learn's documentation examples (quoted) and exact weighted
// values computed with Python fractions (shown as fractions where short).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "stats/metrics.h"
#include "testing/status_matchers.h"

namespace sluice::stats {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

using Vec = std::vector<double>;

constexpr double kTol = 1e-12;

// sklearn's regression docs all use y_true = [3, -0.5, 2, 7], y_pred = [2.5, 0.0, 2, 8].
const Vec kY{3, -0.5, 2, 7};
const Vec kP{2.5, 0.0, 2, 8};

TEST(RegressionTest, SklearnDocExamples) {
  // mean_squared_error -> 0.375, so RMSE = sqrt(0.375) = 0.6123724356957945.
  EXPECT_NEAR(*Rmse(kY, kP), 0.6123724356957945, kTol);
  // mean_absolute_error -> 0.5
  EXPECT_NEAR(*Mae(kY, kP), 0.5, kTol);
  // r2_score -> 0.948...; Python: 0.9486081370449679.
  EXPECT_NEAR(*R2(kY, kP), 0.9486081370449679, kTol);
  // mean_absolute_percentage_error -> 0.3273...; Python: 0.3273809523809524.
  EXPECT_NEAR(*Mape(kY, kP), 0.3273809523809524, kTol);
}

TEST(R2Test, SklearnDocEdgeCases) {
  // r2_score docs: [1, 2, 3] vs [1, 2, 3] -> 1.0; vs [2, 2, 2] -> 0.0; vs [3, 2, 1] -> -3.0;
  // constant y_true [-2, -2, -2]: perfect -> 1.0, imperfect (last + 1e-8) -> 0.0.
  EXPECT_DOUBLE_EQ(*R2(Vec{1, 2, 3}, Vec{1, 2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(*R2(Vec{1, 2, 3}, Vec{2, 2, 2}), 0.0);
  EXPECT_DOUBLE_EQ(*R2(Vec{1, 2, 3}, Vec{3, 2, 1}), -3.0);
  EXPECT_EQ(*R2(Vec{-2, -2, -2}, Vec{-2, -2, -2}), 1.0);
  EXPECT_EQ(*R2(Vec{-2, -2, -2}, Vec{-2, -2, -2 + 1e-8}), 0.0);
}

TEST(R2Test, ConstantDecidedOnValuesNotRoundedSums) {
  // 0.1 is not exact in binary; the mean of many copies must still count as constant.
  const Vec y(1001, 0.1);
  Vec p(1001, 0.1);
  EXPECT_EQ(*R2(y, p), 1.0);
  p[7] = 0.2;
  EXPECT_EQ(*R2(y, p), 0.0);
  // Only weighted samples decide: a zero-weight outlier does not make y_true vary.
  Vec w(1001, 1.0);
  Vec y2 = y;
  y2[3] = 5.0;
  w[3] = 0;
  EXPECT_EQ(*R2(y2, Vec(1001, 0.1), w), 1.0);
}

TEST(RegressionTest, Weighted) {
  const Vec y{1, 2, 3, 4, 5}, p{1, 2, 2, 5, 4}, w{1, 1, 2, 0, 3};
  // Python fractions: R2 = 15/22; RMSE = sqrt(5/7); MAE = 5/7; MAPE = 19/105.
  EXPECT_NEAR(*R2(y, p, w), 15.0 / 22.0, kTol);
  EXPECT_NEAR(*Rmse(y, p, w), std::sqrt(5.0 / 7.0), kTol);
  EXPECT_NEAR(*Mae(y, p, w), 5.0 / 7.0, kTol);
  EXPECT_NEAR(*Mape(y, p, w), 19.0 / 105.0, kTol);
}

TEST(MapeTest, ZeroTargetDividesByEpsilon) {
  // sklearn docs: y_true = [1., 0., 2.4, 7.], y_pred = [1.2, 0.1, 2.4, 8.] -> 112589990684262.48
  ASSERT_OK_AND_ASSIGN(double mape, Mape(Vec{1., 0., 2.4, 7.}, Vec{1.2, 0.1, 2.4, 8.}));
  EXPECT_NEAR(mape, 112589990684262.48, 0.1);
  EXPECT_EQ(*Mape(Vec{0.0}, Vec{DBL_EPSILON}), 1.0);
}

TEST(RegressionTest, LongSumsStayAccurate) {
  // Summing 0.1 two million times drifts by ~1e-11 relative in double and ~1e-14 in plain long
  // double; compensated summation stays within a rounding.
  const size_t n = 1 << 21;
  const Vec y(n, 0.0), p(n, 0.1);
  EXPECT_DOUBLE_EQ(*Mae(y, p), 0.1);
  EXPECT_DOUBLE_EQ(*Rmse(y, p), 0.1);
}

TEST(RegressionTest, Errors) {
  EXPECT_THAT(Rmse(Vec{1, 2, 3}, Vec{1, 2}),
              StatusIs(StatusCode::kInvalidArgument, "y_true has 3 values, pred has 2"));
  EXPECT_THAT(Mae(Vec{}, Vec{}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("y_true is empty")));
  EXPECT_THAT(Mape(Vec{1, 2, 3}, Vec{1, 2, std::numeric_limits<double>::infinity()}),
              StatusIs(StatusCode::kInvalidArgument, "pred[2] is inf"));
  EXPECT_THAT(Rmse(Vec{1, std::nan(""), 3}, Vec{1, 2, 3}),
              StatusIs(StatusCode::kInvalidArgument, "y_true[1] is NaN"));
  EXPECT_THAT(R2(Vec{1}, Vec{1}),
              StatusIs(StatusCode::kInvalidArgument, "R2 needs at least 2 samples, got 1"));
  EXPECT_THAT(Mae(Vec{1, 2}, Vec{1, 2}, Vec{1, -2}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("weight[1] is -2")));
}

}  // namespace
}  // namespace sluice::stats
