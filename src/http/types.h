// The HTTP vocabulary shared by the server, the router, the client and their users: methods, a
// parsed request, a response (a string or a file streamed from disk), and the sink that receives
// a streamed upload. Nothing here depends on the HTTP library (that stays in src/http/internal).
//
// Thread safety: plain values; a BodySink is used by one request at a time (its calls are
// sequential, though not necessarily on the same thread).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sluice::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

// "GET", "HEAD", ...; "OTHER" for kOther (the request's method_name holds the real name).
std::string_view MethodName(Method method);
// The method named `name` (case-sensitive, as in HTTP); kOther when it is none of the above.
Method ParseMethod(std::string_view name);

struct Request {
  Method method = Method::kGet;
  std::string method_name;  // as received, e.g. "GET" or "PROPFIND"
  std::string target;       // the raw request-target, e.g. "/a%20b?x=1"
  std::string path;         // percent-decoded path without the query ("/a b")
  std::string query;        // raw query string after '?' ("x=1"), "" when absent
  // Decoded ('+' is a space), in order of appearance; a key without '=' has an empty value.
  std::vector<std::pair<std::string, std::string>> query_params;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;  // the whole body for ordinary routes; empty for streaming routes
  // From {name} segments of the route pattern; {*rest} stores the remaining path under "rest".
  std::map<std::string, std::string> path_params;
  std::string peer;  // "ip:port" of the client; one keep-alive connection keeps the same peer

  // The first header named `name` (case-insensitive); "" when absent.
  std::string_view Header(std::string_view name) const;
  // The first value of query parameter `name`; nullopt when absent ("" for "?name" or "?name=").
  std::optional<std::string_view> QueryParam(std::string_view name) const;
  // Every value of query parameter `name`, in order.
  std::vector<std::string_view> QueryParams(std::string_view name) const;
  // The value of path parameter `name`; "" when the route has no such parameter.
  std::string_view PathParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the file's bytes are streamed from disk as the body (with Content-Length) and
  // `body` is ignored. A file that cannot be opened is answered 404 via the error responder.
  std::optional<std::filesystem::path> file;
  // Extra headers. The server sets Date, Server, Content-Length, Content-Type and Connection.
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response File(std::filesystem::path file, std::string content_type);
};

// Receives an upload too large to buffer: the server feeds body chunks as they arrive (up to about
// 1 MB each), on a worker thread, one call at a time.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // A non-OK status aborts the upload: Finish is not called, the connection is closed after the
  // answer, and the status is answered via the router's status responder.
  virtual Status Write(std::string_view chunk) = 0;
  // The whole body arrived; the returned response is sent. If the client disconnects or the body
  // breaks the limits, the sink is destroyed without Finish.
  virtual Response Finish() = 0;
};

}  // namespace sluice::http
