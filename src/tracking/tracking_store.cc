#include "tracking/tracking_store.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <unordered_map>

#include "base/random.h"
#include "tracking/run_names.h"
#include "tracking/schema.h"
#include "tracking/search.h"
#include "tracking/validation.h"

namespace sluice::tracking {
namespace {

using storage::Connection;
using storage::Row;
using storage::Value;

// An id that is not a decimal number cannot name an experiment: not found, like MLflow.
Result<int64_t> ParseExperimentId(std::string_view id) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (id.empty() || ec != std::errc() || end != id.data() + id.size() || value < 0) {
    return NotFound("experiment '{}' does not exist", id);
  }
  return value;
}

Status CheckMaxResults(int64_t max_results, int64_t limit) {
  if (max_results < 0 || max_results > limit) {
    return InvalidArgument("max_results must be between 0 and {}; got {}", limit, max_results);
  }
  return Status();
}

Result<std::vector<Tag>> LoadExperimentTags(Connection& c, int64_t id) {
  SLUICE_ASSIGN_OR_RETURN(
      auto rows,
      c.Query("SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key", {id}));
  std::vector<Tag> tags;
  tags.reserve(rows.size());
  for (Row& r : rows) tags.push_back({r[0].AsText(), r[1].AsText()});
  return tags;
}

constexpr std::string_view kExperimentColumns =
    "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time";

Experiment ExperimentFromRow(const Row& r) {
  Experiment e;
  e.experiment_id = std::to_string(r[0].AsInt());
  e.name = r[1].AsText();
  e.artifact_location = r[2].AsText();
  e.lifecycle_stage = r[3].AsText();
  e.creation_time = r[4].AsInt();
  e.last_update_time = r[5].AsInt();
  return e;
}

Result<Experiment> LoadExperiment(Connection& c, int64_t id) {
  SLUICE_ASSIGN_OR_RETURN(
      auto rows,
      c.Query(fmt::format("SELECT {} FROM experiments WHERE experiment_id = ?", kExperimentColumns),
              {id}));
  if (rows.empty()) return NotFound("experiment '{}' does not exist", id);
  Experiment e = ExperimentFromRow(rows[0]);
  SLUICE_ASSIGN_OR_RETURN(e.tags, LoadExperimentTags(c, id));
  return e;
}

constexpr std::string_view kRunColumns =
    "run_uuid, name, experiment_id, user_id, status, start_time, end_time, artifact_uri, "
    "lifecycle_stage";

RunInfo RunInfoFromRow(const Row& r) {
  RunInfo info;
  info.run_id = r[0].AsText();
  info.run_name = r[1].AsText();
  info.experiment_id = std::to_string(r[2].AsInt());
  info.user_id = r[3].AsText();
  info.status = r[4].AsText();
  info.start_time = r[5].AsOptionalInt();
  info.end_time = r[6].AsOptionalInt();
  info.artifact_uri = r[7].AsText();
  info.lifecycle_stage = r[8].AsText();
  return info;
}

Result<RunInfo> LoadRunInfo(Connection& c, std::string_view run_id) {
  SLUICE_ASSIGN_OR_RETURN(
      auto rows,
      c.Query(fmt::format("SELECT {} FROM runs WHERE run_uuid = ?", kRunColumns), {run_id}));
  if (rows.empty()) return NotFound("run '{}' does not exist", run_id);
  return RunInfoFromRow(rows[0]);
}

// Writes to a run need it active, as in MLflow.
Status RequireActiveRun(Connection& c, std::string_view run_id) {
  SLUICE_ASSIGN_OR_RETURN(auto rows,
                          c.Query("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", {run_id}));
  if (rows.empty()) return NotFound("run '{}' does not exist", run_id);
  if (rows[0][0].AsText() != kActive) {
    return FailedPrecondition(
        "run '{}' must be in the 'active' state; it is '{}' (restore it first)", run_id,
        rows[0][0].AsText());
  }
  return Status();
}

Metric MetricFromRow(const Row& r, size_t first) {
  Metric m;
  m.key = r[first].AsText();
  m.value = r[first + 2].AsInt() != 0 ? std::nan("") : r[first + 1].AsDouble();
  m.timestamp = r[first + 3].AsInt();
  m.step = r[first + 4].AsInt();
  return m;
}

// A placeholder list "?, ?, ?" for IN clauses.
std::string Placeholders(size_t n) {
  std::string s;
  s.reserve(n * 3);
  for (size_t i = 0; i < n; ++i) s += i == 0 ? "?" : ", ?";
  return s;
}

// Loads whole runs (latest metrics, params, tags, inputs, outputs) for `ids`, in that order.
Result<std::vector<Run>> LoadRuns(Connection& c, const std::vector<std::string>& ids) {
  std::vector<Run> runs;
  runs.reserve(ids.size());
  constexpr size_t kChunk = 500;
  for (size_t begin = 0; begin < ids.size(); begin += kChunk) {
    size_t end = std::min(ids.size(), begin + kChunk);
    std::vector<Value> params(ids.begin() + static_cast<ptrdiff_t>(begin),
                              ids.begin() + static_cast<ptrdiff_t>(end));
    std::string in = Placeholders(params.size());
    std::unordered_map<std::string, Run> by_id;
    SLUICE_ASSIGN_OR_RETURN(
        auto rows,
        c.Query(fmt::format("SELECT {} FROM runs WHERE run_uuid IN ({})", kRunColumns, in),
                params));
    for (Row& r : rows) {
      Run run;
      run.info = RunInfoFromRow(r);
      by_id.emplace(run.info.run_id, std::move(run));
    }
    SLUICE_ASSIGN_OR_RETURN(
        rows, c.Query(fmt::format("SELECT run_uuid, key, value, is_nan, timestamp, step FROM "
                                  "latest_metrics WHERE run_uuid IN ({}) ORDER BY key",
                                  in),
                      params));
    for (Row& r : rows) by_id[r[0].AsText()].metrics.push_back(MetricFromRow(r, 1));
    SLUICE_ASSIGN_OR_RETURN(
        rows, c.Query(fmt::format("SELECT run_uuid, key, value FROM params WHERE run_uuid IN ({}) "
                                  "ORDER BY key",
                                  in),
                      params));
    for (Row& r : rows) by_id[r[0].AsText()].params.push_back({r[1].AsText(), r[2].AsText()});
    SLUICE_ASSIGN_OR_RETURN(
        rows, c.Query(fmt::format("SELECT run_uuid, key, value FROM tags WHERE run_uuid IN ({}) "
                                  "ORDER BY key",
                                  in),
                      params));
    for (Row& r : rows) by_id[r[0].AsText()].tags.push_back({r[1].AsText(), r[2].AsText()});
    SLUICE_ASSIGN_OR_RETURN(
        rows,
        c.Query(fmt::format("SELECT i.run_uuid, d.dataset_uuid, d.name, d.digest, d.source_type, "
                            "d.source, d.schema, d.profile FROM run_inputs i JOIN datasets d ON "
                            "d.dataset_uuid = i.dataset_uuid WHERE i.run_uuid IN ({}) "
                            "ORDER BY d.name, d.digest",
                            in),
                params));
    std::map<std::pair<std::string, std::string>, DatasetInput*> inputs;
    for (Row& r : rows) {
      Run& run = by_id[r[0].AsText()];
      DatasetInput input;
      input.dataset = {r[2].AsText(), r[3].AsText(), r[4].AsText(),
                       r[5].AsText(), r[6].AsText(), r[7].AsText()};
      run.inputs.push_back(std::move(input));
      inputs[{r[0].AsText(), r[1].AsText()}] = &run.inputs.back();
    }
    if (!inputs.empty()) {
      SLUICE_ASSIGN_OR_RETURN(
          rows, c.Query(fmt::format("SELECT run_uuid, dataset_uuid, key, value FROM run_input_tags "
                                    "WHERE run_uuid IN ({}) ORDER BY key",
                                    in),
                        params));
      for (Row& r : rows) {
        auto it = inputs.find({r[0].AsText(), r[1].AsText()});
        if (it != inputs.end()) it->second->tags.push_back({r[2].AsText(), r[3].AsText()});
      }
    }
    SLUICE_ASSIGN_OR_RETURN(
        rows, c.Query(fmt::format("SELECT run_uuid, model_id, step FROM run_outputs WHERE "
                                  "run_uuid IN ({}) ORDER BY step, model_id",
                                  in),
                      params));
    for (Row& r : rows) by_id[r[0].AsText()].outputs.push_back({r[1].AsText(), r[2].AsInt()});

    for (size_t i = begin; i < end; ++i) {
      auto it = by_id.find(ids[i]);
      if (it != by_id.end() && !it->second.info.run_id.empty()) {
        runs.push_back(std::move(it->second));
      }
    }
  }
  return runs;
}

// MLflow's order for "latest": the highest step, then timestamp, then value; NaN is lowest.
bool IsLater(const Metric& a, const Metric& b) {
  if (a.step != b.step) return a.step > b.step;
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  if (std::isnan(b.value)) return !std::isnan(a.value);
  if (std::isnan(a.value)) return false;
  return a.value > b.value;
}

Status InsertMetrics(Connection& c, std::string_view run_id, const std::vector<Metric>& metrics) {
  std::unordered_map<std::string_view, const Metric*> latest;
  for (const Metric& m : metrics) {
    bool is_nan = std::isnan(m.value);
    SLUICE_RETURN_IF_ERROR(
        c.Execute("INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step) "
                  "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                  {run_id, m.key, is_nan ? Value() : Value(m.value), is_nan, m.timestamp, m.step}));
    auto [it, inserted] = latest.emplace(m.key, &m);
    if (!inserted && IsLater(m, *it->second)) it->second = &m;
  }
  for (const auto& [key, m] : latest) {
    bool is_nan = std::isnan(m->value);
    SLUICE_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_uuid, key) DO UPDATE SET "
        "value = excluded.value, is_nan = excluded.is_nan, timestamp = excluded.timestamp, "
        "step = excluded.step WHERE excluded.step > latest_metrics.step OR "
        "(excluded.step = latest_metrics.step AND (excluded.timestamp > latest_metrics.timestamp "
        "OR (excluded.timestamp = latest_metrics.timestamp AND excluded.is_nan = 0 AND "
        "(latest_metrics.is_nan = 1 OR excluded.value > latest_metrics.value))))",
        {run_id, key, is_nan ? Value() : Value(m->value), is_nan, m->timestamp, m->step}));
  }
  return Status();
}

