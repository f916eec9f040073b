#include <xgboost/c_api.h>

#include <bit>
#include <climits>
#include <cmath>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <utility>

#include "xgb/internal/call.h"
#include "xgb/internal/eval_parse.h"
#include "xgb/internal/model_check.h"
#include "xgb/xgb.h"

namespace sluice::xgb {
namespace {

using internal::CheckCall;
using internal::PrepareThread;

constexpr StatusCode kInput = StatusCode::kInvalidArgument;
constexpr StatusCode kInternal = StatusCode::kInternal;

// A float as XGBoost's JSON reader takes it: it accepts NaN and Infinity, which JSON lacks.
std::string JsonFloat(float value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", value);  // shortest text that reads back as the same float
}

// numpy's __array_interface__ for a row-major float32 matrix, as XGBoost's in-place prediction
// takes it.
std::string DenseArrayInterface(const float* data, size_t rows, size_t cols) {
  constexpr const char* kType = std::endian::native == std::endian::little ? "<f4" : ">f4";
  return fmt::format(R"({{"data":[{},true],"shape":[{},{}],"typestr":"{}","version":3}})",
                     reinterpret_cast<uintptr_t>(data), rows, cols, kType);
}

std::vector<float> CopyPrediction(const bst_ulong* shape, bst_ulong dims, const float* values) {
  size_t size = 1;
  for (bst_ulong i = 0; i < dims; ++i) size *= shape[i];
  return std::vector<float>(values, values + size);
}

Status CheckParamAlone(const std::string& name, const std::string& value) {
  // This thread is new: silence what XGBoost would print; the real booster warns again anyway.
  XGBSetGlobalConfig(R"({"verbosity":0})");
  BoosterHandle handle = nullptr;
  SLUICE_RETURN_IF_ERROR(
      CheckCall(XGBoosterCreate(nullptr, 0, &handle), kInternal, "XGBoosterCreate"));
  // A learner without data needs num_feature; multi-class objectives need num_class.
  Status status = CheckCall(XGBoosterSetParam(handle, "num_feature", "1"), kInternal,
                            "XGBoosterSetParam num_feature");
  if (status.ok() && name != "num_class") {
    status = CheckCall(XGBoosterSetParam(handle, "num_class", "2"), kInternal,
                       "XGBoosterSetParam num_class");
  }
  if (status.ok()) {
    bst_ulong length = 0;
    const char* config = nullptr;
    std::string operation = fmt::format("XGBoosterSetParam {}", name);
    status = CheckCall(XGBoosterSetParam(handle, name.c_str(), value.c_str()), kInput, operation);
    // Saving the configuration configures the learner, which is when XGBoost checks values.
    if (status.ok()) {
      status = CheckCall(XGBoosterSaveJsonConfig(handle, &length, &config), kInput, operation);
    }
  }
  XGBoosterFree(handle);
  return status;
}

// XGBoost checks parameter values only when a learner is configured (at the first
// UpdateOneIter), far from the SetParam that caused the error and without naming the parameter
// for unknown choices. So each parameter is first tried alone on a throwaway learner, on a
// throwaway thread: configuring a learner reseeds the calling thread's XGBoost random engine,
// which would change the results of a training in progress on this thread.
Status CheckParam(const std::string& name, const std::string& value) {
  Status status;
  try {
    std::thread([&] { status = CheckParamAlone(name, value); }).join();
  } catch (const std::exception& e) {  // no thread could be started
    return Internal("XGBoosterSetParam {}: checking the value: {}", name, e.what());
  }
  return status;
}

}  // namespace

Result<Booster> Booster::Create(std::span<const DMatrix* const> cache) {
  std::vector<DMatrixHandle> handles;
  for (const DMatrix* matrix : cache) {
    if (matrix == nullptr || matrix->handle() == nullptr) {
      return InvalidArgument("XGBoosterCreate: a cached DMatrix is null or moved from");
    }
    handles.push_back(matrix->handle());
  }
  PrepareThread();
  BoosterHandle handle = nullptr;
  SLUICE_RETURN_IF_ERROR(CheckCall(XGBoosterCreate(handles.data(), handles.size(), &handle),
                                   kInternal, "XGBoosterCreate"));
  Booster booster(handle);
  SLUICE_RETURN_IF_ERROR(CheckCall(XGBoosterSetParam(handle, "validate_parameters", "1"), kInternal,
                                   "XGBoosterSetParam validate_parameters"));
  // As XGBoost's Python package does: the booster takes the first matrix's feature names and
  // types, so that they are saved with the model.
  if (!cache.empty()) {
    for (auto [field, values] : {std::pair{"feature_name", &cache[0]->feature_names()},
                                 std::pair{"feature_type", &cache[0]->feature_types()}}) {
      if (values->empty()) continue;
      std::vector<const char*> pointers;
      for (const std::string& value : *values) pointers.push_back(value.c_str());
      SLUICE_RETURN_IF_ERROR(
          CheckCall(XGBoosterSetStrFeatureInfo(handle, field, pointers.data(), pointers.size()),
                    kInput, fmt::format("XGBoosterSetStrFeatureInfo {}", field)));
    }
  }
  return booster;
}

Result<Booster> Booster::Load(std::span<const uint8_t> model_bytes) {
  SLUICE_ASSIGN_OR_RETURN(std::string model, internal::CheckModel(model_bytes));
  PrepareThread();
  BoosterHandle handle = nullptr;
  SLUICE_RETURN_IF_ERROR(
      CheckCall(XGBoosterCreate(nullptr, 0, &handle), kInternal, "XGBoosterCreate"));
  Booster booster(handle);
  SLUICE_RETURN_IF_ERROR(CheckCall(XGBoosterLoadModelFromBuffer(handle, model.data(), model.size()),
                                   kInput, "XGBoosterLoadModelFromBuffer"));
  return booster;
}

Booster::Booster(Booster&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

Booster& Booster::operator=(Booster&& other) noexcept {
  if (this != &other) {
    Reset();
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

Booster::~Booster() { Reset(); }

void Booster::Reset() {
  // Freeing only fails for a null handle, which is never passed.
  if (handle_ != nullptr) XGBoosterFree(handle_);
  handle_ = nullptr;
}

Status Booster::SetParam(std::string_view name, std::string_view value) {
  std::string name_text(name);
  std::string value_text(value);
  SLUICE_RETURN_IF_ERROR(CheckParam(name_text, value_text));
  PrepareThread();
  return CheckCall(XGBoosterSetParam(handle_, name_text.c_str(), value_text.c_str()), kInput,
                   fmt::format("XGBoosterSetParam {}", name));
}

Status Booster::UpdateOneIter(int iteration, const DMatrix& train) {
  if (iteration < 0) return InvalidArgument("XGBoosterUpdateOneIter: iteration {}", iteration);
  PrepareThread();
  // Failures here are the parameters together or the data not suiting them (labels outside
  // [0, 1] for binary:logistic, ...).
  return CheckCall(XGBoosterUpdateOneIter(handle_, iteration, train.handle()), kInput,
                   fmt::format("XGBoosterUpdateOneIter {}", iteration));
}

Result<std::vector<EvalValue>> Booster::Eval(
    int iteration, std::span<const std::pair<std::string, const DMatrix*>> sets) {
  std::vector<std::string> names;
  std::vector<const char*> name_pointers;
  std::vector<DMatrixHandle> handles;
  std::set<std::string_view> seen;
  for (const auto& [name, matrix] : sets) {
    if (name.empty() || name.find_first_of(" \t\n\r:") != std::string::npos) {
      return InvalidArgument("XGBoosterEvalOneIter: set name '{}' is empty or holds space or ':'",
                             name);
    }
    if (!seen.insert(name).second) {
      return InvalidArgument("XGBoosterEvalOneIter: set name '{}' appears twice", name);
    }
    if (matrix == nullptr || matrix->handle() == nullptr) {
      return InvalidArgument("XGBoosterEvalOneIter: set '{}' has no DMatrix", name);
    }
    names.push_back(name);
    handles.push_back(matrix->handle());
  }
  for (const std::string& name : names) name_pointers.push_back(name.c_str());
  PrepareThread();
  const char* text = nullptr;
  SLUICE_RETURN_IF_ERROR(
      CheckCall(XGBoosterEvalOneIter(handle_, iteration, handles.data(), name_pointers.data(),
                                     handles.size(), &text),
                kInput, fmt::format("XGBoosterEvalOneIter {}", iteration)));
  return internal::ParseEvalText(text, names);
}

Result<std::vector<float>> Booster::PredictDense(std::span<const float> values, size_t rows,
                                                 size_t cols, int iteration_end, bool output_margin,
                                                 float missing) const {
  if (cols == 0 || rows > values.size() / cols || rows * cols != values.size()) {
    return InvalidArgument("XGBoosterPredictFromDense: {} values for {} x {}", values.size(), rows,
                           cols);
  }
  SLUICE_ASSIGN_OR_RETURN(int features, NumFeatures());
  if (cols != static_cast<size_t>(features)) {
    return InvalidArgument("XGBoosterPredictFromDense: the data has {} columns, the model {}", cols,
                           features);
  }
  SLUICE_ASSIGN_OR_RETURN(int rounds, BoostedRounds());
  if (iteration_end < 0 || iteration_end > rounds) {
    return MakeError(iteration_end < 0 ? kInput : StatusCode::kOutOfRange,
                     "XGBoosterPredictFromDense: iteration_end {} is outside [0, {}]",
                     iteration_end, rounds);
  }
  if (rows == 0) return std::vector<float>();
  // cache_id is required by this version although it must be 0.
  std::string config = fmt::format(
      R"({{"cache_id":0,"type":{},"training":false,"iteration_begin":0,"iteration_end":{},)"
      R"("strict_shape":false,"missing":{}}})",
      output_margin ? 1 : 0, iteration_end, JsonFloat(missing));
  PrepareThread();
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* result = nullptr;
  SLUICE_RETURN_IF_ERROR(CheckCall(
      XGBoosterPredictFromDense(handle_, DenseArrayInterface(values.data(), rows, cols).c_str(),
                                config.c_str(), nullptr, &shape, &dims, &result),
      kInput, "XGBoosterPredictFromDense"));
  return CopyPrediction(shape, dims, result);
}

Result<std::vector<float>> Booster::Predict(const DMatrix& data, int iteration_end,
                                            bool output_margin) const {
  SLUICE_ASSIGN_OR_RETURN(int rounds, BoostedRounds());
  if (iteration_end < 0 || iteration_end > rounds) {
    return MakeError(iteration_end < 0 ? kInput : StatusCode::kOutOfRange,
                     "XGBoosterPredictFromDMatrix: iteration_end {} is outside [0, {}]",
                     iteration_end, rounds);
  }
  std::string config =
      fmt::format(R"({{"type":{},"training":false,"iteration_begin":0,"iteration_end":{},)"
                  R"("strict_shape":false}})",
                  output_margin ? 1 : 0, iteration_end);
  PrepareThread();
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* result = nullptr;
  SLUICE_RETURN_IF_ERROR(CheckCall(
      XGBoosterPredictFromDMatrix(handle_, data.handle(), config.c_str(), &shape, &dims, &result),
      kInput, "XGBoosterPredictFromDMatrix"));
  return CopyPrediction(shape, dims, result);
}

Result<int> Booster::BoostedRounds() const {
  PrepareThread();
  int rounds = 0;
  SLUICE_RETURN_IF_ERROR(
      CheckCall(XGBoosterBoostedRounds(handle_, &rounds), kInternal, "XGBoosterBoostedRounds"));
  return rounds;
}

Result<int> Booster::NumFeatures() const {
  PrepareThread();
  bst_ulong features = 0;
  SLUICE_RETURN_IF_ERROR(
      CheckCall(XGBoosterGetNumFeature(handle_, &features), kInternal, "XGBoosterGetNumFeature"));
  if (features > INT_MAX) return Internal("XGBoosterGetNumFeature: {} features", features);
  return static_cast<int>(features);
}

Result<Booster> Booster::Slice(int begin, int end) const {
  if (begin < 0 || end <= begin) {
    return InvalidArgument("XGBoosterSlice: [{}, {}) is not a range of rounds", begin, end);
  }
  SLUICE_ASSIGN_OR_RETURN(int rounds, BoostedRounds());
  if (end > rounds) {
    return MakeError(StatusCode::kOutOfRange,
                     "XGBoosterSlice: [{}, {}) is past the model's {} rounds", begin, end, rounds);
  }
  PrepareThread();
  BoosterHandle sliced = nullptr;
  int rc = XGBoosterSlice(handle_, begin, end, /*step=*/1, &sliced);
  // -2 is "out of range", and leaves XGBGetLastError() at an older error.
  if (rc == -2) {
    return MakeError(StatusCode::kOutOfRange, "XGBoosterSlice: [{}, {}) is past the model's end",
                     begin, end);
  }
  SLUICE_RETURN_IF_ERROR(CheckCall(rc, kInput, fmt::format("XGBoosterSlice [{}, {})", begin, end)));
  return Booster(sliced);
}

Result<std::string> Booster::SaveJson() const {
  PrepareThread();
  bst_ulong length = 0;
  const char* bytes = nullptr;
  SLUICE_RETURN_IF_ERROR(
      CheckCall(XGBoosterSaveModelToBuffer(handle_, R"({"format":"json"})", &length, &bytes),
                kInternal, "XGBoosterSaveModelToBuffer json"));
  return std::string(bytes, length);
}

Result<std::vector<uint8_t>> Booster::SaveUbj() const {
  PrepareThread();
  bst_ulong length = 0;
  const char* bytes = nullptr;
  SLUICE_RETURN_IF_ERROR(
      CheckCall(XGBoosterSaveModelToBuffer(handle_, R"({"format":"ubj"})", &length, &bytes),
                kInternal, "XGBoosterSaveModelToBuffer ubj"));
  const auto* begin = reinterpret_cast<const uint8_t*>(bytes);
  return std::vector<uint8_t>(begin, begin + length);
}

Result<std::string> Booster::SaveConfig() const {
  PrepareThread();
  bst_ulong length = 0;
  const char* text = nullptr;
  SLUICE_RETURN_IF_ERROR(CheckCall(XGBoosterSaveJsonConfig(handle_, &length, &text), kInternal,
                                   "XGBoosterSaveJsonConfig"));
  return std::string(text, length);
}

Result<std::map<std::string, double>> Booster::FeatureImportance(
    std::string_view importance_type) const {
  std::string config = nlohmann::json{{"importance_type", importance_type}}.dump();
  PrepareThread();
  bst_ulong count = 0;
  const char** names = nullptr;
  bst_ulong dims = 0;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  SLUICE_RETURN_IF_ERROR(CheckCall(
      XGBoosterFeatureScore(handle_, config.c_str(), &count, &names, &dims, &shape, &scores),
      kInput, fmt::format("XGBoosterFeatureScore {}", importance_type)));
  // Tree models give one score per feature; a multi-class linear model one per feature and class.
  if (dims == 0 || shape[0] != count || (dims == 2 && shape[1] != 1) || dims > 2) {
    return Unimplemented(
        "XGBoosterFeatureScore {}: more than one score per feature (a "
        "multi-class linear model)",
        importance_type);
  }
  std::map<std::string, double> importance;
  for (bst_ulong i = 0; i < count; ++i) importance[names[i]] = scores[i];
  return importance;
}

}  // namespace sluice::xgb
