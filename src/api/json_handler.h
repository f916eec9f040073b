// The shape of every JSON endpoint: read the request message (body or query string), run the
// body, answer its JSON with 200 or its error in MLflow's form.
#pragma once

#include <functional>

#include "api/request_fields.h"
#include "http/router.h"

namespace sluice::api {

using JsonBody = std::function<Result<Json>(const RequestFields&, const http::Request&)>;

http::Router::Handler JsonHandler(JsonBody body);

// {} for a status that is OK, else the status: for endpoints that answer nothing.
Result<Json> Done(const Status& status);

}  // namespace sluice::api
