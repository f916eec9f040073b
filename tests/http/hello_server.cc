// A hello-world server for bench/http_hello.sh: answers GET /hello with "Hello, World!", and
// PUT/POST /discard by streaming the body through a sink that only counts it (to check that large
// uploads use constant memory). Prints "listening on <port>" once it serves; runs until SIGINT or
// SIGTERM.
//
//   http_hello_server [--port N] [--io-threads N] [--worker-threads N] [--non-blocking 1]
//
// --non-blocking 1 registers /hello with Router::AddNonBlocking (handler on the io thread).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "http/server.h"

namespace {

class CountingSink : public sluice::http::BodySink {
 public:
  sluice::Status Write(std::string_view chunk) override {
    size_ += chunk.size();
    return sluice::Status::Ok();
  }
  sluice::http::Response Finish() override {
    return sluice::http::Response::Text(200, std::to_string(size_));
  }

 private:
  size_t size_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  sluice::http::ServerOptions options;
  options.io_threads = 2;
  bool non_blocking = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    int value = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--port") == 0) {
      options.port = value;
    } else if (std::strcmp(argv[i], "--io-threads") == 0) {
      options.io_threads = value;
    } else if (std::strcmp(argv[i], "--worker-threads") == 0) {
      options.worker_threads = value;
    } else if (std::strcmp(argv[i], "--non-blocking") == 0) {
      non_blocking = value != 0;
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
  auto hello = [](const sluice::http::Request&) {
    return sluice::http::Response::Text(200, "Hello, World!");
  };
  if (non_blocking) {
    router->AddNonBlocking(sluice::http::Method::kGet, "/hello", hello);
  } else {
    router->Add(sluice::http::Method::kGet, "/hello", hello);
  }
  for (auto method : {sluice::http::Method::kPut, sluice::http::Method::kPost}) {
    router->AddStreaming(method, "/discard", [](const sluice::http::Request&) {
      return std::variant<sluice::http::Response, std::unique_ptr<sluice::http::BodySink>>(
          std::make_unique<CountingSink>());
    });
  }
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
