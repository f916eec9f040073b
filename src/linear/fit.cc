#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <variant>

#include "linear/internal/data.h"
#include "linear/internal/loss.h"
#include "linear/internal/solvers.h"
#include "linear/linear.h"

namespace sluice::linear {
namespace {

using internal::ChunkRunner;
using internal::Data;
using internal::Standardizer;

// Cholesky pivots below this fraction of their diagonal mean the features are linearly
// dependent to working precision (a condition number beyond ~1e12).
constexpr double kPivotTolerance = 1e-12;

Status ValidateOptions(const Options& options) {
  if (!(options.l2 >= 0) || !std::isfinite(options.l2)) {
    return InvalidArgument("l2 = {} must be a finite number >= 0", options.l2);
  }
  if (!(options.l1 >= 0) || !std::isfinite(options.l1)) {
    return InvalidArgument("l1 = {} must be a finite number >= 0", options.l1);
  }
  if (options.objective == Objective::kSoftmax && options.num_classes < 3) {
    return InvalidArgument("num_classes = {} must be >= 3 for softmax (use logistic for two)",
                           options.num_classes);
  }
  if (options.max_iterations < 1) {
    return InvalidArgument("max_iterations = {} must be >= 1", options.max_iterations);
  }
  if (!(options.tolerance >= 0)) {
    return InvalidArgument("tolerance = {} must be >= 0", options.tolerance);
  }
  return Status::Ok();
}

Status ValidateShapes(std::span<const double> x, size_t rows, size_t cols,
                      std::span<const double> y, std::span<const double> sample_weight) {
  if (rows == 0) return InvalidArgument("no rows to fit");
  if (cols == 0) return InvalidArgument("no features to fit");
  if (rows > std::numeric_limits<size_t>::max() / cols || x.size() != rows * cols) {
    return InvalidArgument("x has {} values, expected rows * cols = {} * {}", x.size(), rows, cols);
  }
  if (y.size() != rows) {
    return InvalidArgument("y has {} values, expected one per row ({})", y.size(), rows);
  }
  if (!sample_weight.empty() && sample_weight.size() != rows) {
    return InvalidArgument("sample_weight has {} values, expected none or one per row ({})",
                           sample_weight.size(), rows);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> CheckFeatureNames(std::vector<std::string> names, size_t cols) {
  if (names.empty()) {
    names.reserve(cols);
    for (size_t j = 0; j < cols; ++j) names.push_back(fmt::format("f{}", j));
    return names;
  }
  if (names.size() != cols) {
    return InvalidArgument("feature_names has {} names, expected one per column ({})", names.size(),
                           cols);
  }
  std::set<std::string_view> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) return InvalidArgument("feature name '{}' appears twice", name);
  }
  return names;
}

// Checks weights and targets; returns the sum of the weights.
Result<double> ValidateTargets(std::span<const double> y, std::span<const double> sample_weight,
                               const Options& options) {
  const size_t k =
      options.objective == Objective::kSoftmax ? static_cast<size_t>(options.num_classes) : 2;
  std::vector<double> class_weight(k, 0.0);
  double weight_sum = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double w = sample_weight.empty() ? 1.0 : sample_weight[i];
    if (!(w >= 0) || !std::isfinite(w)) {
      return InvalidArgument("sample_weight row {}: {} is not a finite number >= 0", i, w);
    }
    weight_sum += w;
    const double v = y[i];
    if (!std::isfinite(v)) return InvalidArgument("y row {}: value {} is not finite", i, v);
    switch (options.objective) {
      case Objective::kSquaredError:
        break;
      case Objective::kLogistic:
        if (v != 0 && v != 1) {
          return InvalidArgument("y row {}: label {} is not 0 or 1 (logistic)", i, v);
        }
        class_weight[static_cast<size_t>(v)] += w;
        break;
      case Objective::kSoftmax:
        if (v < 0 || v >= static_cast<double>(k) || v != std::floor(v)) {
          return InvalidArgument("y row {}: label {} is not a class index in [0, {}) (softmax)", i,
                                 v, k);
        }
        class_weight[static_cast<size_t>(v)] += w;
        break;
    }
  }
  if (!(weight_sum > 0) || !std::isfinite(weight_sum)) {
    return InvalidArgument("sample_weight sums to {}, expected a finite positive total",
                           weight_sum);
  }
  // With a free intercept, a class that never occurs pushes its intercept to -infinity.
  if (options.fit_intercept && options.objective == Objective::kLogistic) {
    for (size_t c = 0; c < 2; ++c) {
      if (class_weight[c] == 0) {
        return InvalidArgument(
            "every label is {} (among rows of positive weight): logistic regression needs both "
            "classes",
            1 - c);
      }
    }
  }
  if (options.fit_intercept && options.objective == Objective::kSoftmax) {
    for (size_t c = 0; c < k; ++c) {
      if (class_weight[c] == 0) {
        return InvalidArgument(
            "class {} has no rows of positive weight (num_classes = {}): its intercept would "
            "run to -infinity",
            c, k);
      }
    }
  }
  return weight_sum;
}

// Maps solver coordinates back to original units: the margin b + w . z with
// z_j = (x_j - center_j) * inv_scale_j becomes intercept + weights . x. `unscale` undoes the
// solver's scaling of y.
Model BuildModel(const Options& options, size_t k, const Standardizer& st,
                 std::span<const double> theta, double unscale,
                 std::vector<std::string> feature_names) {
  const size_t d = st.center.size();
  Model model;
  model.objective = options.objective;
  model.num_outputs = static_cast<int>(k);
  model.weights.assign(k * d, 0.0);
  model.intercepts.assign(k, 0.0);
  for (size_t c = 0; c < k; ++c) {
    double intercept = theta[k * d + c];
    for (size_t j = 0; j < d; ++j) {
      const double w = theta[c * d + j] * st.inv_scale[j];
      model.weights[c * d + j] = w * unscale;
      intercept -= w * st.center[j];
    }
    model.intercepts[c] = intercept * unscale;
  }
  model.feature_names = std::move(feature_names);
  model.impute_values = st.mean;
  return model;
}

// Per solver coordinate (k outputs x d features, then k intercepts): the l2 and l1 multipliers.
// Intercepts are never penalized.
struct Penalties {
  std::vector<double> l2;
  std::vector<double> l1;

