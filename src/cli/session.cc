#include "cli/session.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/clock.h"

namespace sluice::cli {

Result<Session> OpenSession(const GlobalOptions& options) {
  std::filesystem::path root;
  if (!options.workspace.empty()) {
    root = options.workspace;
  } else if (const char* env = std::getenv("SLUICE_WORKSPACE"); env != nullptr && *env != '\0') {
    root = env;
  } else {
    SLUICE_ASSIGN_OR_RETURN(root, storage::Workspace::Find(std::filesystem::current_path()));
  }
  Session session;
  SLUICE_ASSIGN_OR_RETURN(session.workspace, storage::Workspace::Open(root));
  SLUICE_ASSIGN_OR_RETURN(session.tracking, tracking::TrackingStore::Open(
                                                session.workspace->database(), SystemClock::Get()));
  session.artifacts = std::make_unique<tracking::ArtifactStore>(
      session.workspace->database(), session.workspace->blobs(), SystemClock::Get());
  SLUICE_ASSIGN_OR_RETURN(session.registry,
                          registry::RegistryStore::Open(session.workspace->database(),
                                                        *session.tracking, SystemClock::Get()));
  SLUICE_ASSIGN_OR_RETURN(
      session.datasets,
      datasets::DatasetStore::Open(session.workspace->database(), session.workspace->blobs(),
                                   session.workspace->root(), SystemClock::Get()));
  return session;
}

std::function<void()> SessionCommand(CommandContext& context,
                                     std::function<Status(Session&)> body) {
  return [&context, body = std::move(body)] {
    Result<Session> session = OpenSession(context.global);
    Status status = session.ok() ? body(*session) : session.status();
    if (!status.ok()) context.exit_code = ReportError(context.global, status);
  };
}

training::Services TrainingServices(Session& s) {
  return {*s.tracking,        *s.artifacts,  *s.registry,
          SystemClock::Get(), CurrentUser(), s.datasets.get()};
}

std::string CurrentUser() {
  const char* user = std::getenv("USER");
  if (user != nullptr && *user != '\0') return user;
  if (const passwd* account = getpwuid(getuid()); account != nullptr) return account->pw_name;
  return "unknown";
}

Result<tracking::Experiment> ResolveExperiment(tracking::TrackingStore& store,
                                               const std::string& id_or_name) {
  bool numeric =
      !id_or_name.empty() && id_or_name.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) {
    Result<tracking::Experiment> by_id = store.GetExperiment(id_or_name);
    if (by_id.ok() || by_id.status().code() != StatusCode::kNotFound) return by_id;
  }
  Result<tracking::Experiment> by_name = store.GetExperimentByName(id_or_name);
  if (!by_name.ok() && by_name.status().code() == StatusCode::kNotFound) {
    return NotFound("no experiment has the id or name '{}' (list them: sluice experiments list)",
                    id_or_name);
  }
  return by_name;
}

}  // namespace sluice::cli
