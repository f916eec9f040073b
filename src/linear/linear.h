// Linear models: least squares (ridge, lasso, elastic net), logistic and softmax regression, the
// fast baseline learner beside XGBoost. Fit() trains on a dense row-major matrix; Model predicts
// and round-trips through a small JSON document that serving compiles from.
//
//   Options options{.objective = Objective::kLogistic, .l2 = 1e-4};
//   SLUICE_ASSIGN_OR_RETURN(auto fitted, Fit(x, rows, cols, y, {}, names, options));
//   std::vector<double> p = fitted.first.Predict(x, rows);  // P(y = 1), one per row
//
// Thread safety: Fit is reentrant (it runs its own worker threads and joins them before
// returning). Model is a plain value; its const methods may be called concurrently.
//
// Model JSON, version 1 (Model::ToJson, Model::FromJson), keys in this order:
//   {"format":"sluice-linear","version":1,"objective":"logistic","num_outputs":1,
//    "feature_names":["age","income"],"weights":[[0.031,-2.5e-06]],"intercepts":[-1.25],
//    "impute_values":[41.5,52000.0]}
// - objective: "squared_error" | "logistic" | "softmax"; num_outputs is 1, 1 and k >= 3.
// - weights: num_outputs arrays of len(feature_names) numbers, in ORIGINAL feature units.
// - For an input row x, where a missing value (NaN/null) is replaced by impute_values[j]:
//     margin[c] = intercepts[c] + sum_j weights[c][j] * x[j]
//   squared_error: prediction = margin[0]
//   logistic:      prediction = 1 / (1 + exp(-margin[0])) = P(label 1)
//   softmax:       prediction[c] = exp(margin[c] - max) / sum_c' exp(margin[c'] - max) = P(class c)
// - Numbers are finite and printed shortest round-trip, so FromJson(ToJson(m)) is bit-identical.
//   Readers reject another "format" and versions they do not know.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sluice::linear {

enum class Objective {
  kSquaredError,  // regression; loss 1/2 (y - margin)^2
  kLogistic,      // binary labels 0/1; loss log(1 + exp(margin)) - y * margin
  kSoftmax,       // class indices 0..k-1; loss logsumexp(margins) - margins[y]
};

// "squared_error", "logistic", "softmax": the names used in the JSON format.
std::string_view ObjectiveName(Objective objective);
// The inverse of ObjectiveName; kInvalidArgument names the accepted values.
Result<Objective> ParseObjective(std::string_view name);

// What Fit minimizes, over weights w and intercepts b (never penalized):
//   sum_i s_i * loss(y_i, b + w . x_i) / sum_i s_i  +  l2 / 2 * ||v||^2  +  l1 * ||v||_1
// where s_i are the sample weights, x_i is row i after imputation, and v = w (standardize =
// false) or v_j = w_j * sd_j, the coefficients of the standardized features (x_j - mean_j) / sd_j
// (standardize = true; weighted mean and population standard deviation). Standardizing thus
// makes the penalties independent of feature units, as in glmnet and scikit-learn pipelines
// with a StandardScaler; without penalties both settings have the same solution. The returned
// Model is always in original units. For squared error with unit sample weights, l2 here is
// alpha / n in scikit-learn's Ridge(alpha); for logistic, l2 = 1 / (C * n) in its
// LogisticRegression(C) (both then with standardize = false).
//
// Solvers. Whatever `standardize` says, they work on scaled features, centered when fitting an
// intercept (a preconditioning that does not change the optimum):
// - squared error: one pass builds the Gram matrix of the scaled features, then Cholesky on the
//   penalized normal equations when l1 = 0 (exact; the X'X + l2 * n * I of the textbook, the
//   intercept unpenalized), or cyclic coordinate descent on that quadratic when l1 > 0 (each
//   sweep is O(d^2) and reads no data).
// - logistic / softmax: L-BFGS (memory 10, Wolfe line search) when l1 = 0; FISTA (proximal
//   gradient with momentum, backtracking and adaptive restart) when l1 > 0.
// Weights that the l1 penalty switches off are exactly 0.
struct Options {
  Objective objective = Objective::kLogistic;
  int num_classes = 2;  // kSoftmax only, >= 3; ignored otherwise
  double l2 = 1.0;      // >= 0
  double l1 = 0.0;      // >= 0
  // Penalize the coefficients of standardized features (see above). A constant feature gets
  // weight 0 either way.
  bool standardize = true;
  bool fit_intercept = true;
  // L-BFGS / FISTA iterations, or coordinate-descent sweeps; >= 1. Unused by the Cholesky path.
  int max_iterations = 1000;
  // Converged when the largest absolute component of the objective's (minimum-norm sub)gradient
  // is <= tolerance (>= 0), taken in the solver's coordinates: scaled features, and for squared
  // error y divided by its standard deviation, so the test does not depend on units.
  // With l1 = l2 = 0 and data that the model separates perfectly (logistic/softmax) no minimum
  // exists: the gradient vanishes only as the weights run to infinity, so that state never
  // counts as converged; the solver runs to max_iterations (or until double precision stops
  // all progress) and reports converged = false.
  double tolerance = 1e-8;
  // Worker threads, 0 = ThreadPool::DefaultThreads(). The result does not depend on it: data
  // passes reduce fixed chunks of rows and combine them in order, so the model is bit-identical
  // for any thread count.
  size_t threads = 0;
};

