// Bytes as text and as fixed-width integers: hex back to raw bytes (the other way is ToHex in
// base/sha256.h), and the little-endian 64-bit integers of Sluice's binary formats (dataset
// packs, the stat cache).
//
//   char raw[32];
//   if (!HexToBytes(digest_hex, raw)) return DataLoss(...);
//   PutLittleEndian64(header + 32, size);
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

// 0-15 for a hex digit (0-9, a-f, A-F), -1 for any other character.
int HexDigitValue(char c);

// Writes the hex.size() / 2 bytes `hex` spells (digits 0-9, a-f, A-F) to `out`. False for an odd
// length or any other character; `out` then holds unspecified bytes.
[[nodiscard]] bool HexToBytes(std::string_view hex, char* out);

// HexToBytes into a string; "" when `hex` is not hex.
std::string HexToRaw(std::string_view hex);

// `value` as 8 bytes, least significant first.
void PutLittleEndian64(char* out, uint64_t value);
void AppendLittleEndian64(std::string& out, uint64_t value);
// The 8 bytes at `in`, least significant first.
uint64_t GetLittleEndian64(const char* in);

}  // namespace sluice
