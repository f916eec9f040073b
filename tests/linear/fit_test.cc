#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "linear/linear.h"
#include "testing/status_matchers.h"

namespace sluice::linear {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A dataset: row-major x plus targets.
struct Dataset {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<double> x;
  std::vector<double> y;
};

// Gaussian features; y from `label` applied to each row.
template <class Label>
Dataset MakeData(size_t rows, size_t cols, uint64_t seed, Label label) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Dataset data{rows, cols, std::vector<double>(rows * cols), std::vector<double>(rows)};
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) data.x[i * cols + j] = normal(rng);
    data.y[i] = label(&data.x[i * cols], rng);
  }
  return data;
}

// Logistic data with noisy labels, so the classes overlap.
Dataset NoisyLogistic(size_t rows, size_t cols, uint64_t seed) {
  return MakeData(rows, cols, seed, [cols](const double* row, std::mt19937_64& rng) {
    double m = 0.3;
    for (size_t j = 0; j < cols; ++j) m += (j % 2 == 0 ? 1.0 : -0.5) * row[j];
    const double p = 1 / (1 + std::exp(-m));
    return std::uniform_real_distribution<double>(0, 1)(rng) < p ? 1.0 : 0.0;
  });
}

Result<std::pair<Model, FitReport>> FitData(const Dataset& d, const Options& options,
                                            std::span<const double> weights = {}) {
  return Fit(d.x, d.rows, d.cols, d.y, weights, {}, options);
}

// Largest |d objective / d (w, b)| in ORIGINAL units for standardize = false, computed here
// independently of the library: mean loss gradient + l2 * w.
double MaxGradient(const Model& model, const Dataset& d, double l2) {
  const size_t k = static_cast<size_t>(model.num_outputs);
  std::vector<double> g(k * (d.cols + 1), 0.0);
  std::vector<double> p(k);
  for (size_t i = 0; i < d.rows; ++i) {
    std::span<const double> row(&d.x[i * d.cols], d.cols);
    model.PredictRow(row, p);
    for (size_t c = 0; c < k; ++c) {
      double target = k == 1 ? d.y[i] : (static_cast<size_t>(d.y[i]) == c ? 1.0 : 0.0);
      const double r = (p[c] - target) / static_cast<double>(d.rows);
      for (size_t j = 0; j < d.cols; ++j) g[c * d.cols + j] += r * row[j];
      g[k * d.cols + c] += r;
    }
  }
  double worst = 0;
  for (size_t t = 0; t < g.size(); ++t) {
    if (t < k * d.cols) g[t] += l2 * model.weights[t];
    worst = std::max(worst, std::abs(g[t]));
  }
  return worst;
}

TEST(LeastSquares, RecoversExactCoefficients) {
  // y = 3 + 2 x0 - x1 exactly, so least squares must return these coefficients.
  Dataset d = MakeData(50, 2, 1, [](const double* r, auto&) { return 3 + 2 * r[0] - r[1]; });
  for (bool standardize : {true, false}) {
    SCOPED_TRACE(standardize);
    ASSERT_OK_AND_ASSIGN(
        auto fitted,
        FitData(d, {.objective = Objective::kSquaredError, .l2 = 0, .standardize = standardize}));
    const auto& [model, report] = fitted;
    EXPECT_EQ(model.objective, Objective::kSquaredError);
    EXPECT_EQ(model.num_outputs, 1);
    EXPECT_THAT(model.weights, ElementsAre(DoubleNear(2, 1e-9), DoubleNear(-1, 1e-9)));
    EXPECT_THAT(model.intercepts, ElementsAre(DoubleNear(3, 1e-9)));
    EXPECT_THAT(model.feature_names, ElementsAre("f0", "f1"));
    EXPECT_TRUE(report.converged);
    EXPECT_EQ(report.iterations, 1);
    EXPECT_LT(report.final_objective, 1e-20);
    EXPECT_THAT(report.objective_per_iteration, ElementsAre(report.final_objective));
  }
}

