#include "table/internal/value_parse.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace sluice::table::internal {
namespace {

TEST(ParseInt64Test, RangeSignsAndJunk) {
  struct Case {
    const char* text;
    bool ok;
    int64_t value;
  };
  const Case cases[] = {
      {"0", true, 0},
      {"-0", true, 0},
      {"+17", true, 17},
      {" 42 ", true, 42},
      {"007", true, 7},
      {"123456789012345678", true, 123456789012345678},
      {"9223372036854775807", true, std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", true, std::numeric_limits<int64_t>::min()},
      {"9223372036854775808", false, 0},
      {"-9223372036854775809", false, 0},
      {"00000000000000000000001", true, 1},
      {"", false, 0},
      {"+", false, 0},
      {"-", false, 0},
      {"+-1", false, 0},
      {"1.0", false, 0},
      {"1e3", false, 0},
      {"12a", false, 0},
  };
  for (const Case& c : cases) {
    int64_t value = -1;
    EXPECT_EQ(ParseInt64(c.text, &value), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(value, c.value) << c.text;
    }
  }
}

TEST(ParseFloat64Test, AcceptsWhatLooksDecimalAndMore) {
  // Inference trusts LooksDecimal as a shortcut, so it must never accept what ParseFloat64
  // rejects.
  std::mt19937 rng(3);
  const std::string alphabet = "+-.eE0123456789 ";
  int looked = 0;
  for (int i = 0; i < 200'000; ++i) {
    std::string text;
    for (size_t n = rng() % 7; n > 0; --n) text += alphabet[rng() % alphabet.size()];
    double value = 0;
    if (LooksDecimal(text)) {
      ++looked;
      EXPECT_TRUE(ParseFloat64(text, &value)) << "'" << text << "'";
    }
  }
  EXPECT_GT(looked, 1000);
  double value = 0;
  EXPECT_TRUE(ParseFloat64("-inf", &value));
  EXPECT_TRUE(ParseFloat64(" 2.5 ", &value));
  EXPECT_EQ(value, 2.5);
  EXPECT_FALSE(ParseFloat64("+-1", &value));
  EXPECT_FALSE(ParseFloat64("1e", &value));
  EXPECT_FALSE(ParseFloat64("0x10", &value));
}

TEST(NullMatcherTest, MatchesTokensExactly) {
  NullMatcher is_null(
      {"", "NA", "a-very-long-null-token-of-more-than-sixty-four-bytes-for-the-mask"});
  EXPECT_TRUE(is_null(""));
  EXPECT_TRUE(is_null("NA"));
  EXPECT_TRUE(is_null("a-very-long-null-token-of-more-than-sixty-four-bytes-for-the-mask"));
  EXPECT_FALSE(is_null("na"));
  EXPECT_FALSE(is_null(" NA"));
  EXPECT_FALSE(is_null("NB"));
}

TEST(JoinTypesTest, OnlyIntAndFloatMix) {
  EXPECT_EQ(JoinTypes(Type::kInt64, Type::kFloat64), Type::kFloat64);
  EXPECT_EQ(JoinTypes(Type::kFloat64, Type::kInt64), Type::kFloat64);
  EXPECT_EQ(JoinTypes(Type::kBool, Type::kBool), Type::kBool);
  EXPECT_EQ(JoinTypes(Type::kBool, Type::kInt64), Type::kString);
  EXPECT_EQ(JoinTypes(Type::kTimestamp, Type::kInt64), Type::kString);
  EXPECT_EQ(JoinTypes(Type::kString, Type::kFloat64), Type::kString);
}

}  // namespace
}  // namespace sluice::table::internal
