#include "registry/registry_store.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/random.h"
#include "registry/schema.h"
#include "registry/search.h"
#include "tracking/artifacts.h"
#include "tracking/search.h"

namespace sluice::registry {
namespace {

using storage::Connection;
using storage::Row;
using storage::Value;
using Json = nlohmann::json;

constexpr int64_t kDefaultModelResults = 100;
constexpr int64_t kDefaultVersionResults = 10000;

Result<int64_t> ParseVersion(std::string_view version) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), value);
  if (version.empty() || ec != std::errc() || end != version.data() + version.size() || value < 1) {
    return InvalidArgument("model version '{}' must be a positive integer", version);
  }
  return value;
}

Result<std::string> CanonicalStage(std::string_view stage) {
  for (std::string_view s : {kStageNone, kStageStaging, kStageProduction, kStageArchived}) {
    if (s.size() == stage.size() &&
        std::equal(s.begin(), s.end(), stage.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return std::string(s);
    }
  }
  return InvalidArgument("invalid stage '{}'; use None, Staging, Production or Archived", stage);
}

Status CheckName(std::string_view name) {
  if (name.empty()) return InvalidArgument("registered model name must not be empty");
  return Status();
}

Status CheckAliasName(std::string_view alias) {
  if (alias.empty()) return InvalidArgument("alias must not be empty");
  if (IsReservedAlias(alias)) {
    return InvalidArgument(
        "alias '{}' is reserved ('latest' and 'v<number>' name versions already); choose "
        "another name",
        alias);
  }
  return Status();
}

std::string Actor(const Change& change) { return change.actor.empty() ? "unknown" : change.actor; }

constexpr std::string_view kVersionColumns =
    "name, version, creation_timestamp, last_updated_timestamp, user_id, current_stage, "
    "description, source, run_id, status, status_message, run_link, model_id";

ModelVersion VersionFromRow(const Row& r) {
  ModelVersion v;
  v.name = r[0].AsText();
  v.version = std::to_string(r[1].AsInt());
  v.creation_timestamp = r[2].AsInt();
  v.last_updated_timestamp = r[3].AsInt();
  v.user_id = r[4].AsText();
  v.current_stage = r[5].AsText();
  v.description = r[6].AsText();
  v.source = r[7].AsText();
  v.run_id = r[8].AsText();
  v.status = r[9].AsText();
  v.status_message = r[10].AsText();
  v.run_link = r[11].AsText();
  v.model_id = r[12].AsText();
  return v;
}

Status LoadVersionDetails(Connection& c, ModelVersion& v) {
  int64_t number = std::stoll(v.version);
  SLUICE_ASSIGN_OR_RETURN(
      auto tags, c.Query("SELECT key, value FROM model_version_tags WHERE name = ? AND version = ? "
                         "ORDER BY key",
                         {v.name, number}));
  v.tags.clear();
  for (Row& r : tags) v.tags.push_back({r[0].AsText(), r[1].AsText()});
  SLUICE_ASSIGN_OR_RETURN(
      auto aliases,
      c.Query("SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? "
              "ORDER BY alias",
              {v.name, number}));
  v.aliases.clear();
  for (Row& r : aliases) v.aliases.push_back(r[0].AsText());
  return Status();
}

Result<ModelVersion> LoadVersion(Connection& c, std::string_view name, int64_t version) {
  SLUICE_ASSIGN_OR_RETURN(
      auto rows, c.Query(fmt::format("SELECT {} FROM model_versions WHERE name = ? AND version = ?",
                                     kVersionColumns),
                         {name, version}));
  if (rows.empty()) {
    return NotFound("model version '{}' of registered model '{}' does not exist", version, name);
  }
  ModelVersion v = VersionFromRow(rows[0]);
  SLUICE_RETURN_IF_ERROR(LoadVersionDetails(c, v));
  return v;
}

Status RequireModel(Connection& c, std::string_view name) {
  SLUICE_ASSIGN_OR_RETURN(auto rows,
                          c.Query("SELECT 1 FROM registered_models WHERE name = ?", {name}));
  if (rows.empty()) return NotFound("registered model '{}' does not exist", name);
  return Status();
}

// The newest version in each stage (every stage when `stages` is empty), by stage order.
Result<std::vector<ModelVersion>> LatestVersions(Connection& c, std::string_view name,
                                                 const std::vector<std::string>& stages) {
  SLUICE_ASSIGN_OR_RETURN(
      auto rows, c.Query("SELECT current_stage, MAX(version) FROM model_versions WHERE name = ? "
                         "GROUP BY current_stage",
                         {name}));
  std::vector<ModelVersion> out;
  for (std::string_view stage : {kStageNone, kStageStaging, kStageProduction, kStageArchived}) {
    if (!stages.empty() && std::find(stages.begin(), stages.end(), stage) == stages.end()) {
      continue;
    }
    for (Row& r : rows) {
      if (r[0].AsText() != stage) continue;
      SLUICE_ASSIGN_OR_RETURN(ModelVersion v, LoadVersion(c, name, r[1].AsInt()));
      out.push_back(std::move(v));
    }
  }
  return out;
}

Result<RegisteredModel> LoadModel(Connection& c, std::string_view name) {
  SLUICE_ASSIGN_OR_RETURN(
      auto rows, c.Query("SELECT name, creation_timestamp, last_updated_timestamp, description "
                         "FROM registered_models WHERE name = ?",
                         {name}));
  if (rows.empty()) return NotFound("registered model '{}' does not exist", name);
  RegisteredModel m;
  m.name = rows[0][0].AsText();
  m.creation_timestamp = rows[0][1].AsInt();
  m.last_updated_timestamp = rows[0][2].AsInt();
  m.description = rows[0][3].AsText();
  SLUICE_ASSIGN_OR_RETURN(
      auto tags,
      c.Query("SELECT key, value FROM registered_model_tags WHERE name = ? ORDER BY key", {name}));
  for (Row& r : tags) m.tags.push_back({r[0].AsText(), r[1].AsText()});
  SLUICE_ASSIGN_OR_RETURN(
      auto aliases,
      c.Query("SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias",
              {name}));
  for (Row& r : aliases) m.aliases.push_back({r[0].AsText(), std::to_string(r[1].AsInt())});
  SLUICE_ASSIGN_OR_RETURN(m.latest_versions, LatestVersions(c, name, {}));
  return m;
}

Json TagsJson(const std::vector<Tag>& tags) {
  Json j = Json::object();
  for (const Tag& t : tags) j[t.key] = t.value;
  return j;
}

std::string VersionJson(const ModelVersion& v) {
  return Json{{"name", v.name},
              {"version", v.version},
              {"current_stage", v.current_stage},
              {"description", v.description},
              {"source", v.source},
              {"run_id", v.run_id},
              {"model_id", v.model_id},
              {"tags", TagsJson(v.tags)},
              {"aliases", v.aliases}}
      .dump();
}

std::string ModelJson(const RegisteredModel& m) {
  Json aliases = Json::object();
  for (const Alias& a : m.aliases) aliases[a.alias] = a.version;
  return Json{{"name", m.name},
              {"description", m.description},
              {"tags", TagsJson(m.tags)},
              {"aliases", aliases}}
      .dump();
}

std::string AliasJson(std::string_view alias, std::string_view version) {
  return Json{{"alias", alias}, {"version", version}}.dump();
}

struct AuditRecord {
  std::string_view action;
  std::string_view name;
  std::string_view version;
  std::string_view alias;  // set when the entry moves an alias
  std::string before;
  std::string after;
};

// Entries are tied to the model's uid, not its name: a rename keeps the model's history, and a
// new model that takes a deleted model's name starts with none. So the model row must exist
// when its entry is written.
Status WriteAudit(Connection& c, int64_t now, const Change& change, const AuditRecord& a) {
  return c.Execute(
      "INSERT INTO registry_audit (id, model_uid, time, actor, action, name, version, alias, "
      "before, after, reason) SELECT COALESCE(MAX(id), 0) + 1, "
      "COALESCE((SELECT model_uid FROM registered_models WHERE name = ?), ''), "
      "?, ?, ?, ?, ?, ?, ?, ?, ? FROM registry_audit",
      {a.name, now, Actor(change), a.action, a.name, a.version, a.alias, a.before, a.after,
       change.reason});
}

struct EventRecord {
  std::string_view type;
  std::string_view name;
  std::string_view version;
  std::string_view alias;
  std::string_view stage;
};

Status WriteEvent(Connection& c, int64_t now, const EventRecord& e) {
  return c.Execute(
      "INSERT INTO registry_events (sequence, time, type, name, version, alias, stage) "
      "SELECT COALESCE(MAX(sequence), 0) + 1, ?, ?, ?, ?, ?, ? FROM registry_events",
      {now, e.type, e.name, e.version, e.alias, e.stage});
}

Status TouchModel(Connection& c, std::string_view name, int64_t now) {
  return c.Execute("UPDATE registered_models SET last_updated_timestamp = ? WHERE name = ?",
                   {now, name});
}

// "runs:/<run>/<path>" -> {run, path}; nullopt when `uri` is not a runs:/ URI.
std::optional<std::pair<std::string, std::string>> SplitRunsUri(std::string_view uri) {
  constexpr std::string_view kPrefix = "runs:/";
  if (!uri.starts_with(kPrefix)) return std::nullopt;
  uri.remove_prefix(kPrefix.size());
  while (uri.starts_with("/")) uri.remove_prefix(1);
  size_t slash = uri.find('/');
  std::string run(uri.substr(0, slash));
  std::string path = slash == std::string_view::npos ? "" : std::string(uri.substr(slash + 1));
  return std::make_pair(run, path);
}

// A source with no URI scheme, or file:, names a path on some machine's disk.
bool IsLocalSource(std::string_view source) {
  size_t colon = source.find(':');
  if (colon == std::string_view::npos || colon == 0) return true;
  std::string_view scheme = source.substr(0, colon);
  bool is_scheme =
      std::isalpha(static_cast<unsigned char>(scheme[0])) &&
      std::all_of(scheme.begin(), scheme.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '-' || ch == '.';
      });
  return !is_scheme || scheme == "file";
}