TEST(LeastSquares, RidgeMatchesHandSolvedNormalEquations) {
  // x = (1,0) (0,1) (1,1) (2,1) (3,2), y = 1 2 4 3 6, n = 5, l2 = 1/2, unscaled features.
  // Means x = (7/5, 1), y = 16/5. Centered: Xc'Xc = [[26/5, 2], [2, 2]], Xc'yc = (33/5, 5).
  // (Xc'Xc + l2 n I) w = Xc'yc: [[77/10, 2], [2, 9/2]] w = (33/5, 5), det 613/20,
  // w = (394/613, 506/613), intercept = 16/5 - w . (7/5, 1) = 904/613.
  const std::vector<double> x = {1, 0, 0, 1, 1, 1, 2, 1, 3, 2};
  const std::vector<double> y = {1, 2, 4, 3, 6};
  ASSERT_OK_AND_ASSIGN(
      auto fitted, Fit(x, 5, 2, y, {}, {"a", "b"},
                       {.objective = Objective::kSquaredError, .l2 = 0.5, .standardize = false}));
  const Model& model = fitted.first;
  EXPECT_THAT(model.weights,
              ElementsAre(DoubleNear(394.0 / 613, 1e-12), DoubleNear(506.0 / 613, 1e-12)));
  EXPECT_THAT(model.intercepts, ElementsAre(DoubleNear(904.0 / 613, 1e-12)));
  EXPECT_THAT(model.impute_values, ElementsAre(DoubleNear(1.4, 1e-15), DoubleNear(1, 1e-15)));

  // The objective: 1/2 mean squared residual + l2/2 ||w||^2.
  double sse = 0;
  for (size_t i = 0; i < 5; ++i) {
    const double r =
        y[i] - model.intercepts[0] - model.weights[0] * x[2 * i] - model.weights[1] * x[2 * i + 1];
    sse += r * r;
  }
  const double w2 = model.weights[0] * model.weights[0] + model.weights[1] * model.weights[1];
  EXPECT_NEAR(fitted.second.final_objective, 0.5 * sse / 5 + 0.25 * w2, 1e-12);
}

TEST(LeastSquares, LassoOnOrthogonalDesignIsSoftThresholding) {
  // Columns of a Sylvester-Hadamard matrix: mean 0, sd 1, mutually orthogonal, so with l2 = 0 the
  // lasso solution is w_j = soft_threshold(mean(x_j * y), l1), exactly.
  const size_t n = 8, d = 4;
  const int h[8][4] = {{1, 1, 1, 1},  {-1, 1, -1, 1},  {1, -1, -1, 1},  {-1, -1, 1, 1},
                       {1, 1, 1, -1}, {-1, 1, -1, -1}, {1, -1, -1, -1}, {-1, -1, 1, -1}};
  std::vector<double> x(n * d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) x[i * d + j] = h[i][j];
  }
  const std::vector<double> y = {5.0, 1.5, 3.0, -2.0, 0.5, 4.0, -1.0, 2.5};
  ASSERT_OK_AND_ASSIGN(
      auto fitted,
      Fit(x, n, d, y, {}, {},
          {.objective = Objective::kSquaredError, .l2 = 0, .l1 = 0.5, .tolerance = 1e-12}));
  double y_mean = 0;
  for (double v : y) y_mean += v / n;
  for (size_t j = 0; j < d; ++j) {
    double xy = 0;
    for (size_t i = 0; i < n; ++i) xy += x[i * d + j] * y[i] / n;
    const double expected = xy > 0.5 ? xy - 0.5 : (xy < -0.5 ? xy + 0.5 : 0.0);
    EXPECT_NEAR(fitted.first.weights[j], expected, 1e-12) << "feature " << j;
  }
  EXPECT_NEAR(fitted.first.intercepts[0], y_mean, 1e-12);
  EXPECT_TRUE(fitted.second.converged);
}

