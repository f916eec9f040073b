// The one adapter over XGBoost (the Debian build of 1.7.4, through its C API): training data
// (DMatrix), boosters (train, evaluate, predict, slice, save, load) and process-wide logging.
// No XGBoost type or header leaks out of this module; every C API failure becomes a Status whose
// message starts with the C function and what it was given, then XGBoost's own text:
// "XGBoosterSetParam max_depth: value -1 for Parameter max_depth should be greater equal to 0".
//
//   SLUICE_ASSIGN_OR_RETURN(xgb::DMatrix train, xgb::DMatrix::FromDense(values, rows, cols));
//   SLUICE_RETURN_IF_ERROR(train.SetLabels(labels));
//   const xgb::DMatrix* cache[] = {&train};
//   SLUICE_ASSIGN_OR_RETURN(xgb::Booster booster, xgb::Booster::Create(cache));
//   SLUICE_RETURN_IF_ERROR(booster.SetParam("objective", "binary:logistic"));
//   for (int i = 0; i < rounds; ++i) SLUICE_RETURN_IF_ERROR(booster.UpdateOneIter(i, train));
//
// Thread safety: DMatrix and Booster are not thread-safe for mutation. Booster's const methods
// may run concurrently with each other on one Booster: XGBoost documents prediction as
// thread-safe for tree boosters (gbtree, dart) since 1.4 (its output buffers are per thread), and
// tests/xgb races Predict, PredictDense and SaveJson on a freshly loaded booster against serial
// results. Never mix them with SetParam/UpdateOneIter/Eval on the same Booster. XGBoost keeps
// per-thread state: its random engine is reseeded by a booster's first configuration and then
// advances with training, so train one Booster from start to end on one thread (interleaving two
// boosters' training on one thread changes results when subsampling).
//
// Run processes with OMP_WAIT_POLICY=passive: measured here, 50 rounds of hist on 20000 x 10 with
// nthread=2 on a busy 2-core machine took 1.8-4.2 s with OpenMP's default spin-waiting and
// 0.25-0.41 s with passive waiting (nthread=1: 0.34-0.49 s either way).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sluice::xgb {

// The linked library's version, "1.7.4".
std::string Version();

// Process-wide XGBoost logging. Until called, XGBoost prints nothing (verbosity 0). With
// verbosity 1 (warnings), 2 (info) or 3 (debug), XGBoost's messages go through base/log.h as
// "xgboost: <message>" at the matching level (mind that SLUICE_LOG_LEVEL still filters them).
// XGBoost keeps its verbosity and log callback per thread; this adapter applies them on
// each thread when that thread next calls into it. Lines logged by XGBoost's own worker threads
// (rare: a few warnings) still go to stderr when verbosity is at least 1 and never through here.
// kInvalidArgument unless 0 <= verbosity <= 3.
Status Configure(int verbosity);

// A data matrix XGBoost trains, evaluates or predicts on. Move-only; the moved-from object is
// empty (rows() == 0) and may only be destroyed or assigned to.
class DMatrix {
 public:
  // Copies `values` (row-major float32, rows x cols) into XGBoost's own storage: XGBoost 1.7
  // trains only on matrices it owns, so `values` may be freed on return. NaN and `missing` mark
  // missing values. kInvalidArgument when values.size() != rows * cols, cols == 0, or the data
  // holds infinities (unless missing is one).
  static Result<DMatrix> FromDense(std::span<const float> values, size_t rows, size_t cols,
                                   float missing = std::numeric_limits<float>::quiet_NaN());

  DMatrix(DMatrix&& other) noexcept;
  DMatrix& operator=(DMatrix&& other) noexcept;
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  ~DMatrix();

  // One label per row (kInvalidArgument otherwise, or when a label is NaN or infinite). Whether a
  // label suits the objective (0/1 for binary:logistic) is checked when training.
  Status SetLabels(std::span<const float> labels);
  // One weight per row (kInvalidArgument otherwise).
  Status SetWeights(std::span<const float> weights);
  // One name per column; names are unique. A Booster created with this matrix first in its
  // cache takes these names, saves them with the model and keys FeatureImportance by them.
  Status SetFeatureNames(const std::vector<std::string>& names);
  // One type per column: "q" or "float" (numeric), "i" or "int" (integer), "c" (categorical;
  // training then needs tree_method hist or approx). kInvalidArgument for anything else.
  Status SetFeatureTypes(const std::vector<std::string>& types);

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  // As set above; empty until set.
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<std::string>& feature_types() const { return feature_types_; }
  // XGBoost's DMatrixHandle, opaque: for Booster only.
  void* handle() const { return handle_; }

 private:
  DMatrix(void* handle, size_t rows, size_t cols) : handle_(handle), rows_(rows), cols_(cols) {}
  void Reset();

  void* handle_ = nullptr;
  size_t rows_ = 0;
  size_t cols_ = 0;
  std::vector<std::string> feature_names_;
  std::vector<std::string> feature_types_;
};

// One metric on one evaluated data set after one boosting round. XGBoost prints values with 6
// significant digits, so that is all the precision there is; a value may be NaN or infinite.
struct EvalValue {
  std::string dataset;
  std::string metric;
  double value = 0;
  friend bool operator==(const EvalValue&, const EvalValue&) = default;
};

