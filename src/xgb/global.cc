// Version, process-wide logging, and the per-thread setup and error conversion every call into
// XGBoost goes through (internal/call.h).
#include <xgboost/c_api.h>

#include <atomic>

#include "base/log.h"
#include "xgb/internal/call.h"
#include "xgb/internal/messages.h"
#include "xgb/xgb.h"

namespace sluice::xgb {
namespace {

// The verbosity Configure asked for, and a generation that tells each thread whether it has
// applied the latest one. Process-wide by nature: XGBoost's logging is a process-wide concern
// that XGBoost happens to store per thread.
std::atomic<int> g_verbosity{0};
std::atomic<int> g_generation{1};
thread_local int t_applied_generation = 0;

void ForwardLog(const char* raw) {
  internal::LogLine line = internal::ParseLogLine(raw);
  SLUICE_LOG(line.level, "xgboost: {}", line.message);
}

}  // namespace

std::string Version() {
  int major = 0;
  int minor = 0;
  int patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return fmt::format("{}.{}.{}", major, minor, patch);
}

Status Configure(int verbosity) {
  if (verbosity < 0 || verbosity > 3) {
    return InvalidArgument("XGBoost verbosity {} is not 0, 1 (warning), 2 (info) or 3 (debug)",
                           verbosity);
  }
  g_verbosity.store(verbosity);
  g_generation.fetch_add(1);
  internal::PrepareThread();
  return Status::Ok();
}

namespace internal {

void PrepareThread() {
  int generation = g_generation.load();
  if (t_applied_generation == generation) return;
  // Both calls only fail on malformed arguments, which these are not.
  XGBRegisterLogCallback(&ForwardLog);
  XGBSetGlobalConfig(fmt::format(R"({{"verbosity":{}}})", g_verbosity.load()).c_str());
  t_applied_generation = generation;
}

Status CheckCall(int rc, StatusCode code, std::string_view operation) {
  if (rc == 0) return Status::Ok();
  return Status(code, fmt::format("{}: {}", operation, CleanErrorText(XGBGetLastError())));
}

}  // namespace internal
}  // namespace sluice::xgb
