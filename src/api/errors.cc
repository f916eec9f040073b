#include "api/errors.h"

#include <nlohmann/json.hpp>

namespace sluice::api {

WireError ToWireError(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return {200, ""};
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
    // A path that tries to leave its root is a caller mistake; MLflow answers 400 for it.
    case StatusCode::kPermissionDenied:
      return {400, "INVALID_PARAMETER_VALUE"};
    case StatusCode::kNotFound:
      return {404, "RESOURCE_DOES_NOT_EXIST"};
    case StatusCode::kAlreadyExists:
      return {400, "RESOURCE_ALREADY_EXISTS"};
    case StatusCode::kResourceExhausted:
      return {429, "RESOURCE_EXHAUSTED"};
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return {503, "TEMPORARILY_UNAVAILABLE"};
    case StatusCode::kUnimplemented:
      return {501, "NOT_IMPLEMENTED"};
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
      return {500, "INTERNAL_ERROR"};
  }
  return {500, "INTERNAL_ERROR"};
}

http::Response ErrorResponse(int http_status, std::string_view error_code,
                             std::string_view message) {
  nlohmann::json body = {{"error_code", error_code}, {"message", message}};
  return http::Response::Json(http_status,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

http::Response ErrorResponse(const Status& status) {
  WireError wire = ToWireError(status.code());
  return ErrorResponse(wire.http_status, wire.error_code, status.message());
}

http::Response ServerErrorResponse(int http_status, std::string_view message) {
  switch (http_status) {
    case 404:
    case 405:
      return ErrorResponse(http_status, "ENDPOINT_NOT_FOUND", message);
    case 413:
    case 431:
      return ErrorResponse(http_status, "INVALID_PARAMETER_VALUE", message);
    case 400:
      return ErrorResponse(http_status, "BAD_REQUEST", message);
    default:
      return ErrorResponse(http_status, "INTERNAL_ERROR", message);
  }
}

}  // namespace sluice::api
