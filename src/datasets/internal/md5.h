// MD5 through OpenSSL, only to check DVC's digests on import (DVC addresses content by md5).
//
// Thread safety: a Md5 is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace sluice::datasets::internal {

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void Update(std::string_view bytes);
  // 32 lowercase hex characters; the hasher starts over afterwards.
  std::string FinishHex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::datasets::internal
