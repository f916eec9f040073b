#include "serving/prediction_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>

#include "base/json_text.h"
#include "base/log.h"
#include "base/random.h"
#include "serving/internal/json_text.h"

namespace sluice::serving {
namespace {

using internal::AppendJsonNumber;
using internal::AppendJsonValue;

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Per thread, seeded from the OS: sampling must not serialize request threads on one state.
uint64_t NextRandom() {
  thread_local uint64_t state = [] {
    uint64_t seed = 0;
    RandomBytes({reinterpret_cast<uint8_t*>(&seed), sizeof seed});
    return seed;
  }();
  return SplitMix64(state);
}

// Endpoint names come from the command line; anything outside [A-Za-z0-9._-] is %XX-escaped so
// a name cannot leave the log folder or collide with another after escaping.
std::string FolderName(std::string_view endpoint) {
  std::string out;
  for (unsigned char c : endpoint) {
    if (std::isalnum(c) || c == '_' || c == '-' || (c == '.' && !out.empty())) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out.empty() ? "%00" : out;
}

std::string Day(int64_t micros) {
  std::string timestamp = table::FormatTimestamp(micros);  // "YYYY-MM-DDT..." or "YYYY-MM-DD"
  return timestamp.substr(0, 10);
}

void AppendLines(std::string& out, const LoggedPrediction& entry,
                 const std::vector<std::string>& keys) {
  std::string prefix = "{\"_request_id\":";
  AppendJsonString(prefix, entry.request_id);
  prefix += ",\"_time\":";
  AppendJsonString(prefix, table::FormatTimestamp(entry.time_micros));
  prefix += ",\"_model_version\":";
  AppendJsonString(prefix, entry.model_version);
  prefix += fmt::format(",\"_latency_us\":{}", entry.latency_micros);
  const size_t outputs = entry.num_outputs;
  for (size_t row = 0; row < entry.inputs.num_rows(); ++row) {
    out += prefix;
    for (size_t c = 0; c < keys.size(); ++c) {
      out += keys[c];
      AppendJsonValue(out, entry.inputs.column(c), row);
    }
    for (size_t k = 0; k < outputs; ++k) {
      if (outputs == 1) {
        out += ",\"_prediction\":";
      } else {
        fmt::format_to(std::back_inserter(out), ",\"_prediction_{}\":", k);
      }
      double value = entry.outputs[row * outputs + k];
      AppendJsonNumber(out, entry.float32 ? static_cast<double>(static_cast<float>(value)) : value);
    }
    out += "}\n";
  }
}

// A crash can leave the last line of a log half written; readers take the files as JSON Lines,
// so the torn tail is cut before anything is appended after it.
Status CutTornTail(int fd, const std::filesystem::path& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0 || info.st_size == 0) return Status::Ok();
  off_t end = info.st_size;
  char last = 0;
  if (::pread(fd, &last, 1, end - 1) != 1)
    return Internal("{}: {}", path.string(), strerror(errno));
  if (last == '\n') return Status::Ok();
  char buffer[4096];
  while (end > 0) {
    off_t start = end > static_cast<off_t>(sizeof buffer) ? end - sizeof buffer : 0;
    ssize_t n = ::pread(fd, buffer, static_cast<size_t>(end - start), start);
    if (n <= 0) return Internal("{}: {}", path.string(), strerror(errno));
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (buffer[i] == '\n') {
        end = start + i + 1;
        if (::ftruncate(fd, end) != 0) return Internal("{}: {}", path.string(), strerror(errno));
        SLUICE_LOG_WARN("prediction log {}: cut a torn last line (a crash while writing)",
                        path.string());
        return Status::Ok();
      }
    }
    end = start;
  }
  if (::ftruncate(fd, 0) != 0) return Internal("{}: {}", path.string(), strerror(errno));
  return Status::Ok();
}

Status AppendToFile(const std::filesystem::path& path, std::string_view text, bool first_open) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Internal("creating {}: {}", path.parent_path().string(), ec.message());
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Internal("opening {}: {}", path.string(), strerror(errno));
  Status status = first_open ? CutTornTail(fd, path) : Status::Ok();
  while (status.ok() && !text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Internal("writing {}: {}", path.string(), strerror(errno));
      break;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  ::close(fd);
  return status;
}

}  // namespace