Status InsertParams(Connection& c, std::string_view run_id, const std::vector<Param>& params) {
  // A batch may repeat a key only with the same value.
  std::unordered_map<std::string_view, std::string_view> seen;
  for (const Param& p : params) {
    auto [it, inserted] = seen.emplace(p.key, p.value);
    if (!inserted && it->second != p.value) {
      return InvalidArgument(
          "param '{}' appears twice in the batch with different values ('{}' "
          "and '{}')",
          p.key, it->second, p.value);
    }
  }
  for (const Param& p : params) {
    SLUICE_ASSIGN_OR_RETURN(
        auto rows,
        c.Query("SELECT value FROM params WHERE run_uuid = ? AND key = ?", {run_id, p.key}));
    if (!rows.empty()) {
      if (rows[0][0].AsText() == p.value) continue;
      return InvalidArgument(
          "changing param values is not allowed: param '{}' of run '{}' was logged with value "
          "'{}'; attempted new value '{}'",
          p.key, run_id, rows[0][0].AsText(), p.value);
    }
    SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)",
                                     {run_id, p.key, p.value}));
  }
  return Status();
}

Status UpsertTags(Connection& c, std::string_view run_id, const std::vector<Tag>& tags) {
  for (const Tag& t : tags) {
    SLUICE_RETURN_IF_ERROR(
        c.Execute("INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) "
                  "ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value",
                  {run_id, t.key, t.value}));
    // The run name lives in both places; MLflow keeps them equal.
    if (t.key == kRunNameTag) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute("UPDATE runs SET name = ? WHERE run_uuid = ?", {t.value, run_id}));
    }
  }
  return Status();
}

