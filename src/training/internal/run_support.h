// What training, evaluation and tuning runs share: reading a data file with its digest, recording
// it as a run input, finding the experiment, and naming the task for the metrics.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "datasets/dataset_store.h"
#include "models/features.h"
#include "stats/metrics.h"
#include "table/table.h"
#include "tracking/tracking_store.h"

namespace sluice::training::internal {

struct LoadedData {
  table::Table table;
  std::string sha256;  // of the file's bytes
  std::string path;    // absolute: the file read
  // What a run records as its data, so that it can be read again: `path`, or "churn@2" when the
  // data is a dataset version (then `version` is set).
  std::string source;
  std::optional<datasets::VersionInfo> version;
};

// Where the data argument's bytes are: the file it names, else (when `datasets` is given) the
// dataset version it names ("churn", "churn@2", "churn@gold"), which the result then holds.
struct DataLocation {
  std::string path;  // absolute
  std::string source;
  std::optional<datasets::VersionInfo> version;
};
Result<DataLocation> LocateData(const std::string& argument, datasets::DatasetStore* datasets);

// Reads a CSV, TSV or JSONL file, or a dataset version's file, and its SHA-256.
Result<LoadedData> ReadData(const std::string& argument, datasets::DatasetStore* datasets);

// `names` (empty = all for the task) of predictions against labels. One at a time: a metric
// undefined on this data (AUC when a small part holds one class) is left out rather than failing
// the rest.
std::map<std::string, double> ComputeMetrics(models::Task task, std::span<const double> labels,
                                             std::span<const double> scores, size_t num_classes,
                                             const std::vector<std::string>& names,
                                             double threshold);

// Whether every name is a metric of the task; kInvalidArgument listing the valid ones if not.
Status CheckMetricNames(models::Task task, const std::vector<std::string>& names,
                        std::string_view field);

// The data as an MLflow dataset input: name, digest, source, schema, row count; `context` is
// "train", "test" or "evaluation". A file is named by its file name with its SHA-256 as digest
// (source type "local"); a dataset version by the dataset's name with the version's digest
// (source type "sluice", source {"uri": "churn@2"}), which `sluice data log` looks runs up by.
tracking::DatasetInput DatasetInputOf(const LoadedData& data, std::string_view context);

// The id of the experiment named `name`, created when missing (also when another process
// creates it at the same moment).
Result<std::string> ExperimentId(tracking::TrackingStore& store, const std::string& name);

}  // namespace sluice::training::internal