bool HasDotDotSegment(std::string_view source) {
  size_t start = 0;
  while (start <= source.size()) {
    size_t end = source.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = source.size();
    if (source.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

bool IsReservedAlias(std::string_view alias) {
  // MLflow compares "latest" without regard to case.
  std::string lower(alias);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "latest") return true;
  if (alias.size() >= 2 && (alias[0] == 'v' || alias[0] == 'V')) {
    return std::all_of(alias.begin() + 1, alias.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  }
  return false;
}

RegistryStore::RegistryStore(storage::Database& database, tracking::TrackingStore& tracking,
                             const Clock& clock)
    : db_(database), tracking_(tracking), clock_(clock) {}

Result<std::unique_ptr<RegistryStore>> RegistryStore::Open(storage::Database& database,
                                                           tracking::TrackingStore& tracking,
                                                           const Clock& clock) {
  SLUICE_RETURN_IF_ERROR(database.Migrate(kSchemaModule, Migrations()));
  return std::unique_ptr<RegistryStore>(new RegistryStore(database, tracking, clock));
}

// --- registered models ---------------------------------------------------------------------

Result<RegisteredModel> RegistryStore::CreateRegisteredModel(std::string_view name,
                                                             const std::vector<Tag>& tags,
                                                             std::string_view description,
                                                             const Change& change) {
  SLUICE_RETURN_IF_ERROR(CheckName(name));
  for (const Tag& t : tags) {
    if (t.key.empty())
      return InvalidArgument("registered model '{}': tag key must not be empty", name);
  }
  int64_t now = clock_.NowMillis();
  RegisteredModel model;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows,
                            c.Query("SELECT 1 FROM registered_models WHERE name = ?", {name}));
    if (!rows.empty()) {
      return AlreadyExists("registered model '{}' already exists; choose another name", name);
    }
    SLUICE_RETURN_IF_ERROR(
        c.Execute("INSERT INTO registered_models (name, model_uid, creation_timestamp, "
                  "last_updated_timestamp, description) VALUES (?, ?, ?, ?, ?)",
                  {name, RandomHex(32), now, now, description}));
    for (const Tag& t : tags) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (name, key) DO UPDATE SET value = excluded.value",
                    {name, t.key, t.value}));
    }
    SLUICE_ASSIGN_OR_RETURN(model, LoadModel(c, name));
    return WriteAudit(
        c, now, change,
        {.action = "create_registered_model", .name = name, .after = ModelJson(model)});
  }));
  return model;
}

