// MLflow's tracking REST API over the tracking module.
#include <functional>

#include "api/api.h"
#include "api/errors.h"
#include "api/json_handler.h"
#include "api/mlflow_json.h"
#include "api/request_fields.h"

namespace sluice::api {
namespace {

using http::Method;
using tracking::TrackingStore;

// MLflow accepts the legacy run_uuid wherever run_id is expected.
Result<std::string> RunIdFrom(const RequestFields& f) {
  SLUICE_ASSIGN_OR_RETURN(auto run_id, f.OptionalString("run_id"));
  if (run_id && !run_id->empty()) return std::move(*run_id);
  SLUICE_ASSIGN_OR_RETURN(auto run_uuid, f.OptionalString("run_uuid"));
  if (run_uuid && !run_uuid->empty()) return std::move(*run_uuid);
  return InvalidArgument("missing value for required parameter 'run_id'");
}

Result<int64_t> MaxResultsFrom(const RequestFields& f, int64_t fallback) {
  SLUICE_ASSIGN_OR_RETURN(auto max_results, f.OptionalInt("max_results"));
  return max_results.value_or(fallback);
}

void AddPage(Json& out, const std::string& token) {
  if (!token.empty()) out["next_page_token"] = token;
}

// --- experiments -------------------------------------------------------------------------------

void MountExperiments(http::Router& r, TrackingStore& store) {
  const std::string base = "/api/2.0/mlflow/experiments/";
  r.Add(Method::kPost, base + "create",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          tracking::CreateExperimentRequest req;
          SLUICE_ASSIGN_OR_RETURN(req.name, f.RequiredString("name"));
          req.artifact_location = f.StringOr("artifact_location", "");
          SLUICE_ASSIGN_OR_RETURN(req.tags, TagsFrom(f, "tags"));
          SLUICE_ASSIGN_OR_RETURN(std::string id, store.CreateExperiment(req));
          return Json{{"experiment_id", id}};
        }));
  r.Add(Method::kGet, base + "get",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, f.RequiredString("experiment_id"));
          SLUICE_ASSIGN_OR_RETURN(tracking::Experiment e, store.GetExperiment(id));
          return Json{{"experiment", ToJson(e)}};
        }));
  r.Add(Method::kGet, base + "get-by-name",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("experiment_name"));
          SLUICE_ASSIGN_OR_RETURN(tracking::Experiment e, store.GetExperimentByName(name));
          return Json{{"experiment", ToJson(e)}};
        }));
  auto search = JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
    tracking::SearchExperimentsRequest req;
    SLUICE_ASSIGN_OR_RETURN(req.max_results, MaxResultsFrom(f, 1000));
    req.page_token = f.StringOr("page_token", "");
    req.filter = f.StringOr("filter", "");
    SLUICE_ASSIGN_OR_RETURN(req.order_by, f.StringList("order_by"));
    req.view_type = f.StringOr("view_type", "");
    SLUICE_ASSIGN_OR_RETURN(auto page, store.SearchExperiments(req));
    Json out = Json::object();
    if (!page.items.empty()) {
      out["experiments"] = Json::array();
      for (const auto& e : page.items) out["experiments"].push_back(ToJson(e));
    }
    AddPage(out, page.next_page_token);
    return out;
  });
  r.Add(Method::kPost, base + "search", search);
  r.Add(Method::kGet, base + "search", search);
  r.Add(Method::kPost, base + "update",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, f.RequiredString("experiment_id"));
          SLUICE_ASSIGN_OR_RETURN(std::string name, f.RequiredString("new_name"));
          return Done(store.RenameExperiment(id, name));
        }));
  r.Add(Method::kPost, base + "delete",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, f.RequiredString("experiment_id"));
          return Done(store.DeleteExperiment(id));
        }));
  r.Add(Method::kPost, base + "restore",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, f.RequiredString("experiment_id"));
          return Done(store.RestoreExperiment(id));
        }));
  r.Add(Method::kPost, base + "set-experiment-tag",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, f.RequiredString("experiment_id"));
          tracking::Tag tag;
          SLUICE_ASSIGN_OR_RETURN(tag.key, f.RequiredString("key"));
          tag.value = f.StringOr("value", "");
          return Done(store.SetExperimentTag(id, tag));
        }));
  r.Add(Method::kPost, base + "delete-experiment-tag",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, f.RequiredString("experiment_id"));
          SLUICE_ASSIGN_OR_RETURN(std::string key, f.RequiredString("key"));
          return Done(store.DeleteExperimentTag(id, key));
        }));
}