TEST(LeastSquares, L1ZeroesIrrelevantFeaturesExactly) {
  Dataset d = MakeData(500, 6, 2, [](const double* r, std::mt19937_64& rng) {
    return 1 + 3 * r[0] - 2 * r[3] + 0.1 * std::normal_distribution<double>()(rng);
  });
  ASSERT_OK_AND_ASSIGN(auto fitted,
                       FitData(d, {.objective = Objective::kSquaredError, .l2 = 0, .l1 = 0.2}));
  const std::vector<double>& w = fitted.first.weights;
  for (size_t j : {1, 2, 4, 5}) EXPECT_EQ(w[j], 0.0) << "feature " << j;
  EXPECT_GT(w[0], 2.5);
  EXPECT_LT(w[3], -1.5);
  EXPECT_TRUE(fitted.second.converged);
}

TEST(LeastSquares, StandardizeDoesNotChangeTheUnpenalizedSolution) {
  Dataset d = MakeData(200, 3, 3, [](const double* r, std::mt19937_64& rng) {
    return 0.5 * r[0] + r[1] - r[2] + std::normal_distribution<double>()(rng);
  });
  for (size_t i = 0; i < d.rows; ++i) {  // very different feature scales
    d.x[i * 3 + 0] *= 1000;
    d.x[i * 3 + 1] = d.x[i * 3 + 1] * 0.001 + 50;
  }
  ASSERT_OK_AND_ASSIGN(auto on, FitData(d, {.objective = Objective::kSquaredError, .l2 = 0}));
  ASSERT_OK_AND_ASSIGN(
      auto off, FitData(d, {.objective = Objective::kSquaredError, .l2 = 0, .standardize = false}));
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(on.first.weights[j], off.first.weights[j], 1e-9 * std::abs(off.first.weights[j]));
  }
  EXPECT_NEAR(on.first.intercepts[0], off.first.intercepts[0], 1e-9);
  EXPECT_NEAR(on.second.final_objective, off.second.final_objective, 1e-12);
}

TEST(Fit, StandardizedPenaltiesDoNotDependOnFeatureUnits) {
  // Measuring feature 0 in thousandths scales its weight by 1/1000 and changes nothing else.
  for (Objective objective : {Objective::kSquaredError, Objective::kLogistic}) {
    SCOPED_TRACE(ObjectiveName(objective));
    Dataset d = NoisyLogistic(300, 3, 20);
    Dataset scaled = d;
    for (size_t i = 0; i < d.rows; ++i) scaled.x[i * 3] *= 1000;
    const Options options{.objective = objective, .l2 = 0.05, .l1 = 0.01, .tolerance = 1e-12};
    ASSERT_OK_AND_ASSIGN(auto a, FitData(d, options));
    ASSERT_OK_AND_ASSIGN(auto b, FitData(scaled, options));
    EXPECT_NEAR(b.first.weights[0] * 1000, a.first.weights[0], 1e-9);
    EXPECT_NEAR(b.first.weights[1], a.first.weights[1], 1e-9);
    EXPECT_NEAR(b.first.intercepts[0], a.first.intercepts[0], 1e-9);
    // Without standardization the same penalty weighs differently on the rescaled feature.
    Options raw = options;
    raw.standardize = false;
    ASSERT_OK_AND_ASSIGN(auto c, FitData(d, raw));
    ASSERT_OK_AND_ASSIGN(auto e, FitData(scaled, raw));
    EXPECT_GT(std::abs(e.first.weights[0] * 1000 - c.first.weights[0]), 1e-3);
  }
}

TEST(LeastSquares, ConstantFeatureGetsWeightZero) {
  Dataset d = MakeData(30, 3, 4, [](const double* r, auto&) { return 1 + r[0] + r[2]; });
  for (size_t i = 0; i < d.rows; ++i) d.x[i * 3 + 1] = 0.1;  // 0.1 is inexact in binary
  for (bool standardize : {true, false}) {
    SCOPED_TRACE(standardize);
    ASSERT_OK_AND_ASSIGN(
        auto fitted,
        FitData(d, {.objective = Objective::kSquaredError, .l2 = 0, .standardize = standardize}));
    EXPECT_THAT(fitted.first.weights, ElementsAre(DoubleNear(1, 1e-9), 0.0, DoubleNear(1, 1e-9)));
    EXPECT_THAT(fitted.first.impute_values[1], 0.1);
    EXPECT_NEAR(fitted.first.intercepts[0], 1, 1e-9);
  }
}

