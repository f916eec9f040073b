#include "linear/internal/solvers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace sluice::linear::internal {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Optional;

double Rosenbrock(std::span<const double> x, std::span<double> g) {
  const double a = 1 - x[0], b = x[1] - x[0] * x[0];
  g[0] = -2 * a - 400 * x[0] * b;
  g[1] = 200 * b;
  return a * a + 100 * b * b;
}

TEST(Lbfgs, MinimizesRosenbrock) {
  std::vector<double> x = {-1.2, 1};
  SolverResult r = MinimizeLbfgs(Rosenbrock, x, {.max_iterations = 200, .tolerance = 1e-10});
  EXPECT_TRUE(r.converged);
  EXPECT_THAT(x, ElementsAre(DoubleNear(1, 1e-8), DoubleNear(1, 1e-8)));
  EXPECT_EQ(r.objective_per_iteration.size(), static_cast<size_t>(r.iterations));
}

TEST(Lbfgs, StopsAtMaxIterationsWhenNotConverged) {
  std::vector<double> x = {-1.2, 1};
  SolverResult r = MinimizeLbfgs(Rosenbrock, x, {.max_iterations = 3, .tolerance = 1e-10});
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 3);
}

TEST(Lbfgs, CallerCanVetoStationaryPoints) {
  // exp(-x) has no minimum; its gradient vanishes only as x -> infinity.
  auto f = [](std::span<const double> x, std::span<double> g) {
    g[0] = -std::exp(-x[0]);
    return std::exp(-x[0]);
  };
  std::vector<double> x = {0};
  SolverResult r = MinimizeLbfgs(f, x, {.max_iterations = 50, .tolerance = 1e-6},
                                 [](std::span<const double>) { return false; });
  EXPECT_FALSE(r.converged);
  EXPECT_GT(x[0], 10);
}

TEST(Fista, SoftThresholdsAQuadratic) {
  // min 1/2 (x0 - 3)^2 + 1/2 (x1 - 0.5)^2 + (x2 + 4)^2/2 + |x0| + |x1|; x2 unpenalized.
  auto f = [](std::span<const double> x, std::span<double> g) {
    g[0] = x[0] - 3;
    g[1] = x[1] - 0.5;
    g[2] = x[2] + 4;
    return 0.5 * (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  };
  std::vector<double> x = {0, 0, 0};
  const std::vector<double> l1 = {1, 1, 0};
  SolverResult r = MinimizeFista(f, l1, x, {.max_iterations = 100, .tolerance = 1e-12});
  EXPECT_TRUE(r.converged);
  EXPECT_THAT(x, ElementsAre(DoubleNear(2, 1e-12), 0.0, DoubleNear(-4, 1e-12)));
  EXPECT_NEAR(r.objective, 0.5 + 0.125 + 2, 1e-12);
}

TEST(Cholesky, SolvesAndDetectsSingularMatrices) {
  std::vector<double> a = {4, 2, 2, 3};
  std::vector<double> b = {2, 1};  // x = (0.5, 0)
  EXPECT_EQ(CholeskySolve(a, 2, b, 1e-12), std::nullopt);
  EXPECT_THAT(b, ElementsAre(DoubleNear(0.5, 1e-15), DoubleNear(0, 1e-15)));

  std::vector<double> singular = {1, 2, 2, 4};
  std::vector<double> c = {1, 1};
  EXPECT_THAT(CholeskySolve(singular, 2, c, 1e-12), Optional(1u));
}

TEST(CoordinateDescent, MatchesTheClosedFormOnADiagonalQuadratic) {
  const std::vector<double> a = {2, 0, 0, 1};
  const std::vector<double> r = {3, 0.5};
  std::vector<double> w = {0, 0};
  const std::vector<double> l1 = {1, 1};
  SolverResult res = MinimizeQuadraticL1(a, 2, r, l1, w, {.max_iterations = 10, .tolerance = 0});
  EXPECT_TRUE(res.converged);
  EXPECT_THAT(w, ElementsAre(1.0, 0.0));  // (3 - 1) / 2, and |0.5| < 1
}

}  // namespace
}  // namespace sluice::linear::internal
