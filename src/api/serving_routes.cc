// Inference over HTTP: the Open Inference Protocol v2 (/v2/...) and MLflow's scoring protocol
// (/invocations, /ping). Handlers run on the io threads (AddNonBlocking): scoring is CPU work
// with no blocking I/O, and the hop to the worker pool would cost more than a small model does.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <span>

#include "api/api.h"
#include "serving/inputs.h"
#include "serving/oip_dense.h"
#include "serving/prediction_log.h"

namespace sluice::api {
namespace {

using http::Method;
using Json = nlohmann::json;
using serving::ServedModel;
using Clock = std::chrono::steady_clock;

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

http::Response WithRequestId(http::Response response, const std::string& request_id) {
  response.headers.emplace_back("X-Request-Id", request_id);
  return response;
}

// Counts the answer on the model's endpoint for /metrics.
http::Response Counted(const ServedModel& model, Clock::time_point start, size_t rows,
                       http::Response response) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  model.counters->Record(response.status, static_cast<uint64_t>(micros.count()),
                         response.status < 400 ? rows : 0);
  return response;
}

// The caller's X-Request-Id when it is a sane token (so ids can be traced across services), else
// a new one.
std::string RequestId(const http::Request& request) {
  std::string_view given = request.Header("X-Request-Id");
  bool sane = !given.empty() && given.size() <= 128;
  for (char c : given) sane = sane && c > ' ' && c < 127 && c != '"' && c != '\\';
  return sane ? std::string(given) : serving::PredictionLog::NewRequestId();
}

// Hands a sampled answered request to the prediction log; the table and scores are no longer
// needed by the request, so they move.
void LogSampled(serving::PredictionLog* log, const ServedModel& model, std::string request_id,
                Clock::time_point start, table::Table inputs, std::vector<double> scores) {
  serving::LoggedPrediction entry;
  entry.endpoint = model.name;
  entry.model_version = model.version;
  entry.request_id = std::move(request_id);
  entry.latency_micros =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  entry.inputs = std::move(inputs);
  entry.outputs = std::move(scores);
  entry.num_outputs = model.predictor->num_outputs();
  entry.float32 = IsFloat32(model);
  log->Append(std::move(entry));
}

// LogSampled when the request is sampled.
void LogPrediction(serving::PredictionLog* log, const ServedModel& model, std::string request_id,
                   Clock::time_point start, table::Table inputs, std::vector<double> scores) {
  if (log == nullptr || !log->Sample()) return;
  LogSampled(log, model, std::move(request_id), start, std::move(inputs), std::move(scores));
}

http::Response MlflowError(int status, std::string_view message) {
  return http::Response::Json(
      status, Json{{"error_code", status == 404 ? "RESOURCE_DOES_NOT_EXIST" : "BAD_REQUEST"},
                   {"message", message}}
                  .dump());
}

// The model's scores for `data`, batched with concurrent requests when a batcher is set.
Result<std::vector<double>> Score(const InferenceOptions& options, const ServedModel& model,
                                  const table::Table& data) {
  if (options.batcher != nullptr) return options.batcher->Predict(model, data);
  return model.predictor->Predict(data);
}

bool ChecksInputs(const InferenceOptions& options, const ServedModel& model) {
  return options.check_inputs != serving::InputCheckMode::kOff && model.input_checks != nullptr;
}

// The request's rows against the model's input expectations when the server checks them (the
// violations are counted); the message of a 400 answer when they break one and the server
// rejects such requests.
std::optional<std::string> CheckInputs(const InferenceOptions& options, const ServedModel& model,
                                       const table::Table& data) {
  if (!ChecksInputs(options, model)) return std::nullopt;
  const serving::InputChecks& checks = *model.input_checks;
  Result<std::vector<serving::InputChecks::Failure>> failures = checks.Check(data);
  const bool reject = options.check_inputs == serving::InputCheckMode::kReject;
  if (!failures.ok()) {
    if (!reject) return std::nullopt;
    return fmt::format("cannot check the request against the model's input expectations: {}",
                       failures.status().message());
  }
  if (failures->empty() || !reject) return std::nullopt;
  return fmt::format("the request breaks the model's input expectations (suite '{}'): {}",
                     checks.suite_name(), checks.Describe(*failures));
}

// The numeric fast path (serving/oip_dense.h): the answer Infer's general path gives, byte for
// byte, or nullopt when the request is not one it takes. Micro-batching scores tables, so it
// always takes the general path.
std::optional<http::Response> InferDense(const InferenceOptions& options, const ServedModel& model,
                                         const http::Request& request,
                                         const std::string& request_id, Clock::time_point start,
                                         size_t& rows) {
  const std::span<const models::InputColumn> inputs = model.bundle.encoder.inputs();
  if (options.batcher != nullptr || ChecksInputs(options, model) ||
      !serving::HasDenseInputs(inputs)) {
    return std::nullopt;
  }
  // Per io thread, so that a request allocates nothing for its rows and scores.
  thread_local serving::DenseOipRequest dense;
  thread_local std::vector<double> scores;
  if (!serving::DecodeDenseOipRequest(request.body, inputs, dense)) return std::nullopt;
  const size_t outputs = model.predictor->num_outputs();
  scores.resize(dense.rows() * outputs);
  model.predictor->PredictFeatures(dense.features(), dense.rows(), scores);
  std::string body;
  serving::AppendOipResponse(body, {.id_json = dense.id(),
                                    .request_id = request_id,
                                    .model_name = model.name,
                                    .model_version = model.version,
                                    .rows = dense.rows(),
                                    .outputs = outputs,
                                    .float32 = IsFloat32(model),
                                    .scores = scores});
  http::Response ok = http::Response::Json(200, std::move(body));
  ok.headers.emplace_back("X-Model-Version", model.version);
  rows = dense.rows();
  if (serving::PredictionLog* log = options.prediction_log; log != nullptr && log->Sample()) {
    LogSampled(log, model, request_id, start, serving::DenseRequestTable(dense, inputs),
               std::vector<double>(scores.begin(), scores.end()));
  }
  if (scores.capacity() > (1 << 20)) std::vector<double>().swap(scores);
  return ok;
}

http::Response Infer(const serving::ModelHost& host, const InferenceOptions& options,
                     const http::Request& request) {
  const Clock::time_point start = Clock::now();
  std::string request_id = RequestId(request);
  Result<std::shared_ptr<const ServedModel>> found = FindModel(host, request);
  if (!found.ok()) return WithRequestId(OipError(404, found.status().message()), request_id);
  const ServedModel& model = **found;
  size_t rows = 0;
  if (std::optional<http::Response> fast =
          InferDense(options, model, request, request_id, start, rows)) {
    return Counted(model, start, rows, WithRequestId(std::move(*fast), request_id));
  }
  http::Response response = [&]() -> http::Response {
    Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return OipError(400, "the body is not valid JSON");
    Result<table::Table> data = serving::DecodeOipRequest(body, model.bundle.encoder.inputs());
    if (!data.ok()) return OipError(400, data.status().message());
    if (std::optional<std::string> broken = CheckInputs(options, model, *data)) {
      return OipError(400, *broken);
    }
    Result<std::vector<double>> scores = Score(options, model, *data);
    if (!scores.ok()) return OipError(HttpStatusOf(scores.status()), scores.status().message());
    const bool float32 = IsFloat32(model);
    Json values = Json::array();
    for (double v : *scores) values.push_back(Number(v, float32));
    Json out = {
        {"model_name", model.name},
        {"model_version", model.version},
        {"outputs",
         Json::array({{{"name", "predict"},
                       {"shape", OipShape(data->num_rows(), model.predictor->num_outputs())},
                       {"datatype", float32 ? "FP32" : "FP64"},
                       {"data", std::move(values)}}})}};
    out["id"] = body.contains("id") ? body["id"] : Json(request_id);
    http::Response ok = http::Response::Json(200, out.dump());
    ok.headers.emplace_back("X-Model-Version", model.version);
    rows = data->num_rows();
    LogPrediction(options.prediction_log, model, request_id, start, std::move(*data),
                  std::move(*scores));
    return ok;
  }();
  return Counted(model, start, rows, WithRequestId(std::move(response), request_id));
}

http::Response Invocations(const serving::ModelHost& host, const InferenceOptions& options,
                           std::string_view name, const http::Request& request) {
  const Clock::time_point start = Clock::now();
  std::string request_id = RequestId(request);
  std::shared_ptr<const ServedModel> model;
  if (name.empty()) {
    std::vector<serving::EndpointStatus> endpoints = host.Endpoints();
    if (endpoints.size() != 1) {
      return WithRequestId(MlflowError(404, fmt::format("{} models are served; POST to "
                                                        "/models/<name>/invocations",
                                                        endpoints.size())),
                           request_id);
    }
    model = endpoints[0].model;
  } else {
    model = host.Get(name);
  }
  if (model == nullptr) {
    return WithRequestId(MlflowError(404, fmt::format("model '{}' is not served here", name)),
                         request_id);
  }
  size_t rows = 0;
  http::Response response = [&]() -> http::Response {
    Result<table::Table> data = serving::DecodeMlflowRequest(
        request.body, request.Header("Content-Type"), model->bundle.encoder.inputs());
    if (!data.ok()) return MlflowError(400, data.status().message());
    if (std::optional<std::string> broken = CheckInputs(options, *model, *data)) {
      return MlflowError(400, *broken);
    }
    Result<std::vector<double>> scores = Score(options, *model, *data);
    if (!scores.ok()) return MlflowError(400, scores.status().message());
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
    http::Response ok = http::Response::Json(200, Json{{"predictions", predictions}}.dump());
    ok.headers.emplace_back("X-Model-Version", model->version);
    rows = data->num_rows();
    LogPrediction(options.prediction_log, *model, request_id, start, std::move(*data),
                  std::move(*scores));
    return ok;
  }();
  return Counted(*model, start, rows, WithRequestId(std::move(response), request_id));
}

std::string Label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

// Prometheus text format 0.0.4.
std::string Metrics(const serving::ModelHost& host, const InferenceOptions& options) {
  std::string out =
      "# HELP sluice_inference_requests_total Inference requests answered, by model and outcome.\n"
      "# TYPE sluice_inference_requests_total counter\n";
  const auto endpoints = host.Endpoints();
  for (const auto& e : endpoints) {
    const auto& c = *e.counters;
    for (auto [outcome, value] :
         {std::pair{"ok", c.ok.load()}, std::pair{"client_error", c.client_errors.load()},
          std::pair{"server_error", c.server_errors.load()}}) {
      out += fmt::format("sluice_inference_requests_total{{model=\"{}\",outcome=\"{}\"}} {}\n",
                         Label(e.name), outcome, value);
    }
  }
  out +=
      "# HELP sluice_inference_rows_total Rows scored.\n"
      "# TYPE sluice_inference_rows_total counter\n";
  for (const auto& e : endpoints) {
    out += fmt::format("sluice_inference_rows_total{{model=\"{}\"}} {}\n", Label(e.name),
                       e.counters->rows.load());
  }
  out +=
      "# HELP sluice_inference_latency_seconds Time from request to answer, in the handler.\n"
      "# TYPE sluice_inference_latency_seconds histogram\n";
  for (const auto& e : endpoints) {
    const auto& c = *e.counters;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < c.latency_buckets.size(); ++i) {
      cumulative += c.latency_buckets[i].load();
      std::string le = i < serving::EndpointCounters::kBucketsMicros.size()
                           ? fmt::format("{}", serving::EndpointCounters::kBucketsMicros[i] / 1e6)
                           : "+Inf";
      out += fmt::format("sluice_inference_latency_seconds_bucket{{model=\"{}\",le=\"{}\"}} {}\n",
                         Label(e.name), le, cumulative);
    }
    out += fmt::format("sluice_inference_latency_seconds_sum{{model=\"{}\"}} {}\n", Label(e.name),
                       c.latency_sum_micros.load() / 1e6);
    out += fmt::format("sluice_inference_latency_seconds_count{{model=\"{}\"}} {}\n", Label(e.name),
                       cumulative);
  }
  out +=
      "# HELP sluice_model_version_info The version each model serves (value 1).\n"
      "# TYPE sluice_model_version_info gauge\n";
  for (const auto& e : endpoints) {
    out += fmt::format("sluice_model_version_info{{model=\"{}\",uri=\"{}\",version=\"{}\"}} 1\n",
                       Label(e.name), Label(e.uri), e.model ? Label(e.model->version) : "");
  }
  out +=
      "# HELP sluice_model_reloads_total Versions swapped in after the first load.\n"
      "# TYPE sluice_model_reloads_total counter\n";
  for (const auto& e : endpoints) {
    out += fmt::format("sluice_model_reloads_total{{model=\"{}\"}} {}\n", Label(e.name), e.reloads);
  }
  out +=
      "# HELP sluice_model_load_failing Whether the latest attempt to load a new version failed.\n"
      "# TYPE sluice_model_load_failing gauge\n";
  for (const auto& e : endpoints) {
    out += fmt::format("sluice_model_load_failing{{model=\"{}\"}} {}\n", Label(e.name),
                       e.last_error.empty() ? 0 : 1);
  }
  if (options.check_inputs != serving::InputCheckMode::kOff) {
    out +=
        "# HELP sluice_input_checked_rows_total Request rows checked against the model's input "
        "expectations (counts restart when a new version loads).\n"
        "# TYPE sluice_input_checked_rows_total counter\n";
    for (const auto& e : endpoints) {
      if (e.model == nullptr || e.model->input_checks == nullptr) continue;
      out += fmt::format("sluice_input_checked_rows_total{{model=\"{}\"}} {}\n", Label(e.name),
                         e.model->input_checks->checked_rows());
    }
    out +=
        "# HELP sluice_input_failed_rows_total Request rows that broke an input expectation, by "
        "expectation.\n"
        "# TYPE sluice_input_failed_rows_total counter\n";
    for (const auto& e : endpoints) {
      if (e.model == nullptr || e.model->input_checks == nullptr) continue;
      const serving::InputChecks& checks = *e.model->input_checks;
      for (size_t i = 0; i < checks.expectations().size(); ++i) {
        const serving::InputChecks::Expectation& x = checks.expectations()[i];
        out += fmt::format(
            "sluice_input_failed_rows_total{{model=\"{}\",index=\"{}\",expectation=\"{}\","
            "column=\"{}\"}} {}\n",
            Label(e.name), x.suite_index + 1, Label(x.type), Label(x.columns),
            checks.failed_rows(i));
      }
    }
  }
  if (options.batcher != nullptr) {
    serving::MicroBatchCounters c = options.batcher->Counters();
    out += fmt::format(
        "# HELP sluice_micro_batch_requests_total Inference requests scored through the "
        "micro-batcher.\n"
        "# TYPE sluice_micro_batch_requests_total counter\n"
        "sluice_micro_batch_requests_total {}\n"
        "# HELP sluice_micro_batch_batches_total Model calls those requests were scored in.\n"
        "# TYPE sluice_micro_batch_batches_total counter\n"
        "sluice_micro_batch_batches_total {}\n",
        c.requests, c.batches);
  }
  if (const serving::PredictionLog* log = options.prediction_log; log != nullptr) {
    serving::PredictionLogCounters c = log->Counters();
    out += fmt::format(
        "# HELP sluice_prediction_log_rows_total Sampled rows of answered requests, by outcome: "
        "written to the log, or dropped (queue full or write failed).\n"
        "# TYPE sluice_prediction_log_rows_total counter\n"
        "sluice_prediction_log_rows_total{{outcome=\"written\"}} {}\n"
        "sluice_prediction_log_rows_total{{outcome=\"dropped\"}} {}\n"
        "# HELP sluice_prediction_log_queued_rows Rows waiting to be written.\n"
        "# TYPE sluice_prediction_log_queued_rows gauge\n"
        "sluice_prediction_log_queued_rows {}\n"
        "# HELP sluice_prediction_log_write_errors_total Log writes that failed.\n"
        "# TYPE sluice_prediction_log_write_errors_total counter\n"
        "sluice_prediction_log_write_errors_total {}\n",
        c.logged_rows, c.dropped_rows, c.queued_rows, c.write_errors);
  }
  return out;
}

}  // namespace