TEST(LeastSquares, CollinearFeaturesWithoutPenaltyAreAnError) {
  Dataset d = MakeData(20, 2, 5, [](const double* r, auto&) { return r[0]; });
  d.cols = 3;
  std::vector<double> x;
  for (size_t i = 0; i < d.rows; ++i) {
    x.insert(x.end(), {d.x[2 * i], d.x[2 * i + 1], d.x[2 * i] - 2 * d.x[2 * i + 1]});
  }
  d.x = x;
  EXPECT_THAT(Fit(d.x, d.rows, 3, d.y, {}, {"a", "b", "c"},
                  {.objective = Objective::kSquaredError, .l2 = 0}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("feature 'c' is a linear combination of the features before it")));
  // A ridge penalty makes the problem well posed.
  EXPECT_THAT(Fit(d.x, d.rows, 3, d.y, {}, {}, {.objective = Objective::kSquaredError, .l2 = 1e-6}),
              IsOk());
}

TEST(LeastSquares, IntegerSampleWeightsEqualRepeatedRows) {
  Dataset d = MakeData(40, 2, 6, [](const double* r, std::mt19937_64& rng) {
    return r[0] - r[1] + std::normal_distribution<double>()(rng);
  });
  std::vector<double> weights(d.rows);
  Dataset repeated{0, 2, {}, {}};
  for (size_t i = 0; i < d.rows; ++i) {
    weights[i] = static_cast<double>(i % 3);  // includes zero weights
    for (size_t r = 0; r < i % 3; ++r) {
      repeated.x.insert(repeated.x.end(), {d.x[2 * i], d.x[2 * i + 1]});
      repeated.y.push_back(d.y[i]);
      ++repeated.rows;
    }
  }
  for (Objective objective : {Objective::kSquaredError, Objective::kLogistic}) {
    Dataset a = d, b = repeated;
    if (objective == Objective::kLogistic) {
      for (double& v : a.y) v = v > 0 ? 1 : 0;
      for (double& v : b.y) v = v > 0 ? 1 : 0;
    }
    const Options options{.objective = objective, .l2 = 0.1, .tolerance = 1e-12};
    ASSERT_OK_AND_ASSIGN(auto weighted, FitData(a, options, weights));
    ASSERT_OK_AND_ASSIGN(auto expanded, FitData(b, options));
    for (size_t j = 0; j < 2; ++j) {
      EXPECT_NEAR(weighted.first.weights[j], expanded.first.weights[j], 1e-9);
      EXPECT_NEAR(weighted.first.impute_values[j], expanded.first.impute_values[j], 1e-12);
    }
    EXPECT_NEAR(weighted.first.intercepts[0], expanded.first.intercepts[0], 1e-9);
  }
}

// The dataset of logistic_reference.py, which computes the expected coefficients with an
// independent Newton solver (plain Python, exact Hessian, iterated to machine precision).
const std::vector<double> kRefX = {0.5, 1.0,  1.5,  -0.5, 2.0,  0.3,  -1.0, 2.0,
                                   0.0, 0.0,  3.0,  1.0,  -2.0, -1.0, 1.0,  1.0,
                                   2.5, -2.0, -0.5, 0.5,  0.7,  -1.2, -1.5, 1.5};
const std::vector<double> kRefY = {1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1};
const std::vector<double> kRefWeights = {1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1, 1, 1};

TEST(Logistic, MatchesIndependentNewtonSolver) {
  struct Case {
    bool standardize;
    double w0, w1, b;
  };
  // Printed by tests/linear/logistic_reference.py (l2 = 0.1, the sample weights above).
  for (const Case& c : {Case{false, 0.30775541006894236, 1.032855876552071, 0.07956036617856943},
                        Case{true, 0.23829033194634097, 0.9530719376740063, 0.1404048540324287}}) {
    SCOPED_TRACE(c.standardize);
    ASSERT_OK_AND_ASSIGN(auto fitted, Fit(kRefX, 12, 2, kRefY, kRefWeights, {"x0", "x1"},
                                          {.objective = Objective::kLogistic,
                                           .l2 = 0.1,
                                           .standardize = c.standardize,
                                           .tolerance = 1e-12}));
    EXPECT_THAT(fitted.first.weights,
                ElementsAre(DoubleNear(c.w0, 1e-10), DoubleNear(c.w1, 1e-10)));
    EXPECT_THAT(fitted.first.intercepts, ElementsAre(DoubleNear(c.b, 1e-10)));
    EXPECT_TRUE(fitted.second.converged);
  }
}

