#include <xgboost/c_api.h>

#include <set>
#include <utility>

#include "xgb/internal/call.h"
#include "xgb/xgb.h"

namespace sluice::xgb {
namespace {

Status CheckRowCount(std::string_view what, size_t size, size_t rows) {
  if (size == rows) return Status::Ok();
  return InvalidArgument("{}: {} values for {} rows", what, size, rows);
}

Status SetStrings(void* handle, const char* field, const std::vector<std::string>& values) {
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& value : values) pointers.push_back(value.c_str());
  internal::PrepareThread();
  return internal::CheckCall(
      XGDMatrixSetStrFeatureInfo(handle, field, pointers.data(), pointers.size()),
      StatusCode::kInvalidArgument, fmt::format("XGDMatrixSetStrFeatureInfo {}", field));
}

}  // namespace

Result<DMatrix> DMatrix::FromDense(std::span<const float> values, size_t rows, size_t cols,
                                   float missing) {
  if (cols == 0) return InvalidArgument("XGDMatrixCreateFromMat: a matrix needs columns");
  if (rows > values.size() / cols || rows * cols != values.size()) {
    return InvalidArgument("XGDMatrixCreateFromMat: {} values for {} x {}", values.size(), rows,
                           cols);
  }
  internal::PrepareThread();
  DMatrixHandle handle = nullptr;
  // nthread 0: XGBoost copies with all its OpenMP threads.
  SLUICE_RETURN_IF_ERROR(internal::CheckCall(
      XGDMatrixCreateFromMat_omp(values.data(), rows, cols, missing, &handle, 0),
      StatusCode::kInvalidArgument, "XGDMatrixCreateFromMat"));
  return DMatrix(handle, rows, cols);
}

DMatrix::DMatrix(DMatrix&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      rows_(std::exchange(other.rows_, 0)),
      cols_(std::exchange(other.cols_, 0)),
      feature_names_(std::move(other.feature_names_)),
      feature_types_(std::move(other.feature_types_)) {}

DMatrix& DMatrix::operator=(DMatrix&& other) noexcept {
  if (this != &other) {
    Reset();
    handle_ = std::exchange(other.handle_, nullptr);
    rows_ = std::exchange(other.rows_, 0);
    cols_ = std::exchange(other.cols_, 0);
    feature_names_ = std::move(other.feature_names_);
    feature_types_ = std::move(other.feature_types_);
  }
  return *this;
}

DMatrix::~DMatrix() { Reset(); }

void DMatrix::Reset() {
  // Freeing only fails for a null handle, which is never passed.
  if (handle_ != nullptr) XGDMatrixFree(handle_);
  handle_ = nullptr;
}

Status DMatrix::SetLabels(std::span<const float> labels) {
  SLUICE_RETURN_IF_ERROR(CheckRowCount("labels", labels.size(), rows_));
  internal::PrepareThread();
  return internal::CheckCall(XGDMatrixSetFloatInfo(handle_, "label", labels.data(), labels.size()),
                             StatusCode::kInvalidArgument, "XGDMatrixSetFloatInfo label");
}

Status DMatrix::SetWeights(std::span<const float> weights) {
  SLUICE_RETURN_IF_ERROR(CheckRowCount("weights", weights.size(), rows_));
  internal::PrepareThread();
  return internal::CheckCall(
      XGDMatrixSetFloatInfo(handle_, "weight", weights.data(), weights.size()),
      StatusCode::kInvalidArgument, "XGDMatrixSetFloatInfo weight");
}

Status DMatrix::SetFeatureNames(const std::vector<std::string>& names) {
  std::set<std::string_view> seen;
  for (const std::string& name : names) {
    if (name.empty()) return InvalidArgument("feature names: a name is empty");
    if (!seen.insert(name).second) {
      return InvalidArgument("feature names: '{}' appears twice", name);
    }
  }
  SLUICE_RETURN_IF_ERROR(SetStrings(handle_, "feature_name", names));
  feature_names_ = names;
  return Status::Ok();
}

Status DMatrix::SetFeatureTypes(const std::vector<std::string>& types) {
  SLUICE_RETURN_IF_ERROR(SetStrings(handle_, "feature_type", types));
  feature_types_ = types;
  return Status::Ok();
}

}  // namespace sluice::xgb
