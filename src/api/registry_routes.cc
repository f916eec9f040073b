// MLflow's model registry REST API over the registry module, and Sluice's own registry
// endpoints (history, promote, rollback, the event feed) under /api/sluice/v1.
#include <openssl/evp.h>

#include <cctype>
#include <functional>
#include <limits>
#include <string>

#include "api/api.h"
#include "api/errors.h"
#include "api/json_handler.h"
#include "api/mlflow_json.h"
#include "api/request_fields.h"

namespace sluice::api {
namespace {

using http::Method;
using registry::RegistryStore;

// Basic-auth credentials are base64; OpenSSL decodes them. Invalid input decodes to "".
std::string DecodeBase64(std::string_view in) {
  while (!in.empty() && (in.back() == ' ' || in.back() == '\r')) in.remove_suffix(1);
  if (in.empty() || in.size() % 4 != 0) return "";
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return "";
  // EVP_DecodeBlock counts the bytes that '=' padding stands for; drop them.
  size_t padding = in.ends_with("==") ? 2 : in.ends_with('=') ? 1 : 0;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

// Who made a change: the Basic-auth user, else X-Sluice-User, else "unknown".
std::string ActorOf(const http::Request& request) {
  std::string_view auth = request.Header("Authorization");
  constexpr std::string_view kBasic = "Basic ";
  if (auth.size() > kBasic.size()) {
    std::string scheme(auth.substr(0, kBasic.size()));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "basic ") {
      std::string decoded = DecodeBase64(auth.substr(kBasic.size()));
      std::string user = decoded.substr(0, decoded.find(':'));
      if (!user.empty()) return user;
    }
  }
  std::string_view header = request.Header("X-Sluice-User");
  if (!header.empty()) return std::string(header);
  return "unknown";
}

registry::Change ChangeOf(const RequestFields& f, const http::Request& request) {
  return {.actor = ActorOf(request), .reason = f.StringOr("reason", "")};
}

// A version as MLflow clients send it: a string, or (from some callers) a number.
Result<std::string> VersionFrom(const RequestFields& f, std::string_view field = "version") {
  const Json& json = f.json();
  auto it = json.find(std::string(field));
  if (it != json.end() && it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return f.RequiredString(field);
}

// max_results: absent = the default; otherwise 1..limit, else 400 as MLflow answers.
Result<int64_t> MaxResultsFrom(const RequestFields& f, int64_t fallback, int64_t limit) {
  SLUICE_ASSIGN_OR_RETURN(auto max_results, f.OptionalInt("max_results"));
  if (!max_results) return fallback;
  if (*max_results < 1 || *max_results > limit) {
    return InvalidArgument(
        "Invalid value {} for parameter 'max_results' supplied. It must be a positive integer "
        "at most {}",
        *max_results, limit);
  }
  return *max_results;
}

Result<registry::SearchRequest> SearchFrom(const RequestFields& f, int64_t fallback,
                                           int64_t limit) {
  registry::SearchRequest req;
  SLUICE_ASSIGN_OR_RETURN(req.max_results, MaxResultsFrom(f, fallback, limit));
  SLUICE_ASSIGN_OR_RETURN(auto filter, f.OptionalString("filter"));
  req.filter = filter.value_or("");
  SLUICE_ASSIGN_OR_RETURN(req.order_by, f.StringList("order_by"));
  SLUICE_ASSIGN_OR_RETURN(auto token, f.OptionalString("page_token"));
  req.page_token = token.value_or("");
  return req;
}

Json VersionsJson(const std::vector<registry::ModelVersion>& versions) {
  Json list = Json::array();
  for (const auto& v : versions) list.push_back(ToJson(v));
  return list;
}

void MountRegisteredModels(http::Router& r, RegistryStore& store) {
  const std::string base = "/api/2.0/mlflow/registered-models/";
  r.Add(Method::kPost, base + "create",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(auto tags, TagsFrom(f, "tags"));
          SLUICE_ASSIGN_OR_RETURN(auto description, f.OptionalString("description"));
          SLUICE_ASSIGN_OR_RETURN(
              registry::RegisteredModel m,
              store.CreateRegisteredModel(name, tags, description.value_or(""), ChangeOf(f, req)));
          return Json{{"registered_model", ToJson(m)}};
        }));
  r.Add(Method::kGet, base + "get",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(registry::RegisteredModel m, store.GetRegisteredModel(name));
          return Json{{"registered_model", ToJson(m)}};
        }));
  r.Add(Method::kPost, base + "rename",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string new_name, f.RequiredString("new_name"));
          SLUICE_ASSIGN_OR_RETURN(registry::RegisteredModel m,
                                  store.RenameRegisteredModel(name, new_name, ChangeOf(f, req)));
          return Json{{"registered_model", ToJson(m)}};
        }));
  r.Add(Method::kPatch, base + "update",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(auto description, f.OptionalString("description"));
          SLUICE_ASSIGN_OR_RETURN(
              registry::RegisteredModel m,
              store.UpdateRegisteredModel(name, description.value_or(""), ChangeOf(f, req)));
          return Json{{"registered_model", ToJson(m)}};
        }));
  r.Add(Method::kDelete, base + "delete",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          return Done(store.DeleteRegisteredModel(name, ChangeOf(f, req)));
        }));
  auto search = JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
    SLUICE_ASSIGN_OR_RETURN(registry::SearchRequest req,
                            SearchFrom(f, 100, registry::kMaxRegisteredModelResults));
    SLUICE_ASSIGN_OR_RETURN(auto page, store.SearchRegisteredModels(req));
    Json out = Json::object();
    if (!page.items.empty()) {
      out["registered_models"] = Json::array();
      for (const auto& m : page.items) out["registered_models"].push_back(ToJson(m));
    }
    if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
    return out;
  });
  r.Add(Method::kGet, base + "search", search);
  r.Add(Method::kPost, base + "search", search);
  auto latest = JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
    SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
    SLUICE_ASSIGN_OR_RETURN(auto stages, f.StringList("stages"));
    SLUICE_ASSIGN_OR_RETURN(auto versions, store.GetLatestVersions(name, stages));
    Json out = Json::object();
    if (!versions.empty()) out["model_versions"] = VersionsJson(versions);
    return out;
  });
  r.Add(Method::kPost, base + "get-latest-versions", latest);
  r.Add(Method::kGet, base + "get-latest-versions", latest);
  r.Add(Method::kPost, base + "set-tag",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          tracking::Tag tag;
          SLUICE_ASSIGN_OR_RETURN(tag.key, f.RequiredString("key"));
          SLUICE_ASSIGN_OR_RETURN(auto value, f.OptionalString("value"));
          tag.value = value.value_or("");
          return Done(store.SetRegisteredModelTag(name, tag, ChangeOf(f, req)));
        }));
  r.Add(Method::kDelete, base + "delete-tag",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string key, f.RequiredString("key"));
          return Done(store.DeleteRegisteredModelTag(name, key, ChangeOf(f, req)));
        }));
  r.Add(Method::kPost, base + "alias",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string alias, f.RequiredString("alias"));
          SLUICE_ASSIGN_OR_RETURN(std::string version, VersionFrom(f));
          return Done(store.SetAlias(name, alias, version, ChangeOf(f, req)));
        }));
  r.Add(Method::kDelete, base + "alias",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string alias, f.RequiredString("alias"));
          return Done(store.DeleteAlias(name, alias, ChangeOf(f, req)));
        }));
  r.Add(Method::kGet, base + "alias",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string alias, f.RequiredString("alias"));
          // A missing model is 404; an unknown alias of an existing one is 400 in MLflow.
          SLUICE_RETURN_IF_ERROR(store.GetRegisteredModel(name).status());
          Result<registry::ModelVersion> v = store.GetModelVersionByAlias(name, alias);
          if (!v.ok() && v.status().code() == StatusCode::kNotFound) {
            return InvalidArgument("Registered model alias {} not found.", alias);
          }
          if (!v.ok()) return v.status();
          return Json{{"model_version", ToJson(*v)}};
        }));
}

