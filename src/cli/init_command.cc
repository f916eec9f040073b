// sluice init [DIR]
#include <filesystem>
#include <iostream>

#include "base/clock.h"
#include "cli/commands.h"
#include "storage/workspace.h"
#include "tracking/schema.h"
#include "tracking/tracking_store.h"

namespace sluice::cli {
namespace {

Status RunInit(const std::string& dir, const GlobalOptions& global) {
  std::filesystem::path root = std::filesystem::absolute(dir).lexically_normal();
  SLUICE_ASSIGN_OR_RETURN(auto workspace, storage::Workspace::Init(root));
  // Domain modules own their tables; opening them applies their migrations now rather than on
  // first use, so `init` leaves a complete database.
  SLUICE_ASSIGN_OR_RETURN(auto tracking,
                          tracking::TrackingStore::Open(workspace->database(), SystemClock::Get()));
  SLUICE_ASSIGN_OR_RETURN(int version,
                          workspace->database().SchemaVersion(tracking::kSchemaModule));
  std::filesystem::path dot = workspace->root() / storage::Workspace::kDirName;
  if (global.json) {
    PrintJson({{"workspace", workspace->root().string()},
               {"config", (dot / storage::Workspace::kConfigFileName).string()},
               {"metadata", workspace->config().metadata_uri},
               {"blobs", workspace->config().blob_uri},
               {"schema", {{std::string(tracking::kSchemaModule), version}}}});
  } else {
    std::cout << "Initialized a Sluice workspace in " << dot.string() << "\n"
              << "  metadata  " << workspace->config().metadata_uri << " (tracking schema v"
              << version << ")\n"
              << "  blobs     " << workspace->config().blob_uri << "\n"
              << "Next: sluice server   (MLflow clients: mlflow.set_tracking_uri(\"http://"
              << workspace->config().server_host << ":" << workspace->config().server_port
              << "\"))\n";
  }
  return Status();
}

}  // namespace

void AddInitCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand(
      "init",
      "Create a workspace: DIR/.sluice/ with the metadata database (sluice.db), the blob store "
      "(objects/) and config.yaml");
  auto dir = std::make_shared<std::string>(".");
  cmd->add_option("dir", *dir, "Folder to create the workspace in (default: the current one)");
  cmd->add_flag("--json", context.global.json, "Print the result as one JSON document");
  cmd->callback([&context, dir] {
    Status status = RunInit(*dir, context.global);
    if (!status.ok()) context.exit_code = ReportError(context.global, status);
  });
}

}  // namespace sluice::cli
