// Plain values of the model registry, shaped like MLflow's registry entities so the api layer
// maps them one to one. Versions are decimal strings ("1", "2", ...) as on MLflow's wire.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tracking/types.h"

namespace sluice::registry {

using tracking::Tag;

// Legacy stages, in MLflow's spelling. Input is matched case-insensitively.
inline constexpr std::string_view kStageNone = "None";
inline constexpr std::string_view kStageStaging = "Staging";
inline constexpr std::string_view kStageProduction = "Production";
inline constexpr std::string_view kStageArchived = "Archived";

struct ModelVersion {
  std::string name;
  std::string version;
  int64_t creation_timestamp = 0;
  int64_t last_updated_timestamp = 0;
  std::string user_id;
  std::string current_stage = std::string(kStageNone);
  std::string description;
  std::string source;  // where the model's files are: runs:/, mlflow-artifacts:/, models:/m-...
  std::string run_id;
  std::string status = "READY";
  std::string status_message;
  std::string run_link;
  std::string model_id;  // MLflow 3 logged model, when registered from one
  std::vector<Tag> tags;
  std::vector<std::string> aliases;
};

struct Alias {
  std::string alias;
  std::string version;
  friend bool operator==(const Alias&, const Alias&) = default;
};

struct RegisteredModel {
  std::string name;
  int64_t creation_timestamp = 0;
  int64_t last_updated_timestamp = 0;
  std::string description;
  std::vector<ModelVersion> latest_versions;  // the newest version per stage
  std::vector<Tag> tags;
  std::vector<Alias> aliases;
};

// One entry of the append-only audit log: every registry change, who made it, when, and the
// state before and after (JSON objects, "" when there was none).
struct AuditEntry {
  int64_t id = 0;
  int64_t time = 0;
  std::string actor;
  std::string action;  // e.g. "create_model_version", "set_alias", "transition_stage", "rollback"
  std::string name;
  std::string version;  // "" when the change is not about one version
  std::string before;
  std::string after;
  std::string reason;
};

// A registry event that servers and pipelines follow: a version created, an alias moved, a
// stage changed, a model or version deleted. Sequence numbers only grow.
struct Event {
  int64_t sequence = 0;
  int64_t time = 0;
  std::string type;  // "version_created", "alias_set", "alias_deleted", "stage_changed", ...
  std::string name;
  std::string version;
  std::string alias;  // for alias events
  std::string stage;  // for stage events
};

}  // namespace sluice::registry