TEST(Logistic, GradientVanishesAtTheSolution) {
  Dataset d = NoisyLogistic(2000, 5, 7);
  ASSERT_OK_AND_ASSIGN(
      auto fitted,
      FitData(d, {.objective = Objective::kLogistic, .l2 = 0.01, .standardize = false}));
  EXPECT_TRUE(fitted.second.converged);
  EXPECT_LT(MaxGradient(fitted.first, d, 0.01), 1e-7);
  // The report is consistent: one objective per iteration, never increasing beyond rounding.
  const FitReport& report = fitted.second;
  ASSERT_EQ(report.objective_per_iteration.size(), static_cast<size_t>(report.iterations));
  for (size_t i = 1; i < report.objective_per_iteration.size(); ++i) {
    EXPECT_LE(report.objective_per_iteration[i], report.objective_per_iteration[i - 1] + 1e-12);
  }
  EXPECT_EQ(report.objective_per_iteration.back(), report.final_objective);
}

TEST(Logistic, StandardizeDoesNotChangeTheUnpenalizedSolution) {
  Dataset d = NoisyLogistic(1000, 3, 8);
  for (size_t i = 0; i < d.rows; ++i) d.x[i * 3] = d.x[i * 3] * 100 + 7;
  ASSERT_OK_AND_ASSIGN(auto on, FitData(d, {.objective = Objective::kLogistic, .l2 = 0}));
  ASSERT_OK_AND_ASSIGN(
      auto off, FitData(d, {.objective = Objective::kLogistic, .l2 = 0, .standardize = false}));
  ASSERT_TRUE(on.second.converged);
  ASSERT_TRUE(off.second.converged);
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(on.first.weights[j], off.first.weights[j], 1e-6 * std::abs(off.first.weights[j]));
  }
  EXPECT_NEAR(on.first.intercepts[0], off.first.intercepts[0], 1e-6);
}

TEST(Logistic, L1ZeroesIrrelevantFeaturesExactly) {
  Dataset d = MakeData(2000, 6, 9, [](const double* r, std::mt19937_64& rng) {
    const double p = 1 / (1 + std::exp(-(2 * r[1] - 1.5 * r[4])));
    return std::uniform_real_distribution<double>(0, 1)(rng) < p ? 1.0 : 0.0;
  });
  ASSERT_OK_AND_ASSIGN(auto fitted,
                       FitData(d, {.objective = Objective::kLogistic, .l2 = 0, .l1 = 0.02}));
  EXPECT_TRUE(fitted.second.converged);
  const std::vector<double>& w = fitted.first.weights;
  for (size_t j : {0, 2, 3, 5}) EXPECT_EQ(w[j], 0.0) << "feature " << j;
  EXPECT_GT(w[1], 1.0);
  EXPECT_LT(w[4], -0.8);
}

// Two well separated groups on x0.
Dataset SeparableLogistic() {
  return MakeData(200, 2, 10, [](const double* r, auto&) { return r[0] > 0 ? 1.0 : 0.0; });
}

TEST(Logistic, SeparableDataConvergesOnlyWithAPenalty) {
  Dataset d = SeparableLogistic();
  ASSERT_OK_AND_ASSIGN(auto penalized, FitData(d, {.objective = Objective::kLogistic, .l2 = 1e-3}));
  EXPECT_TRUE(penalized.second.converged);
  EXPECT_TRUE(std::isfinite(penalized.first.weights[0]));

  ASSERT_OK_AND_ASSIGN(
      auto free, FitData(d, {.objective = Objective::kLogistic, .l2 = 0, .max_iterations = 200}));
  EXPECT_FALSE(free.second.converged);
  EXPECT_LE(free.second.iterations, 200);
  EXPECT_GT(free.first.weights[0], penalized.first.weights[0]);
  EXPECT_TRUE(std::isfinite(free.first.weights[0]));
}

