#include "base/json_text.h"

#include <cstdint>

namespace sluice {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The UTF-8 sequence starting at text[i] (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF): its length when well formed; else, negated, the bytes one U+FFFD replaces (the
// maximal valid prefix, at least 1, as Unicode recommends and nlohmann::json's `replace` does).
int Utf8Sequence(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  int length = 0;
  uint8_t low = 0x80;
  uint8_t high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return -1;
  }
  for (int k = 1; k < length; ++k) {
    const size_t at = i + static_cast<size_t>(k);
    if (at >= text.size()) return -k;
    const uint8_t b = byte(at);
    if (k == 1 ? (b < low || b > high) : (b & 0xC0) != 0x80) return -k;
  }
  return length;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  size_t i = 0;
  while (i < text.size()) {
    // Runs that need no escaping are copied whole.
    size_t plain = i;
    while (plain < text.size()) {
      const auto c = static_cast<uint8_t>(text[plain]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++plain;
    }
    out.append(text.data() + i, plain - i);
    i = plain;
    if (i == text.size()) break;
    const auto c = static_cast<uint8_t>(text[i]);
    if (c >= 0x80) {
      const int length = Utf8Sequence(text, i);
      if (length < 0) {
        out += kReplacement;
        i += static_cast<size_t>(-length);
      } else {
        out.append(text.data() + i, static_cast<size_t>(length));
        i += static_cast<size_t>(length);
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    ++i;
  }
  out += '"';
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendJsonString(out, text);
  return out;
}

}  // namespace sluice
