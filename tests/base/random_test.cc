#include "base/random.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <set>

namespace sluice {
namespace {

using ::testing::MatchesRegex;

TEST(RandomHexTest, HasTheRequestedLengthInLowercaseHex) {
  EXPECT_EQ(RandomHex(0), "");
  EXPECT_THAT(RandomHex(32), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_THAT(RandomHex(7), MatchesRegex("[0-9a-f]{7}"));
}

TEST(RandomHexTest, DoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(RandomHex(16));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RandomBytesTest, FillsTheWholeSpan) {
  // 64 zero bytes staying zero has probability 2^-512; a missed tail would show up here.
  std::array<uint8_t, 64> bytes{};
  RandomBytes(bytes);
  int nonzero_in_tail = 0;
  for (size_t i = 32; i < bytes.size(); ++i) nonzero_in_tail += bytes[i] != 0;
  EXPECT_GT(nonzero_in_tail, 0);
  std::array<uint8_t, 64> again{};
  RandomBytes(again);
  EXPECT_NE(bytes, again);
}

}  // namespace
}  // namespace sluice
