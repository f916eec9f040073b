// Inference over HTTP: the Open Inference Protocol v2 (/v2/...) and MLflow's scoring protocol
// (/invocations, /ping). Handlers run on the io threads (AddNonBlocking): scoring is CPU work
// with no blocking I/O, and the hop to the worker pool would cost more than a small model does.
#include <fmt/format.h>

#include <cmath>

#include "api/api.h"
#include "serving/inputs.h"

namespace sluice::api {
namespace {

using http::Method;
using Json = nlohmann::json;
using serving::ServedModel;

http::Response OipError(int status, std::string message) {
  return http::Response::Json(status, Json{{"error", std::move(message)}}.dump());
}

int HttpStatusOf(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    default:
      return 500;
  }
}

// XGBoost predicts in float32: printing the float, not the widened double, gives the exact
// value in the fewest digits.
Json Number(double value, bool float32) {
  if (!std::isfinite(value)) return nullptr;
  return float32 ? Json(static_cast<float>(value)) : Json(value);
}

bool IsFloat32(const ServedModel& model) {
  return model.bundle.algorithm == models::Algorithm::kXgboost;
}

std::string_view OipDatatype(table::Type type) {
  switch (type) {
    case table::Type::kFloat64:
      return "FP64";
    case table::Type::kInt64:
      return "INT64";
    case table::Type::kBool:
      return "BOOL";
    case table::Type::kString:
    case table::Type::kTimestamp:
      return "BYTES";
  }
  return "BYTES";
}

Json OipShape(size_t rows, size_t outputs) {
  return outputs == 1 ? Json::array({rows}) : Json::array({rows, outputs});
}

Json ModelMetadata(const serving::EndpointStatus& endpoint) {
  Json out = {{"name", endpoint.name}, {"uri", endpoint.uri}};
  if (!endpoint.last_error.empty()) out["last_error"] = endpoint.last_error;
  if (endpoint.model == nullptr) return out;
  const ServedModel& model = *endpoint.model;
  out["versions"] = Json::array({model.version});
  out["platform"] =
      model.bundle.algorithm == models::Algorithm::kXgboost ? "xgboost_json" : "sluice_linear";
  Json inputs = Json::array();
  for (const models::InputColumn& input : model.bundle.encoder.inputs()) {
    inputs.push_back({{"name", input.name},
                      {"datatype", OipDatatype(input.type)},
                      {"shape", Json::array({-1})}});
  }
  out["inputs"] = std::move(inputs);
  const size_t outputs = model.bundle.num_outputs();
  out["outputs"] =
      Json::array({{{"name", "predict"},
                    {"datatype", IsFloat32(model) ? "FP32" : "FP64"},
                    {"shape", outputs == 1 ? Json::array({-1}) : Json::array({-1, outputs})}}});
  return out;
}

// The model serving `name`, checked against a version in the path when there is one.
Result<std::shared_ptr<const ServedModel>> FindModel(const serving::ModelHost& host,
                                                     const http::Request& request) {
  std::string_view name = request.PathParam("name");
  std::shared_ptr<const ServedModel> model = host.Get(name);
  if (model == nullptr) return NotFound("model '{}' is not served here", name);
  std::string_view version = request.PathParam("version");
  if (!version.empty() && version != model->version) {
    return NotFound("model '{}' version {} is not served (version {} is)", name, version,
                    model->version.empty() ? "-" : model->version);
  }
  return model;
}

http::Response Infer(const serving::ModelHost& host, const http::Request& request) {
  Result<std::shared_ptr<const ServedModel>> found = FindModel(host, request);
  if (!found.ok()) return OipError(404, found.status().message());
  const ServedModel& model = **found;
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return OipError(400, "the body is not valid JSON");
  Result<table::Table> data = serving::DecodeOipRequest(body, model.bundle.encoder.inputs());
  if (!data.ok()) return OipError(400, data.status().message());
  Result<std::vector<double>> scores = model.predictor->Predict(*data);
  if (!scores.ok()) return OipError(HttpStatusOf(scores.status()), scores.status().message());
  const bool float32 = IsFloat32(model);
  Json values = Json::array();
  for (double v : *scores) values.push_back(Number(v, float32));
  Json out = {{"model_name", model.name},
              {"model_version", model.version},
              {"outputs",
               Json::array({{{"name", "predict"},
                             {"shape", OipShape(data->num_rows(), model.predictor->num_outputs())},
                             {"datatype", float32 ? "FP32" : "FP64"},
                             {"data", std::move(values)}}})}};
  if (body.contains("id")) out["id"] = body["id"];
  http::Response response = http::Response::Json(200, out.dump());
  response.headers.emplace_back("X-Model-Version", model.version);
  return response;
}

http::Response Invocations(const serving::ModelHost& host, std::string_view name,
                           const http::Request& request) {
  auto mlflow_error = [](int status, std::string_view message) {
    return http::Response::Json(
        status, Json{{"error_code", status == 404 ? "RESOURCE_DOES_NOT_EXIST" : "BAD_REQUEST"},
                     {"message", message}}
                    .dump());
  };
  std::shared_ptr<const ServedModel> model;
  if (name.empty()) {
    std::vector<serving::EndpointStatus> endpoints = host.Endpoints();
    if (endpoints.size() != 1) {
      return mlflow_error(404, fmt::format("{} models are served; POST to "
                                           "/models/<name>/invocations",
                                           endpoints.size()));
    }
    model = endpoints[0].model;
  } else {
    model = host.Get(name);
  }
  if (model == nullptr)
    return mlflow_error(404, fmt::format("model '{}' is not served here", name));
  Result<table::Table> data = serving::DecodeMlflowRequest(
      request.body, request.Header("Content-Type"), model->bundle.encoder.inputs());
  if (!data.ok()) return mlflow_error(400, data.status().message());
  Result<std::vector<double>> scores = model->predictor->Predict(*data);
  if (!scores.ok()) return mlflow_error(400, scores.status().message());
  const bool float32 = IsFloat32(*model);
  const size_t outputs = model->predictor->num_outputs();
  Json predictions = Json::array();
  for (size_t row = 0; row < data->num_rows(); ++row) {
    if (outputs == 1) {
      predictions.push_back(Number((*scores)[row], float32));
    } else {
      Json one = Json::array();
      for (size_t k = 0; k < outputs; ++k)
        one.push_back(Number((*scores)[row * outputs + k], float32));
      predictions.push_back(std::move(one));
    }
  }
  http::Response response = http::Response::Json(200, Json{{"predictions", predictions}}.dump());
  response.headers.emplace_back("X-Model-Version", model->version);
  return response;
}

}  // namespace

