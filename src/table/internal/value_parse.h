// Text -> value parsing shared by the CSV readers: one parser per type, the null-token test, and
// the inference lattice that picks a column's type from its values.
//
// Thread safety: free functions and immutable objects; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "table/column.h"

namespace sluice::table::internal {

// Each returns false when `text` (after trimming surrounding spaces) is not a value of its type.
bool ParseBool(std::string_view text, uint8_t* out);    // true/false in any case
bool ParseInt64(std::string_view text, int64_t* out);   // [+-]digits, fitting 64 bits
bool ParseFloat64(std::string_view text, double* out);  // strtod's decimal syntax, inf, nan
bool ParseTimestampMicros(std::string_view text, int64_t* out);  // see table::ParseTimestamp

// The common cases of ParseInt64 and ParseFloat64, inline for the typed CSV pass: the same result
// when true; false means "ask the general parser" (spaces, exponents, long numbers, inf...).
// Always inlined: GCC's -O2 otherwise calls them from the sinks' per-field code, and the call
// costs as much as the parse.
[[gnu::always_inline]] inline bool ParseSimpleInt64(std::string_view text, int64_t* out);
[[gnu::always_inline]] inline bool ParseSimpleDecimal(std::string_view text, double* out);

// A quick syntax check for type inference: [+-]?(digits[.digits]|.digits)([eE][+-]?digits)?
// exactly, which ParseFloat64 always accepts. False says nothing: ParseFloat64 may still accept
// (" 1", "inf").
bool LooksDecimal(std::string_view text);

// The narrowest type of one non-null value, in the order bool, int64, float64, timestamp, string.
Type ClassifyValue(std::string_view text);
// The narrowest type holding values of types a and b: equal types stay, int64 + float64 is
// float64, any other mix is string.
Type JoinTypes(Type a, Type b);

// Whether a field is one of the null tokens. Rejects most fields by their length and first byte
// alone (no default token starts with a digit, so numbers never reach the comparisons).
class NullMatcher {
 public:
  explicit NullMatcher(std::vector<std::string> tokens);
  bool operator()(std::string_view text) const {
    if (text.size() < 64 && ((length_mask_ >> text.size()) & 1) == 0) return false;
    if (!text.empty()) {
      const auto first = static_cast<unsigned char>(text.front());
      if (((first_bytes_[first / 64] >> (first % 64)) & 1) == 0) return false;
    }
    return Slow(text);
  }
  // Whether some token starts like a number (a digit, sign or point), so that a field taken for
  // one may be a null.
  bool MayMatchNumbers() const;

 private:
  bool Slow(std::string_view text) const;
  std::vector<std::string> tokens_;
  uint64_t length_mask_ = 0;      // bit n set: some token is n bytes long (n < 64)
  uint64_t first_bytes_[4] = {};  // bit b set: some token starts with byte b
};

// `text` cut to at most 40 characters ("..." appended when cut), for error messages.
std::string Abbreviate(std::string_view text);

// Implementation.

// [+-]?digits with 1 to 18 digits, which cannot overflow.
inline bool ParseSimpleInt64(std::string_view text, int64_t* out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  if (p == end) return false;
  const bool negative = *p == '-';
  if (*p == '-' || *p == '+') ++p;
  if (p == end || end - p > 18) return false;
  int64_t value = 0;
  for (; p != end; ++p) {
    const auto digit = static_cast<unsigned>(*p - '0');
    if (digit > 9) return false;
    value = value * 10 + digit;
  }
  *out = negative ? -value : value;
  return true;
}

// [+-]?digits[.digits] (or .digits) with at most 15 digits and nothing around it: the digits as
// an integer m < 10^15 < 2^53 and 10^k (k <= 15) are exact doubles, so m / 10^k is the correctly
// rounded value (Clinger's fast path), as from_chars and strtod give.
inline bool ParseSimpleDecimal(std::string_view text, double* out) {
  static constexpr double kExactPowersOfTen[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const char* p = text.data();
  const char* const end = p + text.size();
  if (p == end) return false;
  const bool negative = *p == '-';
  if (*p == '-' || *p == '+') ++p;
  uint64_t mantissa = 0;
  const char* const integer_begin = p;
  for (; p != end && static_cast<unsigned>(*p - '0') <= 9; ++p) {
    mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
  }
  ptrdiff_t digits = p - integer_begin;
  ptrdiff_t fraction_digits = 0;
  if (p != end && *p == '.') {
    ++p;
    const char* const fraction_begin = p;
    for (; p != end && static_cast<unsigned>(*p - '0') <= 9; ++p) {
      mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
    }
    fraction_digits = p - fraction_begin;
    digits += fraction_digits;
  }
  // Leading zeros count as digits here, which only sends more cases to the general parser.
  if (p != end || digits == 0 || digits > 15) return false;
  const double value = static_cast<double>(mantissa) / kExactPowersOfTen[fraction_digits];
  *out = negative ? -value : value;
  return true;
}

}  // namespace sluice::table::internal
