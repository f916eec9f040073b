// A fixed set of worker threads running submitted tasks in FIFO order.
//
//   ThreadPool pool(ThreadPool::DefaultThreads());
//   std::future<int> answer = pool.Submit([] { return 42; });
//   pool.ParallelFor(files.size(), [&](size_t i) { hashes[i] = Sha256::HexOfFile(files[i]); });
//
// Thread safety: Submit and ParallelFor may be called from any thread, including from inside a
// task. The destructor runs every task already submitted, then joins the workers.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace sluice {

class ThreadPool {
 public:
  // `threads` 0 is treated as 1.
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Runs f() on a worker. The future holds its result, or the exception it threw.
  template <class F>
  auto Submit(F&& f) -> std::future<std::invoke_result_t<std::decay_t<F>>> {
    using R = std::invoke_result_t<std::decay_t<F>>;
    // std::function needs a copyable target and packaged_task is move-only, hence the shared_ptr.
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(f));
    std::future<R> future = task->get_future();
    Enqueue([task] { (*task)(); });
    return future;
  }

  // Calls body(0) ... body(n - 1), on the workers and on the calling thread, and returns when all
  // calls have returned. Because the caller works too, nesting ParallelFor inside a task cannot
  // deadlock. If calls throw, the first exception is rethrown here after the others finish;
  // indices not yet started when it was thrown are skipped.
  void ParallelFor(size_t n, const std::function<void(size_t)>& body);

  size_t size() const { return workers_.size(); }

  // std::thread::hardware_concurrency(), or 1 when it is unknown.
  static size_t DefaultThreads();

 private:
  void Enqueue(std::function<void()> task);
  void WorkerLoop(std::stop_token stop);

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  std::vector<std::jthread> workers_;        // last, so workers stop before the queue goes
};

}  // namespace sluice