TEST(Logistic, OneClassWithInterceptIsAnError) {
  const std::vector<double> x = {1, 2, 3};
  const std::vector<double> y = {1, 1, 1};
  EXPECT_THAT(Fit(x, 3, 1, y, {}, {}, {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("every label is 1")));
  // Without an intercept the problem is bounded.
  EXPECT_THAT(Fit(x, 3, 1, y, {}, {}, {.fit_intercept = false}), IsOk());
}

// Three blobs around (0, 0), (6, 0) and (0, 6).
Dataset Blobs(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 0.7);
  Dataset d{rows, 2, {}, {}};
  for (size_t i = 0; i < rows; ++i) {
    const size_t c = i % 3;
    d.x.push_back(normal(rng) + (c == 1 ? 6 : 0));
    d.x.push_back(normal(rng) + (c == 2 ? 6 : 0));
    d.y.push_back(static_cast<double>(c));
  }
  return d;
}

TEST(Softmax, SeparatesBlobsWithProbabilitiesSummingToOne) {
  Dataset d = Blobs(300, 11);
  ASSERT_OK_AND_ASSIGN(auto fitted, FitData(d, {.objective = Objective::kSoftmax,
                                                .num_classes = 3,
                                                .l2 = 1e-3,
                                                .standardize = false}));
  const Model& model = fitted.first;
  EXPECT_TRUE(fitted.second.converged);
  EXPECT_EQ(model.num_outputs, 3);
  EXPECT_EQ(model.weights.size(), 6u);
  EXPECT_LT(MaxGradient(model, d, 1e-3), 1e-7);

  std::vector<double> p = model.Predict(d.x, d.rows);
  size_t correct = 0;
  for (size_t i = 0; i < d.rows; ++i) {
    const double* pi = &p[i * 3];
    EXPECT_NEAR(pi[0] + pi[1] + pi[2], 1.0, 1e-12);
    const size_t best = static_cast<size_t>(std::max_element(pi, pi + 3) - pi);
    correct += best == static_cast<size_t>(d.y[i]);
  }
  EXPECT_EQ(correct, d.rows);
}

TEST(Softmax, SeparableDataWithoutPenaltyDoesNotConverge) {
  Dataset d = Blobs(90, 11);
  ASSERT_OK_AND_ASSIGN(
      auto fitted,
      FitData(
          d, {.objective = Objective::kSoftmax, .num_classes = 3, .l2 = 0, .max_iterations = 100}));
  EXPECT_FALSE(fitted.second.converged);
}

TEST(Softmax, L1KeepsOptimalityAndSparsity) {
  Dataset d = Blobs(300, 12);
  for (size_t i = 0; i < d.rows; ++i) d.x.insert(d.x.begin() + 3 * i + 2, 0.01 * (i % 7));
  d.cols = 3;  // a third, irrelevant feature
  ASSERT_OK_AND_ASSIGN(
      auto fitted,
      FitData(d, {.objective = Objective::kSoftmax, .num_classes = 3, .l2 = 0.01, .l1 = 0.01}));
  EXPECT_TRUE(fitted.second.converged);
  for (size_t c = 0; c < 3; ++c) EXPECT_EQ(fitted.first.weights[c * 3 + 2], 0.0) << "class " << c;
}

TEST(Softmax, EmptyClassWithInterceptIsAnError) {
  const std::vector<double> x = {1, 2, 3, 4};
  const std::vector<double> y = {0, 1, 0, 1};
  EXPECT_THAT(Fit(x, 4, 1, y, {}, {}, {.objective = Objective::kSoftmax, .num_classes = 3}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("class 2 has no rows")));
}

