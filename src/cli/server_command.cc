// sluice server [--host H] [--port P] [--model NAME=URI]...; sluice serve URI...
#include <pthread.h>

#include <csignal>
#include <iostream>

#include "api/api.h"
#include "base/log.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "http/server.h"

namespace sluice::cli {
namespace {

struct ServerFlags {
  std::string host;
  int port = -1;
  int io_threads = 0;
  // Tracking handlers block on fsync; concurrent writes are group-committed, so more workers
  // waiting means more writes per fsync.
  int workers = 32;
  int64_t max_body_mb = 64;
  std::vector<std::string> models;  // "URI" or "NAME=URI"
  bool inference_only = false;      // sluice serve
  double log_sample = 0;            // fraction of inference requests logged; 0: no log
  std::string log_dir;              // default: .sluice/predictions
  size_t log_queue_rows = 100'000;
  int64_t batch_delay_us = 0;  // micro-batching: 0 = off
  size_t batch_max_rows = 64;
  std::string check_inputs = "off";
};

void AddInferenceFlags(CLI::App& cmd, ServerFlags& flags) {
  cmd.add_option("--log-predictions", flags.log_sample,
                 "Log this fraction of inference requests (0 to 1: inputs, outputs, model "
                 "version, latency, request id) as JSON Lines for monitoring, one file per model "
                 "and UTC day; 0 logs nothing. Logging never slows a request: when the queue is "
                 "full, requests are dropped from the log and counted in /metrics")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd.add_option("--log-dir", flags.log_dir,
                 "Folder for the prediction log (default: .sluice/predictions in the workspace)");
  cmd.add_option("--log-queue-rows", flags.log_queue_rows,
                 "Rows the prediction log holds in memory before it drops requests")
      ->check(CLI::Range(size_t{1}, size_t{1} << 30))
      ->capture_default_str();
  cmd.add_option("--batch-delay-us", flags.batch_delay_us,
                 "Micro-batching: score concurrent requests for one model together, the first "
                 "waiting at most this long for others (0: off). Measure before turning it on: "
                 "bench/serve_bench.sh")
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000}))
      ->capture_default_str();
  cmd.add_option("--batch-max-rows", flags.batch_max_rows,
                 "Micro-batching: a batch is scored once it holds this many rows")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  cmd.add_option("--check-inputs", flags.check_inputs,
                 "Check requests against the expectations the model's training data passed "
                 "(sluice train --suite; the row-by-row ones on its input columns): off, count "
                 "(answer, and count violations per expectation in /metrics) or reject (answer "
                 "400 naming them)")
      ->check(CLI::IsMember({"off", "count", "reject"}))
      ->capture_default_str();
}

// "churn=models:/churn@production" -> (churn, models:/churn@production); a bare models:/ URI is
// served under its model's name, a runs:/ URI as "model".
std::pair<std::string, std::string> EndpointOf(const std::string& spec) {
  size_t eq = spec.find('=');
  size_t scheme = spec.find(":/");
  if (eq != std::string::npos && (scheme == std::string::npos || eq < scheme)) {
    return {spec.substr(0, eq), spec.substr(eq + 1)};
  }
  if (spec.starts_with("models:/")) {
    std::string rest = spec.substr(8);
    return {rest.substr(0, rest.find_first_of("/@")), spec};
  }
  return {"model", spec};
}

