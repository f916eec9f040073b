// The prediction log: a sample of the requests a server answers (inputs, outputs, model version,
// latency, request id), kept for monitoring. A request thread only hands its already-decoded table
// and scores to a bounded in-memory queue; a background thread turns them into JSON Lines and
// appends them to one file per endpoint and UTC day:
//
//   <directory>/<endpoint>/<YYYY-MM-DD>.jsonl
//   {"_request_id":"…","_time":"2026-11-29T08:00:00.123456Z","_model_version":"3",
//    "_latency_us":41,"age":42,"plan":"pro","_prediction":0.83}
//
// One line per scored row, the model's inputs under their own names (so `table::ReadJsonl` and
// every tool that reads a dataset read the log as one), Sluice's fields prefixed with '_'.
// Multi-output models write "_prediction_0", "_prediction_1", ... A full queue drops the newest
// request and counts it: logging never blocks or slows a request.
//
//   SLUICE_ASSIGN_OR_RETURN(auto log, PredictionLog::Open({.directory = ws / "predictions"}));
//   if (log->Sample()) log->Append(std::move(entry));       // per request
//
// Thread safety: Sample, Append, counters and Flush may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "table/table.h"

namespace sluice::serving {

struct PredictionLogOptions {
  std::filesystem::path directory;  // created when missing
  // The fraction of requests logged, in [0, 1]; 0 logs nothing.
  double sample_rate = 1.0;
  // Rows held in memory at most before requests are dropped.
  size_t max_queued_rows = 100'000;
  // How long a logged request waits at most before it reaches its file.
  std::chrono::milliseconds flush_interval{500};
};

// One answered request.
struct LoggedPrediction {
  std::string endpoint;
  std::string model_version;  // "" for a runs:/ model
  std::string request_id;
  int64_t time_micros = 0;  // since the Unix epoch; 0: Append stamps it from the clock
  int64_t latency_micros = 0;
  table::Table inputs;          // the model's inputs as decoded (shares the request's columns)
  std::vector<double> outputs;  // inputs.num_rows() x num_outputs, row-major
  size_t num_outputs = 1;
  bool float32 = false;  // print outputs as float32 (XGBoost models predict in float32)
};

struct PredictionLogCounters {
  uint64_t logged_rows = 0;   // written to files
  uint64_t dropped_rows = 0;  // refused because the queue was full
  uint64_t queued_rows = 0;   // waiting now
  uint64_t write_errors = 0;  // flushes that failed (their rows are counted as dropped)
};

class PredictionLog {
 public:
  // kInvalidArgument for a sample rate outside [0, 1] or a zero queue; kInternal when the
  // directory cannot be created. Starts the writer thread.
  static Result<std::unique_ptr<PredictionLog>> Open(PredictionLogOptions options,
                                                     const Clock& clock = SystemClock::Get());
  ~PredictionLog();  // writes what is queued, then stops
  PredictionLog(const PredictionLog&) = delete;
  PredictionLog& operator=(const PredictionLog&) = delete;

  // Whether to log the request at hand: true for a `sample_rate` fraction of calls.
  bool Sample();
  // Queues `entry` for writing, or drops it (counted) when the queue is full. Never blocks on I/O.
  void Append(LoggedPrediction entry);
  // Returns once every entry appended before the call is written (or failed); the first write
  // error since the previous Flush, if any.
  Status Flush();

  PredictionLogCounters Counters() const;
  const std::filesystem::path& directory() const { return options_.directory; }

  // A new request id: 32 hex characters, unique within the process and across processes with
  // overwhelming probability, cheap enough to make for every request.
  static std::string NewRequestId();

 private:
  PredictionLog(PredictionLogOptions options, const Clock& clock);
  void Run(std::stop_token stop);
  Status Write(std::deque<LoggedPrediction>& batch);

  const PredictionLogOptions options_;
  const Clock& clock_;
  const uint64_t sample_threshold_;  // Sample() is true when a 64-bit draw is below it

  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::condition_variable flushed_;
  std::deque<LoggedPrediction> queue_;  // guarded by mutex_
  size_t queued_rows_ = 0;              // guarded by mutex_
  uint64_t appended_ = 0;               // entries ever queued; guarded by mutex_
  uint64_t written_ = 0;                // entries ever taken by the writer and done; guarded
  int flush_waiters_ = 0;               // guarded by mutex_
  Status first_error_;                  // since the last Flush; guarded by mutex_

  // The JSON keys of one endpoint's inputs, made once per column set, not once per request.
  struct LineKeys {
    std::vector<std::string> names;
    std::vector<std::string> keys;  // ,"name":
    bool Matches(const table::Table& inputs) const;
  };
  std::set<std::filesystem::path> opened_;  // files written since start; writer thread only
  std::map<std::string, LineKeys, std::less<>> keys_;  // per endpoint; writer thread only
  std::atomic<uint64_t> logged_rows_{0};
  std::atomic<uint64_t> dropped_rows_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::jthread writer_;  // last: stops before the members it uses go
};

}  // namespace sluice::serving