constexpr std::string_view kLoggedModelColumns =
    "model_id, experiment_id, name, artifact_location, creation_timestamp, "
    "last_updated_timestamp, status, status_message, model_type, source_run_id";

Result<LoggedModel> LoadLoggedModel(Connection& c, std::string_view model_id) {
  SLUICE_ASSIGN_OR_RETURN(auto rows,
                          c.Query(fmt::format("SELECT {} FROM logged_models WHERE model_id = ? AND "
                                              "lifecycle_stage = 'active'",
                                              kLoggedModelColumns),
                                  {model_id}));
  if (rows.empty()) return NotFound("logged model '{}' does not exist", model_id);
  const Row& r = rows[0];
  LoggedModel m;
  m.model_id = r[0].AsText();
  m.experiment_id = std::to_string(r[1].AsInt());
  m.name = r[2].AsText();
  m.artifact_location = r[3].AsText();
  m.creation_timestamp = r[4].AsInt();
  m.last_updated_timestamp = r[5].AsInt();
  m.status = r[6].AsText();
  m.status_message = r[7].AsText();
  m.model_type = r[8].AsText();
  m.source_run_id = r[9].AsText();
  SLUICE_ASSIGN_OR_RETURN(
      rows, c.Query("SELECT key, value FROM logged_model_tags WHERE model_id = ? ORDER BY key",
                    {model_id}));
  for (Row& t : rows) m.tags.push_back({t[0].AsText(), t[1].AsText()});
  SLUICE_ASSIGN_OR_RETURN(
      rows, c.Query("SELECT key, value FROM logged_model_params WHERE model_id = ? ORDER BY key",
                    {model_id}));
  for (Row& p : rows) m.params.push_back({p[0].AsText(), p[1].AsText()});
  return m;
}

}  // namespace

bool IsRunStatus(std::string_view status) {
  return status == "RUNNING" || status == "SCHEDULED" || status == "FINISHED" ||
         status == "FAILED" || status == "KILLED";
}

TrackingStore::TrackingStore(storage::Database& database, const Clock& clock)
    : db_(database), clock_(clock) {}

Result<std::unique_ptr<TrackingStore>> TrackingStore::Open(storage::Database& database,
                                                           const Clock& clock) {
  SLUICE_RETURN_IF_ERROR(database.Migrate(kSchemaModule, Migrations()));
  std::unique_ptr<TrackingStore> store(new TrackingStore(database, clock));
  int64_t now = clock.NowMillis();
  SLUICE_RETURN_IF_ERROR(database.Write([&](Connection& c) {
    return c.Execute(
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time) VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', "
        "?, ?) ON CONFLICT DO NOTHING",
        {now, now});
  }));
  return store;
}

// --- experiments -------------------------------------------------------------------------------

Result<std::string> TrackingStore::CreateExperiment(const CreateExperimentRequest& request) {
  SLUICE_RETURN_IF_ERROR(ValidateExperimentName(request.name));
  for (const Tag& t : request.tags) SLUICE_RETURN_IF_ERROR(ValidateTag(t));
  int64_t id = 0;
  int64_t now = clock_.NowMillis();
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows,
                            c.Query("SELECT experiment_id, lifecycle_stage FROM experiments "
                                    "WHERE name = ?",
                                    {request.name}));
    if (!rows.empty()) {
      if (rows[0][1].AsText() == kDeleted) {
        return AlreadyExists(
            "experiment '{}' already exists in deleted state (id {}); restore it or choose "
            "another name",
            request.name, rows[0][0].AsInt());
      }
      return AlreadyExists("experiment '{}' already exists (id {})", request.name,
                           rows[0][0].AsInt());
    }
    SLUICE_ASSIGN_OR_RETURN(
        rows, c.Query("SELECT COALESCE(MAX(experiment_id), -1) + 1 FROM experiments"));
    id = rows[0][0].AsInt();
    std::string location = request.artifact_location.empty()
                               ? fmt::format("mlflow-artifacts:/{}", id)
                               : request.artifact_location;
    SLUICE_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time) VALUES (?, ?, ?, 'active', ?, ?)",
        {id, request.name, location, now, now}));
    for (const Tag& t : request.tags) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
                    {id, t.key, t.value}));
    }
    return Status();
  }));
  return std::to_string(id);
}