Result<RegisteredModel> RegistryStore::GetRegisteredModel(std::string_view name) {
  RegisteredModel model;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(model, LoadModel(c, name));
    return Status();
  }));
  return model;
}

Result<RegisteredModel> RegistryStore::RenameRegisteredModel(std::string_view name,
                                                             std::string_view new_name,
                                                             const Change& change) {
  SLUICE_RETURN_IF_ERROR(CheckName(new_name));
  int64_t now = clock_.NowMillis();
  RegisteredModel model;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(RegisteredModel before, LoadModel(c, name));
    if (name == new_name) {
      model = before;
      return Status();
    }
    SLUICE_ASSIGN_OR_RETURN(auto taken,
                            c.Query("SELECT 1 FROM registered_models WHERE name = ?", {new_name}));
    if (!taken.empty()) {
      return AlreadyExists("cannot rename registered model '{}' to '{}': '{}' already exists", name,
                           new_name, new_name);
    }
    for (std::string_view table : {"registered_models", "registered_model_tags", "model_versions",
                                   "model_version_tags", "registered_model_aliases"}) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute(fmt::format("UPDATE {} SET name = ? WHERE name = ?", table), {new_name, name}));
    }
    SLUICE_RETURN_IF_ERROR(TouchModel(c, new_name, now));
    SLUICE_ASSIGN_OR_RETURN(model, LoadModel(c, new_name));
    SLUICE_RETURN_IF_ERROR(WriteAudit(c, now, change,
                                      {.action = "rename_registered_model",
                                       .name = new_name,
                                       .before = ModelJson(before),
                                       .after = ModelJson(model)}));
    return WriteEvent(c, now, {.type = "model_renamed", .name = new_name, .alias = name});
  }));
  return model;
}

Result<RegisteredModel> RegistryStore::UpdateRegisteredModel(std::string_view name,
                                                             std::string_view description,
                                                             const Change& change) {
  int64_t now = clock_.NowMillis();
  RegisteredModel model;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(RegisteredModel before, LoadModel(c, name));
    SLUICE_RETURN_IF_ERROR(c.Execute(
        "UPDATE registered_models SET description = ?, last_updated_timestamp = ? WHERE name = ?",
        {description, now, name}));
    SLUICE_ASSIGN_OR_RETURN(model, LoadModel(c, name));
    return WriteAudit(c, now, change,
                      {.action = "update_registered_model",
                       .name = name,
                       .before = ModelJson(before),
                       .after = ModelJson(model)});
  }));
  return model;
}

Status RegistryStore::DeleteRegisteredModel(std::string_view name, const Change& change) {
  int64_t now = clock_.NowMillis();
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(RegisteredModel before, LoadModel(c, name));
    SLUICE_RETURN_IF_ERROR(WriteAudit(
        c, now, change,
        {.action = "delete_registered_model", .name = name, .before = ModelJson(before)}));
    for (std::string_view table :
         {"registered_model_aliases", "model_version_tags", "model_versions",
          "registered_model_tags", "registered_models"}) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute(fmt::format("DELETE FROM {} WHERE name = ?", table), {name}));
    }
    return WriteEvent(c, now, {.type = "model_deleted", .name = name});
  });
}

Result<tracking::Page<RegisteredModel>> RegistryStore::SearchRegisteredModels(
    const SearchRequest& request) {
  if (request.max_results < 0 || request.max_results > kMaxRegisteredModelResults) {
    return InvalidArgument("max_results must be between 1 and {} for registered models; got {}",
                           kMaxRegisteredModelResults, request.max_results);
  }
  int64_t limit = request.max_results == 0 ? kDefaultModelResults : request.max_results;
  SLUICE_ASSIGN_OR_RETURN(int64_t offset, tracking::DecodePageToken(request.page_token));
  SLUICE_ASSIGN_OR_RETURN(Sql sql,
                          CompileModelSearch(request.filter, request.order_by, limit + 1, offset));
  tracking::Page<RegisteredModel> page;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows, c.Query(sql.text, sql.params));
    if (static_cast<int64_t>(rows.size()) > limit) {
      rows.resize(static_cast<size_t>(limit));
      page.next_page_token = tracking::EncodePageToken(offset + limit);
    }
    for (Row& r : rows) {
      SLUICE_ASSIGN_OR_RETURN(RegisteredModel m, LoadModel(c, r[0].AsText()));
      page.items.push_back(std::move(m));
    }
    return Status();
  }));
  return page;
}

