// Sha256Pair hashes two messages in one instruction stream: each digest must be the SHA-256 of
// its own message whatever the other's length (the shorter one finishes alone, its padding in
// one or two blocks).
#include "datasets/internal/sha_ni.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <random>
#include <string>
#include <vector>

namespace sluice::datasets::internal {
namespace {

Sha256Digest OpenSslDigest(const std::string& bytes) {
  Sha256Digest d;
  ::SHA256(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), d.data());
  return d;
}

TEST(Sha256PairTest, EachDigestIsItsOwnMessagesForEveryPairOfLengths) {
  // Lengths around the block size and the padding boundary (55/56 bytes leave room for the
  // length or not), and a few pages.
  const std::vector<size_t> sizes = {0,   1,   3,   55,  56,   63,   64,   65,   119,
                                     120, 127, 128, 129, 1000, 4095, 4096, 4097, 10000};
  std::mt19937 random(7);
  std::vector<std::string> messages;
  for (size_t n : sizes) {
    std::string m(n, '\0');
    for (char& c : m) c = static_cast<char>(random());
    messages.push_back(std::move(m));
  }
  for (const std::string& a : messages) {
    for (const std::string& b : messages) {
      Sha256Digest a_digest, b_digest;
      Sha256Pair(reinterpret_cast<const uint8_t*>(a.data()), a.size(),
                 reinterpret_cast<const uint8_t*>(b.data()), b.size(), a_digest, b_digest);
      ASSERT_EQ(a_digest, OpenSslDigest(a)) << a.size() << " beside " << b.size();
      ASSERT_EQ(b_digest, OpenSslDigest(b)) << b.size() << " beside " << a.size();
    }
  }
}

TEST(Sha256PairTest, HashesTheSameBufferTwice) {
  const std::string m(300, 'x');
  const auto* p = reinterpret_cast<const uint8_t*>(m.data());
  Sha256Digest first, second;
  Sha256Pair(p, m.size(), p, m.size(), first, second);
  EXPECT_EQ(first, OpenSslDigest(m));
  EXPECT_EQ(second, OpenSslDigest(m));
}

}  // namespace
}  // namespace sluice::datasets::internal
