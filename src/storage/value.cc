#include "storage/value.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace sluice::storage {

namespace {

// Text that holds a number converts leniently, like SQLite's own CAST; anything else is 0.
template <typename T>
T ParseNumber(const std::string& text) {
  T parsed{};
  const char* begin = text.data();
  const char* end = begin + text.size();
  while (begin != end && *begin == ' ') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, parsed);
  return ec == std::errc() ? parsed : T{};
}

}  // namespace

int64_t Value::AsInt() const {
  if (const auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (const auto* d = std::get_if<double>(&v_)) {
    // Casting NaN or an out-of-range double to an integer is undefined behavior; clamp instead.
    if (std::isnan(*d)) return 0;
    if (*d >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
    if (*d <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(*d);
  }
  if (const auto* s = std::get_if<std::string>(&v_)) return ParseNumber<int64_t>(*s);
  return 0;
}

double Value::AsDouble() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v_)) return ParseNumber<double>(*s);
  return 0.0;
}

const std::string& Value::AsText() const {
  // The accessor returns a reference, so a number has no text to lend; callers that store
  // numbers in text columns get them back as text, because SQLite's TEXT affinity converts.
  static const std::string kEmpty;
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  if (const auto* b = std::get_if<Blob>(&v_)) return b->bytes;
  return kEmpty;
}

}  // namespace sluice::storage
