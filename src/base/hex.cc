#include "base/hex.h"

#include <array>
#include <cstdint>

namespace sluice {

namespace {

// -1 for a character that is not a hex digit. A table, not branches: digests are converted by
// the hundred thousand when a folder is versioned.
constexpr std::array<int8_t, 256> kHexDigitValues = [] {
  std::array<int8_t, 256> values{};
  values.fill(-1);
  for (int c = '0'; c <= '9'; ++c) values[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) values[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) values[c] = static_cast<int8_t>(c - 'A' + 10);
  return values;
}();

}  // namespace

int HexDigitValue(char c) { return kHexDigitValues[static_cast<unsigned char>(c)]; }

bool HexToBytes(std::string_view hex, char* out) {
  if (hex.size() % 2 != 0) return false;
  int invalid = 0;  // negative once any digit was not hex
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    const int high = kHexDigitValues[static_cast<unsigned char>(hex[2 * i])];
    const int low = kHexDigitValues[static_cast<unsigned char>(hex[2 * i + 1])];
    invalid |= high | low;
    out[i] = static_cast<char>(high << 4 | low);
  }
  return invalid >= 0;
}

std::string HexToRaw(std::string_view hex) {
  std::string raw(hex.size() / 2, '\0');
  if (!HexToBytes(hex, raw.data())) return {};
  return raw;
}

void PutLittleEndian64(char* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

void AppendLittleEndian64(std::string& out, uint64_t value) {
  char bytes[8];
  PutLittleEndian64(bytes, value);
  out.append(bytes, sizeof(bytes));
}

uint64_t GetLittleEndian64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return value;
}

}  // namespace sluice
