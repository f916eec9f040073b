// What a command works on: the workspace (found from the current folder or --workspace) and
// the domain stores over it.
#pragma once

#include <memory>

#include "base/status.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "datasets/dataset_store.h"
#include "registry/registry_store.h"
#include "storage/workspace.h"
#include "tracking/artifacts.h"
#include "tracking/tracking_store.h"
#include "training/trainer.h"

namespace sluice::cli {

struct Session {
  std::unique_ptr<storage::Workspace> workspace;
  std::unique_ptr<tracking::TrackingStore> tracking;
  std::unique_ptr<tracking::ArtifactStore> artifacts;
  std::unique_ptr<registry::RegistryStore> registry;
  std::unique_ptr<datasets::DatasetStore> datasets;  // hashing on one thread per core
};

Result<Session> OpenSession(const GlobalOptions& options);

// A command callback that opens the session, runs `body`, and reports a failure.
std::function<void()> SessionCommand(CommandContext& context, std::function<Status(Session&)> body);

// What training, tuning, evaluation and reproduction work with: the session's stores, acting as
// the current user.
training::Services TrainingServices(Session& s);

// Who runs the command, for run users and the registry's audit log: $USER, else the account's
// name (cron and CI shells often run without USER).
std::string CurrentUser();

// An experiment given as an id ("3") or a name ("churn"); an id wins when both could match.
Result<tracking::Experiment> ResolveExperiment(tracking::TrackingStore& store,
                                               const std::string& id_or_name);

}  // namespace sluice::cli
