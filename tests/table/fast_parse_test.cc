// The fast paths of number parsing (ParseSimpleDecimal, ParseSimpleInt64, ParseFloat64's path for
// 16 to 19 digits) and CountLineBreaks against plain references: the same numbers accepted, the
// same bits produced (from_chars'), and no byte read outside the field.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "table/internal/csv_tokenizer.h"
#include "table/internal/value_parse.h"
#include "testing/guarded_page.h"

namespace sluice::table::internal {
namespace {

// Bitwise, so that -0.0 and 0.0 differ.
bool SameDouble(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// ParseSimpleDecimal's contract, a byte at a time: [+-]?(digits[.digits]|.digits) with 1 to 15
// digits, m / 10^k.
bool ReferenceSimpleDecimal(std::string_view text, double* out) {
  static constexpr double kPowers[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) ++i;
  uint64_t mantissa = 0;
  int digits = 0;
  int fraction = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    mantissa = mantissa * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits, ++fraction) {
      mantissa = mantissa * 10 + static_cast<uint64_t>(text[i] - '0');
    }
  }
  if (i != text.size() || digits == 0 || digits > 15) return false;
  const double value = static_cast<double>(mantissa) / kPowers[fraction];
  *out = negative ? -value : value;
  return true;
}

// ParseSimpleInt64's contract: [+-]?digits with 1 to 18 digits.
bool ReferenceSimpleInt64(std::string_view text, int64_t* out) {
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) ++i;
  if (i == text.size() || text.size() - i > 18) return false;
  int64_t value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = negative ? -value : value;
  return true;
}

