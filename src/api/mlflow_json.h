// Tracking entities as MLflow's proto3 JSON: snake_case names, int64 as numbers, doubles with
// NaN/Infinity as strings, empty repeated fields left out (as MLflow's message_to_json does).
#pragma once

#include "api/request_fields.h"
#include "registry/types.h"
#include "tracking/artifacts.h"
#include "tracking/types.h"

namespace sluice::api {

Json ToJson(const tracking::Experiment& experiment);
Json ToJson(const tracking::RunInfo& info);
Json ToJson(const tracking::Run& run);
Json ToJson(const tracking::Metric& metric);
Json ToJson(const tracking::LoggedModel& model);
Json TagsToJson(const std::vector<tracking::Tag>& tags);

// Registry entities, as MLflow's model_registry.proto JSON (versions as strings), and Sluice's
// audit entries and events.
Json ToJson(const registry::ModelVersion& version);
Json ToJson(const registry::RegisteredModel& model);
Json ToJson(const registry::AuditEntry& entry);
Json ToJson(const registry::Event& event);

// Parsers for the messages clients send; each names the offending field on error.
Result<std::vector<tracking::Tag>> TagsFrom(const RequestFields& fields, std::string_view field);
Result<tracking::Metric> MetricFrom(const RequestFields& fields);
Result<tracking::Param> ParamFrom(const RequestFields& fields);

// Serializes without throwing on invalid UTF-8 (replaced with U+FFFD).
std::string Dump(const Json& json);

}  // namespace sluice::api
