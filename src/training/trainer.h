// A training run: reads the data, splits it, fits the learner, evaluates every split, and records
// all of it as a tracking run: params (the resolved config), per-round metrics, final metrics,
// the data's digest as a run input, the environment as tags, and the model bundle as artifacts
// (model/, registrable as runs:/<run-id>/model). Optionally registers the model.
//
//   Services services{tracking, artifacts, registry, SystemClock::Get(), "ana"};
//   SLUICE_ASSIGN_OR_RETURN(TrainResult result, Train(config, services));
//
// Thread safety: Train may run concurrently with other stores' users; it is one run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "datasets/dataset_store.h"
#include "models/bundle.h"
#include "registry/registry_store.h"
#include "tracking/artifacts.h"
#include "tracking/tracking_store.h"
#include "training/config.h"
#include "validation/result.h"

namespace sluice::training {

struct Services {
  tracking::TrackingStore& tracking;
  tracking::ArtifactStore& artifacts;
  registry::RegistryStore& registry;
  const Clock& clock;
  std::string user;  // the run's user and the registry's actor
  // Resolves data arguments that name a dataset version ("churn@2"); null = files only.
  datasets::DatasetStore* datasets = nullptr;
};

// Tags every training run carries.
inline constexpr std::string_view kDataDigestTag = "sluice.data.sha256";
inline constexpr std::string_view kModelDigestTag = "sluice.model.sha256";
// The expectation suite the data passed (config `suite`), by its name.
inline constexpr std::string_view kDataSuiteTag = "sluice.data.suite";
inline constexpr std::string_view kReproducesTag = "sluice.reproduces";
inline constexpr std::string_view kParentRunTag = "mlflow.parentRunId";
// Artifacts of a training run.
inline constexpr std::string_view kModelArtifactPath = "model";
inline constexpr std::string_view kConfigArtifact = "train.yaml";
// The data's validation results against config `suite`, in Great Expectations' format.
inline constexpr std::string_view kDataCheckArtifact = "data_validation.json";

struct TrainOptions {
  std::vector<tracking::Tag> tags;  // added to the run (a parent run id, a reproduction)
  // Called after each boosting round or solver iteration with (done, total); for progress bars.
  std::function<void(int64_t done, int64_t total)> on_progress;
};

struct TrainResult {
  std::string run_id;
  std::string run_name;
  std::string experiment_id;
  TrainConfig config;  // resolved: every "auto" decided, paths absolute
  models::Task task = models::Task::kBinary;
  size_t train_rows = 0, validation_rows = 0, test_rows = 0;
  size_t num_features = 0;
  int rounds = 0;                 // trees per output kept (xgboost) or solver iterations (linear)
  std::optional<int> best_round;  // xgboost with early stopping
  std::map<std::string, double> metrics;  // "<split>_<metric>": validation_auc, test_rmse, ...
  std::vector<std::pair<std::string, double>> importance;  // feature -> importance, descending
  std::string data_sha256;
  // The training data against config `suite` (it passed: failing data is refused), when set.
  std::optional<validation::SuiteResult> data_check;
  std::string model_sha256;  // of the model file in the library's format
  std::optional<registry::ModelVersion> registered;
};

// Validates the config, then trains. Errors before the run exists (bad config, unreadable data)
// leave nothing behind; a failure after it is created marks the run FAILED with the error in
// the tag `sluice.error`, and returns the error.
Result<TrainResult> Train(const TrainConfig& config, const Services& services,
                          const TrainOptions& options = {});

// Reads a model bundle from a models:/ or runs:/ URI.
Result<models::Bundle> LoadBundle(std::string_view model_uri, const Services& services);

}  // namespace sluice::training
