// A small HTTP/1.1 client over libcurl for tests, benchmarks and, later, object storage. One
// Client keeps one keep-alive connection to `base_url` and reuses it across calls.
//
//   Client client("http://127.0.0.1:" + std::to_string(server->port()));
//   SLUICE_ASSIGN_OR_RETURN(ClientResponse r, client.Get("/health"));
//
// Errors: a transport failure (cannot connect, connection reset) is kUnavailable and a timeout is
// kDeadlineExceeded, each naming the method and URL; any HTTP status, 4xx and 5xx included, is a
// successful ClientResponse.
//
// Thread safety: not thread-safe; use one Client per thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "http/types.h"

namespace sluice::http {

struct ClientResponse {
  int status = 0;
  std::string body;  // empty after a successful Download (the body went to the file)
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response

  // The first header named `name` (case-insensitive); "" when absent.
  std::string_view Header(std::string_view name) const;
};

class Client {
 public:
  // `base_url` is e.g. "http://127.0.0.1:5000" (no trailing slash needed); `timeout` bounds each
  // whole call.
  explicit Client(std::string base_url,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `body` (with Content-Type `content_type` when the body is non-empty or the method is
  // POST/PUT/PATCH) and returns the response. `path_and_query` is appended to the base URL as is
  // (the caller percent-encodes). HEAD returns the headers only.
  Result<ClientResponse> Send(Method method, std::string_view path_and_query,
                              std::string_view body = {},
                              std::string_view content_type = "application/json",
                              const std::vector<std::pair<std::string, std::string>>& headers = {});
  Result<ClientResponse> Get(std::string_view path_and_query);
  Result<ClientResponse> Post(std::string_view path, std::string_view json_body);

  // Streams `file` as the request body (PUT or POST) without loading it; curl sends
  // "Expect: 100-continue" for files over 1 MB. kNotFound when the file cannot be opened.
  Result<ClientResponse> SendFile(Method method, std::string_view path,
                                  const std::filesystem::path& file,
                                  std::string_view content_type = "application/octet-stream");
  Result<ClientResponse> PutFile(std::string_view path, const std::filesystem::path& file,
                                 std::string_view content_type = "application/octet-stream");

  // GETs `path` and streams a 2xx body into `to` (created or truncated). For any other status
  // the file is not written and the body is returned in the response. kInternal when `to`
  // cannot be written.
  Result<ClientResponse> Download(std::string_view path, const std::filesystem::path& to);

  const std::string& base_url() const { return base_url_; }

 private:
  struct Impl;
  std::string base_url_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::http
