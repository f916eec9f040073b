// The fused fast path of the typed CSV parse, for unquoted number fields: 64 bytes of text are
// classified at once (SSE2: where fields end, which bytes are digits or points), and each field
// is then cut from those masks and converted from its bytes in a few word operations. Scanning
// field by field instead chains every field's start to the end found for the one before (a load,
// a compare and a bit scan in a row), and parsing digit by digit mispredicts a branch at every
// change of length. On the 2-vCPU build machine, one thread parsing bench/validate_bench's
// numbers took about 8 ns a field this way and 10 ns field by field.
//
// Only the common shape is taken, [+-]?(digits[.digits]|.digits) with 1 to 15 digits, and the
// values are those ParseSimpleDecimal and ParseSimpleInt64 give; anything else is left to the
// tokenizer and the general parsers.
//
//   NumberWindow window;
//   window.Load(text, ',');                   // kNumberWindowReach bytes readable at text
//   const uint32_t end = window.NextEnd();    // where the first field ends
//   NumberField field;
//   if (window.Parse(0, end, &field)) value = field.Double();
//
// Thread safety: plain values; a window is used by one thread.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::table::internal {

// Bytes NumberWindow reads from its start: the window, and 8-byte loads of digits ending in it.
inline constexpr size_t kNumberWindowReach = 72;

// Whether fields of numbers can be told apart with this delimiter: not a digit, sign or point
// (nor a line break, which CsvOptions rules out anyway).
constexpr bool NumberFieldDelimiter(char delimiter) {
  return !(delimiter >= '0' && delimiter <= '9') && delimiter != '+' && delimiter != '-' &&
         delimiter != '.' && delimiter != '\n' && delimiter != '\r';
}

struct NumberField {
  uint64_t digits = 0;  // every digit, the point left out: below 10^15
  uint32_t fraction_digits = 0;
  bool negative = false;
  bool point = false;
  bool line_end = false;  // ended by '\n' (after an optional '\r') rather than by the delimiter

  // As ParseSimpleDecimal: the digits and 10^fraction_digits are exact doubles, so the quotient
  // is correctly rounded.
  double Double() const;
  // Only for a field without a point.
  int64_t Int64() const {
    return negative ? -static_cast<int64_t>(digits) : static_cast<int64_t>(digits);
  }
};

class NumberWindow {
 public:
  // Classifies the 64 bytes at `base`, which must have kNumberWindowReach readable bytes;
  // `delimiter` must pass NumberFieldDelimiter. Without SSE2 (not x86-64) it finds no end, so
  // callers take their general path.
  void Load(const char* base, char delimiter);

  const char* base() const { return base_; }
  // Whether a delimiter or '\n' is left in the window.
  bool HasEnd() const { return ends_ != 0; }
  // The offset of the next delimiter or '\n' not yet returned; HasEnd() must be true.
  uint32_t NextEnd() {
    const auto end = static_cast<uint32_t>(std::countr_zero(ends_));
    ends_ &= ends_ - 1;
    return end;
  }

  // Whether bytes [start, end) of the window, `end` being a delimiter or '\n' (less a '\r' before
  // a '\n'), are a number of the shape above; if so, fills `out`. False says only "not this
  // shape": the field may still be a number (" 1", "1e5", 16 digits), a null, or anything else.
  [[gnu::always_inline]] bool Parse(uint32_t start, uint32_t end, NumberField* out) const;

 private:
  // Few masks, as the parse loop keeps them in registers: what a field needs besides (its first
  // byte, the byte ending it) is read from the text.
  const char* base_ = nullptr;
  uint64_t ends_ = 0;        // bit i: byte i is the delimiter or '\n'
  uint64_t non_digits_ = 0;  // bytes other than '0'-'9'
  uint64_t points_ = 0;
};

// Implementation.