// What ParseFloat64 gave before its fast paths, for text without spaces: a '+' dropped once,
// then from_chars (nullopt: rejected or out of range).
std::optional<double> FromChars(std::string_view text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// Numbers of every shape the fast paths split on: a sign or none, 0 to 20 digits before and
// after an optional point, now and then a stray byte.
std::string RandomNumberText(std::mt19937_64& rng) {
  std::string text;
  switch (rng() % 4) {
    case 0:
      text += '-';
      break;
    case 1:
      if (rng() % 4 == 0) text += '+';
      break;
    default:
      break;
  }
  auto digits = [&](size_t n) {
    for (size_t i = 0; i < n; ++i) {
      // Runs of zeros and nines, the carries' edge cases, as often as the rest.
      const uint64_t kind = rng() % 8;
      text += kind == 0 ? '0' : kind == 1 ? '9' : static_cast<char>('0' + rng() % 10);
    }
  };
  digits(rng() % 21);
  if (rng() % 3 != 0) {
    text += '.';
    digits(rng() % 21);
  }
  if (rng() % 16 == 0 && !text.empty()) {
    static const char kStray[] = {'.', '-', '+', 'e', ' ', '/', ':', '\0', '\x80', '\xff', 'a'};
    text[rng() % text.size()] = kStray[rng() % sizeof kStray];
  }
  return text;
}

TEST(FastParseTest, SimpleDecimalMatchesReferenceAndFromChars) {
  std::mt19937_64 rng(7);
  int accepted = 0;
  for (int i = 0; i < 500'000; ++i) {
    const std::string text = RandomNumberText(rng);
    double expected = 0;
    double got = 0;
    const bool reference_ok = ReferenceSimpleDecimal(text, &expected);
    ASSERT_EQ(ParseSimpleDecimal(text, &got), reference_ok) << "'" << text << "'";
    if (!reference_ok) continue;
    ++accepted;
    ASSERT_TRUE(SameDouble(got, expected)) << text;
    const std::optional<double> general = FromChars(text);
    ASSERT_TRUE(general.has_value()) << text;
    ASSERT_TRUE(SameDouble(got, *general)) << text;
  }
  EXPECT_GT(accepted, 75'000);
}

TEST(FastParseTest, SimpleInt64MatchesReference) {
  std::mt19937_64 rng(11);
  int accepted = 0;
  for (int i = 0; i < 500'000; ++i) {
    std::string text = RandomNumberText(rng);
    // Mostly integers: drop the point and what follows it.
    if (rng() % 4 != 0 && text.find('.') != std::string::npos) text.erase(text.find('.'));
    int64_t expected = 0;
    int64_t got = 0;
    const bool reference_ok = ReferenceSimpleInt64(text, &expected);
    ASSERT_EQ(ParseSimpleInt64(text, &got), reference_ok) << "'" << text << "'";
    if (!reference_ok) continue;
    ++accepted;
    ASSERT_EQ(got, expected) << text;
    int64_t general = 0;
    ASSERT_TRUE(ParseInt64(text, &general)) << text;
    ASSERT_EQ(got, general) << text;
  }
  EXPECT_GT(accepted, 75'000);
}

TEST(FastParseTest, ParseFloat64MatchesFromChars) {
  // The long-decimal path (16 to 19 digits up to 2^53) and everything past it agree with
  // from_chars bit for bit, on values in range.
  std::mt19937_64 rng(13);
  for (int i = 0; i < 500'000; ++i) {
    const std::string text = RandomNumberText(rng);
    // Spaces (which ParseFloat64 trims) and exponents (out of range, for strtod) aside.
    if (text.find_first_of(" e") != std::string::npos) continue;
    const std::optional<double> expected = FromChars(text);
    double got = 0;
    const bool ok = ParseFloat64(text, &got);
    if (!expected.has_value()) {
      ASSERT_FALSE(ok) << "'" << text << "'";
      continue;
    }
    ASSERT_TRUE(ok) << text;
    ASSERT_TRUE(SameDouble(got, *expected)) << text;
  }
}

TEST(FastParseTest, EdgeCases) {
  struct Case {
    const char* text;
    bool ok;
    double value;
  };
  const Case decimals[] = {
      {"0", true, 0.0},
      {"7", true, 7.0},
      {"5.", true, 5.0},
      {".5", true, 0.5},
      {"-.5", true, -0.5},
      {"+.5", true, 0.5},
      {"12345678", true, 12345678.0},
      {"1234567.8", true, 1234567.8},
      {"123456789", true, 123456789.0},
      {"12345678.9012345", true, 12345678.9012345},
      {"0.00000000000001", true, 0.00000000000001},
      {"999999999999999", true, 999999999999999.0},
      {"-99999999999999.9", true, -99999999999999.9},
      {"1234567890123456", false, 0},  // 16 digits: the general parser's
      {"1234567890.123456", false, 0},
      {".", false, 0},
      {"-.", false, 0},
      {"-", false, 0},
      {"", false, 0},
      {"1.2.3", false, 0},
      {"12345678.", true, 12345678.0},
      {".12345678", true, 0.12345678},
      {"1234567.", true, 1234567.0},
      {"1e5", false, 0},
      {"1/2", false, 0},
      {"1:2", false, 0},
      {"--1", false, 0},
      {"+-1", false, 0},
      {"1-", false, 0},
      {"123456789.12345.", false, 0},
  };
  for (const Case& c : decimals) {
    double got = -1;
    EXPECT_EQ(ParseSimpleDecimal(c.text, &got), c.ok) << c.text;
    if (c.ok) {
      EXPECT_TRUE(SameDouble(got, c.value)) << c.text;
    }
  }
  double got = 0;
  ASSERT_TRUE(ParseSimpleDecimal("-0", &got));
  EXPECT_TRUE(std::signbit(got));
  ASSERT_TRUE(ParseSimpleDecimal("-0.000", &got));
  EXPECT_TRUE(std::signbit(got));
  EXPECT_FALSE(ParseSimpleDecimal(std::string_view("1\0", 2), &got));
  EXPECT_FALSE(ParseSimpleDecimal(std::string_view("12345\0"
                                                   "78",
                                                   8),
                                  &got));

  // The long path: 16 to 19 digits up to 2^53, then from_chars.
  ASSERT_TRUE(ParseFloat64("9007199254740992", &got));  // 2^53
  EXPECT_EQ(got, 9007199254740992.0);
  ASSERT_TRUE(ParseFloat64("9007199254740993", &got));  // past 2^53: from_chars rounds to even
  EXPECT_EQ(got, 9007199254740992.0);
  ASSERT_TRUE(ParseFloat64("0.1234567890123456789", &got));
  EXPECT_TRUE(SameDouble(got, *FromChars("0.1234567890123456789")));
  ASSERT_TRUE(ParseFloat64("0.30000000000000004", &got));
  EXPECT_TRUE(SameDouble(got, 0.30000000000000004));

  const struct {
    const char* text;
    bool ok;
    int64_t value;
  } ints[] = {
      {"0", true, 0},
      {"-0", true, 0},
      {"9", true, 9},
      {"12345678", true, 12345678},
      {"123456789", true, 123456789},
      {"1234567890123456", true, 1234567890123456},
      {"-12345678901234567", true, -12345678901234567},
      {"999999999999999999", true, 999999999999999999},
      {"1234567890123456789", false, 0},
      {"12345678a", false, 0},
      {"a2345678", false, 0},
      {"1234567812a45678", false, 0},
      {"+", false, 0},
      {"", false, 0},
  };
  for (const auto& c : ints) {
    int64_t value = -1;
    EXPECT_EQ(ParseSimpleInt64(c.text, &value), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(value, c.value) << c.text;
    }
  }
}

using ::sluice::testing::GuardedPage;

TEST(FastParseTest, ReadsNothingPastTheField) {
  GuardedPage guarded;
  ASSERT_TRUE(guarded.ok());
  std::mt19937_64 rng(17);
  for (int i = 0; i < 50'000; ++i) {
    const std::string text = RandomNumberText(rng);
    const std::string_view field = guarded.AtEnd(text);
    double d = 0;
    int64_t n = 0;
    double expected_d = 0;
    int64_t expected_n = 0;
    ASSERT_EQ(ParseSimpleDecimal(field, &d), ReferenceSimpleDecimal(text, &expected_d)) << text;
    ASSERT_EQ(ParseSimpleInt64(field, &n), ReferenceSimpleInt64(text, &expected_n)) << text;
    ParseFloat64(field, &d);
  }
}

TEST(FastParseTest, CountLineBreaksCountsEveryOne) {
  std::mt19937_64 rng(19);
  for (size_t size = 0; size < 600; ++size) {
    std::string text(size, 'x');
    for (char& c : text) c = rng() % 3 == 0 ? '\n' : static_cast<char>(rng());
    EXPECT_EQ(CountLineBreaks(text.data(), text.size()),
              static_cast<size_t>(std::count(text.begin(), text.end(), '\n')))
        << size;
  }
  // Every byte a line break, past 255 blocks of 16: no byte lane may overflow.
  for (size_t size : {size_t{16 * 255}, size_t{16 * 255 + 1}, size_t{16 * 256}, size_t{100'003}}) {
    const std::string all(size, '\n');
    EXPECT_EQ(CountLineBreaks(all.data(), all.size()), size);
  }
}

}  // namespace
}  // namespace sluice::table::internal
