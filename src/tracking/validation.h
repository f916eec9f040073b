// MLflow's input rules (mlflow/utils/validation.py), applied before anything is written so a
// bad request changes nothing. Every error is kInvalidArgument naming the field and the limit.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "tracking/types.h"

namespace sluice::tracking {

inline constexpr size_t kMaxKeyLength = 250;
inline constexpr size_t kMaxParamValueLength = 6000;
inline constexpr size_t kMaxTagValueLength = 8000;  // MLflow 3; 2.x clients send at most 5000
inline constexpr size_t kMaxExperimentNameLength = 500;
inline constexpr size_t kMaxRunNameLength = 250;
inline constexpr size_t kMaxBatchMetrics = 1000;
inline constexpr size_t kMaxBatchParams = 100;
inline constexpr size_t kMaxBatchTags = 100;
inline constexpr size_t kMaxBatchEntities = 1000;
inline constexpr size_t kMaxDatasetNameLength = 500;
inline constexpr size_t kMaxDatasetDigestLength = 64;  // room for a full SHA-256
inline constexpr size_t kMaxDatasetSourceLength = 65535;
inline constexpr size_t kMaxDatasetSchemaLength = 1 << 20;

// `what` is "metric", "param" or "tag": keys are at most 250 characters of letters, digits,
// '_', '-', '.', ' ' and '/', and may not be or contain a '..' path component or start with '/'.
Status ValidateKey(std::string_view what, std::string_view key);
Status ValidateParam(const Param& param);
Status ValidateTag(const Tag& tag);
Status ValidateMetric(const Metric& metric);
Status ValidateBatch(const std::vector<Metric>& metrics, const std::vector<Param>& params,
                     const std::vector<Tag>& tags);
Status ValidateExperimentName(std::string_view name);
Status ValidateDatasetInput(const DatasetInput& input);

// An artifact path relative to the artifact root: non-empty segments, no '.', '..', leading
// '/', backslash or NUL. kPermissionDenied for escapes, kInvalidArgument for malformed paths.
Status ValidateArtifactPath(std::string_view path, bool allow_empty);

}  // namespace sluice::tracking