void MountServing(http::Router& r, const serving::ModelHost& host, InferenceOptions options) {
  const serving::ModelHost* h = &host;
  // Scoring a small model costs less than the hop to the worker pool, so it runs on the io
  // threads; a batcher blocks while its batch fills, which must not stall an io thread.
  auto add_scoring = [&](Method method, std::string pattern, http::Router::Handler handler) {
    if (options.batcher != nullptr) {
      r.Add(method, std::move(pattern), std::move(handler));
    } else {
      r.AddNonBlocking(method, std::move(pattern), std::move(handler));
    }
  };
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
    add_scoring(Method::kPost, prefix + "/infer",
                [h, options](const http::Request& request) { return Infer(*h, options, request); });
  }
  add_scoring(Method::kPost, "/invocations", [h, options](const http::Request& request) {
    return Invocations(*h, options, "", request);
  });
  add_scoring(Method::kPost, "/models/{name}/invocations",
              [h, options](const http::Request& request) {
                return Invocations(*h, options, request.PathParam("name"), request);
              });
  r.AddNonBlocking(Method::kGet, "/metrics", [h, options](const http::Request&) {
    return http::Response::Text(200, Metrics(*h, options),
                                "text/plain; version=0.0.4; charset=utf-8");
  });
  r.AddNonBlocking(Method::kGet, "/ping", [h](const http::Request&) {
    bool ready = !h->Endpoints().empty();
    for (const auto& endpoint : h->Endpoints()) ready = ready && endpoint.model != nullptr;
    return http::Response::Text(ready ? 200 : 503, "");
  });
}

}  // namespace sluice::api
