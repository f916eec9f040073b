#include "http/router.h"

#include <cstdio>
#include <exception>

#include "base/json_text.h"
#include "http/internal/url.h"

namespace sluice::http {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  // "/a/b" -> {"a", "b"}; "/" -> {""}. Empty segments are kept so "/a//b" does not match "/a/b".
  std::vector<std::string_view> parts;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

int HttpStatusForCode(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kFailedPrecondition:
      return 400;
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

}  // namespace

std::string_view ErrorCodeForStatus(int status) {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 408:
      return "REQUEST_TIMEOUT";
    case 409:
      return "ALREADY_EXISTS";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 431:
      return "HEADERS_TOO_LARGE";
    case 501:
      return "NOT_IMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return "INTERNAL_ERROR";
  }
}

Response DefaultErrorResponse(int status, std::string_view message) {
  return Response::Json(status, fmt::format(R"({{"error_code": "{}", "message": {}}})",
                                            ErrorCodeForStatus(status), JsonQuote(message)));
}

Router::Router() = default;

void Router::Add(Method method, std::string pattern, Handler handler) {
  Route route{method, std::move(pattern), {}, std::move(handler), nullptr, false};
  AddRoute(std::move(route));
}

void Router::AddNonBlocking(Method method, std::string pattern, Handler handler) {
  Route route{method, std::move(pattern), {}, std::move(handler), nullptr, /*non_blocking=*/true};
  AddRoute(std::move(route));
}

void Router::AddStreaming(Method method, std::string pattern, StreamingHandler handler) {
  Route route{method, std::move(pattern), {}, nullptr, std::move(handler), false};
  AddRoute(std::move(route));
}

void Router::AddRoute(Route route) {
  for (std::string_view part : SplitPath(route.pattern)) {
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      std::string_view name = part.substr(1, part.size() - 2);
      if (!name.empty() && name.front() == '*') {
        route.segments.push_back({Segment::Kind::kRest, std::string(name.substr(1))});
      } else {
        route.segments.push_back({Segment::Kind::kParam, std::string(name)});
      }
    } else {
      route.segments.push_back({Segment::Kind::kExact, std::string(part)});
    }
  }
  for (size_t i = 0; i + 1 < route.segments.size(); ++i) {
    SLUICE_CHECK(route.segments[i].kind != Segment::Kind::kRest);  // {*rest} must come last
  }
  for (const Route& existing : routes_) {
    SLUICE_CHECK(!(existing.method == route.method && existing.pattern == route.pattern));
  }
  routes_.push_back(std::move(route));
}

void Router::SetErrorResponder(ErrorResponder responder) {
  error_responder_ = std::move(responder);
}

void Router::SetStatusResponder(StatusResponder responder) {
  status_responder_ = std::move(responder);
}

bool Router::MatchSegments(const std::vector<Segment>& segments,
                           const std::vector<std::string_view>& parts,
                           std::map<std::string, std::string>* params) {
  params->clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = segments[i];
    if (segment.kind == Segment::Kind::kRest) {
      // The rest of the path, '/' included; empty for "/prefix/" and for "/prefix".
      std::string rest;
      for (size_t j = i; j < parts.size(); ++j) {
        if (j > i) rest += '/';
        rest.append(parts[j]);
      }
      (*params)[segment.text] = std::move(rest);
      return true;
    }
    if (i >= parts.size()) return false;
    if (segment.kind == Segment::Kind::kExact) {
      if (parts[i] != segment.text) return false;
    } else {
      if (parts[i].empty()) return false;  // {name} needs a non-empty segment
      (*params)[segment.text] = std::string(parts[i]);
    }
  }
  return segments.size() == parts.size();
}

Router::Match Router::Find(Method method, std::string_view path) const {
  Match match;
  std::vector<std::string_view> parts = SplitPath(path);
  std::map<std::string, std::string> params;
  const Route* get_route = nullptr;
  std::map<std::string, std::string> get_params;
  for (const Route& route : routes_) {
    if (!MatchSegments(route.segments, parts, &params)) continue;
    if (route.method == method) {
      match.kind = Match::Kind::kFound;
      match.handler = route.handler ? &route.handler : nullptr;
      match.streaming = route.streaming ? &route.streaming : nullptr;
      match.non_blocking = route.non_blocking;
      match.path_params = std::move(params);
      return match;
    }
    if (method == Method::kHead && route.method == Method::kGet && get_route == nullptr &&
        route.handler) {
      get_route = &route;
      get_params = params;
    }
    match.allowed.push_back(route.method);
    if (route.method == Method::kGet) match.allowed.push_back(Method::kHead);
  }
  if (get_route != nullptr) {
    match.kind = Match::Kind::kFound;
    match.handler = &get_route->handler;
    match.non_blocking = get_route->non_blocking;
    match.path_params = std::move(get_params);
    match.allowed.clear();
    return match;
  }
  match.kind = match.allowed.empty() ? Match::Kind::kNotFound : Match::Kind::kMethodNotAllowed;
  return match;
}

Response Router::Error(int status, std::string_view message) const {
  if (error_responder_) {
    try {
      Response response = error_responder_(status, message);
      return response;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sluice http: the error responder threw: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "sluice http: the error responder threw\n");
    }
  }
  return DefaultErrorResponse(status, message);
}

Response Router::ErrorFromStatus(const Status& status) const {
  if (status_responder_) {
    try {
      return status_responder_(status);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sluice http: the status responder threw: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "sluice http: the status responder threw\n");
    }
  }
  return Error(HttpStatusForCode(status.code()), status.message());
}

}  // namespace sluice::http