Result<Experiment> TrackingStore::GetExperiment(std::string_view experiment_id) {
  SLUICE_ASSIGN_OR_RETURN(int64_t id, ParseExperimentId(experiment_id));
  Experiment e;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(e, LoadExperiment(c, id));
    return Status();
  }));
  return e;
}

Result<Experiment> TrackingStore::GetExperimentByName(std::string_view name) {
  Experiment e;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        auto rows, c.Query("SELECT experiment_id FROM experiments WHERE name = ?", {name}));
    if (rows.empty()) return NotFound("experiment '{}' does not exist", name);
    SLUICE_ASSIGN_OR_RETURN(e, LoadExperiment(c, rows[0][0].AsInt()));
    return Status();
  }));
  return e;
}

Result<Page<Experiment>> TrackingStore::SearchExperiments(const SearchExperimentsRequest& request) {
  SLUICE_RETURN_IF_ERROR(CheckMaxResults(request.max_results, kMaxSearchResults));
  ExperimentSearch search;
  SLUICE_ASSIGN_OR_RETURN(search.filter, ParseExperimentFilter(request.filter));
  SLUICE_ASSIGN_OR_RETURN(search.order_by, ParseExperimentOrderBy(request.order_by));
  SLUICE_ASSIGN_OR_RETURN(search.view, ParseViewType(request.view_type));
  int64_t offset = 0;
  if (!request.page_token.empty()) {
    SLUICE_ASSIGN_OR_RETURN(offset, DecodePageToken(request.page_token));
  }
  search.limit = request.max_results + 1;  // one more tells whether another page follows
  search.offset = offset;
  Sql sql = CompileExperimentSearch(search);
  Page<Experiment> page;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows, c.Query(sql.text, sql.params));
    for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < request.max_results; ++i) {
      SLUICE_ASSIGN_OR_RETURN(Experiment e, LoadExperiment(c, rows[i][0].AsInt()));
      page.items.push_back(std::move(e));
    }
    if (static_cast<int64_t>(rows.size()) > request.max_results) {
      page.next_page_token = EncodePageToken(offset + request.max_results);
    }
    return Status();
  }));
  return page;
}

Status TrackingStore::RenameExperiment(std::string_view experiment_id, std::string_view new_name) {
  SLUICE_ASSIGN_OR_RETURN(int64_t id, ParseExperimentId(experiment_id));
  SLUICE_RETURN_IF_ERROR(ValidateExperimentName(new_name));
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(Experiment e, LoadExperiment(c, id));
    if (e.lifecycle_stage != kActive) {
      return FailedPrecondition("experiment '{}' is deleted; restore it before renaming",
                                experiment_id);
    }
    if (e.name == new_name) return Status();
    SLUICE_ASSIGN_OR_RETURN(
        auto rows, c.Query("SELECT experiment_id FROM experiments WHERE name = ?", {new_name}));
    if (!rows.empty()) {
      return AlreadyExists(
          "cannot rename experiment '{}' to '{}': that name is taken by "
          "experiment {}",
          e.name, new_name, rows[0][0].AsInt());
    }
    return c.Execute(
        "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
        {new_name, clock_.NowMillis(), id});
  });
}

Status TrackingStore::DeleteExperiment(std::string_view experiment_id) {
  SLUICE_ASSIGN_OR_RETURN(int64_t id, ParseExperimentId(experiment_id));
  if (id == 0) return InvalidArgument("the Default experiment (id 0) cannot be deleted");
  int64_t now = clock_.NowMillis();
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(Experiment e, LoadExperiment(c, id));
    if (e.lifecycle_stage == kDeleted) return Status();
    SLUICE_RETURN_IF_ERROR(
        c.Execute("UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ? "
                  "WHERE experiment_id = ?",
                  {now, id}));
    // deleted_time = the experiment's deletion marks the runs that go and come back with it.
    return c.Execute(
        "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? "
        "WHERE experiment_id = ? AND lifecycle_stage = 'active'",
        {now, id});
  });
}

Status TrackingStore::RestoreExperiment(std::string_view experiment_id) {
  SLUICE_ASSIGN_OR_RETURN(int64_t id, ParseExperimentId(experiment_id));
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(Experiment e, LoadExperiment(c, id));
    if (e.lifecycle_stage != kDeleted) {
      return NotFound("experiment '{}' is not deleted; there is nothing to restore", experiment_id);
    }
    SLUICE_RETURN_IF_ERROR(c.Execute(
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ? "
        "AND lifecycle_stage = 'deleted' AND deleted_time = ?",
        {id, e.last_update_time}));
    return c.Execute(
        "UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ? "
        "WHERE experiment_id = ?",
        {clock_.NowMillis(), id});
  });
}

