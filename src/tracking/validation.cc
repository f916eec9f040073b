#include "tracking/validation.h"

#include <cmath>

namespace sluice::tracking {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ' ' || c == '/';
}

// Splits on '/' and reports whether any component is "..".
bool HasDotDotComponent(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

Status ValidateKey(std::string_view what, std::string_view key) {
  if (key.empty()) return InvalidArgument("{} key must be a non-empty string", what);
  if (key.size() > kMaxKeyLength) {
    return InvalidArgument("{} key '{}...' is {} characters long; the limit is {}", what,
                           key.substr(0, 40), key.size(), kMaxKeyLength);
  }
  for (char c : key) {
    if (!IsKeyChar(c)) {
      return InvalidArgument(
          "invalid {} key '{}': keys may contain only letters, digits, underscores, dashes, "
          "periods, spaces and slashes",
          what, key);
    }
  }
  if (key.front() == '/' || HasDotDotComponent(key)) {
    return InvalidArgument(
        "invalid {} key '{}': a key may not start with '/' or contain a '..' "
        "path component",
        what, key);
  }
  return Status();
}

Status ValidateParam(const Param& param) {
  SLUICE_RETURN_IF_ERROR(ValidateKey("param", param.key));
  if (param.value.size() > kMaxParamValueLength) {
    return InvalidArgument("param '{}' has a value of {} characters; the limit is {}", param.key,
                           param.value.size(), kMaxParamValueLength);
  }
  return Status();
}

Status ValidateTag(const Tag& tag) {
  SLUICE_RETURN_IF_ERROR(ValidateKey("tag", tag.key));
  if (tag.value.size() > kMaxTagValueLength) {
    return InvalidArgument("tag '{}' has a value of {} characters; the limit is {}", tag.key,
                           tag.value.size(), kMaxTagValueLength);
  }
  return Status();
}

Status ValidateMetric(const Metric& metric) { return ValidateKey("metric", metric.key); }

Status ValidateBatch(const std::vector<Metric>& metrics, const std::vector<Param>& params,
                     const std::vector<Tag>& tags) {
  if (metrics.size() > kMaxBatchMetrics) {
    return InvalidArgument("a batch may hold at most {} metrics; got {} (split the batch)",
                           kMaxBatchMetrics, metrics.size());
  }
  if (params.size() > kMaxBatchParams) {
    return InvalidArgument("a batch may hold at most {} params; got {} (split the batch)",
                           kMaxBatchParams, params.size());
  }
  if (tags.size() > kMaxBatchTags) {
    return InvalidArgument("a batch may hold at most {} tags; got {} (split the batch)",
                           kMaxBatchTags, tags.size());
  }
  size_t total = metrics.size() + params.size() + tags.size();
  if (total > kMaxBatchEntities) {
    return InvalidArgument(
        "a batch may hold at most {} metrics, params and tags in all; got {} (split the batch)",
        kMaxBatchEntities, total);
  }
  for (const Metric& m : metrics) SLUICE_RETURN_IF_ERROR(ValidateMetric(m));
  for (const Param& p : params) SLUICE_RETURN_IF_ERROR(ValidateParam(p));
  for (const Tag& t : tags) SLUICE_RETURN_IF_ERROR(ValidateTag(t));
  return Status();
}

Status ValidateExperimentName(std::string_view name) {
  if (name.empty()) return InvalidArgument("experiment name must be a non-empty string");
  if (name.size() > kMaxExperimentNameLength) {
    return InvalidArgument("experiment name is {} characters long; the limit is {}", name.size(),
                           kMaxExperimentNameLength);
  }
  return Status();
}

Status ValidateDatasetInput(const DatasetInput& input) {
  const Dataset& d = input.dataset;
  if (d.name.empty() || d.name.size() > kMaxDatasetNameLength) {
    return InvalidArgument("dataset name must be 1 to {} characters; got {}", kMaxDatasetNameLength,
                           d.name.size());
  }
  if (d.digest.empty() || d.digest.size() > kMaxDatasetDigestLength) {
    return InvalidArgument("dataset '{}': digest must be 1 to {} characters; got {}", d.name,
                           kMaxDatasetDigestLength, d.digest.size());
  }
  if (d.source_type.empty()) {
    return InvalidArgument("dataset '{}': source_type must be a non-empty string", d.name);
  }
  if (d.source.size() > kMaxDatasetSourceLength) {
    return InvalidArgument("dataset '{}': source is {} characters long; the limit is {}", d.name,
                           d.source.size(), kMaxDatasetSourceLength);
  }
  if (d.schema.size() > kMaxDatasetSchemaLength || d.profile.size() > kMaxDatasetSchemaLength) {
    return InvalidArgument("dataset '{}': schema and profile may be at most {} bytes each", d.name,
                           kMaxDatasetSchemaLength);
  }
  for (const Tag& t : input.tags) SLUICE_RETURN_IF_ERROR(ValidateTag(t));
  return Status();
}

Status ValidateArtifactPath(std::string_view path, bool allow_empty) {
  if (path.empty()) {
    if (allow_empty) return Status();
    return InvalidArgument("artifact path must not be empty");
  }
  if (path.front() == '/') {
    return PermissionDenied("invalid artifact path '{}': absolute paths are not allowed", path);
  }
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) {
    return InvalidArgument("invalid artifact path '{}': backslashes and NUL are not allowed", path);
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      return PermissionDenied("invalid artifact path '{}': '..' would leave the artifact root",
                              path);
    }
    if (segment.empty() && end != path.size()) {
      return InvalidArgument("invalid artifact path '{}': empty path segment", path);
    }
    if (segment == ".") {
      return InvalidArgument("invalid artifact path '{}': '.' segments are not allowed", path);
    }
    start = end + 1;
  }
  return Status();
}

}  // namespace sluice::tracking
