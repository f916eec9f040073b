// A throwaway redis-server for tests: a free port on 127.0.0.1, its own temporary folder, no
// persistence. It runs in the foreground as a child of the test (not daemonized), so it is
// stopped by its PID and never outlives the test by more than a crash.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisTestServer> redis, RedisTestServer::Start());
//   ... connect to 127.0.0.1:redis->port() ...
//
// Thread safety: one thread drives a server.
#pragma once

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "serving/internal/redis_client.h"
#include "testing/temp_dir.h"

extern char** environ;

namespace sluice::testing {

class RedisTestServer {
 public:
  // Starts redis-server on a free port and waits until it answers PING.
  static Result<std::unique_ptr<RedisTestServer>> Start() {
    std::unique_ptr<RedisTestServer> server(new RedisTestServer());
    Status last;
    for (int attempt = 0; attempt < 5; ++attempt) {  // another process may take the port first
      Result<int> port = FreePort();
      if (!port.ok()) return port.status();
      server->port_ = *port;
      last = server->Launch();
      if (last.ok()) return server;
    }
    return last;
  }

  ~RedisTestServer() { Stop(); }
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string Url(const std::string& stream) const {
    return fmt::format("redis://127.0.0.1:{}/{}", port_, stream);
  }

  // A client for the test's own commands.
  Result<std::unique_ptr<serving::internal::RedisClient>> Connect() const {
    return serving::internal::RedisClient::Connect({.host = "127.0.0.1", .port = port_});
  }

  // SIGTERM (SIGKILL after 10 s), then reaps it. Idempotent.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  // Stops the server and starts an empty one on the same port: Redis restarted without
  // persistence, as clients see it.
  Status Restart() {
    Stop();
    return Launch();
  }

 private:
  RedisTestServer() = default;

  static Result<int> FreePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return Internal("socket: {}", std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port = ntohs(address.sin_port);
    }
    ::close(fd);
    if (port <= 0) return Internal("cannot find a free port on 127.0.0.1");
    return port;
  }

  Status Launch() {
    const std::string port = std::to_string(port_);
    const std::string folder = dir_.path().string();
    const std::string log = (dir_ / fmt::format("redis-{}.log", port_)).string();
    std::vector<std::string> args = {
        "redis-server", "--port",      port,     "--bind",    "127.0.0.1",
        "--dir",        folder,        "--save", "",          "--appendonly",
        "no",           "--daemonize", "no",     "--logfile", log};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int error = ::posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ);
    if (error != 0) {
      return Unavailable("cannot start redis-server: {} (scripts/install-deps.sh installs it)",
                         std::strerror(error));
    }
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return Unavailable("redis-server on port {} exited at start; see {}", port_, log);
      }
      auto client = Connect();
      if (client.ok() && (*client)->Command({"PING"}).ok()) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Stop();
    return Unavailable("redis-server on port {} did not answer PING within 20 s", port_);
  }

  TempDir dir_;
  int port_ = -1;
  pid_t pid_ = -1;
};

}  // namespace sluice::testing
