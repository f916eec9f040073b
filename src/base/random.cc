#include "base/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"

namespace sluice {

void RandomBytes(std::span<uint8_t> out) {
  // RAND_bytes takes an int length, so large requests go in chunks.
  while (!out.empty()) {
    size_t chunk = std::min<size_t>(out.size(), INT_MAX);
    SLUICE_CHECK(RAND_bytes(out.data(), static_cast<int>(chunk)) == 1);
    out = out.subspan(chunk);
  }
}

std::string RandomHex(size_t chars) {
  std::vector<uint8_t> bytes((chars + 1) / 2);
  RandomBytes(bytes);
  std::string hex = ToHex(bytes.data(), bytes.size());
  hex.resize(chars);
  return hex;
}

}  // namespace sluice
