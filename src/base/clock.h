// Time comes through a Clock so that code which stamps or expires things (run start times, lease
// deadlines, progress rates) can be tested deterministically with a FakeClock.
//
//   int64_t started = clock.NowMillis();   // milliseconds since the Unix epoch
//
// Thread safety: NowMillis() is safe from any thread on every implementation here.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice {

class Clock {
 public:
  virtual ~Clock();
  // Wall-clock milliseconds since 1970-01-01T00:00:00Z (the unit MLflow uses for timestamps).
  virtual int64_t NowMillis() const = 0;
};

// The real wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  // The process-wide instance; it is stateless, so sharing it is safe.
  static const Clock& Get();
  int64_t NowMillis() const override;
};

// A clock that moves only when told to. Set and Advance may race with NowMillis freely.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_millis = 0) : now_millis_(now_millis) {}

  int64_t NowMillis() const override { return now_millis_.load(std::memory_order_acquire); }
  void SetMillis(int64_t now_millis) { now_millis_.store(now_millis, std::memory_order_release); }
  // Returns the new time.
  int64_t AdvanceMillis(int64_t delta_millis) {
    return now_millis_.fetch_add(delta_millis, std::memory_order_acq_rel) + delta_millis;
  }

 private:
  std::atomic<int64_t> now_millis_;
};

}  // namespace sluice
