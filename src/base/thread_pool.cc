#include "base/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>

namespace sluice {

ThreadPool::ThreadPool(size_t threads) {
  threads = std::max<size_t>(threads, 1);
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    workers_.emplace_back([this](std::stop_token stop) { WorkerLoop(stop); });
  }
}

ThreadPool::~ThreadPool() {
  for (std::jthread& worker : workers_) worker.request_stop();
  // Joining here, not in the members' destructors, so workers still see a live queue and mutex.
  workers_.clear();
}

size_t ThreadPool::DefaultThreads() {
  return std::max<size_t>(std::thread::hardware_concurrency(), 1);
}

void ThreadPool::Enqueue(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void ThreadPool::WorkerLoop(std::stop_token stop) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      // Returns when there is work, or when stopping; a stopping pool still drains its queue.
      wake_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t)>& body) {
  if (n == 0) return;
  // Shared with helper tasks that may start only after this call has returned; such late helpers
  // find no index left and never touch `body`.
  struct State {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::condition_variable all_done;
    size_t finished = 0;           // guarded by mutex
    std::exception_ptr exception;  // guarded by mutex; the first one thrown
  };
  auto state = std::make_shared<State>();

  // Each claimed index is counted as finished exactly once, whether it ran, threw or was skipped.
  auto work = [state, n, &body] {
    for (;;) {
      size_t i = state->next.fetch_add(1);
      if (i >= n) return;
      std::exception_ptr error;
      if (!state->failed.load()) {
        try {
          body(i);
        } catch (...) {
          error = std::current_exception();
        }
      }
      std::lock_guard lock(state->mutex);
      if (error && !state->exception) {
        state->exception = error;
        state->failed = true;
      }
      if (++state->finished == n) state->all_done.notify_all();
    }
  };

  size_t helpers = std::min(size(), n - 1);
  for (size_t h = 0; h < helpers; ++h) Enqueue(work);
  work();

  std::unique_lock lock(state->mutex);
  state->all_done.wait(lock, [&] { return state->finished == n; });
  if (state->exception) std::rethrow_exception(state->exception);
}

}  // namespace sluice