// --- runs --------------------------------------------------------------------------------------

Result<std::vector<tracking::DatasetInput>> DatasetInputsFrom(const RequestFields& f) {
  SLUICE_ASSIGN_OR_RETURN(auto items, f.MessageList("datasets"));
  std::vector<tracking::DatasetInput> inputs;
  for (const RequestFields& item : items) {
    tracking::DatasetInput input;
    SLUICE_ASSIGN_OR_RETURN(input.tags, TagsFrom(item, "tags"));
    SLUICE_ASSIGN_OR_RETURN(auto dataset, item.Message("dataset"));
    if (!dataset)
      return InvalidArgument("datasets: missing value for required parameter 'dataset'");
    tracking::Dataset& d = input.dataset;
    SLUICE_ASSIGN_OR_RETURN(d.name, dataset->RequiredString("name").WithContext("dataset"));
    SLUICE_ASSIGN_OR_RETURN(d.digest, dataset->RequiredString("digest").WithContext("dataset"));
    SLUICE_ASSIGN_OR_RETURN(d.source_type,
                            dataset->RequiredString("source_type").WithContext("dataset"));
    SLUICE_ASSIGN_OR_RETURN(d.source, dataset->RequiredString("source").WithContext("dataset"));
    d.schema = dataset->StringOr("schema", "");
    d.profile = dataset->StringOr("profile", "");
    inputs.push_back(std::move(input));
  }
  return inputs;
}

