// Adaptive micro-batching: concurrent requests for the same model version are scored as one
// batch. The first request of a batch waits at most `max_delay` for others to join (less when the
// batch fills up), scores them all in one Predict call, and hands each its own rows' scores.
// A request that finds no one to join pays at most max_delay; with no concurrency there is no
// batching, only that delay — which is why it is off by default and measured in
// bench/serve_bench.sh before being turned on.
//
//   MicroBatcher batcher({.max_rows = 64, .max_delay = std::chrono::microseconds(500)});
//   SLUICE_ASSIGN_OR_RETURN(std::vector<double> scores, batcher.Predict(*model, table));
//
// Thread safety: Predict may be called from any number of threads; callers block, so it belongs
// on worker threads, never on the io threads of an event loop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "serving/model_host.h"
#include "table/table.h"

namespace sluice::serving {

struct MicroBatchOptions {
  size_t max_rows = 64;  // a batch closes once it holds this many rows
  std::chrono::microseconds max_delay{500};
};

struct MicroBatchCounters {
  uint64_t requests = 0;  // requests scored through the batcher
  uint64_t batches = 0;   // Predict calls made for them
};

class MicroBatcher {
 public:
  // kInvalidArgument for max_rows 0 or a negative delay.
  static Result<std::unique_ptr<MicroBatcher>> Create(MicroBatchOptions options);

  // Rows x model.predictor->num_outputs() scores for `data`, as model.predictor->Predict would
  // return them. A batch whose tables cannot be joined (columns decoded to different types) is
  // scored request by request, so batching never changes an answer or an error.
  Result<std::vector<double>> Predict(const ServedModel& model, const table::Table& data);

  MicroBatchCounters Counters() const;

 private:
  struct Request;
  struct Batch;
  explicit MicroBatcher(MicroBatchOptions options) : options_(options) {}
  void Score(Batch& batch, const ServedModel& model);

  const MicroBatchOptions options_;
  std::mutex mutex_;
  std::condition_variable changed_;
  // The open batch of each model version; guarded by mutex_.
  std::map<const ServedModel*, std::shared_ptr<Batch>> open_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> batches_{0};
};

}  // namespace sluice::serving
