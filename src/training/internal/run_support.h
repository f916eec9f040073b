// What training, evaluation and tuning runs share: reading a data file with its digest, recording
// it as a run input, finding the experiment, and naming the task for the metrics.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "models/features.h"
#include "stats/metrics.h"
#include "table/table.h"
#include "tracking/tracking_store.h"

namespace sluice::training::internal {

struct LoadedData {
  table::Table table;
  std::string sha256;
  std::string path;  // absolute
};

// Reads a CSV, TSV or JSONL file and its SHA-256.
Result<LoadedData> ReadData(const std::string& path);

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

// The file as an MLflow dataset input: name, digest (its SHA-256), source, schema, row count;
// `context` is "train", "test" or "evaluation".
tracking::DatasetInput DatasetInputOf(const LoadedData& data, std::string_view context);

// The id of the experiment named `name`, created when missing (also when another process
// creates it at the same moment).
Result<std::string> ExperimentId(tracking::TrackingStore& store, const std::string& name);

}  // namespace sluice::training::internal
