// A bare TCP connection for tests that need bytes the Client would not send: malformed targets,
// HTTP/1.0, Expect: 100-continue step by step, idle connections.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>

namespace sluice::http::testing {

class RawSocket {
 public:
  explicit RawSocket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `until` appears in what was read, the peer closes, or `timeout` passes.
  std::string ReadUntil(std::string_view until, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pending_.find(until) == std::string::npos) {
      if (!ReadSome(deadline)) break;
    }
    size_t end = pending_.find(until);
    end = end == std::string::npos ? pending_.size() : end + until.size();
    std::string out = pending_.substr(0, end);
    pending_.erase(0, end);
    return out;
  }

  // Reads until the peer closes (true) or `timeout` passes (false).
  bool WaitForClose(std::chrono::milliseconds timeout, std::string* read = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (!ReadSome(deadline)) {
        if (read != nullptr) *read = pending_;
        return closed_;
      }
    }
  }

 private:
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[65536];
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    pending_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string pending_;
};

}  // namespace sluice::http::testing
