#include "linear/internal/solvers.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

namespace sluice::linear::internal {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Dot(std::span<const double> a, std::span<const double> b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

double MaxAbs(std::span<const double> a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

double SoftThreshold(double v, double threshold) {
  if (v > threshold) return v - threshold;
  if (v < -threshold) return v + threshold;
  return 0.0;
}

// The largest component of the minimum-norm subgradient of f + sum_j l1[j] |x_j|: zero exactly
// at a minimizer.
double MaxSubgradient(std::span<const double> x, std::span<const double> g,
                      std::span<const double> l1) {
  double m = 0;
  for (size_t j = 0; j < x.size(); ++j) {
    double v;
    if (l1[j] == 0) {
      v = std::abs(g[j]);
    } else if (x[j] != 0) {
      v = std::abs(g[j] + std::copysign(l1[j], x[j]));
    } else {
      v = std::max(0.0, std::abs(g[j]) - l1[j]);
    }
    m = std::max(m, v);
  }
  return m;
}

// Rounding slack for comparing objective values that are sums over many rows: a decrease smaller
// than this cannot be told apart from noise.
double Slack(double f) { return 1e-12 * std::max(1.0, std::abs(f)); }

}  // namespace

SolverResult MinimizeLbfgs(const SmoothFunction& f, std::span<double> x,
                           const SolverOptions& options,
                           const std::function<bool(std::span<const double>)>& accept_stationary) {
  constexpr size_t kMemory = 10;
  constexpr double kC1 = 1e-4;  // sufficient decrease
  constexpr double kC2 = 0.9;   // curvature
  constexpr int kMaxTrials = 60;

  const size_t n = x.size();
  std::vector<double> g(n), d(n), x_new(n), g_new(n), x_lo(n), g_lo(n);
  struct Pair {
    std::vector<double> s, y;
    double rho;
  };
  std::deque<Pair> memory;

  SolverResult result;
  double fx = f(x, g);
  auto stationary = [&] {
    return std::isfinite(fx) && MaxAbs(g) <= options.tolerance &&
           (!accept_stationary || accept_stationary(x));
  };
  bool stalled = !std::isfinite(fx);

  while (!stalled && result.iterations < options.max_iterations) {
    if (stationary()) {
      result.converged = true;
      break;
    }
    // Two-loop recursion: d = -H g.
    std::copy(g.begin(), g.end(), d.begin());
    std::vector<double> alpha(memory.size());
    for (size_t i = memory.size(); i-- > 0;) {
      alpha[i] = memory[i].rho * Dot(memory[i].s, d);
      for (size_t t = 0; t < n; ++t) d[t] -= alpha[i] * memory[i].y[t];
    }
    if (!memory.empty()) {
      const Pair& last = memory.back();
      const double gamma = Dot(last.s, last.y) / Dot(last.y, last.y);
      for (double& v : d) v *= gamma;
    }
    for (size_t i = 0; i < memory.size(); ++i) {
      const double beta = memory[i].rho * Dot(memory[i].y, d);
      for (size_t t = 0; t < n; ++t) d[t] += memory[i].s[t] * (alpha[i] - beta);
    }
    for (double& v : d) v = -v;
    double gd = Dot(g, d);
    if (!(gd < 0)) {  // not a descent direction: forget the curvature pairs
      memory.clear();
      for (size_t t = 0; t < n; ++t) d[t] = -g[t];
      gd = Dot(g, d);
    }
    if (!(gd < 0)) break;  // the gradient is exactly 0 but the caller vetoed stopping

    // Weak-Wolfe line search: bisect a bracket, expanding while the curvature test fails.
    double lo = 0, hi = kInf;
    double t = memory.empty() ? std::min(1.0, 1.0 / std::sqrt(-gd)) : 1.0;
    double f_new = kInf, f_lo = kInf;
    bool found = false;
    for (int trial = 0; trial < kMaxTrials; ++trial) {
      for (size_t i = 0; i < n; ++i) x_new[i] = x[i] + t * d[i];
      f_new = f(x_new, g_new);
      const double gd_new = Dot(g_new, d);
      const bool sufficient =
          std::isfinite(f_new) &&
          (f_new <= fx + kC1 * t * gd ||
           // Approximate Wolfe (Hager-Zhang): with f flat to rounding, trust the slope.
           (f_new <= fx + Slack(fx) && gd_new <= (2 * kC1 - 1) * gd));
      if (!sufficient) {
        hi = t;
      } else if (gd_new < kC2 * gd) {
        lo = t;
        f_lo = f_new;
        x_lo = x_new;
        g_lo = g_new;
      } else {
        found = true;
        break;
      }
      t = std::isinf(hi) ? 2 * t : 0.5 * (lo + hi);
    }
    if (!found && lo > 0) {  // a decrease without the curvature condition is still progress
      found = true;
      f_new = f_lo;
      x_new = x_lo;
      g_new = g_lo;
    }
    if (!found) {
      if (memory.empty()) {
        stalled = true;
      } else {
        memory.clear();  // retry along the steepest descent
      }
      continue;
    }

    Pair pair{std::vector<double>(n), std::vector<double>(n), 0.0};
    for (size_t i = 0; i < n; ++i) {
      pair.s[i] = x_new[i] - x[i];
      pair.y[i] = g_new[i] - g[i];
    }
    const double sy = Dot(pair.s, pair.y);
    if (sy > 1e-12 * Dot(pair.y, pair.y)) {  // skip pairs that would break positive definiteness
      pair.rho = 1.0 / sy;
      if (memory.size() == kMemory) memory.pop_front();
      memory.push_back(std::move(pair));
    }
    std::copy(x_new.begin(), x_new.end(), x.begin());
    g.swap(g_new);
    fx = f_new;
    ++result.iterations;
    result.objective_per_iteration.push_back(fx);
  }
  if (!result.converged) result.converged = stationary();
  result.objective = fx;
  return result;
}

SolverResult MinimizeFista(const SmoothFunction& f, std::span<const double> l1, std::span<double> x,
                           const SolverOptions& options) {
  constexpr int kMaxTrials = 60;
  const size_t n = x.size();
  std::vector<double> g(n), y(n), gy(n), x_new(n), g_new(n);
  auto penalty = [&](std::span<const double> v) {
    double sum = 0;
    for (size_t j = 0; j < n; ++j) sum += l1[j] * std::abs(v[j]);
    return sum;
  };

  SolverResult result;
  double fx = f(x, g);
  if (!std::isfinite(fx)) {
    result.objective = fx;
    return result;
  }

  // Initial step size from a secant along a short gradient step; backtracking corrects it.
  double lipschitz = 1.0;
  {
    const double gnorm = std::sqrt(Dot(g, g));
    if (gnorm > 0) {
      const double h = 1e-3 / gnorm;
      for (size_t j = 0; j < n; ++j) y[j] = x[j] - h * g[j];
      const double fy = f(y, gy);
      double dg = 0;
      for (size_t j = 0; j < n; ++j) dg += (gy[j] - g[j]) * (gy[j] - g[j]);
      const double estimate = std::sqrt(dg) / (h * gnorm);
      if (std::isfinite(fy) && std::isfinite(estimate) && estimate > 0) lipschitz = estimate;
    }
  }

  y.assign(x.begin(), x.end());
  gy = g;
  double fy = fx;
  bool y_is_x = true;
  double momentum_t = 1.0;
  while (result.iterations < options.max_iterations) {
    if (MaxSubgradient(x, g, l1) <= options.tolerance) {
      result.converged = true;
      break;
    }
    if (!y_is_x) fy = f(y, gy);
    bool found = false;
    double f_new = 0;
    for (int trial = 0; trial < kMaxTrials && std::isfinite(fy); ++trial) {
      double quadratic = fy;
      double squares = 0;
      for (size_t j = 0; j < n; ++j) {
        x_new[j] = SoftThreshold(y[j] - gy[j] / lipschitz, l1[j] / lipschitz);
        const double step = x_new[j] - y[j];
        quadratic += gy[j] * step;
        squares += step * step;
      }
      quadratic += 0.5 * lipschitz * squares;
      f_new = f(x_new, g_new);
      if (std::isfinite(f_new) && f_new <= quadratic + Slack(fy)) {
        found = true;
        break;
      }
      lipschitz *= 2;
    }
    if (!found) break;

    // Restart the momentum when it points against the proximal step (O'Donoghue & Candes).
    double alignment = 0;
    for (size_t j = 0; j < n; ++j) alignment += (y[j] - x_new[j]) * (x_new[j] - x[j]);
    double beta = 0;
    if (alignment > 0) {
      momentum_t = 1.0;
    } else {
      const double next_t = 0.5 * (1 + std::sqrt(1 + 4 * momentum_t * momentum_t));
      beta = (momentum_t - 1) / next_t;
      momentum_t = next_t;
    }
    for (size_t j = 0; j < n; ++j) y[j] = x_new[j] + beta * (x_new[j] - x[j]);
    std::copy(x_new.begin(), x_new.end(), x.begin());
    g = g_new;
    fx = f_new;
    y_is_x = beta == 0;
    if (y_is_x) {
      gy = g;
      fy = fx;
    }
    ++result.iterations;
    result.objective_per_iteration.push_back(fx + penalty(x));
  }
  if (!result.converged) result.converged = MaxSubgradient(x, g, l1) <= options.tolerance;
  result.objective = fx + penalty(x);
  return result;
}

std::optional<size_t> CholeskySolve(std::vector<double>& a, size_t n, std::span<double> b,
                                    double relative_pivot_tolerance) {
  for (size_t j = 0; j < n; ++j) {
    const double original = a[j * n + j];
    double pivot = original;
    for (size_t k = 0; k < j; ++k) pivot -= a[j * n + k] * a[j * n + k];
    if (!(pivot > 0) || pivot <= relative_pivot_tolerance * original) return j;
    const double l_jj = std::sqrt(pivot);
    a[j * n + j] = l_jj;
    for (size_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (size_t k = 0; k < j; ++k) v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / l_jj;
    }
  }
  // L z = b, then L' x = z.
  for (size_t i = 0; i < n; ++i) {
    double v = b[i];
    for (size_t k = 0; k < i; ++k) v -= a[i * n + k] * b[k];
    b[i] = v / a[i * n + i];
  }
  for (size_t i = n; i-- > 0;) {
    double v = b[i];
    for (size_t k = i + 1; k < n; ++k) v -= a[k * n + i] * b[k];
    b[i] = v / a[i * n + i];
  }
  return std::nullopt;
}

SolverResult MinimizeQuadraticL1(const std::vector<double>& a, size_t n, std::span<const double> r,
                                 std::span<const double> l1, std::span<double> w,
                                 const SolverOptions& options) {
  std::vector<double> aw(n);
  std::vector<double> g(n);
  // Recomputed from scratch at each check, so rounding does not accumulate over sweeps.
  auto refresh = [&] {
    for (size_t i = 0; i < n; ++i) {
      double v = 0;
      for (size_t k = 0; k < n; ++k) v += a[i * n + k] * w[k];
      aw[i] = v;
      g[i] = v - r[i];
    }
  };
  auto objective = [&] {
    double value = 0;
    for (size_t i = 0; i < n; ++i)
      value += 0.5 * w[i] * aw[i] - r[i] * w[i] + l1[i] * std::abs(w[i]);
    return value;
  };

  SolverResult result;
  refresh();
  while (result.iterations < options.max_iterations) {
    if (MaxSubgradient(w, g, l1) <= options.tolerance) {
      result.converged = true;
      break;
    }
    for (size_t j = 0; j < n; ++j) {
      const double ajj = a[j * n + j];
      const double target = ajj > 0 ? SoftThreshold(r[j] - (aw[j] - ajj * w[j]), l1[j]) / ajj : 0.0;
      const double delta = target - w[j];
      if (delta == 0) continue;
      w[j] = target;
      for (size_t i = 0; i < n; ++i) aw[i] += delta * a[i * n + j];
    }
    refresh();
    ++result.iterations;
    result.objective_per_iteration.push_back(objective());
  }
  if (!result.converged) result.converged = MaxSubgradient(w, g, l1) <= options.tolerance;
  result.objective = objective();
  return result;
}

}  // namespace sluice::linear::internal