void MountRuns(http::Router& r, TrackingStore& store) {
  const std::string base = "/api/2.0/mlflow/runs/";
  r.Add(Method::kPost, base + "create",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          tracking::CreateRunRequest req;
          req.experiment_id = f.StringOr("experiment_id", req.experiment_id);
          req.user_id = f.StringOr("user_id", "");
          req.run_name = f.StringOr("run_name", "");
          SLUICE_ASSIGN_OR_RETURN(req.start_time, f.OptionalInt("start_time"));
          SLUICE_ASSIGN_OR_RETURN(req.tags, TagsFrom(f, "tags"));
          SLUICE_ASSIGN_OR_RETURN(tracking::Run run, store.CreateRun(req));
          return Json{{"run", ToJson(run)}};
        }));
  r.Add(Method::kGet, base + "get",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          SLUICE_ASSIGN_OR_RETURN(tracking::Run run, store.GetRun(id));
          return Json{{"run", ToJson(run)}};
        }));
  r.Add(Method::kPost, base + "update",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          tracking::UpdateRunRequest req;
          SLUICE_ASSIGN_OR_RETURN(req.run_id, RunIdFrom(f));
          SLUICE_ASSIGN_OR_RETURN(req.status, f.OptionalString("status"));
          SLUICE_ASSIGN_OR_RETURN(req.end_time, f.OptionalInt("end_time"));
          SLUICE_ASSIGN_OR_RETURN(req.run_name, f.OptionalString("run_name"));
          SLUICE_ASSIGN_OR_RETURN(tracking::RunInfo info, store.UpdateRun(req));
          return Json{{"run_info", ToJson(info)}};
        }));
  r.Add(Method::kPost, base + "delete",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          return Done(store.DeleteRun(id));
        }));
  r.Add(Method::kPost, base + "restore",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          return Done(store.RestoreRun(id));
        }));
  r.Add(Method::kPost, base + "log-metric",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          SLUICE_ASSIGN_OR_RETURN(tracking::Metric m, MetricFrom(f));
          return Done(store.LogMetric(id, m));
        }));
  r.Add(Method::kPost, base + "log-parameter",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          SLUICE_ASSIGN_OR_RETURN(tracking::Param p, ParamFrom(f));
          return Done(store.LogParam(id, p));
        }));
  r.Add(Method::kPost, base + "set-tag",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          tracking::Tag tag;
          SLUICE_ASSIGN_OR_RETURN(tag.key, f.RequiredString("key"));
          tag.value = f.StringOr("value", "");
          return Done(store.SetTag(id, tag));
        }));
  r.Add(Method::kPost, base + "delete-tag",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          SLUICE_ASSIGN_OR_RETURN(std::string key, f.RequiredString("key"));
          return Done(store.DeleteTag(id, key));
        }));
  r.Add(Method::kPost, base + "log-batch",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          std::vector<tracking::Metric> metrics;
          SLUICE_ASSIGN_OR_RETURN(auto metric_items, f.MessageList("metrics"));
          metrics.reserve(metric_items.size());
          for (const RequestFields& item : metric_items) {
            SLUICE_ASSIGN_OR_RETURN(tracking::Metric m, MetricFrom(item).WithContext("metrics"));
            metrics.push_back(std::move(m));
          }
          std::vector<tracking::Param> params;
          SLUICE_ASSIGN_OR_RETURN(auto param_items, f.MessageList("params"));
          for (const RequestFields& item : param_items) {
            SLUICE_ASSIGN_OR_RETURN(tracking::Param p, ParamFrom(item).WithContext("params"));
            params.push_back(std::move(p));
          }
          SLUICE_ASSIGN_OR_RETURN(auto tags, TagsFrom(f, "tags"));
          return Done(store.LogBatch(id, metrics, params, tags));
        }));
  r.Add(Method::kPost, base + "log-inputs",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          SLUICE_ASSIGN_OR_RETURN(auto inputs, DatasetInputsFrom(f));
          return Done(store.LogInputs(id, inputs));
        }));
  r.Add(Method::kPost, base + "log-model",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          SLUICE_ASSIGN_OR_RETURN(std::string model_json, f.RequiredString("model_json"));
          return Done(store.LogModel(id, model_json));
        }));
  r.Add(Method::kPost, base + "outputs",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          SLUICE_ASSIGN_OR_RETURN(auto items, f.MessageList("models"));
          std::vector<tracking::ModelOutput> outputs;
          for (const RequestFields& item : items) {
            tracking::ModelOutput o;
            SLUICE_ASSIGN_OR_RETURN(o.model_id,
                                    item.RequiredString("model_id").WithContext("models"));
            SLUICE_ASSIGN_OR_RETURN(auto step, item.OptionalInt("step").WithContext("models"));
            o.step = step.value_or(0);
            outputs.push_back(std::move(o));
          }
          return Done(store.LogOutputs(id, outputs));
        }));
  auto search = JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
    tracking::SearchRunsRequest req;
    SLUICE_ASSIGN_OR_RETURN(req.experiment_ids, f.StringList("experiment_ids"));
    req.filter = f.StringOr("filter", "");
    req.view_type = f.StringOr("run_view_type", "");
    SLUICE_ASSIGN_OR_RETURN(req.max_results, MaxResultsFrom(f, 1000));
    SLUICE_ASSIGN_OR_RETURN(req.order_by, f.StringList("order_by"));
    req.page_token = f.StringOr("page_token", "");
    SLUICE_ASSIGN_OR_RETURN(auto page, store.SearchRuns(req));
    Json out = Json::object();
    if (!page.items.empty()) {
      out["runs"] = Json::array();
      for (const auto& run : page.items) out["runs"].push_back(ToJson(run));
    }
    AddPage(out, page.next_page_token);
    return out;
  });
  r.Add(Method::kPost, base + "search", search);
  r.Add(Method::kGet, base + "search", search);
  r.Add(Method::kGet, "/api/2.0/mlflow/metrics/get-history",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(std::string id, RunIdFrom(f));
          SLUICE_ASSIGN_OR_RETURN(std::string key, f.RequiredString("metric_key"));
          SLUICE_ASSIGN_OR_RETURN(int64_t max_results, MaxResultsFrom(f, 0));
          SLUICE_ASSIGN_OR_RETURN(auto page, store.GetMetricHistory(id, key, max_results,
                                                                    f.StringOr("page_token", "")));
          Json out = Json::object();
          if (!page.items.empty()) {
            out["metrics"] = Json::array();
            for (const auto& m : page.items) out["metrics"].push_back(ToJson(m));
          }
          AddPage(out, page.next_page_token);
          return out;
        }));
}

