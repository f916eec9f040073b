// Text -> value parsing shared by the CSV readers: one parser per type, the null-token test, and
// the inference lattice that picks a column's type from its values.
//
// Thread safety: free functions and immutable objects; call from any thread.
#pragma once

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

// A quick syntax check for type inference: [+-]?(digits[.digits]|.digits)([eE][+-]?digits)?
// exactly, which ParseFloat64 always accepts. False says nothing: ParseFloat64 may still accept
// (" 1", "inf").
bool LooksDecimal(std::string_view text);

// The narrowest type of one non-null value, in the order bool, int64, float64, timestamp, string.
Type ClassifyValue(std::string_view text);
// The narrowest type holding values of types a and b: equal types stay, int64 + float64 is
// float64, any other mix is string.
Type JoinTypes(Type a, Type b);

// Whether a field is one of the null tokens. Rejects most fields by their length alone.
class NullMatcher {
 public:
  explicit NullMatcher(std::vector<std::string> tokens);
  bool operator()(std::string_view text) const {
    if (text.size() < 64 && ((length_mask_ >> text.size()) & 1) == 0) return false;
    return Slow(text);
  }

 private:
  bool Slow(std::string_view text) const;
  std::vector<std::string> tokens_;
  uint64_t length_mask_ = 0;  // bit n set: some token is n bytes long (n < 64)
};

// `text` cut to at most 40 characters ("..." appended when cut), for error messages.
std::string Abbreviate(std::string_view text);

}  // namespace sluice::table::internal
