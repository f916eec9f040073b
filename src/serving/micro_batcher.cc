#include "serving/micro_batcher.h"

namespace sluice::serving {

struct MicroBatcher::Request {
  const table::Table* data = nullptr;
  Result<std::vector<double>> scores = std::vector<double>();
};

struct MicroBatcher::Batch {
  std::vector<Request*> requests;  // guarded by the batcher's mutex until `closed`
  size_t rows = 0;
  bool closed = false;  // no one may join
  bool done = false;    // every request has its scores
};

Result<std::unique_ptr<MicroBatcher>> MicroBatcher::Create(MicroBatchOptions options) {
  if (options.max_rows == 0) return InvalidArgument("micro-batch max rows must be positive");
  if (options.max_delay.count() < 0) {
    return InvalidArgument("micro-batch delay must not be negative; got {} us",
                           options.max_delay.count());
  }
  return std::unique_ptr<MicroBatcher>(new MicroBatcher(options));
}

Result<std::vector<double>> MicroBatcher::Predict(const ServedModel& model,
                                                  const table::Table& data) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  // A request as large as a batch gains nothing from company.
  if (data.num_rows() >= options_.max_rows) {
    batches_.fetch_add(1, std::memory_order_relaxed);
    return model.predictor->Predict(data);
  }
  Request self{.data = &data};
  std::unique_lock lock(mutex_);
  auto it = open_.find(&model);
  if (it != open_.end() && it->second->rows + data.num_rows() <= options_.max_rows) {
    std::shared_ptr<Batch> batch = it->second;
    batch->requests.push_back(&self);
    batch->rows += data.num_rows();
    if (batch->rows >= options_.max_rows) changed_.notify_all();  // full: wake its leader
    changed_.wait(lock, [&] { return batch->done; });
    return std::move(self.scores);
  }
  // Lead a new batch (replacing a full one, whose leader is about to close it).
  auto batch = std::make_shared<Batch>();
  batch->requests.push_back(&self);
  batch->rows = data.num_rows();
  open_[&model] = batch;
  changed_.wait_for(lock, options_.max_delay, [&] { return batch->rows >= options_.max_rows; });
  batch->closed = true;
  if (auto open = open_.find(&model); open != open_.end() && open->second == batch) {
    open_.erase(open);
  }
  lock.unlock();
  Score(*batch, model);
  lock.lock();
  batch->done = true;
  changed_.notify_all();
  return std::move(self.scores);
}

void MicroBatcher::Score(Batch& batch, const ServedModel& model) {
  batches_.fetch_add(1, std::memory_order_relaxed);
  if (batch.requests.size() == 1) {
    batch.requests[0]->scores = model.predictor->Predict(*batch.requests[0]->data);
    return;
  }
  std::vector<table::Table> tables;
  tables.reserve(batch.requests.size());
  for (const Request* request : batch.requests) tables.push_back(*request->data);
  Result<table::Table> joined = table::Concat(tables);
  Result<std::vector<double>> scores = joined.ok() ? model.predictor->Predict(*joined)
                                                   : Result<std::vector<double>>(joined.status());
  if (!scores.ok()) {
    // One bad request must not fail the others, and each gets its own error: score alone.
    for (Request* request : batch.requests) {
      request->scores = model.predictor->Predict(*request->data);
    }
    return;
  }
  const size_t outputs = model.predictor->num_outputs();
  size_t offset = 0;
  for (Request* request : batch.requests) {
    const size_t n = request->data->num_rows() * outputs;
    request->scores =
        std::vector<double>(scores->begin() + static_cast<std::ptrdiff_t>(offset),
                            scores->begin() + static_cast<std::ptrdiff_t>(offset + n));
    offset += n;
  }
}

MicroBatchCounters MicroBatcher::Counters() const {
  return {.requests = requests_.load(std::memory_order_relaxed),
          .batches = batches_.load(std::memory_order_relaxed)};
}

}  // namespace sluice::serving
