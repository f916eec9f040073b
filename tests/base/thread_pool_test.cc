#include "base/thread_pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sluice {
namespace {

using ::testing::ElementsAre;

TEST(ThreadPoolTest, SubmitReturnsResults) {
  ThreadPool pool(2);
  EXPECT_EQ(pool.size(), 2u);
  std::future<int> answer = pool.Submit([] { return 42; });
  std::future<std::string> text = pool.Submit([] { return std::string("hi"); });
  std::future<void> nothing = pool.Submit([] {});
  EXPECT_EQ(answer.get(), 42);
  EXPECT_EQ(text.get(), "hi");
  nothing.get();
}

TEST(ThreadPoolTest, SubmitAcceptsMoveOnlyCallables) {
  ThreadPool pool(1);
  auto owned = std::make_unique<int>(7);
  std::future<int> result = pool.Submit([p = std::move(owned)] { return *p * 6; });
  EXPECT_EQ(result.get(), 42);
}

TEST(ThreadPoolTest, ExceptionReachesTheFuture) {
  ThreadPool pool(1);
  std::future<int> result = pool.Submit([]() -> int { throw std::runtime_error("boom"); });
  EXPECT_THROW(
      {
        try {
          result.get();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "boom");
          throw;
        }
      },
      std::runtime_error);
  // The worker survives a throwing task.
  EXPECT_EQ(pool.Submit([] { return 1; }).get(), 1);
}

TEST(ThreadPoolTest, ZeroThreadsMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.Submit([] { return 3; }).get(), 3);
}

TEST(ThreadPoolTest, OneWorkerRunsTasksInOrder) {
  std::vector<int> order;
  {
    ThreadPool pool(1);
    for (int i = 0; i < 5; ++i) pool.Submit([&order, i] { order.push_back(i); });
  }
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4));
}

TEST(ThreadPoolTest, DestructorRunsPendingTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) {
      pool.Submit([&ran] {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(ThreadPoolTest, TasksRunOnSeveralThreads) {
  ThreadPool pool(4);
  std::mutex mutex;
  std::set<std::thread::id> ids;
  std::atomic<int> arrived{0};
  std::vector<std::future<void>> futures;
  for (int i = 0; i < 4; ++i) {
    futures.push_back(pool.Submit([&] {
      ++arrived;
      // Each task waits until all four are running, which only works on four threads.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (arrived.load() < 4 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
      std::lock_guard lock(mutex);
      ids.insert(std::this_thread::get_id());
    }));
  }
  for (auto& f : futures) f.get();
  EXPECT_EQ(ids.size(), 4u);
}

TEST(ThreadPoolTest, ParallelForVisitsEveryIndexOnce) {
  ThreadPool pool(3);
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{1000}}) {
    std::vector<std::atomic<int>> visits(n);
    pool.ParallelFor(n, [&visits](size_t i) { visits[i].fetch_add(1); });
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(visits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(ThreadPoolTest, ParallelForUsesTheCallerToo) {
  ThreadPool pool(1);
  std::atomic<int> arrived{0};
  std::mutex mutex;
  std::set<std::thread::id> ids;
  // Two indices that each wait for the other: done only if the caller takes one of them.
  pool.ParallelFor(2, [&](size_t) {
    ++arrived;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (arrived.load() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    std::lock_guard lock(mutex);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 1u);
}

TEST(ThreadPoolTest, NestedParallelForDoesNotDeadlock) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  pool.ParallelFor(4, [&](size_t) { pool.ParallelFor(10, [&](size_t) { ++total; }); });
  EXPECT_EQ(total.load(), 40);
}

TEST(ThreadPoolTest, ParallelForRethrowsAfterAllFinish) {
  ThreadPool pool(2);
  std::atomic<int> running{0};
  EXPECT_THROW(pool.ParallelFor(100,
                                [&](size_t i) {
                                  ++running;
                                  if (i == 3) {
                                    --running;
                                    throw std::invalid_argument("bad index 3");
                                  }
                                  std::this_thread::sleep_for(std::chrono::microseconds(50));
                                  --running;
                                }),
               std::invalid_argument);
  // Nothing still runs the body once ParallelFor has returned.
  EXPECT_EQ(running.load(), 0);
}

TEST(ThreadPoolTest, DefaultThreadsIsAtLeastOne) {
  EXPECT_GE(ThreadPool::DefaultThreads(), 1u);
  EXPECT_EQ(ThreadPool::DefaultThreads(), std::max<size_t>(std::thread::hardware_concurrency(), 1));
}

}  // namespace
}  // namespace sluice