TEST(Fit, MissingValuesAreImputedWithTheMean) {
  Dataset d = NoisyLogistic(300, 3, 13);
  Dataset filled = d;
  double sum = 0;
  size_t observed = 0;
  for (size_t i = 0; i < d.rows; ++i) {
    if (i % 4 == 0) {
      d.x[i * 3 + 1] = kNaN;
    } else {
      sum += d.x[i * 3 + 1];
      ++observed;
    }
  }
  const double mean = sum / static_cast<double>(observed);
  for (size_t i = 0; i < d.rows; i += 4) filled.x[i * 3 + 1] = mean;

  ASSERT_OK_AND_ASSIGN(auto with_nan, FitData(d, {.l2 = 0.1}));
  ASSERT_OK_AND_ASSIGN(auto with_mean, FitData(filled, {.l2 = 0.1}));
  EXPECT_NEAR(with_nan.first.impute_values[1], mean, 1e-14);
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(with_nan.first.weights[j], with_mean.first.weights[j], 1e-9);
  }
  EXPECT_NEAR(with_nan.first.intercepts[0], with_mean.first.intercepts[0], 1e-9);

  const Model& model = with_nan.first;
  std::vector<double> a(1), b(1);
  model.PredictRow(std::vector<double>{0.5, kNaN, -1}, a);
  model.PredictRow(std::vector<double>{0.5, model.impute_values[1], -1}, b);
  EXPECT_EQ(a[0], b[0]);
}

TEST(Fit, AllMissingFeatureGetsWeightZero) {
  Dataset d = NoisyLogistic(100, 2, 14);
  for (size_t i = 0; i < d.rows; ++i) d.x[i * 2 + 1] = kNaN;
  ASSERT_OK_AND_ASSIGN(auto fitted, FitData(d, {.l2 = 0}));
  EXPECT_EQ(fitted.first.weights[1], 0.0);
  EXPECT_EQ(fitted.first.impute_values[1], 0.0);
}

TEST(Fit, ResultDoesNotDependOnThreadCount) {
  // Several chunks of rows, so the threads really split the work.
  for (Objective objective : {Objective::kLogistic, Objective::kSquaredError}) {
    Dataset d = NoisyLogistic(20000, 6, 15);
    for (size_t i = 0; i < d.rows; i += 7) d.x[i * 6 + 2] = kNaN;
    const bool l1 = objective == Objective::kSquaredError;
    std::vector<std::pair<Model, FitReport>> fits;
    for (size_t threads : {1, 2, 3}) {
      ASSERT_OK_AND_ASSIGN(
          auto fitted,
          FitData(d,
                  {.objective = objective, .l2 = 0.01, .l1 = l1 ? 0.01 : 0.0, .threads = threads}));
      fits.push_back(std::move(fitted));
    }
    for (size_t t = 1; t < fits.size(); ++t) {
      EXPECT_EQ(fits[t].first.weights, fits[0].first.weights);
      EXPECT_EQ(fits[t].first.intercepts, fits[0].first.intercepts);
      EXPECT_EQ(fits[t].first.impute_values, fits[0].first.impute_values);
      EXPECT_EQ(fits[t].second.objective_per_iteration, fits[0].second.objective_per_iteration);
    }
  }
  // Logistic with l1 (FISTA) too.
  Dataset d = NoisyLogistic(10000, 4, 16);
  ASSERT_OK_AND_ASSIGN(auto one, FitData(d, {.l2 = 0, .l1 = 0.01, .threads = 1}));
  ASSERT_OK_AND_ASSIGN(auto two, FitData(d, {.l2 = 0, .l1 = 0.01, .threads = 2}));
  EXPECT_EQ(one.first.weights, two.first.weights);
  EXPECT_EQ(one.first.intercepts, two.first.intercepts);
}