  Penalties(const Options& options, const Standardizer& st, size_t k, double l1_multiplier) {
    const size_t d = st.penalty_scale.size();
    l2.assign(k * (d + 1), 0.0);
    l1.assign(k * (d + 1), 0.0);
    for (size_t c = 0; c < k; ++c) {
      for (size_t j = 0; j < d; ++j) {
        const double scale = st.penalty_scale[j];
        l2[c * d + j] = options.l2 * scale * scale;
        l1[c * d + j] = options.l1 * l1_multiplier * scale;
      }
    }
  }

  double Of(std::span<const double> theta) const {
    double sum = 0;
    for (size_t i = 0; i < theta.size(); ++i) {
      sum += 0.5 * l2[i] * theta[i] * theta[i] + l1[i] * std::abs(theta[i]);
    }
    return sum;
  }
};

// Squared error: everything goes through the Gram matrix, on y / sd(y).
Result<std::pair<Model, FitReport>> FitSquaredError(const Data& data, const ChunkRunner& runner,
                                                    const Standardizer& st,
                                                    std::vector<std::string> names,
                                                    const Options& options) {
  const size_t d = data.cols;
  double y_mean = 0;
  for (size_t i = 0; i < data.rows; ++i) y_mean += data.Weight(i) * data.y[i];
  y_mean /= data.weight_sum;
  const double y_center = options.fit_intercept ? y_mean : 0.0;
  double spread = 0;
  for (size_t i = 0; i < data.rows; ++i) {
    const double delta = data.y[i] - y_center;
    spread += data.Weight(i) * delta * delta;
  }
  const double sd = std::sqrt(spread / data.weight_sum);
  const double y_multiplier =
      sd > 0 && std::isfinite(sd) && std::isfinite(1.0 / sd) ? 1.0 / sd : 1.0;
  const double unscale = 1.0 / y_multiplier;
  // 1/2 mean (scaled, centered y)^2: the objective at w = 0.
  const double constant = 0.5 * spread / data.weight_sum * y_multiplier * y_multiplier;

  // On y / sd(y) the objective is the original one divided by sd^2 with l1 divided by sd.
  const Penalties penalties(options, st, 1, y_multiplier);
  internal::Loss loss(data, st, runner, Objective::kSquaredError, 1, y_multiplier);
  std::vector<double> gram, zy;
  loss.Gram(y_center * y_multiplier, gram, zy);
  for (size_t j = 0; j < d; ++j) {
    gram[j * d + j] += penalties.l2[j];
    // A degenerate feature has z = 0: pin its weight to 0 instead of leaving a zero pivot.
    if (st.inv_scale[j] == 0) gram[j * d + j] = 1.0;
  }

  std::vector<double> theta(d + 1, 0.0);
  FitReport report;
  if (options.l1 == 0) {
    std::vector<double> a = gram;
    if (std::optional<size_t> bad = internal::CholeskySolve(a, d, zy, kPivotTolerance)) {
      return InvalidArgument(
          "least squares: feature '{}' is a linear combination of the features before it (X'X "
          "is singular); set l2 > 0 or drop the feature",
          names[*bad]);
    }
    std::copy(zy.begin(), zy.end(), theta.begin());
    report.iterations = 1;
    report.converged = true;
  } else {
    internal::SolverResult solved = internal::MinimizeQuadraticL1(
        gram, d, zy, std::span<const double>(penalties.l1).first(d),
        std::span<double>(theta).first(d),
        {.max_iterations = options.max_iterations, .tolerance = options.tolerance});
    report.iterations = solved.iterations;
    report.converged = solved.converged;
    for (double v : solved.objective_per_iteration) {
      report.objective_per_iteration.push_back((v + constant) * unscale * unscale);
    }
  }
  theta[d] = y_center * y_multiplier;

  // The reported objective comes from the data, not from the quadratic form, which would lose
  // the digits of a near-perfect fit to cancellation.
  std::vector<double> gradient(theta.size());
  const double mean_loss = loss.Evaluate(theta, gradient);
  report.final_objective = (mean_loss + penalties.Of(theta)) * unscale * unscale;
  if (options.l1 == 0) report.objective_per_iteration = {report.final_objective};
  return std::pair{BuildModel(options, 1, st, theta, unscale, std::move(names)), report};
}

Result<std::pair<Model, FitReport>> FitClassifier(const Data& data, const ChunkRunner& runner,
                                                  const Standardizer& st,
                                                  std::vector<std::string> names,
                                                  const Options& options) {
  const size_t d = data.cols;
  const size_t k =
      options.objective == Objective::kSoftmax ? static_cast<size_t>(options.num_classes) : 1;
  internal::Loss loss(data, st, runner, options.objective, static_cast<int>(k), 1.0);
  std::vector<double> theta(loss.num_parameters(), 0.0);

  // Start at the intercept-only optimum: with centered features the gradient of the
  // intercepts is then 0, and the first steps go to the weights.
  if (options.fit_intercept) {
    std::vector<double> class_weight(std::max<size_t>(k, 2), 0.0);
    for (size_t i = 0; i < data.rows; ++i) {
      class_weight[static_cast<size_t>(data.y[i])] += data.Weight(i);
    }
    if (k == 1) {
      theta[d] = std::log(class_weight[1] / class_weight[0]);
    } else {
      double mean_log = 0;
      for (size_t c = 0; c < k; ++c) mean_log += std::log(class_weight[c]) / static_cast<double>(k);
      for (size_t c = 0; c < k; ++c) theta[k * d + c] = std::log(class_weight[c]) - mean_log;
    }
  }

  const size_t num_weights = k * d;
  const Penalties penalties(options, st, k, 1.0);
  internal::SmoothFunction smooth = [&](std::span<const double> t, std::span<double> gradient) {
    double value = loss.Evaluate(t, gradient);
    for (size_t i = 0; i < num_weights; ++i) {
      value += 0.5 * penalties.l2[i] * t[i] * t[i];
      gradient[i] += penalties.l2[i] * t[i];
    }
    if (!options.fit_intercept) {
      std::fill(gradient.begin() + static_cast<std::ptrdiff_t>(num_weights), gradient.end(), 0.0);
    }
    return value;
  };
  const internal::SolverOptions solver_options{.max_iterations = options.max_iterations,
                                               .tolerance = options.tolerance};
  internal::SolverResult solved;
  if (options.l1 == 0) {
    std::function<bool(std::span<const double>)> accept;
    if (options.l2 == 0) {
      accept = [&](std::span<const double> t) { return !loss.SeparatesData(t); };
    }
    solved = internal::MinimizeLbfgs(smooth, theta, solver_options, accept);
  } else {
    solved = internal::MinimizeFista(smooth, penalties.l1, theta, solver_options);
  }

  FitReport report{.iterations = solved.iterations,
                   .converged = solved.converged,
                   .final_objective = solved.objective,
                   .objective_per_iteration = std::move(solved.objective_per_iteration)};
  return std::pair{BuildModel(options, k, st, theta, 1.0, std::move(names)), std::move(report)};
}

}  // namespace

