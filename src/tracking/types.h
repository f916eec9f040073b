// Plain values of experiment tracking, shaped like MLflow's entities so the api layer maps them
// one to one. Ids are strings as on MLflow's wire: experiment ids are decimal ("0", "1", ...),
// run ids 32 lowercase hex characters. Times are milliseconds since the epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::tracking {

inline constexpr std::string_view kActive = "active";
inline constexpr std::string_view kDeleted = "deleted";
inline constexpr std::string_view kDefaultExperimentId = "0";
inline constexpr std::string_view kRunNameTag = "mlflow.runName";
inline constexpr std::string_view kLogModelHistoryTag = "mlflow.log-model.history";
inline constexpr std::string_view kDatasetContextTag = "mlflow.data.context";

struct Tag {
  std::string key;
  std::string value;
  friend bool operator==(const Tag&, const Tag&) = default;
};

struct Param {
  std::string key;
  std::string value;
  friend bool operator==(const Param&, const Param&) = default;
};

struct Metric {
  std::string key;
  double value = 0;  // NaN and +-Inf are kept
  int64_t timestamp = 0;
  int64_t step = 0;
};

struct Experiment {
  std::string experiment_id;
  std::string name;
  std::string artifact_location;
  std::string lifecycle_stage;
  int64_t creation_time = 0;
  int64_t last_update_time = 0;
  std::vector<Tag> tags;
};

struct Dataset {
  std::string name;
  std::string digest;
  std::string source_type;
  std::string source;
  std::string schema;   // optional, "" when absent
  std::string profile;  // optional, "" when absent
};

struct DatasetInput {
  std::vector<Tag> tags;
  Dataset dataset;
};

struct ModelOutput {
  std::string model_id;
  int64_t step = 0;
};

// RUNNING, SCHEDULED, FINISHED, FAILED or KILLED.
bool IsRunStatus(std::string_view status);

struct RunInfo {
  std::string run_id;
  std::string run_name;
  std::string experiment_id;
  std::string user_id;
  std::string status;
  std::optional<int64_t> start_time;
  std::optional<int64_t> end_time;
  std::string artifact_uri;
  std::string lifecycle_stage;
};

struct Run {
  RunInfo info;
  std::vector<Metric> metrics;  // the latest point of each key
  std::vector<Param> params;
  std::vector<Tag> tags;
  std::vector<DatasetInput> inputs;
  std::vector<ModelOutput> outputs;
};

// MLflow 3 logged model.
struct LoggedModel {
  std::string model_id;
  std::string experiment_id;
  std::string name;
  std::string artifact_location;
  int64_t creation_timestamp = 0;
  int64_t last_updated_timestamp = 0;
  std::string status;  // LOGGED_MODEL_PENDING, LOGGED_MODEL_READY, LOGGED_MODEL_UPLOAD_FAILED
  std::string status_message;
  std::string model_type;
  std::string source_run_id;
  std::vector<Tag> tags;
  std::vector<Param> params;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;  // empty on the last page
};

}  // namespace sluice::tracking