void MountModelVersions(http::Router& r, RegistryStore& store) {
  const std::string base = "/api/2.0/mlflow/model-versions/";
  r.Add(Method::kPost, base + "create",
        JsonHandler([&store](const RequestFields& f, const http::Request& http) -> Result<Json> {
          registry::CreateModelVersionRequest req;
          SLUICE_ASSIGN_OR_RETURN(req.name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(req.source, f.RequiredString("source"));
          SLUICE_ASSIGN_OR_RETURN(auto run_id, f.OptionalString("run_id"));
          req.run_id = run_id.value_or("");
          SLUICE_ASSIGN_OR_RETURN(req.tags, TagsFrom(f, "tags"));
          SLUICE_ASSIGN_OR_RETURN(auto run_link, f.OptionalString("run_link"));
          req.run_link = run_link.value_or("");
          SLUICE_ASSIGN_OR_RETURN(auto description, f.OptionalString("description"));
          req.description = description.value_or("");
          SLUICE_ASSIGN_OR_RETURN(auto model_id, f.OptionalString("model_id"));
          req.model_id = model_id.value_or("");
          req.change = ChangeOf(f, http);
          // MLflow refuses a version of a model that does not exist (register_model creates the
          // model first); the store would create it.
          SLUICE_RETURN_IF_ERROR(store.GetRegisteredModel(req.name).status());
          SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion v, store.CreateModelVersion(req));
          return Json{{"model_version", ToJson(v)}};
        }));
  r.Add(Method::kGet, base + "get",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string version, VersionFrom(f));
          SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion v, store.GetModelVersion(name, version));
          return Json{{"model_version", ToJson(v)}};
        }));
  r.Add(Method::kPatch, base + "update",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string version, VersionFrom(f));
          SLUICE_ASSIGN_OR_RETURN(auto description, f.OptionalString("description"));
          SLUICE_ASSIGN_OR_RETURN(
              registry::ModelVersion v,
              store.UpdateModelVersion(name, version, description.value_or(""), ChangeOf(f, req)));
          return Json{{"model_version", ToJson(v)}};
        }));
  r.Add(Method::kDelete, base + "delete",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string version, VersionFrom(f));
          // MLflow deletes the version's aliases with it; `sluice models delete` asks first.
          return Done(store.DeleteModelVersion(name, version, /*force=*/true, ChangeOf(f, req)));
        }));
  auto search = JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
    SLUICE_ASSIGN_OR_RETURN(registry::SearchRequest req,
                            SearchFrom(f, 10000, registry::kMaxModelVersionResults));
    SLUICE_ASSIGN_OR_RETURN(auto page, store.SearchModelVersions(req));
    Json out = Json::object();
    if (!page.items.empty()) out["model_versions"] = VersionsJson(page.items);
    if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
    return out;
  });
  r.Add(Method::kGet, base + "search", search);
  r.Add(Method::kPost, base + "search", search);
  r.Add(Method::kPost, base + "set-tag",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string version, VersionFrom(f));
          tracking::Tag tag;
          SLUICE_ASSIGN_OR_RETURN(tag.key, f.RequiredString("key"));
          SLUICE_ASSIGN_OR_RETURN(auto value, f.OptionalString("value"));
          tag.value = value.value_or("");
          return Done(store.SetModelVersionTag(name, version, tag, ChangeOf(f, req)));
        }));
  r.Add(Method::kDelete, base + "delete-tag",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string version, VersionFrom(f));
          SLUICE_ASSIGN_OR_RETURN(std::string key, f.RequiredString("key"));
          return Done(store.DeleteModelVersionTag(name, version, key, ChangeOf(f, req)));
        }));
  r.Add(Method::kPost, base + "transition-stage",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string version, VersionFrom(f));
          SLUICE_ASSIGN_OR_RETURN(std::string stage, f.RequiredString("stage"));
          SLUICE_ASSIGN_OR_RETURN(auto archive, f.OptionalBool("archive_existing_versions"));
          SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion v,
                                  store.TransitionStage(name, version, stage,
                                                        archive.value_or(false), ChangeOf(f, req)));
          return Json{{"model_version", ToJson(v)}};
        }));
  r.Add(Method::kGet, base + "get-download-uri",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("name"));
          SLUICE_ASSIGN_OR_RETURN(std::string version, VersionFrom(f));
          SLUICE_ASSIGN_OR_RETURN(std::string uri, store.GetDownloadUri(name, version));
          return Json{{"artifact_uri", uri}};
        }));
}

