// Maps (method, path) to handlers. Patterns are '/'-separated segments: an exact segment, {name}
// for any one segment, or {*rest} as the last segment for the remaining path (may contain '/',
// may be empty). Segments match the percent-decoded path. The router also builds every error the
// server answers by itself, so the api layer can make them MLflow-shaped.
//
//   Router router;
//   router.Add(Method::kGet, "/api/2.0/mlflow/runs/get", GetRun);
//   router.Add(Method::kGet, "/artifacts/{run}/{*path}", GetArtifact);
//   auto server = Server::Start({}, std::make_shared<const Router>(std::move(router)));
//
// Thread safety: build the router on one thread, then share it as shared_ptr<const Router>; the
// const methods are safe from many threads. Handlers run concurrently on the server's worker
// threads, so they must be thread-safe themselves.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "http/types.h"

namespace sluice::http {

class Router {
 public:
  using Handler = std::function<Response(const Request&)>;
  // Starts a streaming upload: return a sink, or a Response to refuse before reading the body
  // (the connection is then closed, since the body stays unread).
  using StreamingHandler =
      std::function<std::variant<Response, std::unique_ptr<BodySink>>(const Request&)>;
  // Builds every error the server answers itself: 400 malformed request or undecodable target,
  // 404 unknown path (or unreadable Response::file), 405 wrong method, 413 body too large,
  // 431 header too large, 500 a handler threw. The default answers
  // {"error_code": "<NAME>", "message": "<message>"} with NAME e.g. "NOT_FOUND".
  using ErrorResponder = std::function<Response(int status, std::string_view message)>;
  // Answers a non-OK Status returned by BodySink::Write. The default maps the code to an HTTP
  // status (invalid argument 400, not found 404, already exists 409, resource exhausted 413,
  // permission denied 403, unavailable 503, others 500) and calls the error responder.
  using StatusResponder = std::function<Response(const Status& status)>;

  Router();

  // Registers `handler` for `method` and `pattern`. A GET route also answers HEAD (without the
  // body) unless a HEAD route is registered for the same pattern. Registering the same method and
  // pattern twice aborts: that is a bug in the caller.
  void Add(Method method, std::string pattern, Handler handler);
  void AddStreaming(Method method, std::string pattern, StreamingHandler handler);
  // Like Add, but the handler runs on the io thread itself, saving the two thread hops to the
  // worker pool (about half the cost of a tiny request). Only for handlers that never block: no
  // disk, no database, no waiting on locks held for long (e.g. a health check, or inference on a
  // model already in memory). A blocking handler here stalls every connection on that io thread.
  void AddNonBlocking(Method method, std::string pattern, Handler handler);

  void SetErrorResponder(ErrorResponder responder);
  void SetStatusResponder(StatusResponder responder);

  // The outcome of a lookup.
  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed };
    Kind kind = Kind::kNotFound;
    const Handler* handler = nullptr;             // set for an ordinary route
    const StreamingHandler* streaming = nullptr;  // set for a streaming route
    bool non_blocking = false;                    // added with AddNonBlocking
    std::map<std::string, std::string> path_params;
    std::vector<Method> allowed;  // for kMethodNotAllowed: the methods the path does accept
  };
  // Looks up the route for `method` and the percent-decoded `path`. The first registered pattern
  // that matches the path wins; exact segments are not preferred over {name} automatically, so
  // register the more specific pattern first.
  Match Find(Method method, std::string_view path) const;

  // The response for an error the server answers itself (never throws: a throwing responder falls
  // back to the default).
  Response Error(int status, std::string_view message) const;
  Response ErrorFromStatus(const Status& status) const;

 private:
  struct Segment {
    enum class Kind { kExact, kParam, kRest };
    Kind kind;
    std::string text;  // the exact text, or the parameter name
  };
  struct Route {
    Method method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    StreamingHandler streaming;
    bool non_blocking = false;
  };

  void AddRoute(Route route);
  static bool MatchSegments(const std::vector<Segment>& segments,
                            const std::vector<std::string_view>& parts,
                            std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
  ErrorResponder error_responder_;
  StatusResponder status_responder_;
};

// The default body of a server error: {"error_code": "NOT_FOUND", "message": "..."}.
Response DefaultErrorResponse(int status, std::string_view message);
// "NOT_FOUND" for 404, "BAD_REQUEST" for 400, ...; "INTERNAL_ERROR" for statuses without a name.
std::string_view ErrorCodeForStatus(int status);

}  // namespace sluice::http