namespace number_field_detail {

inline constexpr double kExactPowersOfTen[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                               1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
inline constexpr uint64_t kPowersOfTen[] = {1,
                                            10,
                                            100,
                                            1000,
                                            10000,
                                            100000,
                                            1000000,
                                            10000000,
                                            100000000,
                                            1000000000,
                                            10000000000,
                                            100000000000,
                                            1000000000000,
                                            10000000000000,
                                            100000000000000,
                                            1000000000000000};

// Eight ASCII digits in a little-endian word, the first (most significant) in the lowest byte,
// as a number; zero bytes count as leading zeros. Three multiplications, each combining
// neighbouring pairs (W. Muła's SWAR method, as in simdjson and fast_float).
inline uint64_t EightDigits(uint64_t word) {
  word = ((word & 0x0F0F0F0F0F0F0F0F) * 2561) >> 8;
  word = ((word & 0x00FF00FF00FF00FF) * 6553601) >> 16;
  return ((word & 0x0000FFFF0000FFFF) * 42949672960001) >> 32;
}

// The k <= 15 digits at `digits` as a number, with 8 bytes readable there and at digits + k - 8.
// The bytes past them are shifted out of the word, leaving zeros (leading zeros) in their place.
inline uint64_t Digits(const char* digits, uint32_t k) {
  uint64_t first;
  std::memcpy(&first, digits, 8);
  if (k <= 8) return k == 0 ? 0 : EightDigits(first << (64 - 8 * k));
  uint64_t last;
  std::memcpy(&last, digits + k - 8, 8);
  return EightDigits(first << (8 * (16 - k))) * 100000000 + EightDigits(last);
}

#if defined(__SSE2__)
inline uint64_t Bits(__m128i matches) { return static_cast<uint32_t>(_mm_movemask_epi8(matches)); }
#endif

}  // namespace number_field_detail

inline double NumberField::Double() const {
  // Signed, as the digits are below 2^63: the unsigned conversion costs a branch.
  const double value = static_cast<double>(static_cast<int64_t>(digits)) /
                       number_field_detail::kExactPowersOfTen[fraction_digits];
  return negative ? -value : value;
}

inline void NumberWindow::Load(const char* base, char delimiter) {
  base_ = base;
#if defined(__SSE2__)
  using number_field_detail::Bits;
  const __m128i delimiters = _mm_set1_epi8(delimiter);
  const __m128i newlines = _mm_set1_epi8('\n');
  const __m128i points = _mm_set1_epi8('.');
  // Digits are the bytes b with b - '0' in [0, 9]: moved by 0x80 - '0', they are the ten
  // smallest signed bytes.
  const __m128i to_signed = _mm_set1_epi8(static_cast<char>(0x80 - '0'));
  const __m128i past_nine = _mm_set1_epi8(static_cast<char>(0x80 + 10));
  uint64_t ends = 0, digits = 0, found_points = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + 16 * i));
    ends |= Bits(_mm_or_si128(_mm_cmpeq_epi8(block, delimiters), _mm_cmpeq_epi8(block, newlines)))
            << (16 * i);
    digits |= Bits(_mm_cmplt_epi8(_mm_add_epi8(block, to_signed), past_nine)) << (16 * i);
    found_points |= Bits(_mm_cmpeq_epi8(block, points)) << (16 * i);
  }
  ends_ = ends;
  non_digits_ = ~digits;
  points_ = found_points;
#else
  (void)delimiter;
  ends_ = 0;  // no fast path: nothing is ever found
#endif
}

inline bool NumberWindow::Parse(uint32_t start, uint32_t end, NumberField* out) const {
  using number_field_detail::Digits;
  using number_field_detail::EightDigits;
  const bool line_end = base_[end] == '\n';
  if (line_end && end > start && base_[end - 1] == '\r') --end;
  const uint32_t length = end - start;
  if (length - 1 >= 16) return false;  // empty (a null, or an error), or too long
  const char first_byte = base_[start];
  const uint32_t sign_length = first_byte == '-' || first_byte == '+' ? 1 : 0;
  const uint64_t field = ((uint64_t{1} << length) - 1) << start;
  const uint64_t point = points_ & field;
  // Every byte a digit but the sign and at most one point.
  if ((non_digits_ & field) != (point | (uint64_t{sign_length} << start)) ||
      (point & (point - 1)) != 0) {
    return false;
  }
  const uint32_t digits = length - sign_length - (point != 0 ? 1 : 0);
  if (digits - 1 >= 15) return false;  // "-", ".", "-."; 16 digits
  const char* const first = base_ + start + sign_length;
  uint32_t fraction_digits = 0;
  uint64_t value;
  if (length - sign_length <= 8) {
    // One word: the point is squeezed out by moving the bytes after it down one.
    uint64_t word;
    std::memcpy(&word, first, 8);
    if (point != 0) {
      const auto at = static_cast<uint32_t>(std::countr_zero(point)) - start - sign_length;
      const uint64_t before = (uint64_t{1} << (8 * at)) - 1;
      word = (word & before) | ((word >> 8) & ~before);
      fraction_digits = digits - at;
    }
    value = EightDigits(word << (64 - 8 * digits));
  } else {
    const uint32_t integer_digits =
        point != 0 ? static_cast<uint32_t>(std::countr_zero(point)) - start - sign_length : digits;
    fraction_digits = digits - integer_digits;
    value = Digits(first, integer_digits) * number_field_detail::kPowersOfTen[fraction_digits] +
            Digits(first + integer_digits + 1, fraction_digits);
  }
  out->digits = value;
  out->fraction_digits = fraction_digits;
  out->negative = first_byte == '-';
  out->point = point != 0;
  out->line_end = line_end;
  return true;
}

}  // namespace sluice::table::internal
