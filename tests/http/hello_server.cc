// A hello-world server for bench/http_hello.sh: answers GET /hello with "Hello, World!" and
// prints "listening on <port>" once it serves. Runs until SIGINT or SIGTERM.
//
//   http_hello_server [--port N] [--io-threads N] [--worker-threads N]
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "http/server.h"

int main(int argc, char** argv) {
  sluice::http::ServerOptions options;
  options.io_threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    int value = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--port") == 0) {
      options.port = value;
    } else if (std::strcmp(argv[i], "--io-threads") == 0) {
      options.io_threads = value;
    } else if (std::strcmp(argv[i], "--worker-threads") == 0) {
      options.worker_threads = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  // Block the stop signals in every thread (the server's threads inherit the mask), then wait
  // for them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto router = std::make_shared<sluice::http::Router>();
  router->Add(sluice::http::Method::kGet, "/hello", [](const sluice::http::Request&) {
    return sluice::http::Response::Text(200, "Hello, World!");
  });
  auto server = sluice::http::Server::Start(options, router);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %d\n", (*server)->port());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  (*server)->Stop();
  return 0;
}
