#include "datasets/internal/md5.h"

#include <openssl/evp.h>

#include "base/sha256.h"
#include "base/status.h"

namespace sluice::datasets::internal {

struct Md5::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Impl() { Reset(); }
  ~Impl() { EVP_MD_CTX_free(ctx); }
  void Reset() { SLUICE_CHECK(EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1); }
};

Md5::Md5() : impl_(std::make_unique<Impl>()) {}
Md5::~Md5() = default;

void Md5::Update(std::string_view bytes) {
  SLUICE_CHECK(EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size()) == 1);
}

std::string Md5::FinishHex() {
  unsigned char digest[16];
  unsigned int size = 0;
  SLUICE_CHECK(EVP_DigestFinal_ex(impl_->ctx, digest, &size) == 1 && size == 16);
  impl_->Reset();
  return ToHex(digest, 16);
}

}  // namespace sluice::datasets::internal
