// The HTTP/1.1 server: keep-alive, pipelining-safe, streaming file downloads and uploads, bounded
// timeouts. I/O runs on a few io threads that never block; every handler call (and every
// BodySink::Write/Finish) runs on a separate worker pool, so handlers may block on disk or SQLite.
// The HTTP library (Boost.Beast) is hidden behind this header.
//
//   auto router = std::make_shared<Router>();
//   router->Add(Method::kGet, "/health", [](const Request&) { return Response::Text(200, "OK"); });
//   SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<Server> server, Server::Start({}, router));
//   server->Wait();  // until another thread calls Stop()
//
// Thread safety: port(), Stop() and Wait() may be called from any thread, concurrently. Never call
// Stop() from inside a handler (it waits for handlers to finish).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/router.h"

namespace sluice::http {

struct ServerOptions {
  std::string host = "127.0.0.1";       // an IP address to bind
  int port = 0;                         // 0 = any free port; see Server::port()
  int io_threads = 0;                   // 0 = number of cores
  int worker_threads = 0;               // handlers run here; 0 = max(4, 2 * cores)
  size_t max_body_bytes = 64 << 20;     // buffered routes: a larger body is answered 413
  size_t max_streaming_body_bytes = 0;  // streaming routes; 0 = unlimited
  size_t max_header_bytes = 64 << 10;   // request line + headers; larger is answered 431
  // A keep-alive connection (or a new one) may stay this long without a complete request header.
  std::chrono::milliseconds idle_timeout{60000};
  // One request: reading its body, running its handler and writing the response.
  std::chrono::milliseconds request_timeout{300000};
  // Stop() waits this long for in-flight requests before closing their connections.
  std::chrono::milliseconds stop_timeout{10000};
  std::string server_name = "sluice";  // the Server header
};

class Server {
 public:
  // Binds host:port and serves `router` before it returns. Fails with kUnavailable naming
  // host:port when the address cannot be bound (e.g. the port is in use), kInvalidArgument for a
  // host that is not an IP address or a negative thread count.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options,
                                               std::shared_ptr<const Router> router);

  ~Server();  // calls Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;  // the bound port (the chosen one when options.port was 0)
  const ServerOptions& options() const;

  // Stops accepting, closes idle keep-alive connections, lets in-flight requests finish (up to
  // options.stop_timeout, then closes their connections), and joins every thread. Idempotent;
  // concurrent callers all return once the server has stopped.
  void Stop();
  // Blocks until Stop() has completed (e.g. called from a signal-handling thread).
  void Wait();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::http