Status RegistryStore::SetRegisteredModelTag(std::string_view name, const Tag& tag,
                                            const Change& change) {
  if (tag.key.empty()) {
    return InvalidArgument("registered model '{}': tag key must not be empty", name);
  }
  int64_t now = clock_.NowMillis();
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(RegisteredModel before, LoadModel(c, name));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?) "
                  "ON CONFLICT (name, key) DO UPDATE SET value = excluded.value",
                  {name, tag.key, tag.value}));
    SLUICE_RETURN_IF_ERROR(TouchModel(c, name, now));
    SLUICE_ASSIGN_OR_RETURN(RegisteredModel after, LoadModel(c, name));
    return WriteAudit(c, now, change,
                      {.action = "set_registered_model_tag",
                       .name = name,
                       .before = ModelJson(before),
                       .after = ModelJson(after)});
  });
}

Status RegistryStore::DeleteRegisteredModelTag(std::string_view name, std::string_view key,
                                               const Change& change) {
  int64_t now = clock_.NowMillis();
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(RegisteredModel before, LoadModel(c, name));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("DELETE FROM registered_model_tags WHERE name = ? AND key = ?", {name, key}));
    if (c.ChangedRows() == 0) return Status();
    SLUICE_RETURN_IF_ERROR(TouchModel(c, name, now));
    SLUICE_ASSIGN_OR_RETURN(RegisteredModel after, LoadModel(c, name));
    return WriteAudit(c, now, change,
                      {.action = "delete_registered_model_tag",
                       .name = name,
                       .before = ModelJson(before),
                       .after = ModelJson(after)});
  });
}

// --- model versions ------------------------------------------------------------------------

Result<ModelVersion> RegistryStore::CreateModelVersion(const CreateModelVersionRequest& request) {
  SLUICE_RETURN_IF_ERROR(CheckName(request.name));
  if (request.source.empty()) {
    return InvalidArgument("model version source must not be empty (e.g. runs:/<run_id>/model)");
  }
  if (HasDotDotSegment(request.source)) {
    return InvalidArgument("model version source '{}' must not contain a '..' path segment",
                           request.source);
  }
  for (const Tag& t : request.tags) {
    if (t.key.empty()) return InvalidArgument("model version tag key must not be empty");
  }
  if (request.run_id.empty() && IsLocalSource(request.source)) {
    return InvalidArgument(
        "invalid model version source '{}': a local path is accepted only with a run_id, and "
        "only inside that run's artifacts; register from runs:/<run_id>/<path> instead",
        request.source);
  }
  if (!request.run_id.empty()) {
    SLUICE_ASSIGN_OR_RETURN(tracking::Run run, tracking_.GetRun(request.run_id));
    const std::string& root = run.info.artifact_uri;
    if (auto runs = SplitRunsUri(request.source)) {
      if (runs->first != request.run_id) {
        return InvalidArgument("model version source '{}' names run '{}', not run '{}'",
                               request.source, runs->first, request.run_id);
      }
    } else if (request.source.starts_with("mlflow-artifacts:") ||
               (!root.empty() && !request.source.starts_with("models:"))) {
      std::string_view source = request.source;
      bool under = source == root || (source.starts_with(root) && source.size() > root.size() &&
                                      (source[root.size()] == '/' || root.ends_with("/")));
      if (!under) {
        return InvalidArgument(
            "model version source '{}' is not under the artifact root '{}' of run '{}'",
            request.source, root, request.run_id);
      }
    }
  }
  int64_t now = clock_.NowMillis();
  ModelVersion version;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        auto rows,
        c.Query("SELECT last_version FROM registered_models WHERE name = ?", {request.name}));
    int64_t number = 1;
    if (rows.empty()) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO registered_models (name, model_uid, creation_timestamp, "
                    "last_updated_timestamp, description, last_version) VALUES (?, ?, ?, ?, '', 1)",
                    {request.name, RandomHex(32), now, now}));
      SLUICE_ASSIGN_OR_RETURN(RegisteredModel created, LoadModel(c, request.name));
      SLUICE_RETURN_IF_ERROR(WriteAudit(c, now, request.change,
                                        {.action = "create_registered_model",
                                         .name = request.name,
                                         .after = ModelJson(created)}));
    } else {
      number = rows[0][0].AsInt() + 1;
      SLUICE_RETURN_IF_ERROR(
          c.Execute("UPDATE registered_models SET last_version = ?, last_updated_timestamp = ? "
                    "WHERE name = ?",
                    {number, now, request.name}));
    }
    SLUICE_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO model_versions (name, version, creation_timestamp, last_updated_timestamp, "
        "user_id, current_stage, description, source, run_id, status, status_message, run_link, "
        "model_id) VALUES (?, ?, ?, ?, ?, 'None', ?, ?, ?, 'READY', '', ?, ?)",
        {request.name, number, now, now, request.change.actor, request.description, request.source,
         request.run_id, request.run_link, request.model_id}));
    for (const Tag& t : request.tags) {
      SLUICE_RETURN_IF_ERROR(c.Execute(
          "INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value",
          {request.name, number, t.key, t.value}));
    }
    SLUICE_ASSIGN_OR_RETURN(version, LoadVersion(c, request.name, number));
    SLUICE_RETURN_IF_ERROR(WriteAudit(c, now, request.change,
                                      {.action = "create_model_version",
                                       .name = request.name,
                                       .version = version.version,
                                       .after = VersionJson(version)}));
    return WriteEvent(c, now,
                      {.type = "version_created",
                       .name = request.name,
                       .version = version.version,
                       .stage = kStageNone});
  }));
  return version;
}

