#include "training/internal/run_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/sha256.h"
#include "models/bundle.h"

namespace sluice::training::internal {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// MLflow's dataset schema: {"mlflow_colspec": [{"type": ..., "name": ...}, ...]}.
std::string DatasetSchema(const table::Table& data) {
  Json specs = Json::array();
  for (const table::Column& column : data.columns()) {
    specs.push_back({{"type", models::MlflowTypeName(column.type())},
                     {"name", column.name()},
                     {"required", column.null_count() == 0}});
  }
  return Json{{"mlflow_colspec", std::move(specs)}}.dump();
}

}  // namespace

std::map<std::string, double> ComputeMetrics(models::Task task, std::span<const double> labels,
                                             std::span<const double> scores, size_t num_classes,
                                             const std::vector<std::string>& names,
                                             double threshold) {
  std::vector<std::string> all = names;
  if (all.empty()) {
    for (std::string_view metric : stats::MetricNames(task)) all.emplace_back(metric);
  }
  std::map<std::string, double> metrics;
  for (const std::string& metric : all) {
    Result<std::map<std::string, double>> one = stats::Evaluate(
        task, labels, scores, static_cast<int>(num_classes), {&metric, 1}, threshold);
    if (one.ok()) metrics.insert(one->begin(), one->end());
  }
  return metrics;
}

Status CheckMetricNames(models::Task task, const std::vector<std::string>& names,
                        std::string_view field) {
  const std::span<const std::string_view> known = stats::MetricNames(task);
  for (const std::string& metric : names) {
    if (std::find(known.begin(), known.end(), metric) == known.end()) {
      std::string valid;
      for (std::string_view m : known) valid += (valid.empty() ? "" : ", ") + std::string(m);
      return InvalidArgument("{}: '{}' is not a {} metric; use {}", field, metric,
                             models::TaskName(task), valid);
    }
  }
  return Status::Ok();
}

Result<DataLocation> LocateData(const std::string& argument, datasets::DatasetStore* datasets) {
  if (datasets != nullptr) {
    SLUICE_ASSIGN_OR_RETURN(std::optional<datasets::ResolvedData> resolved,
                            datasets::ResolveDataArgument(*datasets, argument));
    if (resolved) {
      if (resolved->version.kind != datasets::DatasetKind::kFile) {
        return InvalidArgument(
            "data '{}' is a folder dataset; training and evaluation read one CSV, TSV or JSONL "
            "file: add that file as its own dataset (sluice data add FILE --name NAME)",
            argument);
      }
      std::string source = fmt::format("{}@{}", resolved->version.name, resolved->version.version);
      return DataLocation{resolved->path.string(), std::move(source), std::move(resolved->version)};
    }
  }
  std::error_code ec;
  fs::path absolute = fs::absolute(argument, ec);
  if (ec) return InvalidArgument("data '{}': {}", argument, ec.message());
  std::string path = absolute.lexically_normal().string();
  return DataLocation{path, path, std::nullopt};
}

Result<LoadedData> ReadData(const std::string& argument, datasets::DatasetStore* datasets) {
  SLUICE_ASSIGN_OR_RETURN(DataLocation location, LocateData(argument, datasets));
  SLUICE_ASSIGN_OR_RETURN(table::Table data, table::ReadTable(location.path));
  SLUICE_ASSIGN_OR_RETURN(std::string digest, Sha256::HexOfFile(location.path));
  return LoadedData{std::move(data), std::move(digest), std::move(location.path),
                    std::move(location.source), std::move(location.version)};
}

tracking::DatasetInput DatasetInputOf(const LoadedData& data, std::string_view context) {
  tracking::Dataset dataset{
      .name = data.version ? data.version->name : fs::path(data.path).filename().string(),
      .digest = data.version ? data.version->digest : data.sha256,
      .source_type = data.version ? "sluice" : "local",
      .source = Json{{"uri", data.source}}.dump(),
      .schema = DatasetSchema(data.table),
      .profile = Json{{"num_rows", data.table.num_rows()},
                      {"num_elements", data.table.num_rows() * data.table.num_columns()}}
                     .dump(),
  };
  return {.tags = {{std::string(tracking::kDatasetContextTag), std::string(context)}},
          .dataset = std::move(dataset)};
}

Result<std::string> ExperimentId(tracking::TrackingStore& store, const std::string& name) {
  Result<tracking::Experiment> found = store.GetExperimentByName(name);
  if (found.ok()) return found->experiment_id;
  if (found.status().code() != StatusCode::kNotFound) return found.status();
  Result<std::string> created = store.CreateExperiment({.name = name});
  if (created.ok() || created.status().code() != StatusCode::kAlreadyExists) return created;
  SLUICE_ASSIGN_OR_RETURN(tracking::Experiment raced, store.GetExperimentByName(name));
  return raced.experiment_id;  // another process created it first
}

}  // namespace sluice::training::internal