Result<int64_t> QueryInt(const http::Request& req, std::string_view name, int64_t fallback,
                         int64_t min, int64_t max) {
  std::optional<std::string_view> raw = req.QueryParam(name);
  if (!raw || raw->empty()) return fallback;
  int64_t value = 0;
  std::string text(*raw);
  size_t used = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    return InvalidArgument("parameter '{}' must be an integer; got '{}'", name, text);
  }
  if (value < min || value > max) {
    return InvalidArgument("parameter '{}' must be between {} and {}; got {}", name, min, max,
                           value);
  }
  return value;
}

// /api/sluice/v1/models/{name}/{action}: the name may hold '/' (the registry allows it), so
// the action is the last segment and the name everything before it.
struct ModelAction {
  std::string name;
  std::string action;
};

ModelAction SplitModelAction(const http::Request& req) {
  std::string_view rest = req.PathParam("rest");
  size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos) return {};
  return {std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

Status UnknownModelAction(const http::Request& req, std::string_view known) {
  return NotFound("no endpoint {} {}: use /api/sluice/v1/models/<name>/{}", req.method_name,
                  req.path, known);
}

void MountSluiceRegistry(http::Router& r, RegistryStore& store, tracking::TrackingStore& tracking) {
  const std::string base = "/api/sluice/v1/";
  r.Add(Method::kGet, base + "models/{*rest}",
        JsonHandler([&store](const RequestFields&, const http::Request& req) -> Result<Json> {
          ModelAction target = SplitModelAction(req);
          if (target.name.empty() || target.action != "history") {
            return UnknownModelAction(req, "history");
          }
          SLUICE_RETURN_IF_ERROR(store.GetRegisteredModel(target.name).status());
          SLUICE_ASSIGN_OR_RETURN(int64_t limit, QueryInt(req, "limit", 1000, 1, 100000));
          SLUICE_ASSIGN_OR_RETURN(auto entries, store.History(target.name, limit));
          Json list = Json::array();
          for (const auto& e : entries) list.push_back(ToJson(e));
          return Json{{"entries", std::move(list)}};
        }));
  r.Add(Method::kPost, base + "models/{*rest}",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          ModelAction target = SplitModelAction(req);
          registry::ModelVersion v;
          if (!target.name.empty() && target.action == "promote") {
            SLUICE_ASSIGN_OR_RETURN(std::string from, f.RequiredString("from_alias"));
            SLUICE_ASSIGN_OR_RETURN(std::string to, f.RequiredString("to_alias"));
            SLUICE_ASSIGN_OR_RETURN(v, store.Promote(target.name, from, to, ChangeOf(f, req)));
          } else if (!target.name.empty() && target.action == "rollback") {
            SLUICE_ASSIGN_OR_RETURN(std::string alias, f.RequiredString("alias"));
            SLUICE_ASSIGN_OR_RETURN(v, store.Rollback(target.name, alias, ChangeOf(f, req)));
          } else {
            return UnknownModelAction(req, "promote or .../rollback");
          }
          return Json{{"model_version", ToJson(v)}};
        }));
  // The chain a production model answers for: model version -> the run that made it -> the
  // datasets that run read (with their digests).
  r.Add(Method::kGet, base + "lineage",
        JsonHandler(
            [&store, &tracking](const RequestFields& f, const http::Request&) -> Result<Json> {
              SLUICE_ASSIGN_OR_RETURN(std::string uri, f.RequiredString("model_uri"));
              SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion v, store.Resolve(uri));
              Json out = {{"model_uri", uri}, {"model_version", ToJson(v)}};
              Json datasets = Json::array();
              if (!v.run_id.empty()) {
                SLUICE_ASSIGN_OR_RETURN(tracking::Run run, tracking.GetRun(v.run_id));
                for (const tracking::DatasetInput& input : run.inputs) {
                  Json d = {{"name", input.dataset.name},
                            {"digest", input.dataset.digest},
                            {"source_type", input.dataset.source_type},
                            {"source", input.dataset.source}};
                  for (const tracking::Tag& t : input.tags) {
                    if (t.key == tracking::kDatasetContextTag) d["context"] = t.value;
                  }
                  datasets.push_back(std::move(d));
                }
                out["run"] = ToJson(run);
              }
              out["datasets"] = std::move(datasets);
              return out;
            }));
  r.Add(Method::kGet, base + "events",
        JsonHandler([&store](const RequestFields&, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(
              int64_t after, QueryInt(req, "after", 0, 0, std::numeric_limits<int64_t>::max()));
          SLUICE_ASSIGN_OR_RETURN(int64_t limit, QueryInt(req, "limit", 1000, 1, 10000));
          SLUICE_ASSIGN_OR_RETURN(int64_t wait_ms, QueryInt(req, "wait_ms", 0, 0, 60000));
          SLUICE_ASSIGN_OR_RETURN(
              auto events, store.EventsAfter(after, limit, std::chrono::milliseconds(wait_ms)));
          Json list = Json::array();
          for (const auto& e : events) list.push_back(ToJson(e));
          Json out = {{"events", std::move(list)}};
          out["last_sequence"] = events.empty() ? after : events.back().sequence;
          return out;
        }));
}

}  // namespace

void MountRegistry(http::Router& router, const Services& services) {
  MountRegisteredModels(router, services.registry);
  MountModelVersions(router, services.registry);
  MountSluiceRegistry(router, services.registry, services.tracking);
}

}  // namespace sluice::api
