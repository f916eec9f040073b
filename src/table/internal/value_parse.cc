#include "table/internal/value_parse.h"

#include <fmt/core.h>

#include <charconv>
#include <cstdlib>
#include <system_error>
#include <utility>

namespace sluice::table {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// `count` decimal digits at text[pos...]; false if any is missing or not a digit.
bool Digits(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

// The inverse of DaysFromCivil.
CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace

std::string FormatTimestamp(int64_t micros) {
  int64_t days = micros / kMicrosPerDay;
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  const int64_t seconds = rest / kMicrosPerSecond;
  const int64_t fraction = rest % kMicrosPerSecond;
  std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", date.year, date.month,
                                 date.day, seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (fraction != 0) {
    std::string digits = fmt::format("{:06}", fraction);
    digits.erase(digits.find_last_not_of('0') + 1);
    text += '.';
    text += digits;
  }
  text += 'Z';
  return text;
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  int64_t micros = 0;
  if (!internal::ParseTimestampMicros(text, &micros)) return std::nullopt;
  return micros;
}

namespace internal {

bool ParseBool(std::string_view text, uint8_t* out) {
  text = Trim(text);
  auto equals_lower = [&](std::string_view word) {
    if (text.size() != word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      char c = text[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != word[i]) return false;
    }
    return true;
  };
  if (equals_lower("true")) {
    *out = 1;
    return true;
  }
  if (equals_lower("false")) {
    *out = 0;
    return true;
  }
  return false;
}

bool ParseInt64(std::string_view text, int64_t* out) {
  text = Trim(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 18) {
    // Empty, or possibly past 64 bits: from_chars checks the range.
    if (text.empty() || !IsDigit(text.front())) return false;
    uint64_t magnitude = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, magnitude);
    if (ec != std::errc() || ptr != end) return false;
    constexpr uint64_t kMax = uint64_t{1} << 63;  // |INT64_MIN|
    if (magnitude > kMax - (negative ? 0 : 1)) return false;
    *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    return true;
  }
  // Up to 18 digits cannot overflow: the common case, without from_chars.
  int64_t value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  *out = negative ? -value : value;
  return true;
}

namespace {

// [+-]?digits[.digits] (or .digits) with up to 19 digits (so that they fit 64 bits) whose value
// m is at most 2^53: m and 10^k (k <= 19 <= 22) are exact doubles, so m / 10^k is correctly
// rounded (Clinger), as from_chars gives. The longer numbers ParseSimpleDecimal leaves.
bool ParseLongDecimal(std::string_view text, double* out) {
  static constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                                 1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                                 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
  const char* p = text.data();
  const char* const end = p + text.size();
  if (p == end) return false;
  const bool negative = *p == '-';
  if (*p == '-' || *p == '+') ++p;
  if (end - p > 20) return false;  // more than 19 digits and a point
  uint64_t mantissa = 0;
  const char* const integer_begin = p;
  for (; p != end && IsDigit(*p); ++p) mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
  ptrdiff_t digits = p - integer_begin;
  ptrdiff_t fraction_digits = 0;
  if (p != end && *p == '.') {
    ++p;
    const char* const fraction_begin = p;
    for (; p != end && IsDigit(*p); ++p) {
      mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
    }
    fraction_digits = p - fraction_begin;
    digits += fraction_digits;
  }
  if (p != end || digits == 0 || digits > 19 || mantissa > (uint64_t{1} << 53)) return false;
  const double value = static_cast<double>(mantissa) / kExactPowersOfTen[fraction_digits];
  *out = negative ? -value : value;
  return true;
}

}  // namespace

bool ParseFloat64(std::string_view text, double* out) {
  if (ParseSimpleDecimal(text, out) || ParseLongDecimal(text, out)) return true;
  text = Trim(text);
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) return false;
  }
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out, std::chars_format::general);
  if (ptr != end) return false;
  if (ec == std::errc()) return true;
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves overflow and underflow unset; strtod gives +-HUGE_VAL or the rounded tiny
    // value, as users of other tools expect.
    std::string copy(text);
    *out = std::strtod(copy.c_str(), nullptr);
    return true;
  }
  return false;
}