Result<std::pair<Model, FitReport>> Fit(std::span<const double> x, size_t rows, size_t cols,
                                        std::span<const double> y,
                                        std::span<const double> sample_weight,
                                        std::vector<std::string> feature_names,
                                        const Options& options) {
  SLUICE_RETURN_IF_ERROR(ValidateOptions(options));
  SLUICE_RETURN_IF_ERROR(ValidateShapes(x, rows, cols, y, sample_weight));
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          CheckFeatureNames(std::move(feature_names), cols));
  SLUICE_ASSIGN_OR_RETURN(double weight_sum, ValidateTargets(y, sample_weight, options));

  const Data data{.x = x,
                  .rows = rows,
                  .cols = cols,
                  .y = y,
                  .weight = sample_weight,
                  .weight_sum = weight_sum};
  const size_t threads = options.threads == 0 ? ThreadPool::DefaultThreads() : options.threads;
  const ChunkRunner runner(rows, threads);
  auto standardized =
      internal::ComputeStandardizer(data, runner, options.fit_intercept, options.standardize);
  if (const auto* inf = std::get_if<internal::InfiniteValue>(&standardized)) {
    return InvalidArgument("x row {}, feature '{}': value {} is infinite (use NaN for missing)",
                           inf->row, names[inf->col], x[inf->row * cols + inf->col]);
  }
  const Standardizer& st = std::get<Standardizer>(standardized);
  if (options.objective == Objective::kSquaredError) {
    return FitSquaredError(data, runner, st, std::move(names), options);
  }
  return FitClassifier(data, runner, st, std::move(names), options);
}

}  // namespace sluice::linear