Result<ModelVersion> RegistryStore::GetModelVersion(std::string_view name,
                                                    std::string_view version) {
  SLUICE_ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  ModelVersion v;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(v, LoadVersion(c, name, number));
    return Status();
  }));
  return v;
}

Result<ModelVersion> RegistryStore::UpdateModelVersion(std::string_view name,
                                                       std::string_view version,
                                                       std::string_view description,
                                                       const Change& change) {
  SLUICE_ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  int64_t now = clock_.NowMillis();
  ModelVersion v;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(ModelVersion before, LoadVersion(c, name, number));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("UPDATE model_versions SET description = ?, last_updated_timestamp = ? "
                  "WHERE name = ? AND version = ?",
                  {description, now, name, number}));
    SLUICE_ASSIGN_OR_RETURN(v, LoadVersion(c, name, number));
    return WriteAudit(c, now, change,
                      {.action = "update_model_version",
                       .name = name,
                       .version = v.version,
                       .before = VersionJson(before),
                       .after = VersionJson(v)});
  }));
  return v;
}

Status RegistryStore::DeleteModelVersion(std::string_view name, std::string_view version,
                                         bool force, const Change& change) {
  SLUICE_ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  int64_t now = clock_.NowMillis();
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(ModelVersion before, LoadVersion(c, name, number));
    if (!before.aliases.empty() && !force) {
      std::string names;
      for (const std::string& a : before.aliases) names += (names.empty() ? "" : ", ") + a;
      return FailedPrecondition(
          "model version '{}' of registered model '{}' is pointed at by aliases {}; move or "
          "delete them first, or delete with force",
          version, name, names);
    }
    for (const std::string& alias : before.aliases) {
      SLUICE_RETURN_IF_ERROR(c.Execute(
          "DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?", {name, alias}));
      SLUICE_RETURN_IF_ERROR(WriteAudit(c, now, change,
                                        {.action = "delete_alias",
                                         .name = name,
                                         .version = before.version,
                                         .alias = alias,
                                         .before = AliasJson(alias, before.version)}));
      SLUICE_RETURN_IF_ERROR(WriteEvent(
          c, now,
          {.type = "alias_deleted", .name = name, .version = before.version, .alias = alias}));
    }
    SLUICE_RETURN_IF_ERROR(
        c.Execute("DELETE FROM model_version_tags WHERE name = ? AND version = ?", {name, number}));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("DELETE FROM model_versions WHERE name = ? AND version = ?", {name, number}));
    SLUICE_RETURN_IF_ERROR(TouchModel(c, name, now));
    SLUICE_RETURN_IF_ERROR(WriteAudit(c, now, change,
                                      {.action = "delete_model_version",
                                       .name = name,
                                       .version = before.version,
                                       .before = VersionJson(before)}));
    return WriteEvent(c, now, {.type = "version_deleted", .name = name, .version = before.version});
  });
}

Result<tracking::Page<ModelVersion>> RegistryStore::SearchModelVersions(
    const SearchRequest& request) {
  if (request.max_results < 0 || request.max_results > kMaxModelVersionResults) {
    return InvalidArgument("max_results must be between 1 and {} for model versions; got {}",
                           kMaxModelVersionResults, request.max_results);
  }
  int64_t limit = request.max_results == 0 ? kDefaultVersionResults : request.max_results;
  SLUICE_ASSIGN_OR_RETURN(int64_t offset, tracking::DecodePageToken(request.page_token));
  SLUICE_ASSIGN_OR_RETURN(
      Sql sql, CompileVersionSearch(request.filter, request.order_by, limit + 1, offset));
  tracking::Page<ModelVersion> page;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows, c.Query(sql.text, sql.params));
    if (static_cast<int64_t>(rows.size()) > limit) {
      rows.resize(static_cast<size_t>(limit));
      page.next_page_token = tracking::EncodePageToken(offset + limit);
    }
    for (Row& r : rows) {
      SLUICE_ASSIGN_OR_RETURN(ModelVersion v, LoadVersion(c, r[0].AsText(), r[1].AsInt()));
      page.items.push_back(std::move(v));
    }
    return Status();
  }));
  return page;
}

Status RegistryStore::SetModelVersionTag(std::string_view name, std::string_view version,
                                         const Tag& tag, const Change& change) {
  SLUICE_ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  if (tag.key.empty()) return InvalidArgument("model version tag key must not be empty");
  int64_t now = clock_.NowMillis();
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(ModelVersion before, LoadVersion(c, name, number));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value",
                  {name, number, tag.key, tag.value}));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("UPDATE model_versions SET last_updated_timestamp = ? WHERE name = ? AND "
                  "version = ?",
                  {now, name, number}));
    SLUICE_ASSIGN_OR_RETURN(ModelVersion after, LoadVersion(c, name, number));
    return WriteAudit(c, now, change,
                      {.action = "set_model_version_tag",
                       .name = name,
                       .version = after.version,
                       .before = VersionJson(before),
                       .after = VersionJson(after)});
  });
}

