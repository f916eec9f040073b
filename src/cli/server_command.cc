// sluice server [--host H] [--port P]
#include <pthread.h>

#include <csignal>
#include <iostream>

#include "api/api.h"
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
};

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
  api::Services services{*session.tracking, *session.artifacts, *session.registry};
  SLUICE_ASSIGN_OR_RETURN(auto server, http::Server::Start(options, api::BuildRouter(services)));
  std::string url = fmt::format("http://{}:{}", options.host, server->port());
  if (global.json) {
    PrintJson({{"url", url},
               {"host", options.host},
               {"port", server->port()},
               {"workspace", session.workspace->root().string()}},
              /*one_line=*/true);
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
  AddCommonFlags(*cmd, context);
  cmd->callback([&context, flags] {
    Status status = RunServer(*flags, context.global);
    if (!status.ok()) context.exit_code = ReportError(context.global, status);
  });
}

}  // namespace sluice::cli