Status TrackingStore::SetExperimentTag(std::string_view experiment_id, const Tag& tag) {
  SLUICE_ASSIGN_OR_RETURN(int64_t id, ParseExperimentId(experiment_id));
  SLUICE_RETURN_IF_ERROR(ValidateTag(tag));
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(Experiment e, LoadExperiment(c, id));
    if (e.lifecycle_stage != kActive) {
      return FailedPrecondition("experiment '{}' must be in the 'active' state to set tags",
                                experiment_id);
    }
    return c.Execute(
        "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
        {id, tag.key, tag.value});
  });
}

Status TrackingStore::DeleteExperimentTag(std::string_view experiment_id, std::string_view key) {
  SLUICE_ASSIGN_OR_RETURN(int64_t id, ParseExperimentId(experiment_id));
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(Experiment e, LoadExperiment(c, id));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?", {id, key}));
    if (c.ChangedRows() == 0) {
      return NotFound("experiment '{}' has no tag '{}'", experiment_id, key);
    }
    return Status();
  });
}

// --- runs --------------------------------------------------------------------------------------

Result<Run> TrackingStore::CreateRun(const CreateRunRequest& request) {
  SLUICE_ASSIGN_OR_RETURN(int64_t experiment, ParseExperimentId(request.experiment_id));
  for (const Tag& t : request.tags) SLUICE_RETURN_IF_ERROR(ValidateTag(t));
  std::string run_name = request.run_name;
  for (const Tag& t : request.tags) {
    if (t.key == kRunNameTag && run_name.empty()) run_name = t.value;
    if (t.key == kRunNameTag && t.value != run_name) {
      return InvalidArgument("run_name '{}' and tag mlflow.runName '{}' disagree; give one",
                             run_name, t.value);
    }
  }
  if (run_name.empty()) run_name = GenerateRunName();
  if (run_name.size() > kMaxRunNameLength) {
    return InvalidArgument("run name is {} characters long; the limit is {}", run_name.size(),
                           kMaxRunNameLength);
  }
  std::string run_id = RandomHex(32);
  int64_t start = request.start_time.value_or(clock_.NowMillis());
  std::vector<Tag> tags = request.tags;
  if (std::none_of(tags.begin(), tags.end(), [](const Tag& t) { return t.key == kRunNameTag; })) {
    tags.push_back({std::string(kRunNameTag), run_name});
  }
  Run run;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(Experiment e, LoadExperiment(c, experiment));
    if (e.lifecycle_stage != kActive) {
      return FailedPrecondition("experiment '{}' is deleted; restore it before creating runs",
                                request.experiment_id);
    }
    std::string artifact_uri = fmt::format("{}/{}/artifacts", e.artifact_location, run_id);
    SLUICE_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, "
        "end_time, artifact_uri, lifecycle_stage) VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, ?, "
        "'active')",
        {run_id, experiment, run_name, request.user_id, start, artifact_uri}));
    run.info = {run_id,          run_name,     std::to_string(experiment),
                request.user_id, "RUNNING",    start,
                std::nullopt,    artifact_uri, std::string(kActive)};
    return UpsertTags(c, run_id, tags);
  }));
  // A new run holds exactly what was written, so it is not read back. Tags come back sorted by
  // key, the last value of a repeated key winning, as the upserts left them.
  std::map<std::string, std::string> by_key;
  for (Tag& t : tags) by_key[t.key] = std::move(t.value);
  for (auto& [key, value] : by_key) run.tags.push_back({key, std::move(value)});
  return run;
}

Result<Run> TrackingStore::GetRun(std::string_view run_id) {
  std::vector<Run> runs;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(runs, LoadRuns(c, {std::string(run_id)}));
    return Status();
  }));
  if (runs.empty()) return NotFound("run '{}' does not exist", run_id);
  return std::move(runs[0]);
}

Result<RunInfo> TrackingStore::UpdateRun(const UpdateRunRequest& request) {
  if (request.status && !IsRunStatus(*request.status)) {
    return InvalidArgument(
        "invalid run status '{}': expected RUNNING, SCHEDULED, FINISHED, FAILED or KILLED",
        *request.status);
  }
  if (request.run_name && request.run_name->size() > kMaxRunNameLength) {
    return InvalidArgument("run name is {} characters long; the limit is {}",
                           request.run_name->size(), kMaxRunNameLength);
  }
  RunInfo info;
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(RequireActiveRun(c, request.run_id));
    if (request.status) {
      SLUICE_RETURN_IF_ERROR(c.Execute("UPDATE runs SET status = ? WHERE run_uuid = ?",
                                       {*request.status, request.run_id}));
    }
    if (request.end_time) {
      SLUICE_RETURN_IF_ERROR(c.Execute("UPDATE runs SET end_time = ? WHERE run_uuid = ?",
                                       {*request.end_time, request.run_id}));
    }
    if (request.run_name && !request.run_name->empty()) {
      SLUICE_RETURN_IF_ERROR(
          UpsertTags(c, request.run_id, {{std::string(kRunNameTag), *request.run_name}}));
    }
    SLUICE_ASSIGN_OR_RETURN(info, LoadRunInfo(c, request.run_id));
    return Status();
  }));
  return info;
}

Status TrackingStore::DeleteRun(std::string_view run_id) {
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(RunInfo info, LoadRunInfo(c, run_id));
    if (info.lifecycle_stage == kDeleted) return Status();
    return c.Execute(
        "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE run_uuid = ?",
        {clock_.NowMillis(), run_id});
  });
}