Status RegistryStore::DeleteModelVersionTag(std::string_view name, std::string_view version,
                                            std::string_view key, const Change& change) {
  SLUICE_ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  int64_t now = clock_.NowMillis();
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(ModelVersion before, LoadVersion(c, name, number));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?",
                  {name, number, key}));
    if (c.ChangedRows() == 0) return Status();
    SLUICE_ASSIGN_OR_RETURN(ModelVersion after, LoadVersion(c, name, number));
    return WriteAudit(c, now, change,
                      {.action = "delete_model_version_tag",
                       .name = name,
                       .version = after.version,
                       .before = VersionJson(before),
                       .after = VersionJson(after)});
  });
}

Result<ModelVersion> RegistryStore::TransitionStage(std::string_view name, std::string_view version,
                                                    std::string_view stage, bool archive_existing,
                                                    const Change& change) {
  SLUICE_ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  SLUICE_ASSIGN_OR_RETURN(std::string canonical, CanonicalStage(stage));
  int64_t now = clock_.NowMillis();
  ModelVersion v;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(ModelVersion before, LoadVersion(c, name, number));
    if (archive_existing && (canonical == kStageStaging || canonical == kStageProduction)) {
      SLUICE_ASSIGN_OR_RETURN(auto others,
                              c.Query("SELECT version FROM model_versions WHERE name = ? AND "
                                      "current_stage = ? AND version != ? ORDER BY version",
                                      {name, canonical, number}));
      for (Row& r : others) {
        SLUICE_ASSIGN_OR_RETURN(ModelVersion old, LoadVersion(c, name, r[0].AsInt()));
        SLUICE_RETURN_IF_ERROR(
            c.Execute("UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? "
                      "WHERE name = ? AND version = ?",
                      {kStageArchived, now, name, r[0].AsInt()}));
        SLUICE_ASSIGN_OR_RETURN(ModelVersion archived, LoadVersion(c, name, r[0].AsInt()));
        SLUICE_RETURN_IF_ERROR(WriteAudit(c, now, change,
                                          {.action = "transition_stage",
                                           .name = name,
                                           .version = archived.version,
                                           .before = VersionJson(old),
                                           .after = VersionJson(archived)}));
        SLUICE_RETURN_IF_ERROR(WriteEvent(c, now,
                                          {.type = "stage_changed",
                                           .name = name,
                                           .version = archived.version,
                                           .stage = kStageArchived}));
      }
    }
    SLUICE_RETURN_IF_ERROR(
        c.Execute("UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? "
                  "WHERE name = ? AND version = ?",
                  {canonical, now, name, number}));
    SLUICE_RETURN_IF_ERROR(TouchModel(c, name, now));
    SLUICE_ASSIGN_OR_RETURN(v, LoadVersion(c, name, number));
    SLUICE_RETURN_IF_ERROR(WriteAudit(c, now, change,
                                      {.action = "transition_stage",
                                       .name = name,
                                       .version = v.version,
                                       .before = VersionJson(before),
                                       .after = VersionJson(v)}));
    return WriteEvent(
        c, now, {.type = "stage_changed", .name = name, .version = v.version, .stage = canonical});
  }));
  return v;
}

Result<std::vector<ModelVersion>> RegistryStore::GetLatestVersions(
    std::string_view name, const std::vector<std::string>& stages) {
  std::vector<std::string> canonical;
  for (const std::string& s : stages) {
    SLUICE_ASSIGN_OR_RETURN(std::string c, CanonicalStage(s));
    canonical.push_back(std::move(c));
  }
  std::vector<ModelVersion> out;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(RequireModel(c, name));
    SLUICE_ASSIGN_OR_RETURN(out, LatestVersions(c, name, canonical));
    return Status();
  }));
  return out;
}

Result<std::string> RegistryStore::GetDownloadUri(std::string_view name, std::string_view version) {
  SLUICE_ASSIGN_OR_RETURN(ModelVersion v, GetModelVersion(name, version));
  auto runs = SplitRunsUri(v.source);
  if (!runs) return v.source;
  SLUICE_ASSIGN_OR_RETURN(tracking::Run run, tracking_.GetRun(runs->first));
  if (runs->second.empty()) return run.info.artifact_uri;
  std::string root = run.info.artifact_uri;
  if (!root.ends_with("/")) root += "/";
  return root + runs->second;
}

Result<std::string> RegistryStore::ArtifactFolder(std::string_view model_uri) {
  std::string uri;
  if (auto runs = SplitRunsUri(model_uri)) {
    SLUICE_ASSIGN_OR_RETURN(tracking::Run run, tracking_.GetRun(runs->first));
    uri = run.info.artifact_uri;
    if (!runs->second.empty()) uri += (uri.ends_with("/") ? "" : "/") + runs->second;
  } else if (model_uri.starts_with("models:/")) {
    SLUICE_ASSIGN_OR_RETURN(ModelVersion v, Resolve(model_uri));
    SLUICE_ASSIGN_OR_RETURN(uri, GetDownloadUri(v.name, v.version));
  } else {
    return InvalidArgument(
        "'{}' is not a model URI; use models:/<name>/<version>, "
        "models:/<name>@<alias> or runs:/<run-id>/<path>",
        model_uri);
  }
  std::optional<std::string> folder = tracking::ArtifactStorePath(uri);
  if (!folder) {
    return Unimplemented("the files of '{}' are at '{}', outside this workspace's artifact store",
                         model_uri, uri);
  }
  while (folder->ends_with('/')) folder->pop_back();
  return *folder;
}