TEST(Fit, WithoutInterceptTheInterceptIsZero) {
  Dataset d = MakeData(50, 2, 17, [](const double* r, auto&) { return 2 * r[0] + r[1]; });
  ASSERT_OK_AND_ASSIGN(
      auto ls,
      FitData(d, {.objective = Objective::kSquaredError, .l2 = 0, .fit_intercept = false}));
  EXPECT_THAT(ls.first.weights, ElementsAre(DoubleNear(2, 1e-9), DoubleNear(1, 1e-9)));
  EXPECT_THAT(ls.first.intercepts, ElementsAre(0.0));
  Dataset c = NoisyLogistic(300, 2, 18);
  ASSERT_OK_AND_ASSIGN(auto lr, FitData(c, {.fit_intercept = false}));
  EXPECT_THAT(lr.first.intercepts, ElementsAre(0.0));
}

TEST(Fit, ReportsInvalidInput) {
  const std::vector<double> x = {1, 2, 3, 4};
  const std::vector<double> y = {0, 1};
  const Options logistic;
  struct Case {
    std::vector<double> x;
    size_t rows, cols;
    std::vector<double> y, w;
    std::vector<std::string> names;
    Options options;
    std::string message;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {x, 2, 3, y, {}, {}, logistic, "x has 4 values, expected rows * cols = 2 * 3"},
      {x, 2, 2, {0, 1, 1}, {}, {}, logistic, "y has 3 values, expected one per row (2)"},
      {x, 2, 2, y, {1}, {}, logistic, "sample_weight has 1 values"},
      {{}, 0, 2, {}, {}, {}, logistic, "no rows to fit"},
      {{}, 2, 0, y, {}, {}, logistic, "no features to fit"},
      {x, 2, 2, y, {}, {"a"}, logistic, "feature_names has 1 names, expected one per column (2)"},
      {x, 2, 2, y, {}, {"a", "a"}, logistic, "feature name 'a' appears twice"},
      {{1, 2, inf, 4}, 2, 2, y, {}, {"a", "b"}, logistic, "x row 1, feature 'a': value inf is"},
      {x, 2, 2, {0, kNaN}, {}, {}, logistic, "y row 1: value nan is not finite"},
      {x, 2, 2, {0, 2}, {}, {}, logistic, "y row 1: label 2 is not 0 or 1"},
      {x,
       2,
       2,
       {0, 0.5},
       {},
       {},
       {.objective = Objective::kSoftmax, .num_classes = 3},
       "y row 1: label 0.5 is not a class index in [0, 3)"},
      {x,
       2,
       2,
       {0, 3},
       {},
       {},
       {.objective = Objective::kSoftmax, .num_classes = 3},
       "label 3 is not a class index"},
      {x, 2, 2, y, {1, -1}, {}, logistic, "sample_weight row 1: -1 is not a finite number >= 0"},
      {x, 2, 2, y, {0, 0}, {}, logistic, "sample_weight sums to 0"},
      {x, 2, 2, y, {}, {}, {.l2 = -1}, "l2 = -1 must be a finite number >= 0"},
      {x, 2, 2, y, {}, {}, {.l1 = kNaN}, "l1 = nan must be a finite number >= 0"},
      {x,
       2,
       2,
       y,
       {},
       {},
       {.objective = Objective::kSoftmax, .num_classes = 2},
       "num_classes = 2 must be >= 3 for softmax"},
      {x, 2, 2, y, {}, {}, {.max_iterations = 0}, "max_iterations = 0 must be >= 1"},
      {x, 2, 2, y, {}, {}, {.tolerance = -1}, "tolerance = -1 must be >= 0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_THAT(Fit(c.x, c.rows, c.cols, c.y, c.w, c.names, c.options),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

// Manual benchmark: ./linear_tests --gtest_also_run_disabled_tests --gtest_filter='*FitTime*'
TEST(Benchmark, DISABLED_FitTime1MRows20Features) {
  Dataset d = NoisyLogistic(1'000'000, 20, 19);
  for (size_t threads : {1, 2}) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_OK_AND_ASSIGN(auto fitted, FitData(d, {.l2 = 1e-4, .threads = threads}));
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(fitted.second.converged);
    std::printf("logistic 1M x 20, %zu thread(s): %.2f s, %d iterations, objective %.10f\n",
                threads, seconds.count(), fitted.second.iterations, fitted.second.final_objective);
  }
}

}  // namespace
}  // namespace sluice::linear