Status TrackingStore::RestoreRun(std::string_view run_id) {
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(RunInfo info, LoadRunInfo(c, run_id));
    return c.Execute(
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?",
        {run_id});
  });
}

Result<Page<Run>> TrackingStore::SearchRuns(const SearchRunsRequest& request) {
  SLUICE_RETURN_IF_ERROR(CheckMaxResults(request.max_results, kMaxSearchResults));
  RunSearch search;
  for (const std::string& id : request.experiment_ids) {
    Result<int64_t> parsed = ParseExperimentId(id);
    if (!parsed.ok()) {
      return InvalidArgument("experiment_ids: '{}' is not an experiment id", id);
    }
    search.experiment_ids.push_back(*parsed);
  }
  SLUICE_ASSIGN_OR_RETURN(search.filter, ParseRunFilter(request.filter));
  SLUICE_ASSIGN_OR_RETURN(search.order_by, ParseRunOrderBy(request.order_by));
  SLUICE_ASSIGN_OR_RETURN(search.view, ParseViewType(request.view_type));
  int64_t offset = 0;
  if (!request.page_token.empty()) {
    SLUICE_ASSIGN_OR_RETURN(offset, DecodePageToken(request.page_token));
  }
  Page<Run> page;
  if (search.experiment_ids.empty() || request.max_results == 0) return page;
  search.limit = request.max_results + 1;  // one more tells whether another page follows
  search.offset = offset;
  Sql sql = CompileRunSearch(search);
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows, c.Query(sql.text, sql.params));
    std::vector<std::string> ids;
    for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < request.max_results; ++i) {
      ids.push_back(rows[i][0].AsText());
    }
    SLUICE_ASSIGN_OR_RETURN(page.items, LoadRuns(c, ids));
    if (static_cast<int64_t>(rows.size()) > request.max_results) {
      page.next_page_token = EncodePageToken(offset + request.max_results);
    }
    return Status();
  }));
  return page;
}

Status TrackingStore::LogParam(std::string_view run_id, const Param& param) {
  return LogBatch(run_id, {}, {param}, {});
}

Status TrackingStore::LogMetric(std::string_view run_id, const Metric& metric) {
  return LogBatch(run_id, {metric}, {}, {});
}

Status TrackingStore::SetTag(std::string_view run_id, const Tag& tag) {
  return LogBatch(run_id, {}, {}, {tag});
}

Status TrackingStore::DeleteTag(std::string_view run_id, std::string_view key) {
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(RequireActiveRun(c, run_id));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("DELETE FROM tags WHERE run_uuid = ? AND key = ?", {run_id, key}));
    if (c.ChangedRows() == 0) return NotFound("run '{}' has no tag '{}'", run_id, key);
    return Status();
  });
}

Status TrackingStore::LogBatch(std::string_view run_id, const std::vector<Metric>& metrics,
                               const std::vector<Param>& params, const std::vector<Tag>& tags) {
  SLUICE_RETURN_IF_ERROR(ValidateBatch(metrics, params, tags));
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(RequireActiveRun(c, run_id));
    SLUICE_RETURN_IF_ERROR(InsertParams(c, run_id, params));
    SLUICE_RETURN_IF_ERROR(InsertMetrics(c, run_id, metrics));
    return UpsertTags(c, run_id, tags);
  });
}

Status TrackingStore::LogInputs(std::string_view run_id, const std::vector<DatasetInput>& inputs) {
  for (const DatasetInput& input : inputs) SLUICE_RETURN_IF_ERROR(ValidateDatasetInput(input));
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(RequireActiveRun(c, run_id));
    SLUICE_ASSIGN_OR_RETURN(RunInfo info, LoadRunInfo(c, run_id));
    for (const DatasetInput& input : inputs) {
      const Dataset& d = input.dataset;
      SLUICE_ASSIGN_OR_RETURN(
          auto rows, c.Query("SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND "
                             "name = ? AND digest = ?",
                             {std::stoll(info.experiment_id), d.name, d.digest}));
      std::string dataset_uuid;
      if (rows.empty()) {
        dataset_uuid = RandomHex(32);
        SLUICE_RETURN_IF_ERROR(c.Execute(
            "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, "
            "source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            {dataset_uuid, std::stoll(info.experiment_id), d.name, d.digest, d.source_type,
             d.source, d.schema, d.profile}));
      } else {
        dataset_uuid = rows[0][0].AsText();
      }
      SLUICE_RETURN_IF_ERROR(c.Execute(
          "INSERT INTO run_inputs (run_uuid, dataset_uuid) VALUES (?, ?) ON CONFLICT DO NOTHING",
          {run_id, dataset_uuid}));
      for (const Tag& t : input.tags) {
        SLUICE_RETURN_IF_ERROR(c.Execute(
            "INSERT INTO run_input_tags (run_uuid, dataset_uuid, key, value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_uuid, dataset_uuid, key) DO UPDATE SET value = excluded.value",
            {run_id, dataset_uuid, t.key, t.value}));
      }
    }
    return Status();
  });
}