Result<std::unique_ptr<PredictionLog>> PredictionLog::Open(PredictionLogOptions options,
                                                           const Clock& clock) {
  if (!(options.sample_rate >= 0 && options.sample_rate <= 1)) {
    return InvalidArgument("prediction log sample rate {} is outside [0, 1]", options.sample_rate);
  }
  if (options.max_queued_rows == 0) {
    return InvalidArgument("prediction log queue must hold at least one row");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  if (ec) {
    return Internal("creating the prediction log folder {}: {}", options.directory.string(),
                    ec.message());
  }
  return std::unique_ptr<PredictionLog>(new PredictionLog(std::move(options), clock));
}

bool PredictionLog::LineKeys::Matches(const table::Table& inputs) const {
  if (inputs.num_columns() != names.size()) return false;
  for (size_t c = 0; c < names.size(); ++c) {
    if (inputs.column(c).name() != names[c]) return false;
  }
  return true;
}

PredictionLog::PredictionLog(PredictionLogOptions options, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      sample_threshold_(options_.sample_rate >= 1
                            ? UINT64_MAX
                            : static_cast<uint64_t>(std::ldexp(options_.sample_rate, 64))),
      writer_([this](std::stop_token stop) { Run(stop); }) {}

PredictionLog::~PredictionLog() {
  writer_.request_stop();
  wake_.notify_all();
}

bool PredictionLog::Sample() {
  if (sample_threshold_ == 0) return false;
  if (sample_threshold_ == UINT64_MAX) return true;
  return NextRandom() < sample_threshold_;
}

void PredictionLog::Append(LoggedPrediction entry) {
  const size_t rows = entry.inputs.num_rows();
  if (entry.time_micros == 0) entry.time_micros = clock_.NowMillis() * 1000;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (queued_rows_ + rows > options_.max_queued_rows) {
      dropped_rows_.fetch_add(rows, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(entry));
    queued_rows_ += rows;
    ++appended_;
    wake = queued_rows_ * 2 >= options_.max_queued_rows;
  }
  // Half full: write now rather than at the next interval, so a burst does not fill the queue.
  if (wake) wake_.notify_one();
}

Status PredictionLog::Flush() {
  std::unique_lock lock(mutex_);
  const uint64_t target = appended_;
  ++flush_waiters_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return written_ >= target; });
  --flush_waiters_;
  Status error = std::move(first_error_);
  first_error_ = Status::Ok();
  return error;
}

PredictionLogCounters PredictionLog::Counters() const {
  PredictionLogCounters out;
  out.logged_rows = logged_rows_.load(std::memory_order_relaxed);
  out.dropped_rows = dropped_rows_.load(std::memory_order_relaxed);
  out.write_errors = write_errors_.load(std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  out.queued_rows = queued_rows_;
  return out;
}

std::string PredictionLog::NewRequestId() {
  // A random per-process prefix and a counter: unique, and far cheaper than 16 random bytes
  // from OpenSSL on every request.
  static const std::string prefix = RandomHex(16);
  static std::atomic<uint64_t> counter{0};
  return prefix + fmt::format("{:016x}", counter.fetch_add(1, std::memory_order_relaxed));
}

void PredictionLog::Run(std::stop_token stop) {
  for (;;) {
    std::deque<LoggedPrediction> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, options_.flush_interval, [&] {
        return flush_waiters_ > 0 || queued_rows_ * 2 >= options_.max_queued_rows;
      });
      if (queue_.empty() && stop.stop_requested()) return;
      batch.swap(queue_);
      queued_rows_ = 0;
    }
    const size_t taken = batch.size();
    Status status = taken == 0 ? Status::Ok() : Write(batch);
    std::lock_guard lock(mutex_);
    written_ += taken;
    if (!status.ok() && first_error_.ok()) first_error_ = status;
    flushed_.notify_all();
  }
}

Status PredictionLog::Write(std::deque<LoggedPrediction>& batch) {
  constexpr int64_t kMicrosPerDay = int64_t{86'400} * 1'000'000;
  std::map<std::filesystem::path, std::string> texts;
  std::map<std::filesystem::path, uint64_t> rows;
  std::map<std::pair<std::string_view, int64_t>, std::filesystem::path> paths;
  for (const LoggedPrediction& entry : batch) {
    auto [at, added] = paths.try_emplace({entry.endpoint, entry.time_micros / kMicrosPerDay});
    if (added) {
      at->second =
          options_.directory / FolderName(entry.endpoint) / (Day(entry.time_micros) + ".jsonl");
    }
    LineKeys& keys = keys_[entry.endpoint];
    if (!keys.Matches(entry.inputs)) {
      keys.names = entry.inputs.ColumnNames();
      keys.keys.clear();
      for (const std::string& name : keys.names) {
        std::string key = ",";
        AppendJsonString(key, name);
        keys.keys.push_back(key + ":");
      }
    }
    AppendLines(texts[at->second], entry, keys.keys);
    rows[at->second] += entry.inputs.num_rows();
  }
  Status first = Status::Ok();
  for (const auto& [path, text] : texts) {
    const bool first_open = opened_.insert(path).second;
    Status status = AppendToFile(path, text, first_open);
    if (status.ok()) {
      logged_rows_.fetch_add(rows[path], std::memory_order_relaxed);
      continue;
    }
    dropped_rows_.fetch_add(rows[path], std::memory_order_relaxed);
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    SLUICE_LOG_WARN("prediction log: {}", status.message());
    if (first.ok()) first = status;
  }
  return first;
}

}  // namespace sluice::serving