// --- MLflow 3 logged models --------------------------------------------------------------------

Result<std::vector<tracking::Param>> ParamsFrom(const RequestFields& f) {
  SLUICE_ASSIGN_OR_RETURN(auto items, f.MessageList("params"));
  std::vector<tracking::Param> params;
  for (const RequestFields& item : items) {
    SLUICE_ASSIGN_OR_RETURN(tracking::Param p, ParamFrom(item).WithContext("params"));
    params.push_back(std::move(p));
  }
  return params;
}

void MountLoggedModels(http::Router& r, TrackingStore& store) {
  const std::string base = "/api/2.0/mlflow/logged-models";
  r.Add(Method::kPost, base, JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          tracking::CreateLoggedModelRequest req;
          SLUICE_ASSIGN_OR_RETURN(req.experiment_id, f.RequiredString("experiment_id"));
          req.name = f.StringOr("name", "");
          req.model_type = f.StringOr("model_type", "");
          req.source_run_id = f.StringOr("source_run_id", "");
          SLUICE_ASSIGN_OR_RETURN(req.params, ParamsFrom(f));
          SLUICE_ASSIGN_OR_RETURN(req.tags, TagsFrom(f, "tags"));
          SLUICE_ASSIGN_OR_RETURN(tracking::LoggedModel m, store.CreateLoggedModel(req));
          return Json{{"model", ToJson(m)}};
        }));
  r.Add(Method::kPost, base + "/search",
        JsonHandler([&store](const RequestFields& f, auto&) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(auto experiment_ids, f.StringList("experiment_ids"));
          SLUICE_ASSIGN_OR_RETURN(int64_t max_results, MaxResultsFrom(f, 100));
          SLUICE_ASSIGN_OR_RETURN(
              auto page, store.SearchLoggedModels(experiment_ids, f.StringOr("filter", ""),
                                                  max_results, f.StringOr("page_token", "")));
          Json out = {{"models", Json::array()}};
          for (const auto& m : page.items) out["models"].push_back(ToJson(m));
          AddPage(out, page.next_page_token);
          return out;
        }));
  r.Add(Method::kGet, base + "/{model_id}",
        JsonHandler([&store](const RequestFields&, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(tracking::LoggedModel m,
                                  store.GetLoggedModel(req.PathParam("model_id")));
          return Json{{"model", ToJson(m)}};
        }));
  r.Add(Method::kPatch, base + "/{model_id}",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          std::string status = f.StringOr("status", "LOGGED_MODEL_READY");
          SLUICE_ASSIGN_OR_RETURN(tracking::LoggedModel m,
                                  store.FinalizeLoggedModel(req.PathParam("model_id"), status));
          return Json{{"model", ToJson(m)}};
        }));
  r.Add(Method::kDelete, base + "/{model_id}",
        JsonHandler([&store](const RequestFields&, const http::Request& req) -> Result<Json> {
          return Done(store.DeleteLoggedModel(req.PathParam("model_id")));
        }));
  r.Add(Method::kPatch, base + "/{model_id}/tags",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(auto tags, TagsFrom(f, "tags"));
          return Done(store.SetLoggedModelTags(req.PathParam("model_id"), tags));
        }));
  r.Add(Method::kDelete, base + "/{model_id}/tags/{key}",
        JsonHandler([&store](const RequestFields&, const http::Request& req) -> Result<Json> {
          return Done(store.DeleteLoggedModelTag(req.PathParam("model_id"), req.PathParam("key")));
        }));
  r.Add(Method::kPost, base + "/{model_id}/params",
        JsonHandler([&store](const RequestFields& f, const http::Request& req) -> Result<Json> {
          SLUICE_ASSIGN_OR_RETURN(auto params, ParamsFrom(f));
          return Done(store.LogLoggedModelParams(req.PathParam("model_id"), params));
        }));
}

}  // namespace

void MountTracking(http::Router& router, const Services& services) {
  MountExperiments(router, services.tracking);
  MountRuns(router, services.tracking);
  MountLoggedModels(router, services.tracking);
}

}  // namespace sluice::api
