// Experiment tracking: experiments, runs, params, metrics, tags, dataset inputs and MLflow 3
// logged models, kept in the metadata database with MLflow's semantics (so that MLflow clients
// see what they expect through the api layer).
//
//   SLUICE_ASSIGN_OR_RETURN(auto store, TrackingStore::Open(workspace.database(), clock));
//   SLUICE_ASSIGN_OR_RETURN(std::string id, store->CreateExperiment({.name = "churn"}));
//   SLUICE_ASSIGN_OR_RETURN(Run run, store->CreateRun({.experiment_id = id}));
//   SLUICE_RETURN_IF_ERROR(store->LogBatch(run.info.run_id, metrics, params, tags));
//
// Every write is one database transaction: it happens whole or not at all, and is durable when
// the call returns. Input is validated before anything is written.
// Thread safety: thread-safe; any number of processes may share the database.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "storage/database.h"
#include "tracking/types.h"

namespace sluice::tracking {

struct CreateExperimentRequest {
  std::string name;
  std::string artifact_location;  // "" = mlflow-artifacts:/<experiment_id>
  std::vector<Tag> tags;
};

struct SearchExperimentsRequest {
  std::string filter;
  std::vector<std::string> order_by;
  std::string view_type;  // ACTIVE_ONLY (default), DELETED_ONLY, ALL
  int64_t max_results = 1000;
  std::string page_token;
};

struct CreateRunRequest {
  std::string experiment_id = std::string(kDefaultExperimentId);
  std::string user_id;
  std::string run_name;               // "" = a generated name such as "brave-otter-417"
  std::optional<int64_t> start_time;  // default: now
  std::vector<Tag> tags;
};

struct UpdateRunRequest {
  std::string run_id;
  std::optional<std::string> status;
  std::optional<int64_t> end_time;
  std::optional<std::string> run_name;
};

struct SearchRunsRequest {
  std::vector<std::string> experiment_ids;
  std::string filter;
  std::string view_type;  // ACTIVE_ONLY (default), DELETED_ONLY, ALL
  int64_t max_results = 1000;
  std::vector<std::string> order_by;
  std::string page_token;
};

struct CreateLoggedModelRequest {
  std::string experiment_id;
  std::string name;
  std::string model_type;
  std::string source_run_id;
  std::vector<Param> params;
  std::vector<Tag> tags;
};

inline constexpr int64_t kMaxSearchResults = 50000;

class TrackingStore {
 public:
  // Applies the tracking migrations and makes sure the Default experiment ("0") exists.
  // `database` and `clock` must outlive the store.
  static Result<std::unique_ptr<TrackingStore>> Open(storage::Database& database,
                                                     const Clock& clock);

  // --- experiments ---------------------------------------------------------------------------
  // kAlreadyExists when the name is taken, also by a deleted experiment.
  Result<std::string> CreateExperiment(const CreateExperimentRequest& request);
  // kNotFound for unknown (or non-numeric) ids.
  Result<Experiment> GetExperiment(std::string_view experiment_id);
  Result<Experiment> GetExperimentByName(std::string_view name);
  Result<Page<Experiment>> SearchExperiments(const SearchExperimentsRequest& request);
  Status RenameExperiment(std::string_view experiment_id, std::string_view new_name);
  // Soft delete; the experiment's runs are deleted with it. The Default experiment cannot be
  // deleted.
  Status DeleteExperiment(std::string_view experiment_id);
  // Restores a deleted experiment and the runs deleted with it.
  Status RestoreExperiment(std::string_view experiment_id);
  Status SetExperimentTag(std::string_view experiment_id, const Tag& tag);
  Status DeleteExperimentTag(std::string_view experiment_id, std::string_view key);

  // --- runs ----------------------------------------------------------------------------------
  Result<Run> CreateRun(const CreateRunRequest& request);
  Result<Run> GetRun(std::string_view run_id);
  Result<RunInfo> UpdateRun(const UpdateRunRequest& request);
  Status DeleteRun(std::string_view run_id);
  Status RestoreRun(std::string_view run_id);
  Result<Page<Run>> SearchRuns(const SearchRunsRequest& request);

  // Params are immutable: the same value again is OK, a different one is kInvalidArgument.
  Status LogParam(std::string_view run_id, const Param& param);
  Status LogMetric(std::string_view run_id, const Metric& metric);
  Status SetTag(std::string_view run_id, const Tag& tag);
  Status DeleteTag(std::string_view run_id, std::string_view key);
  // All or nothing, within MLflow's limits (1000 metrics, 100 params, 100 tags).
  Status LogBatch(std::string_view run_id, const std::vector<Metric>& metrics,
                  const std::vector<Param>& params, const std::vector<Tag>& tags);
  Status LogInputs(std::string_view run_id, const std::vector<DatasetInput>& inputs);
  // Appends `model_json` to the run's mlflow.log-model.history tag, as MLflow 2 does.
  Status LogModel(std::string_view run_id, std::string_view model_json);
  // Every point of one metric, ordered by step then timestamp. max_results 0 = all.
  Result<Page<Metric>> GetMetricHistory(std::string_view run_id, std::string_view key,
                                        int64_t max_results, std::string_view page_token);

  // --- MLflow 3 logged models ----------------------------------------------------------------
  Result<LoggedModel> CreateLoggedModel(const CreateLoggedModelRequest& request);
  Result<LoggedModel> GetLoggedModel(std::string_view model_id);
  Result<LoggedModel> FinalizeLoggedModel(std::string_view model_id, std::string_view status);
  Status DeleteLoggedModel(std::string_view model_id);
  Status SetLoggedModelTags(std::string_view model_id, const std::vector<Tag>& tags);
  Status DeleteLoggedModelTag(std::string_view model_id, std::string_view key);
  Status LogLoggedModelParams(std::string_view model_id, const std::vector<Param>& params);
  // Newest first. An empty experiment list searches every experiment. `filter` is what MLflow
  // clients send here: `<attribute> = '<value>'` or `!=` clauses joined by AND, on name,
  // source_run_id, model_id, model_type and status (e.g. "source_run_id='ab12' AND name='model'").
  Result<Page<LoggedModel>> SearchLoggedModels(const std::vector<std::string>& experiment_ids,
                                               std::string_view filter, int64_t max_results,
                                               std::string_view page_token);
  Status LogOutputs(std::string_view run_id, const std::vector<ModelOutput>& outputs);

 private:
  TrackingStore(storage::Database& database, const Clock& clock);

  storage::Database& db_;
  const Clock& clock_;
};

}  // namespace sluice::tracking
