// Small dense optimizers, independent of the data: L-BFGS for smooth objectives, FISTA for
// smooth + weighted l1, Cholesky for the normal equations and coordinate descent for a quadratic
// with l1. They know nothing of features or rows, so tests can drive them with toy functions.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace sluice::linear::internal {

// Returns f(x) and writes its gradient into `gradient` (same size as x). May return a
// non-finite value where f is not defined; line searches then step back.
using SmoothFunction = std::function<double(std::span<const double> x, std::span<double> gradient)>;

struct SolverOptions {
  int max_iterations = 1000;
  double tolerance = 1e-8;  // on the largest absolute (minimum-norm sub)gradient component
};

struct SolverResult {
  int iterations = 0;
  bool converged = false;
  double objective = 0;
  std::vector<double> objective_per_iteration;
};

// Minimizes f from `x` (updated in place) with L-BFGS (memory 10) and a weak-Wolfe bisection
// line search that also accepts Hager-Zhang's approximate Wolfe conditions, so the last digits
// are reachable where f's values can no longer resolve a decrease. A small gradient counts as
// convergence only when `accept_stationary(x)` (if given) agrees; otherwise iteration goes on.
// Stops early, not converged, when no step along the search direction lowers f.
SolverResult MinimizeLbfgs(
    const SmoothFunction& f, std::span<double> x, const SolverOptions& options,
    const std::function<bool(std::span<const double>)>& accept_stationary = {});

// Minimizes f(x) + sum_j l1[j] * |x_j| from `x` with FISTA: a proximal gradient step (soft
// thresholding) with a backtracked step size, Nesterov momentum and gradient-based restart.
// Coordinates with l1[j] = 0 are plain gradient coordinates; thresholded ones land on exact 0.
SolverResult MinimizeFista(const SmoothFunction& f, std::span<const double> l1, std::span<double> x,
                           const SolverOptions& options);

// Solves A x = b in place for symmetric positive definite `a` (n x n row-major, overwritten by
// its Cholesky factor). Returns the index of the first pivot that is not positive or falls below
// relative_pivot_tolerance times that diagonal entry's original value (A is singular or nearly
// so), and then leaves b unspecified.
std::optional<size_t> CholeskySolve(std::vector<double>& a, size_t n, std::span<double> b,
                                    double relative_pivot_tolerance);

// Minimizes 1/2 w'Aw - r'w + sum_j l1[j] * |w_j| (A symmetric positive semi-definite, n x n) by
// cyclic coordinate descent from `w`. A coordinate with A_jj = 0 is held at 0. One iteration is
// one sweep over the coordinates.
SolverResult MinimizeQuadraticL1(const std::vector<double>& a, size_t n, std::span<const double> r,
                                 std::span<const double> l1, std::span<double> w,
                                 const SolverOptions& options);

}  // namespace sluice::linear::internal