// A gradient-boosted model: XGBoost's Learner. Move-only; the moved-from object may only be
// destroyed or assigned to.
//
// Errors: failures caused by what the caller passed (parameters, data, model bytes, ranges) are
// kInvalidArgument (kOutOfRange for rounds past the model's end); any other failure is kInternal.
class Booster {
 public:
  // A new, untrained booster. `cache` holds the matrices it will train and evaluate on (XGBoost
  // caches their predictions between rounds; it does not own them, and a matrix may be destroyed
  // before the booster). When the first matrix has feature names or types, the booster takes
  // them. Sets validate_parameters=1, so unknown parameter names are reported as XGBoost
  // warnings (see Configure) instead of being silently ignored.
  static Result<Booster> Create(std::span<const DMatrix* const> cache);
  // A booster from a model XGBoost saved as JSON or UBJ (SaveJson/SaveUbj, or Python's
  // save_model/save_raw). XGBoost 1.7 crashes or hangs on some truncated or corrupted models,
  // so the bytes are parsed and their trees' structure checked here first (array sizes, child
  // and feature indices, tree counts); bytes that fail are kInvalidArgument and never reach
  // XGBoost. The old binary format is refused for the same reason. The check parses the model
  // into a DOM and XGBoost then reads it as JSON text, which costs time: a 2.6 MB UBJ model (200
  // trees of depth 8) loads in ~0.4 s instead of XGBoost's ~10 ms. Load once, predict many times.
  static Result<Booster> Load(std::span<const uint8_t> model_bytes);

  Booster(Booster&& other) noexcept;
  Booster& operator=(Booster&& other) noexcept;
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  ~Booster();

  // Sets one XGBoost parameter ("max_depth", "objective", "eval_metric" (repeatable), ...).
  // XGBoost itself checks values only when training starts; here each parameter is first
  // checked alone, so a bad value or an unknown choice fails now, naming the parameter:
  // "XGBoosterSetParam objective: Unknown objective function: `nope` ...". Checks that need
  // several parameters together (a tweedie_variance_power only matters for reg:tweedie) still
  // happen at the first UpdateOneIter.
  Status SetParam(std::string_view name, std::string_view value);

  // Runs boosting round `iteration` (0, 1, 2, ... in order) on `train`.
  Status UpdateOneIter(int iteration, const DMatrix& train);

  // Evaluates the booster's metrics (eval_metric, or the objective's default) on each named set
  // after round `iteration`, in the order given: one EvalValue per (set, metric). Set names must
  // be non-empty and free of whitespace and ':' (they are parsed back out of XGBoost's text).
  // Not const: XGBoost updates its prediction caches.
  Result<std::vector<EvalValue>> Eval(int iteration,
                                      std::span<const std::pair<std::string, const DMatrix*>> sets);

  // Predictions of the trees of rounds [0, iteration_end) (0: all rounds), shape rows x groups
  // flattened row-major: one value per row, or one per class for multi:softprob. Transformed by
  // the objective (probabilities for binary:logistic) unless output_margin.
  //
  // PredictDense predicts straight from row-major float32 values (XGBoost's in-place prediction:
  // no copy into a DMatrix); NaN and `missing` mark missing values. kInvalidArgument unless
  // values.size() == rows * cols and cols == NumFeatures(); kOutOfRange when iteration_end is
  // past BoostedRounds().
  Result<std::vector<float>> PredictDense(
      std::span<const float> values, size_t rows, size_t cols, int iteration_end = 0,
      bool output_margin = false, float missing = std::numeric_limits<float>::quiet_NaN()) const;
  Result<std::vector<float>> Predict(const DMatrix& data, int iteration_end = 0,
                                     bool output_margin = false) const;

  // Completed boosting rounds (a multi-class round holds one tree per class).
  Result<int> BoostedRounds() const;
  // Number of features the model was trained with.
  Result<int> NumFeatures() const;
  // A new booster with the trees of rounds [begin, end): Slice(0, best + 1) after early
  // stopping. kInvalidArgument unless 0 <= begin < end; kOutOfRange when end > BoostedRounds().
  Result<Booster> Slice(int begin, int end) const;

  // The model (trees, objective, feature names; not training-only parameters) in XGBoost's JSON
  // and UBJ (binary JSON) formats. Byte-identical for identically trained boosters.
  Result<std::string> SaveJson() const;
  Result<std::vector<uint8_t>> SaveUbj() const;
  // XGBoost's full configuration as JSON: every parameter in effect, training ones included.
  Result<std::string> SaveConfig() const;

  // Feature importance of a tree model by "weight" (splits using the feature), "gain",
  // "total_gain", "cover" or "total_cover", keyed by feature name ("f0", "f1", ... without
  // names). Features no split uses are absent. kInvalidArgument for another type.
  Result<std::map<std::string, double>> FeatureImportance(std::string_view importance_type) const;

 private:
  explicit Booster(void* handle) : handle_(handle) {}
  void Reset();

  void* handle_ = nullptr;  // BoosterHandle
};

}  // namespace sluice::xgb