bool LooksDecimal(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
  size_t digits = 0;
  while (i < n && IsDigit(text[i])) ++i, ++digits;
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && IsDigit(text[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exponent_digits = 0;
    while (i < n && IsDigit(text[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == n;
}

bool ParseTimestampMicros(std::string_view text, int64_t* out) {
  text = Trim(text);
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return false;
  int year = 0, month = 0, day = 0;
  if (!Digits(text, 0, 4, &year) || !Digits(text, 5, 2, &month) || !Digits(text, 8, 2, &day)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return false;

  int hour = 0, minute = 0, second = 0;
  int64_t fraction_micros = 0;
  int64_t offset_minutes = 0;
  size_t pos = 10;
  if (pos < text.size()) {
    const char separator = text[pos];
    if (separator != 'T' && separator != 't' && separator != ' ') return false;
    ++pos;
    if (!Digits(text, pos, 2, &hour) || pos + 2 >= text.size() || text[pos + 2] != ':' ||
        !Digits(text, pos + 3, 2, &minute)) {
      return false;
    }
    pos += 5;
    if (pos < text.size() && text[pos] == ':') {
      if (!Digits(text, pos + 1, 2, &second)) return false;
      pos += 3;
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        const size_t first = pos;
        int64_t scale = 100'000;
        while (pos < text.size() && IsDigit(text[pos])) {
          fraction_micros += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == first) return false;
      }
    }
    if (pos < text.size()) {
      const char zone = text[pos];
      if (zone == 'Z' || zone == 'z') {
        ++pos;
      } else if (zone == '+' || zone == '-') {
        int offset_hours = 0, offset_mins = 0;
        if (!Digits(text, pos + 1, 2, &offset_hours)) return false;
        pos += 3;
        if (pos < text.size()) {
          if (text[pos] == ':') ++pos;
          if (!Digits(text, pos, 2, &offset_mins)) return false;
          pos += 2;
        }
        if (offset_hours > 23 || offset_mins > 59) return false;
        offset_minutes = (zone == '+' ? 1 : -1) * (offset_hours * 60 + offset_mins);
      } else {
        return false;
      }
    }
    if (pos != text.size()) return false;
    if (hour > 23 || minute > 59 || second > 59) return false;
  }
  const int64_t seconds = DaysFromCivil(year, month, day) * 86'400 + hour * 3600 + minute * 60 +
                          second - offset_minutes * 60;
  *out = seconds * kMicrosPerSecond + fraction_micros;
  return true;
}

Type ClassifyValue(std::string_view text) {
  uint8_t b = 0;
  int64_t i = 0;
  double d = 0;
  if (ParseBool(text, &b)) return Type::kBool;
  if (ParseInt64(text, &i)) return Type::kInt64;
  if (ParseFloat64(text, &d)) return Type::kFloat64;
  if (ParseTimestampMicros(text, &i)) return Type::kTimestamp;
  return Type::kString;
}

Type JoinTypes(Type a, Type b) {
  if (a == b) return a;
  if ((a == Type::kInt64 && b == Type::kFloat64) || (a == Type::kFloat64 && b == Type::kInt64)) {
    return Type::kFloat64;
  }
  return Type::kString;
}

NullMatcher::NullMatcher(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  for (const std::string& token : tokens_) {
    if (token.size() < 64) length_mask_ |= uint64_t{1} << token.size();
    if (!token.empty()) {
      const auto first = static_cast<unsigned char>(token.front());
      first_bytes_[first / 64] |= uint64_t{1} << (first % 64);
    }
  }
}

bool NullMatcher::MayMatchNumbers() const {
  for (const std::string& token : tokens_) {
    if (token.empty()) continue;
    const char first = token.front();
    if ((first >= '0' && first <= '9') || first == '+' || first == '-' || first == '.') return true;
  }
  return false;
}

bool NullMatcher::Slow(std::string_view text) const {
  for (const std::string& token : tokens_) {
    if (text == token) return true;
  }
  return false;
}

std::string Abbreviate(std::string_view text) {
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return std::string(text);
  size_t cut = kMax;
  // Not inside a UTF-8 sequence: continuation bytes are 10xxxxxx.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

}  // namespace internal
}  // namespace sluice::table
