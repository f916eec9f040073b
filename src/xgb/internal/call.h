// What every call into XGBoost's C API goes through: the calling thread's XGBoost logging set up
// as Configure asked, and a failed call turned into a Status. Declared without XGBoost types so
// that only .cc files include xgboost/c_api.h.
//
// Thread safety: thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"

namespace sluice::xgb::internal {

// XGBoost keeps verbosity and the log callback per thread: applies Configure's to the calling
// thread unless it already has them. Cheap (one atomic load) when it has.
void PrepareThread();

// OK when rc == 0; otherwise `code` with "<operation>: <XGBGetLastError(), cleaned>".
Status CheckCall(int rc, StatusCode code, std::string_view operation);

}  // namespace sluice::xgb::internal
