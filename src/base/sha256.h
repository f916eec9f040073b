// SHA-256 through OpenSSL (which uses the CPU's SHA instructions), streaming or one-shot.
//
//   Sha256 hasher;
//   hasher.Update(chunk1); hasher.Update(chunk2);
//   std::string hex = hasher.FinishHex();   // 64 lowercase hex characters
//
// Thread safety: a Sha256 is used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(std::string_view bytes);
  // Finishes the hash; the hasher starts over afterwards.
  Digest Finish();
  std::string FinishHex();

  static std::string HexOf(std::string_view bytes);
  static Result<std::string> HexOfFile(const std::filesystem::path& file);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string ToHex(const uint8_t* bytes, size_t size);
// True for 64 lowercase hex characters.
bool IsSha256Hex(std::string_view text);

}  // namespace sluice
