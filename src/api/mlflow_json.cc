#include "api/mlflow_json.h"

namespace sluice::api {

std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json TagsToJson(const std::vector<tracking::Tag>& tags) {
  Json out = Json::array();
  for (const tracking::Tag& t : tags) out.push_back({{"key", t.key}, {"value", t.value}});
  return out;
}

Json ToJson(const tracking::Experiment& e) {
  Json j = {{"experiment_id", e.experiment_id},         {"name", e.name},
            {"artifact_location", e.artifact_location}, {"lifecycle_stage", e.lifecycle_stage},
            {"creation_time", e.creation_time},         {"last_update_time", e.last_update_time}};
  if (!e.tags.empty()) j["tags"] = TagsToJson(e.tags);
  return j;
}

Json ToJson(const tracking::RunInfo& info) {
  Json j = {{"run_id", info.run_id},
            {"run_uuid", info.run_id},
            {"run_name", info.run_name},
            {"experiment_id", info.experiment_id},
            {"user_id", info.user_id},
            {"status", info.status},
            {"artifact_uri", info.artifact_uri},
            {"lifecycle_stage", info.lifecycle_stage}};
  if (info.start_time) j["start_time"] = *info.start_time;
  if (info.end_time) j["end_time"] = *info.end_time;
  return j;
}

Json ToJson(const tracking::Metric& m) {
  return {{"key", m.key},
          {"value", DoubleToJson(m.value)},
          {"timestamp", m.timestamp},
          {"step", m.step}};
}

Json ToJson(const tracking::Run& run) {
  Json data = Json::object();
  if (!run.metrics.empty()) {
    Json metrics = Json::array();
    for (const tracking::Metric& m : run.metrics) metrics.push_back(ToJson(m));
    data["metrics"] = std::move(metrics);
  }
  if (!run.params.empty()) {
    Json params = Json::array();
    for (const tracking::Param& p : run.params)
      params.push_back({{"key", p.key}, {"value", p.value}});
    data["params"] = std::move(params);
  }
  if (!run.tags.empty()) data["tags"] = TagsToJson(run.tags);
  Json inputs = Json::object();
  if (!run.inputs.empty()) {
    Json list = Json::array();
    for (const tracking::DatasetInput& input : run.inputs) {
      const tracking::Dataset& d = input.dataset;
      Json dataset = {{"name", d.name},
                      {"digest", d.digest},
                      {"source_type", d.source_type},
                      {"source", d.source}};
      if (!d.schema.empty()) dataset["schema"] = d.schema;
      if (!d.profile.empty()) dataset["profile"] = d.profile;
      Json item = {{"dataset", std::move(dataset)}};
      if (!input.tags.empty()) item["tags"] = TagsToJson(input.tags);
      list.push_back(std::move(item));
    }
    inputs["dataset_inputs"] = std::move(list);
  }
  Json j = {{"info", ToJson(run.info)}, {"data", std::move(data)}, {"inputs", std::move(inputs)}};
  if (!run.outputs.empty()) {
    Json outputs = Json::array();
    for (const tracking::ModelOutput& o : run.outputs) {
      outputs.push_back({{"model_id", o.model_id}, {"step", o.step}});
    }
    j["outputs"] = {{"model_outputs", std::move(outputs)}};
  }
  return j;
}

Json ToJson(const tracking::LoggedModel& m) {
  Json info = {{"model_id", m.model_id},
               {"experiment_id", m.experiment_id},
               {"name", m.name},
               {"artifact_uri", m.artifact_location},
               {"creation_timestamp_ms", m.creation_timestamp},
               {"last_updated_timestamp_ms", m.last_updated_timestamp},
               {"status", m.status},
               {"lifecycle_stage", "active"}};
  if (!m.status_message.empty()) info["status_message"] = m.status_message;
  if (!m.model_type.empty()) info["model_type"] = m.model_type;
  if (!m.source_run_id.empty()) info["source_run_id"] = m.source_run_id;
  if (!m.tags.empty()) info["tags"] = TagsToJson(m.tags);
  Json data = Json::object();
  if (!m.params.empty()) {
    Json params = Json::array();
    for (const tracking::Param& p : m.params)
      params.push_back({{"key", p.key}, {"value", p.value}});
    data["params"] = std::move(params);
  }
  return {{"info", std::move(info)}, {"data", std::move(data)}};
}

Json ToJson(const registry::ModelVersion& v) {
  Json j = {{"name", v.name},
            {"version", v.version},
            {"creation_timestamp", v.creation_timestamp},
            {"last_updated_timestamp", v.last_updated_timestamp},
            {"user_id", v.user_id},
            {"current_stage", v.current_stage},
            {"description", v.description},
            {"source", v.source},
            {"run_id", v.run_id},
            {"status", v.status},
            {"status_message", v.status_message},
            {"run_link", v.run_link}};
  if (!v.model_id.empty()) j["model_id"] = v.model_id;
  if (!v.tags.empty()) j["tags"] = TagsToJson(v.tags);
  if (!v.aliases.empty()) j["aliases"] = v.aliases;
  return j;
}

Json ToJson(const registry::RegisteredModel& m) {
  Json j = {{"name", m.name},
            {"creation_timestamp", m.creation_timestamp},
            {"last_updated_timestamp", m.last_updated_timestamp},
            {"description", m.description}};
  if (!m.latest_versions.empty()) {
    Json list = Json::array();
    for (const registry::ModelVersion& v : m.latest_versions) list.push_back(ToJson(v));
    j["latest_versions"] = std::move(list);
  }
  if (!m.tags.empty()) j["tags"] = TagsToJson(m.tags);
  if (!m.aliases.empty()) {
    Json list = Json::array();
    for (const registry::Alias& a : m.aliases)
      list.push_back({{"alias", a.alias}, {"version", a.version}});
    j["aliases"] = std::move(list);
  }
  return j;
}

namespace {
// The before/after states are JSON documents; embed them as objects when they parse.
Json StateJson(const std::string& text) {
  if (text.empty()) return nullptr;
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json(text) : parsed;
}
}  // namespace

Json ToJson(const registry::AuditEntry& e) {
  return {{"id", e.id},
          {"time", e.time},
          {"actor", e.actor},
          {"action", e.action},
          {"name", e.name},
          {"version", e.version},
          {"before", StateJson(e.before)},
          {"after", StateJson(e.after)},
          {"reason", e.reason}};
}

Json ToJson(const registry::Event& e) {
  return {{"sequence", e.sequence}, {"time", e.time},   {"type", e.type},  {"name", e.name},
          {"version", e.version},   {"alias", e.alias}, {"stage", e.stage}};
}

Result<std::vector<tracking::Tag>> TagsFrom(const RequestFields& fields, std::string_view field) {
  SLUICE_ASSIGN_OR_RETURN(auto items, fields.MessageList(field));
  std::vector<tracking::Tag> tags;
  tags.reserve(items.size());
  for (const RequestFields& item : items) {
    tracking::Tag tag;
    SLUICE_ASSIGN_OR_RETURN(tag.key, item.RequiredString("key").WithContext(field));
    SLUICE_ASSIGN_OR_RETURN(auto value, item.OptionalString("value").WithContext(field));
    tag.value = value.value_or("");
    tags.push_back(std::move(tag));
  }
  return tags;
}

Result<tracking::Metric> MetricFrom(const RequestFields& fields) {
  tracking::Metric m;
  SLUICE_ASSIGN_OR_RETURN(m.key, fields.RequiredString("key"));
  SLUICE_ASSIGN_OR_RETURN(m.value, fields.RequiredDouble("value").WithContext(m.key));
  SLUICE_ASSIGN_OR_RETURN(m.timestamp, fields.RequiredInt("timestamp").WithContext(m.key));
  SLUICE_ASSIGN_OR_RETURN(auto step, fields.OptionalInt("step").WithContext(m.key));
  m.step = step.value_or(0);
  return m;
}

Result<tracking::Param> ParamFrom(const RequestFields& fields) {
  tracking::Param p;
  SLUICE_ASSIGN_OR_RETURN(p.key, fields.RequiredString("key"));
  SLUICE_ASSIGN_OR_RETURN(auto value, fields.OptionalString("value").WithContext(p.key));
  if (!value) return InvalidArgument("{}: missing value for required parameter 'value'", p.key);
  p.value = std::move(*value);
  return p;
}

}  // namespace sluice::api