Status RunServer(const ServerFlags& flags, const GlobalOptions& global) {
  // Block the stop signals before any thread starts, so every thread inherits the mask and the
  // main thread alone receives them through sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  SLUICE_ASSIGN_OR_RETURN(Session session, OpenSession(global));
  const storage::WorkspaceConfig& config = session.workspace->config();
  http::ServerOptions options;
  options.host = flags.host.empty() ? config.server_host : flags.host;
  options.port = flags.port >= 0 ? flags.port : config.server_port;
  options.io_threads = flags.io_threads;
  options.worker_threads = flags.workers;
  if (flags.max_body_mb <= 0) {
    return InvalidArgument("--max-body-mb must be positive; got {}", flags.max_body_mb);
  }
  options.max_body_bytes = static_cast<size_t>(flags.max_body_mb) << 20;
  std::unique_ptr<serving::ModelHost> host;
  if (!flags.models.empty()) {
    host = std::make_unique<serving::ModelHost>(*session.registry, *session.artifacts,
                                                SystemClock::Get());
    for (const std::string& spec : flags.models) {
      auto [name, uri] = EndpointOf(spec);
      SLUICE_RETURN_IF_ERROR(host->Add(name, uri).WithContext(fmt::format("serving {}", uri)));
    }
    host->StartFollowing();
  }
  std::unique_ptr<serving::PredictionLog> log;
  if (flags.log_sample > 0 && host != nullptr) {
    serving::PredictionLogOptions log_options;
    log_options.directory = flags.log_dir.empty()
                                ? session.workspace->root() / ".sluice" / "predictions"
                                : std::filesystem::path(flags.log_dir);
    log_options.sample_rate = flags.log_sample;
    log_options.max_queued_rows = flags.log_queue_rows;
    SLUICE_ASSIGN_OR_RETURN(log, serving::PredictionLog::Open(std::move(log_options)));
  }
  std::unique_ptr<serving::MicroBatcher> batcher;
  if (flags.batch_delay_us > 0 && host != nullptr) {
    SLUICE_ASSIGN_OR_RETURN(batcher,
                            serving::MicroBatcher::Create(
                                {.max_rows = flags.batch_max_rows,
                                 .max_delay = std::chrono::microseconds(flags.batch_delay_us)}));
  }
  SLUICE_ASSIGN_OR_RETURN(serving::InputCheckMode check_inputs,
                          serving::ParseInputCheckMode(flags.check_inputs));
  api::InferenceOptions inference{
      .prediction_log = log.get(), .batcher = batcher.get(), .check_inputs = check_inputs};
  api::Services services{*session.tracking, *session.artifacts, *session.registry, host.get(),
                         inference};
  SLUICE_ASSIGN_OR_RETURN(
      auto server,
      http::Server::Start(options, flags.inference_only ? api::BuildServingRouter(*host, inference)
                                                        : api::BuildRouter(services)));
  std::string url = fmt::format("http://{}:{}", options.host, server->port());
  nlohmann::json served = nlohmann::json::array();
  if (host != nullptr) {
    for (const auto& endpoint : host->Endpoints()) {
      served.push_back({{"name", endpoint.name},
                        {"uri", endpoint.uri},
                        {"version", endpoint.model ? endpoint.model->version : ""}});
    }
  }
  if (global.json) {
    PrintJson({{"url", url},
               {"host", options.host},
               {"port", server->port()},
               {"workspace", session.workspace->root().string()},
               {"models", served},
               {"prediction_log", log ? log->directory().string() : ""}},
              /*one_line=*/true);
  } else if (flags.inference_only) {
    std::cout << "Serving on " << url << "\n";
    for (const auto& m : served) {
      std::cout << "  " << m["name"].get<std::string>() << ": " << m["uri"].get<std::string>()
                << " (version " << m["version"].get<std::string>() << "), POST " << url
                << "/v2/models/" << m["name"].get<std::string>() << "/infer\n";
    }
    std::cout << "  Stop with Ctrl-C.\n";
  } else {
    std::cout << "Sluice server on " << url << " (workspace " << session.workspace->root().string()
              << ")\n"
              << "  MLflow clients: mlflow.set_tracking_uri(\"" << url << "\")\n"
              << "  Stop with Ctrl-C.\n";
  }
  std::cout.flush();
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server->Stop();
  if (log != nullptr) {
    Status flushed = log->Flush();
    if (!flushed.ok()) SLUICE_LOG_WARN("prediction log: {}", flushed.message());
  }
  if (!global.json) std::cout << "Stopped.\n";
  return Status();
}

}  // namespace

void AddServerCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand(
      "server",
      "Serve the workspace over HTTP: MLflow's REST API (/api/2.0/mlflow/...), its artifact API "
      "(/api/2.0/mlflow-artifacts/...), the model registry (/api/sluice/v1/...), /health and "
      "/version. Runs until SIGINT or SIGTERM.");
  auto flags = std::make_shared<ServerFlags>();
  cmd->add_option("--host", flags->host,
                  "Address to bind (default: server.host in config.yaml, 127.0.0.1)");
  cmd->add_option("--port", flags->port,
                  "Port to bind; 0 picks a free one (default: server.port in config.yaml, 5000)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--io-threads", flags->io_threads,
                  "Threads reading and writing sockets (default: one per core)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--workers", flags->workers,
                  "Threads running request handlers; they wait on disk, and concurrent writes "
                  "share one fsync, so more than cores pays")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--max-body-mb", flags->max_body_mb,
                  "Largest JSON request body in MiB; larger ones get 413 (artifact uploads "
                  "stream and have no limit)")
      ->capture_default_str();
  cmd->add_option("--model", flags->models,
                  "Also serve inference for a model: NAME=URI or URI (models:/churn@production "
                  "follows the alias); repeatable");
  AddInferenceFlags(*cmd, *flags);
  AddCommonFlags(*cmd, context);
  cmd->callback([&context, flags] {
    Status status = RunServer(*flags, context.global);
    if (!status.ok()) context.exit_code = ReportError(context.global, status);
  });
}

void AddServeCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve models for inference over HTTP: the Open Inference Protocol v2 (/v2/models/NAME/"
      "infer) and MLflow's scoring protocol (/invocations). A served alias or stage follows the "
      "registry: promotion reloads it with no failed request. Runs until SIGINT or SIGTERM.");
  auto flags = std::make_shared<ServerFlags>();
  flags->inference_only = true;
  flags->port = 8080;
  cmd->add_option("models", flags->models,
                  "Models to serve: URI (models:/churn@production, models:/churn/3, "
                  "runs:/<run-id>/model) or NAME=URI")
      ->required();
  cmd->add_option("--host", flags->host, "Address to bind (default: server.host in config.yaml)");
  cmd->add_option("--port", flags->port, "Port to bind; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--io-threads", flags->io_threads,
                  "Threads reading sockets and scoring (default: one per core)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--max-body-mb", flags->max_body_mb,
                  "Largest request body in MiB; larger ones get 413")
      ->capture_default_str();
  AddInferenceFlags(*cmd, *flags);
  AddCommonFlags(*cmd, context);
  cmd->callback([&context, flags] {
    Status status = RunServer(*flags, context.global);
    if (!status.ok()) context.exit_code = ReportError(context.global, status);
  });
}

}  // namespace sluice::cli
