#include "base/hex.h"

namespace sluice {

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool HexToBytes(std::string_view hex, char* out) {
  if (hex.size() % 2 != 0) return false;
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    const int high = HexDigitValue(hex[2 * i]);
    const int low = HexDigitValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<char>(high << 4 | low);
  }
  return true;
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
