// Leveled logging to stderr, one line per message, fmt-style:
//
//   SLUICE_LOG_INFO("opened {} ({} runs)", path, count);
//   -> 2024-05-01T12:34:56.789Z INFO  opened /data/mlruns (12 runs)
//
// The level comes from SLUICE_LOG_LEVEL (debug|info|warn|error, default info) until SetLogLevel is
// called. Arguments are evaluated only when the level is enabled. Thread safety: everything here
// may be called from any thread; each line reaches stderr in a single write(), so lines from
// different threads never interleave.
#pragma once

#include <fmt/core.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace sluice {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "DEBUG", "INFO", "WARN", "ERROR".
std::string_view LogLevelName(LogLevel level);
// Accepts debug|info|warn|error (any case; "warning" too).
Result<LogLevel> ParseLogLevel(std::string_view text);

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
inline bool LogEnabled(LogLevel level) { return level >= GetLogLevel(); }

// Receives each finished line without its trailing newline. Calls are serialized, so a sink
// needs no locking of its own, but it must not log (that would deadlock).
using LogSink = std::function<void(std::string_view line)>;
// Replaces where lines go; an empty sink restores stderr. Returns the previous sink (empty for
// stderr) so tests can put it back.
LogSink SetLogSink(LogSink sink);

// Installs a sink for the lifetime of the object and restores the previous one afterwards.
class ScopedLogSink {
 public:
  explicit ScopedLogSink(LogSink sink) : previous_(SetLogSink(std::move(sink))) {}
  ~ScopedLogSink() { SetLogSink(std::move(previous_)); }
  ScopedLogSink(const ScopedLogSink&) = delete;
  ScopedLogSink& operator=(const ScopedLogSink&) = delete;

 private:
  LogSink previous_;
};

// "2024-05-01T12:34:56.789Z INFO  message": UTC with milliseconds, the level padded to five
// characters so messages line up. Newlines in the message become the two characters "\n" so that
// one message is always one line.
std::string FormatLogLine(int64_t unix_millis, LogLevel level, std::string_view message);

namespace internal {
void WriteLog(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  WriteLog(level, fmt::format(format, std::forward<Args>(args)...));
}
}  // namespace internal

}  // namespace sluice

#define SLUICE_LOG(level, ...)                                                    \
  do {                                                                            \
    if (::sluice::LogEnabled(level)) ::sluice::internal::Log(level, __VA_ARGS__); \
  } while (0)
#define SLUICE_LOG_DEBUG(...) SLUICE_LOG(::sluice::LogLevel::kDebug, __VA_ARGS__)
#define SLUICE_LOG_INFO(...) SLUICE_LOG(::sluice::LogLevel::kInfo, __VA_ARGS__)
#define SLUICE_LOG_WARN(...) SLUICE_LOG(::sluice::LogLevel::kWarn, __VA_ARGS__)
#define SLUICE_LOG_ERROR(...) SLUICE_LOG(::sluice::LogLevel::kError, __VA_ARGS__)