struct Model {
  Objective objective = Objective::kLogistic;
  int num_outputs = 1;                     // 1 for squared error and logistic, k for softmax
  std::vector<double> weights;             // num_outputs x num_features, row-major
  std::vector<double> intercepts;          // num_outputs
  std::vector<std::string> feature_names;  // num_features
  std::vector<double> impute_values;       // per feature: the (weighted) training mean

  size_t num_features() const { return feature_names.size(); }

  // margin[c] = intercepts[c] + weights[c] . row, with NaN entries replaced by impute_values.
  // row.size() must be num_features() and out.size() num_outputs (checked: a mismatch aborts).
  void PredictMarginRow(std::span<const double> row, std::span<double> out) const;
  // The transformed prediction: the margin (squared error), P(label 1) (logistic) or the class
  // probabilities, which sum to 1 (softmax). Same contract as PredictMarginRow.
  void PredictRow(std::span<const double> row, std::span<double> out) const;
  // PredictRow for each of `rows` rows of num_features() values; rows x num_outputs, row-major.
  // rows_major.size() must be rows * num_features() (checked).
  std::vector<double> Predict(std::span<const double> rows_major, size_t rows) const;

  // The version-1 JSON document described at the top of this header.
  std::string ToJson() const;
  // Parses and validates a document from ToJson (shapes, finiteness, objective vs num_outputs).
  // kInvalidArgument says what is wrong; kUnimplemented for a version newer than 1.
  static Result<Model> FromJson(std::string_view json);
};

struct FitReport {
  int iterations = 0;  // solver iterations (coordinate-descent sweeps); 1 for the Cholesky path
  bool converged = false;
  double final_objective = 0;                   // the objective above, at the returned model
  std::vector<double> objective_per_iteration;  // after each iteration; size() == iterations
};

// Fits a model to `rows` x `cols` row-major `x` (NaN = missing, imputed with the column's
// weighted training mean; infinities are rejected) and targets `y`: a value (squared error),
// a 0/1 label (logistic) or a class index 0..num_classes-1 (softmax). `sample_weight` is empty
// (all 1) or one finite non-negative weight per row with a positive sum. `feature_names` is empty
// (names become "f0", "f1", ...) or `cols` distinct names.
//
// kInvalidArgument, with the offending row/feature/option named, for: shape mismatches, no rows
// or no features, infinite x, non-finite y, labels outside {0, 1} / [0, k), only one class
// present or a class with no (weighted) samples while fitting an intercept (the intercept would
// run to infinity), negative or non-finite penalties, num_classes < 3 for softmax,
// max_iterations < 1, negative tolerance, and for least squares with l1 = l2 = 0 when features
// are linearly dependent (X'X singular; set l2 > 0).
// Not converging within max_iterations is not an error: see FitReport::converged.
Result<std::pair<Model, FitReport>> Fit(std::span<const double> x, size_t rows, size_t cols,
                                        std::span<const double> y,
                                        std::span<const double> sample_weight,
                                        std::vector<std::string> feature_names,
                                        const Options& options);

}  // namespace sluice::linear