Result<RegistryStore::ModelFileReader> RegistryStore::ModelFiles(
    std::string_view model_uri, tracking::ArtifactStore& artifacts) {
  SLUICE_ASSIGN_OR_RETURN(std::string folder, ArtifactFolder(model_uri));
  return ModelFileReader([folder, &artifacts](std::string_view name) -> Result<std::string> {
    return artifacts.ReadAll(folder + "/" + std::string(name));
  });
}

// --- aliases -------------------------------------------------------------------------------

namespace {

// Points `alias` at `number` (which must exist) and audits the move under `action`.
Status MoveAlias(Connection& c, int64_t now, const Change& change, std::string_view action,
                 std::string_view name, std::string_view alias, int64_t number) {
  SLUICE_RETURN_IF_ERROR(RequireModel(c, name));
  SLUICE_RETURN_IF_ERROR(LoadVersion(c, name, number).status());
  SLUICE_ASSIGN_OR_RETURN(
      auto rows,
      c.Query("SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
              {name, alias}));
  std::string before = rows.empty() ? "" : AliasJson(alias, std::to_string(rows[0][0].AsInt()));
  std::string version = std::to_string(number);
  SLUICE_RETURN_IF_ERROR(
      c.Execute("INSERT INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?) "
                "ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version",
                {name, alias, number}));
  SLUICE_RETURN_IF_ERROR(TouchModel(c, name, now));
  SLUICE_RETURN_IF_ERROR(WriteAudit(c, now, change,
                                    {.action = action,
                                     .name = name,
                                     .version = version,
                                     .alias = alias,
                                     .before = before,
                                     .after = AliasJson(alias, version)}));
  return WriteEvent(c, now,
                    {.type = "alias_set", .name = name, .version = version, .alias = alias});
}

Result<int64_t> AliasTarget(Connection& c, std::string_view name, std::string_view alias) {
  SLUICE_RETURN_IF_ERROR(RequireModel(c, name));
  SLUICE_ASSIGN_OR_RETURN(
      auto rows,
      c.Query("SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
              {name, alias}));
  if (rows.empty()) {
    return InvalidArgument("registered model '{}' has no alias '{}'", name, alias);
  }
  return rows[0][0].AsInt();
}

}  // namespace

Status RegistryStore::SetAlias(std::string_view name, std::string_view alias,
                               std::string_view version, const Change& change) {
  SLUICE_RETURN_IF_ERROR(CheckAliasName(alias));
  SLUICE_ASSIGN_OR_RETURN(int64_t number, ParseVersion(version));
  int64_t now = clock_.NowMillis();
  return db_.Write([&](Connection& c) -> Status {
    return MoveAlias(c, now, change, "set_alias", name, alias, number);
  });
}

Status RegistryStore::DeleteAlias(std::string_view name, std::string_view alias,
                                  const Change& change) {
  int64_t now = clock_.NowMillis();
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(int64_t number, AliasTarget(c, name, alias));
    std::string version = std::to_string(number);
    SLUICE_RETURN_IF_ERROR(c.Execute(
        "DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?", {name, alias}));
    SLUICE_RETURN_IF_ERROR(TouchModel(c, name, now));
    SLUICE_RETURN_IF_ERROR(WriteAudit(c, now, change,
                                      {.action = "delete_alias",
                                       .name = name,
                                       .version = version,
                                       .alias = alias,
                                       .before = AliasJson(alias, version)}));
    return WriteEvent(c, now,
                      {.type = "alias_deleted", .name = name, .version = version, .alias = alias});
  });
}

Result<ModelVersion> RegistryStore::GetModelVersionByAlias(std::string_view name,
                                                           std::string_view alias) {
  ModelVersion v;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(int64_t number, AliasTarget(c, name, alias));
    SLUICE_ASSIGN_OR_RETURN(v, LoadVersion(c, name, number));
    return Status();
  }));
  return v;
}

Result<ModelVersion> RegistryStore::Promote(std::string_view name, std::string_view from_alias,
                                            std::string_view to_alias, const Change& change) {
  SLUICE_RETURN_IF_ERROR(CheckAliasName(to_alias));
  int64_t now = clock_.NowMillis();
  ModelVersion v;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(int64_t number, AliasTarget(c, name, from_alias));
    SLUICE_RETURN_IF_ERROR(MoveAlias(c, now, change, "promote", name, to_alias, number));
    SLUICE_ASSIGN_OR_RETURN(v, LoadVersion(c, name, number));
    return Status();
  }));
  return v;
}

Result<ModelVersion> RegistryStore::Rollback(std::string_view name, std::string_view alias,
                                             const Change& change) {
  int64_t now = clock_.NowMillis();
  ModelVersion v;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(RequireModel(c, name));
    SLUICE_ASSIGN_OR_RETURN(
        auto rows, c.Query("SELECT before FROM registry_audit WHERE model_uid = (SELECT "
                           "model_uid FROM registered_models WHERE name = ?) AND alias = ? "
                           "ORDER BY id DESC LIMIT 1",
                           {name, alias}));
    std::string previous;
    if (!rows.empty() && !rows[0][0].AsText().empty()) {
      Json before = Json::parse(rows[0][0].AsText(), nullptr, false);
      if (before.is_object() && before.contains("version") && before["version"].is_string()) {
        previous = before["version"].get<std::string>();
      }
    }
    if (previous.empty()) {
      return FailedPrecondition(
          "alias '{}' of registered model '{}' has no earlier version to roll back to", alias,
          name);
    }
    SLUICE_ASSIGN_OR_RETURN(int64_t number, ParseVersion(previous));
    Status moved = MoveAlias(c, now, change, "rollback", name, alias, number);
    if (moved.code() == StatusCode::kNotFound) {
      return FailedPrecondition(
          "cannot roll back alias '{}' of registered model '{}' to version {}: {}", alias, name,
          previous, moved.message());
    }
    SLUICE_RETURN_IF_ERROR(moved);
    SLUICE_ASSIGN_OR_RETURN(v, LoadVersion(c, name, number));
    return Status();
  }));
  return v;
}

