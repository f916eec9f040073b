// The model registry: registered models, their versions, aliases and legacy stages, with
// MLflow's semantics, plus what MLflow lacks: an append-only audit log of every change (which
// rollback reads) and an event feed that serving replicas and pipelines follow.
//
//   SLUICE_ASSIGN_OR_RETURN(auto registry, RegistryStore::Open(db, tracking, clock));
//   SLUICE_ASSIGN_OR_RETURN(ModelVersion v, registry->CreateModelVersion(
//       {.name = "churn", .source = "runs:/<run-id>/model", .run_id = "<run-id>"}));
//   SLUICE_RETURN_IF_ERROR(registry->SetAlias({.name = "churn", .alias = "production",
//                                              .version = v.version, .actor = "ana"}));
//
// Every change is one transaction together with its audit entry and event: they happen whole or
// not at all. Thread safety: thread-safe; any number of processes may share the database.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "registry/types.h"
#include "storage/database.h"
#include "tracking/artifacts.h"
#include "tracking/tracking_store.h"

namespace sluice::registry {

// Who changed something and why, recorded in the audit log.
struct Change {
  std::string actor;   // "" = "unknown"
  std::string reason;  // optional
};

struct CreateModelVersionRequest {
  std::string name;
  std::string source;  // required: runs:/<run>/<path>, mlflow-artifacts:/..., models:/m-...
  std::string run_id;  // optional; when given the run must exist
  std::vector<Tag> tags;
  std::string run_link;
  std::string description;
  std::string model_id;
  Change change;
};

struct SearchRequest {
  std::string filter;
  std::vector<std::string> order_by;
  int64_t max_results = 0;  // 0 = the default (100 models, 10000 versions)
  std::string page_token;
};

inline constexpr int64_t kMaxRegisteredModelResults = 1000;
inline constexpr int64_t kMaxModelVersionResults = 200000;

// Reserved alias names: "latest" and "v<digits>" (they name versions already).
bool IsReservedAlias(std::string_view alias);

class RegistryStore {
 public:
  // Applies the registry migrations. All three must outlive the store.
  static Result<std::unique_ptr<RegistryStore>> Open(storage::Database& database,
                                                     tracking::TrackingStore& tracking,
                                                     const Clock& clock);

  // --- registered models ---------------------------------------------------------------------
  // kAlreadyExists when the name is taken.
  Result<RegisteredModel> CreateRegisteredModel(std::string_view name, const std::vector<Tag>& tags,
                                                std::string_view description, const Change& change);
  Result<RegisteredModel> GetRegisteredModel(std::string_view name);
  // Versions, aliases and tags follow the model to its new name.
  Result<RegisteredModel> RenameRegisteredModel(std::string_view name, std::string_view new_name,
                                                const Change& change);
  Result<RegisteredModel> UpdateRegisteredModel(std::string_view name, std::string_view description,
                                                const Change& change);
  // Deletes the model with its versions, aliases and tags.
  Status DeleteRegisteredModel(std::string_view name, const Change& change);
  // Filter on name and tags.<k> (= != LIKE ILIKE), clauses joined by AND; order_by name,
  // creation_timestamp (also timestamp), last_updated_timestamp. The clause MLflow 3 clients
  // always append, tags.`mlflow.prompt.is_prompt` != 'true', means "not a prompt": models
  // without the tag match it.
  Result<tracking::Page<RegisteredModel>> SearchRegisteredModels(const SearchRequest& request);
  Status SetRegisteredModelTag(std::string_view name, const Tag& tag, const Change& change);
  // Deleting a missing tag is OK, as in MLflow.
  Status DeleteRegisteredModelTag(std::string_view name, std::string_view key,
                                  const Change& change);

