// Where Status codes become HTTP statuses and MLflow error codes. No caller mistake is answered
// with a 5xx: MLflow clients retry 5xx answers for minutes.
#pragma once

#include <string_view>

#include "base/status.h"
#include "http/types.h"

namespace sluice::api {

struct WireError {
  int http_status;
  std::string_view error_code;  // MLflow's ErrorCode name
};

WireError ToWireError(StatusCode code);

// {"error_code": "...", "message": "..."} with the mapped HTTP status.
http::Response ErrorResponse(const Status& status);
http::Response ErrorResponse(int http_status, std::string_view error_code,
                             std::string_view message);

// For errors the HTTP server answers itself (unknown endpoint, body too large, ...).
http::Response ServerErrorResponse(int http_status, std::string_view message);

}  // namespace sluice::api
