#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>

#include "base/clock.h"

namespace sluice {
namespace {

struct LogState {
  std::atomic<LogLevel> level;
  std::mutex sink_mutex;
  LogSink sink;  // guarded by sink_mutex; empty means stderr

  LogState() : level(LevelFromEnvironment()) {}

  static LogLevel LevelFromEnvironment() {
    const char* text = std::getenv("SLUICE_LOG_LEVEL");
    if (text == nullptr || *text == '\0') return LogLevel::kInfo;
    Result<LogLevel> level = ParseLogLevel(text);
    if (level.ok()) return *level;
    // Logging cannot log its own misconfiguration through itself yet; say it once, plainly.
    std::string warning = fmt::format(
        "sluice: SLUICE_LOG_LEVEL='{}' is not one of debug|info|warn|error; using info\n", text);
    (void)!::write(STDERR_FILENO, warning.data(), warning.size());
    return LogLevel::kInfo;
  }
};

// Built on first use so that SLUICE_LOG_LEVEL is read after main() may have set it, and so that
// logging from other static initializers is safe.
LogState& State() {
  static LogState* state = new LogState();  // never destroyed: threads may log during exit
  return *state;
}

void WriteToStderr(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a failure to report
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

Result<LogLevel> ParseLogLevel(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warn" || lower == "warning") return LogLevel::kWarn;
  if (lower == "error") return LogLevel::kError;
  return InvalidArgument("unknown log level '{}' (expected debug, info, warn or error)", text);
}

void SetLogLevel(LogLevel level) { State().level.store(level, std::memory_order_relaxed); }

LogLevel GetLogLevel() { return State().level.load(std::memory_order_relaxed); }

LogSink SetLogSink(LogSink sink) {
  LogState& state = State();
  std::lock_guard lock(state.sink_mutex);
  std::swap(state.sink, sink);
  return sink;
}

std::string FormatLogLine(int64_t unix_millis, LogLevel level, std::string_view message) {
  // Floor division keeps pre-1970 times (never expected, but possible from a FakeClock) sane.
  int64_t seconds = unix_millis / 1000;
  int64_t millis = unix_millis % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {:<5} ",
                                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                 tm.tm_min, tm.tm_sec, millis, LogLevelName(level));
  line.reserve(line.size() + message.size());
  for (char c : message) {
    if (c == '\n') {
      line += "\\n";
    } else {
      line += c;
    }
  }
  return line;
}

namespace internal {

void WriteLog(LogLevel level, std::string_view message) {
  std::string line = FormatLogLine(SystemClock::Get().NowMillis(), level, message);
  LogState& state = State();
  {
    std::lock_guard lock(state.sink_mutex);
    if (state.sink) {
      state.sink(line);
      return;
    }
  }
  line += '\n';
  WriteToStderr(line);
}

}  // namespace internal
}  // namespace sluice
