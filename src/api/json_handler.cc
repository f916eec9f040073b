#include "api/json_handler.h"

#include "api/errors.h"
#include "api/mlflow_json.h"

namespace sluice::api {

http::Router::Handler JsonHandler(JsonBody body) {
  return [body = std::move(body)](const http::Request& request) {
    Result<RequestFields> fields = RequestFields::From(request);
    if (!fields.ok()) return ErrorResponse(fields.status());
    Result<Json> out = body(*fields, request);
    if (!out.ok()) return ErrorResponse(out.status());
    return http::Response::Json(200, Dump(*out));
  };
}

Result<Json> Done(const Status& status) {
  if (!status.ok()) return status;
  return Json::object();
}

}  // namespace sluice::api
