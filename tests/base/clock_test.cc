#include "base/clock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sluice {
namespace {

TEST(SystemClockTest, IsWallClockMillis) {
  int64_t now = SystemClock::Get().NowMillis();
  EXPECT_GT(now, int64_t{1'600'000'000'000});  // after September 2020: milliseconds, not seconds
  EXPECT_LT(now, int64_t{4'000'000'000'000});
  EXPECT_GE(SystemClock::Get().NowMillis(), now);
  EXPECT_EQ(&SystemClock::Get(), &SystemClock::Get());
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMillis(), 1000);
  EXPECT_EQ(clock.AdvanceMillis(250), 1250);
  EXPECT_EQ(clock.NowMillis(), 1250);
  clock.SetMillis(7);
  EXPECT_EQ(clock.NowMillis(), 7);
  const Clock& as_clock = clock;
  EXPECT_EQ(as_clock.NowMillis(), 7);
}

TEST(FakeClockTest, ConcurrentAdvancesAllCount) {
  FakeClock clock;
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&clock] {
      for (int i = 0; i < 1000; ++i) clock.AdvanceMillis(1);
    });
  }
  threads.clear();
  EXPECT_EQ(clock.NowMillis(), 4000);
}

}  // namespace
}  // namespace sluice
