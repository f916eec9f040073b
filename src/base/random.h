// Cryptographically strong random bytes from OpenSSL, for ids and tokens that must not be guessed
// (run ids, upload ids, temp file suffixes).
//
//   std::string run_id = RandomHex(32);   // 32 lowercase hex characters = 128 bits
//
// Thread safety: safe from any thread (OpenSSL's generator is thread-safe since 1.1.0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace sluice {

// Fills `out`; aborts if OpenSSL cannot produce randomness (never happens on a working system,
// and handing out predictable ids would be worse than stopping).
void RandomBytes(std::span<uint8_t> out);

// `chars` lowercase hex characters (an odd count is fine: 4 bits per character).
std::string RandomHex(size_t chars);

}  // namespace sluice