// --- models:/ URIs -------------------------------------------------------------------------

Result<ModelVersion> RegistryStore::Resolve(std::string_view models_uri) {
  constexpr std::string_view kPrefix = "models:/";
  if (!models_uri.starts_with(kPrefix)) {
    return InvalidArgument(
        "'{}' is not a models:/ URI; use models:/<name>/<version>, "
        "models:/<name>@<alias> or models:/<name>/<stage|latest>",
        models_uri);
  }
  std::string_view rest = models_uri.substr(kPrefix.size());
  while (rest.ends_with("/")) rest.remove_suffix(1);
  size_t slash = rest.rfind('/');
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos && (slash == std::string_view::npos || at > slash)) {
    std::string_view name = rest.substr(0, at);
    std::string_view alias = rest.substr(at + 1);
    if (name.empty() || alias.empty()) {
      return InvalidArgument("malformed models:/ URI '{}': expected models:/<name>@<alias>",
                             models_uri);
    }
    return GetModelVersionByAlias(name, alias);
  }
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) {
    return InvalidArgument(
        "malformed models:/ URI '{}': expected models:/<name>/<version|stage|latest> or "
        "models:/<name>@<alias>",
        models_uri);
  }
  std::string_view name = rest.substr(0, slash);
  std::string_view suffix = rest.substr(slash + 1);
  if (std::all_of(suffix.begin(), suffix.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return GetModelVersion(name, suffix);
  }
  std::vector<std::string> stages;
  if (suffix != "latest") {
    auto stage = CanonicalStage(suffix);
    if (!stage.ok()) {
      return InvalidArgument(
          "malformed models:/ URI '{}': '{}' is not a version, a stage or 'latest'", models_uri,
          suffix);
    }
    stages.push_back(*stage);
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<ModelVersion> latest, GetLatestVersions(name, stages));
  if (latest.empty()) {
    return NotFound("registered model '{}' has no version {}", name,
                    stages.empty() ? std::string("at all") : "in stage " + stages[0]);
  }
  auto newest = std::max_element(latest.begin(), latest.end(), [](const auto& a, const auto& b) {
    return std::stoll(a.version) < std::stoll(b.version);
  });
  return *newest;
}

// --- audit log and events ------------------------------------------------------------------

Result<std::vector<AuditEntry>> RegistryStore::History(std::string_view name, int64_t limit) {
  std::vector<AuditEntry> out;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    // A live model's history follows its uid across renames; a deleted model's is found by
    // the name it had.
    std::string where;
    std::vector<Value> params;
    if (!name.empty()) {
      SLUICE_ASSIGN_OR_RETURN(
          auto uid, c.Query("SELECT model_uid FROM registered_models WHERE name = ?", {name}));
      if (uid.empty()) {
        where = " WHERE name = ?";
        params.emplace_back(name);
      } else {
        where = " WHERE model_uid = ?";
        params.emplace_back(uid[0][0].AsText());
      }
    }
    params.emplace_back(limit);
    SLUICE_ASSIGN_OR_RETURN(
        auto rows,
        c.Query(fmt::format("SELECT id, time, actor, action, name, version, before, after, reason "
                            "FROM registry_audit{} ORDER BY id LIMIT ?",
                            where),
                params));
    for (Row& r : rows) {
      out.push_back({.id = r[0].AsInt(),
                     .time = r[1].AsInt(),
                     .actor = r[2].AsText(),
                     .action = r[3].AsText(),
                     .name = r[4].AsText(),
                     .version = r[5].AsText(),
                     .before = r[6].AsText(),
                     .after = r[7].AsText(),
                     .reason = r[8].AsText()});
    }
    return Status();
  }));
  return out;
}

Result<std::vector<Event>> RegistryStore::EventsAfter(int64_t after, int64_t limit,
                                                      std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    SLUICE_ASSIGN_OR_RETURN(std::vector<Event> events, ReadEventsAfter(after, limit));
    auto now = std::chrono::steady_clock::now();
    if (!events.empty() || now >= deadline) return events;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), deadline - now));
  }
}

Result<int64_t> RegistryStore::LastEventSequence() {
  int64_t last = 0;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows,
                            c.Query("SELECT COALESCE(MAX(sequence), 0) FROM registry_events"));
    last = rows[0][0].AsInt();
    return Status();
  }));
  return last;
}

Result<std::vector<Event>> RegistryStore::ReadEventsAfter(int64_t after, int64_t limit) {
  std::vector<Event> out;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows,
                            c.Query("SELECT sequence, time, type, name, version, alias, stage FROM "
                                    "registry_events WHERE sequence > ? ORDER BY sequence LIMIT ?",
                                    {after, limit}));
    for (Row& r : rows) {
      out.push_back({.sequence = r[0].AsInt(),
                     .time = r[1].AsInt(),
                     .type = r[2].AsText(),
                     .name = r[3].AsText(),
                     .version = r[4].AsText(),
                     .alias = r[5].AsText(),
                     .stage = r[6].AsText()});
    }
    return Status();
  }));
  return out;
}

}  // namespace sluice::registry