  // --- model versions ------------------------------------------------------------------------
  // Creates the registered model too when it does not exist (as mlflow.register_model does).
  // Refuses a missing run, a runs:/ source whose path has '..', and a local source outside the
  // run's artifacts, before anything is written.
  Result<ModelVersion> CreateModelVersion(const CreateModelVersionRequest& request);
  // kNotFound for a missing version; kInvalidArgument for a version that is not an integer.
  Result<ModelVersion> GetModelVersion(std::string_view name, std::string_view version);
  Result<ModelVersion> UpdateModelVersion(std::string_view name, std::string_view version,
                                          std::string_view description, const Change& change);
  // Refused (kFailedPrecondition naming the aliases) while an alias points at the version,
  // unless `force`, which deletes those aliases too and audits it.
  Status DeleteModelVersion(std::string_view name, std::string_view version, bool force,
                            const Change& change);
  // Filter on name, version_number, run_id (also IN), source_path and tags.<k>; order_by name,
  // version_number, creation_timestamp, last_updated_timestamp.
  Result<tracking::Page<ModelVersion>> SearchModelVersions(const SearchRequest& request);
  Status SetModelVersionTag(std::string_view name, std::string_view version, const Tag& tag,
                            const Change& change);
  Status DeleteModelVersionTag(std::string_view name, std::string_view version,
                               std::string_view key, const Change& change);
  // Stage names in any case; archive_existing moves other versions in that stage to Archived.
  Result<ModelVersion> TransitionStage(std::string_view name, std::string_view version,
                                       std::string_view stage, bool archive_existing,
                                       const Change& change);
  // The newest version in each of `stages` (every stage when empty).
  Result<std::vector<ModelVersion>> GetLatestVersions(std::string_view name,
                                                      const std::vector<std::string>& stages);
  // Where the version's files are, with runs:/ sources resolved to the run's artifact URI.
  Result<std::string> GetDownloadUri(std::string_view name, std::string_view version);

  // --- aliases -------------------------------------------------------------------------------
  // Moves the alias when it exists (atomically; the audit log keeps the previous target).
  Status SetAlias(std::string_view name, std::string_view alias, std::string_view version,
                  const Change& change);
  Status DeleteAlias(std::string_view name, std::string_view alias, const Change& change);
  Result<ModelVersion> GetModelVersionByAlias(std::string_view name, std::string_view alias);
  // Points `to_alias` at the version `from_alias` points at.
  Result<ModelVersion> Promote(std::string_view name, std::string_view from_alias,
                               std::string_view to_alias, const Change& change);
  // Points `alias` back at the version it pointed at before its last move (from the audit log).
  // kFailedPrecondition when it has no earlier target.
  Result<ModelVersion> Rollback(std::string_view name, std::string_view alias,
                                const Change& change);

  // --- models:/ URIs -------------------------------------------------------------------------
  // models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/<stage>,
  // models:/<name>/latest. kInvalidArgument for a malformed URI, kNotFound for a missing target.
  Result<ModelVersion> Resolve(std::string_view models_uri);
  // The artifact-store folder holding a model's files, for models:/ URIs (through the version's
  // source) and runs:/<run-id>/<path>. kUnimplemented when the files are elsewhere (a local path,
  // another server's artifacts); other errors as Resolve's.
  Result<std::string> ArtifactFolder(std::string_view model_uri);
  // Reads the files of a model's folder by name (what models::ReadBundle takes); `artifacts` must
  // outlive the reader. Errors as ArtifactFolder's.
  using ModelFileReader = std::function<Result<std::string>(std::string_view name)>;
  Result<ModelFileReader> ModelFiles(std::string_view model_uri, tracking::ArtifactStore& artifacts);

  // --- audit log and events ------------------------------------------------------------------
  // Every change of one registered model ("" = all), oldest first.
  Result<std::vector<AuditEntry>> History(std::string_view name, int64_t limit = 1000);
  // Events with sequence > after, oldest first, at most `limit`. With `wait`, a long poll: when
  // there is none yet, waits up to `wait` for one (checking the database every 50 ms, so writes
  // from other processes are seen too).
  Result<std::vector<Event>> EventsAfter(int64_t after, int64_t limit = 1000,
                                         std::chrono::milliseconds wait = {});
  // The sequence number of the newest event, 0 when there is none: where a follower that only
  // cares about changes from now on starts.
  Result<int64_t> LastEventSequence();

 private:
  RegistryStore(storage::Database& database, tracking::TrackingStore& tracking, const Clock& clock);
  Result<std::vector<Event>> ReadEventsAfter(int64_t after, int64_t limit);

  storage::Database& db_;
  tracking::TrackingStore& tracking_;
  const Clock& clock_;
};

}  // namespace sluice::registry