Status TrackingStore::LogModel(std::string_view run_id, std::string_view model_json) {
  nlohmann::json model = nlohmann::json::parse(model_json, nullptr, /*allow_exceptions=*/false);
  if (model.is_discarded() || !model.is_object()) {
    return InvalidArgument("model_json must be a JSON object");
  }
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(RequireActiveRun(c, run_id));
    SLUICE_ASSIGN_OR_RETURN(auto rows, c.Query("SELECT value FROM tags WHERE run_uuid = ? AND "
                                               "key = ?",
                                               {run_id, kLogModelHistoryTag}));
    nlohmann::json history = nlohmann::json::array();
    if (!rows.empty()) {
      history = nlohmann::json::parse(rows[0][0].AsText(), nullptr, false);
      if (!history.is_array()) history = nlohmann::json::array();
    }
    history.push_back(model);
    Tag tag{std::string(kLogModelHistoryTag), history.dump()};
    // MLflow stores the history in a tag; a long history would break the tag limit, so the
    // oldest entries give way.
    while (tag.value.size() > kMaxTagValueLength && history.size() > 1) {
      history.erase(history.begin());
      tag.value = history.dump();
    }
    return UpsertTags(c, run_id, {tag});
  });
}

Result<Page<Metric>> TrackingStore::GetMetricHistory(std::string_view run_id, std::string_view key,
                                                     int64_t max_results,
                                                     std::string_view page_token) {
  if (max_results < 0) return InvalidArgument("max_results must be >= 0; got {}", max_results);
  int64_t offset = 0;
  if (!page_token.empty()) {
    SLUICE_ASSIGN_OR_RETURN(offset, DecodePageToken(page_token));
  }
  Page<Metric> page;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(LoadRunInfo(c, run_id).status());
    // LIMIT -1 means no limit in SQLite; PostgreSQL takes LIMIT ALL. Keep one form: a huge limit.
    int64_t limit = max_results == 0 ? std::numeric_limits<int64_t>::max() : max_results + 1;
    SLUICE_ASSIGN_OR_RETURN(auto rows,
                            c.Query("SELECT key, value, is_nan, timestamp, step FROM metrics WHERE "
                                    "run_uuid = ? AND key = ? ORDER BY step, timestamp, value "
                                    "LIMIT ? OFFSET ?",
                                    {run_id, key, limit, offset}));
    for (const Row& r : rows) {
      if (max_results != 0 && static_cast<int64_t>(page.items.size()) == max_results) {
        page.next_page_token = EncodePageToken(offset + max_results);
        break;
      }
      page.items.push_back(MetricFromRow(r, 0));
    }
    return Status();
  }));
  return page;
}

// --- logged models -----------------------------------------------------------------------------

Result<LoggedModel> TrackingStore::CreateLoggedModel(const CreateLoggedModelRequest& request) {
  SLUICE_ASSIGN_OR_RETURN(int64_t experiment, ParseExperimentId(request.experiment_id));
  for (const Tag& t : request.tags) SLUICE_RETURN_IF_ERROR(ValidateTag(t));
  for (const Param& p : request.params) SLUICE_RETURN_IF_ERROR(ValidateParam(p));
  std::string model_id = "m-" + RandomHex(32);
  std::string name = request.name.empty() ? GenerateRunName() : request.name;
  int64_t now = clock_.NowMillis();
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(Experiment e, LoadExperiment(c, experiment));
    if (!request.source_run_id.empty()) {
      SLUICE_RETURN_IF_ERROR(LoadRunInfo(c, request.source_run_id).status());
    }
    std::string location = fmt::format("{}/models/{}/artifacts", e.artifact_location, model_id);
    SLUICE_RETURN_IF_ERROR(
        c.Execute("INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
                  "creation_timestamp, last_updated_timestamp, status, model_type, source_run_id) "
                  "VALUES (?, ?, ?, ?, ?, ?, 'LOGGED_MODEL_PENDING', ?, ?)",
                  {model_id, experiment, name, location, now, now, request.model_type,
                   request.source_run_id}));
    for (const Tag& t : request.tags) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value",
                    {model_id, t.key, t.value}));
    }
    for (const Param& p : request.params) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value",
                    {model_id, p.key, p.value}));
    }
    return Status();
  }));
  return GetLoggedModel(model_id);
}

Result<LoggedModel> TrackingStore::GetLoggedModel(std::string_view model_id) {
  LoggedModel model;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(model, LoadLoggedModel(c, model_id));
    return Status();
  }));
  return model;
}

Result<LoggedModel> TrackingStore::FinalizeLoggedModel(std::string_view model_id,
                                                       std::string_view status) {
  if (status != "LOGGED_MODEL_READY" && status != "LOGGED_MODEL_UPLOAD_FAILED" &&
      status != "LOGGED_MODEL_PENDING") {
    return InvalidArgument(
        "invalid logged model status '{}': expected LOGGED_MODEL_READY, "
        "LOGGED_MODEL_UPLOAD_FAILED or LOGGED_MODEL_PENDING",
        status);
  }
  SLUICE_RETURN_IF_ERROR(db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(LoadLoggedModel(c, model_id).status());
    return c.Execute(
        "UPDATE logged_models SET status = ?, last_updated_timestamp = ? WHERE model_id = ?",
        {status, clock_.NowMillis(), model_id});
  }));
  return GetLoggedModel(model_id);
}