void MountServing(http::Router& r, const serving::ModelHost& host) {
  const serving::ModelHost* h = &host;
  r.AddNonBlocking(Method::kGet, "/v2", [](const http::Request&) {
    return http::Response::Json(
        200, Json{{"name", "sluice"}, {"version", SLUICE_VERSION}, {"extensions", Json::array()}}
                 .dump());
  });
  r.AddNonBlocking(Method::kGet, "/v2/health/live", [](const http::Request&) {
    return http::Response::Json(200, R"({"live":true})");
  });
  r.AddNonBlocking(Method::kGet, "/v2/health/ready", [h](const http::Request&) {
    bool ready = true;
    for (const auto& endpoint : h->Endpoints()) ready = ready && endpoint.model != nullptr;
    return http::Response::Json(ready ? 200 : 503, Json{{"ready", ready}}.dump());
  });
  for (std::string prefix : {"/v2/models/{name}", "/v2/models/{name}/versions/{version}"}) {
    r.AddNonBlocking(Method::kGet, prefix, [h](const http::Request& request) {
      Result<std::shared_ptr<const ServedModel>> found = FindModel(*h, request);
      if (!found.ok()) return OipError(404, found.status().message());
      for (const auto& endpoint : h->Endpoints()) {
        if (endpoint.name == request.PathParam("name")) {
          return http::Response::Json(200, ModelMetadata(endpoint).dump());
        }
      }
      return OipError(404, "model is gone");
    });
    r.AddNonBlocking(Method::kGet, prefix + "/ready", [h](const http::Request& request) {
      Result<std::shared_ptr<const ServedModel>> found = FindModel(*h, request);
      if (!found.ok()) return OipError(404, found.status().message());
      return http::Response::Json(
          200, Json{{"name", request.PathParam("name")}, {"ready", true}}.dump());
    });
    r.AddNonBlocking(Method::kPost, prefix + "/infer",
                     [h](const http::Request& request) { return Infer(*h, request); });
  }
  r.AddNonBlocking(Method::kPost, "/invocations",
                   [h](const http::Request& request) { return Invocations(*h, "", request); });
  r.AddNonBlocking(Method::kPost, "/models/{name}/invocations", [h](const http::Request& request) {
    return Invocations(*h, request.PathParam("name"), request);
  });
  r.AddNonBlocking(Method::kGet, "/ping", [h](const http::Request&) {
    bool ready = !h->Endpoints().empty();
    for (const auto& endpoint : h->Endpoints()) ready = ready && endpoint.model != nullptr;
    return http::Response::Text(ready ? 200 : 503, "");
  });
}

}  // namespace sluice::api