Status TrackingStore::DeleteLoggedModel(std::string_view model_id) {
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(LoadLoggedModel(c, model_id).status());
    return c.Execute(
        "UPDATE logged_models SET lifecycle_stage = 'deleted', "
        "last_updated_timestamp = ? WHERE model_id = ?",
        {clock_.NowMillis(), model_id});
  });
}

Status TrackingStore::SetLoggedModelTags(std::string_view model_id, const std::vector<Tag>& tags) {
  for (const Tag& t : tags) SLUICE_RETURN_IF_ERROR(ValidateTag(t));
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(LoadLoggedModel(c, model_id).status());
    for (const Tag& t : tags) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO logged_model_tags (model_id, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value",
                    {model_id, t.key, t.value}));
    }
    return Status();
  });
}

Status TrackingStore::DeleteLoggedModelTag(std::string_view model_id, std::string_view key) {
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(LoadLoggedModel(c, model_id).status());
    SLUICE_RETURN_IF_ERROR(
        c.Execute("DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?", {model_id, key}));
    if (c.ChangedRows() == 0) return NotFound("logged model '{}' has no tag '{}'", model_id, key);
    return Status();
  });
}

Status TrackingStore::LogLoggedModelParams(std::string_view model_id,
                                           const std::vector<Param>& params) {
  for (const Param& p : params) SLUICE_RETURN_IF_ERROR(ValidateParam(p));
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(LoadLoggedModel(c, model_id).status());
    for (const Param& p : params) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO logged_model_params (model_id, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value",
                    {model_id, p.key, p.value}));
    }
    return Status();
  });
}

namespace {

// Appends the SQL of a logged-model filter to `where` and its values to `params`.
Status CompileLoggedModelFilter(std::string_view filter, std::string& where,
                                std::vector<Value>& params) {
  static const std::regex kAnd(R"(\s+[aA][nN][dD]\s+)");
  static const std::regex kClause(
      R"re(^\s*(?:attributes\.)?(\w+)\s*(=|!=)\s*(?:'([^']*)'|"([^"]*)")\s*$)re");
  std::string text(filter);
  if (text.find_first_not_of(" \t\n") == std::string::npos) return Status();
  for (std::sregex_token_iterator it(text.begin(), text.end(), kAnd, -1), end; it != end; ++it) {
    std::string clause = *it;
    std::smatch m;
    if (!std::regex_match(clause, m, kClause)) {
      return InvalidArgument(
          "invalid logged model filter clause '{}': expected <attribute> = '<value>' (or !=), "
          "clauses joined by AND",
          clause);
    }
    std::string column = m[1];
    if (column != "name" && column != "source_run_id" && column != "model_id" &&
        column != "model_type" && column != "status") {
      return InvalidArgument(
          "invalid logged model filter: unknown attribute '{}'; expected name, source_run_id, "
          "model_id, model_type or status",
          column);
    }
    where += fmt::format(" AND {} {} ?", column, m[2].str());
    params.emplace_back(m[3].matched ? m[3].str() : m[4].str());
  }
  return Status();
}

}  // namespace

Result<Page<LoggedModel>> TrackingStore::SearchLoggedModels(
    const std::vector<std::string>& experiment_ids, std::string_view filter, int64_t max_results,
    std::string_view page_token) {
  SLUICE_RETURN_IF_ERROR(CheckMaxResults(max_results, kMaxSearchResults));
  int64_t offset = 0;
  if (!page_token.empty()) {
    SLUICE_ASSIGN_OR_RETURN(offset, DecodePageToken(page_token));
  }
  std::vector<Value> params;
  std::string where = "lifecycle_stage = 'active'";
  if (!experiment_ids.empty()) {
    for (const std::string& id : experiment_ids) {
      Result<int64_t> parsed = ParseExperimentId(id);
      if (!parsed.ok()) return InvalidArgument("experiment_ids: '{}' is not an experiment id", id);
      params.emplace_back(*parsed);
    }
    where += fmt::format(" AND experiment_id IN ({})", Placeholders(experiment_ids.size()));
  }
  SLUICE_RETURN_IF_ERROR(CompileLoggedModelFilter(filter, where, params));
  params.emplace_back(max_results + 1);
  params.emplace_back(offset);
  Page<LoggedModel> page;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        auto rows, c.Query(fmt::format("SELECT model_id FROM logged_models WHERE {} ORDER BY "
                                       "creation_timestamp DESC, model_id LIMIT ? OFFSET ?",
                                       where),
                           params));
    for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < max_results; ++i) {
      SLUICE_ASSIGN_OR_RETURN(LoggedModel m, LoadLoggedModel(c, rows[i][0].AsText()));
      page.items.push_back(std::move(m));
    }
    if (static_cast<int64_t>(rows.size()) > max_results) {
      page.next_page_token = EncodePageToken(offset + max_results);
    }
    return Status();
  }));
  return page;
}

Status TrackingStore::LogOutputs(std::string_view run_id, const std::vector<ModelOutput>& outputs) {
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(RequireActiveRun(c, run_id));
    for (const ModelOutput& o : outputs) {
      SLUICE_RETURN_IF_ERROR(LoadLoggedModel(c, o.model_id).status());
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO run_outputs (run_uuid, model_id, step) VALUES (?, ?, ?) "
                    "ON CONFLICT (run_uuid, model_id) DO UPDATE SET step = excluded.step",
                    {run_id, o.model_id, o.step}));
    }
    return Status();
  });
}

}  // namespace sluice::tracking
