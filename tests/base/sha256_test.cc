#include "base/sha256.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256::HexOf(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::HexOf("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, StreamingEqualsOneShot) {
  std::string data(1'000'003, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 % 251);
  Sha256 hasher;
  for (size_t i = 0; i < data.size(); i += 4096) hasher.Update(std::string_view(data).substr(i, 4096));
  EXPECT_EQ(hasher.FinishHex(), Sha256::HexOf(data));
  // After Finish the hasher starts over.
  hasher.Update("abc");
  EXPECT_EQ(hasher.FinishHex(), Sha256::HexOf("abc"));
}

TEST(Sha256Test, File) {
  testing::TempDir dir;
  testing::WriteFile(dir / "f", "abc");
  ASSERT_OK_AND_ASSIGN(std::string hex, Sha256::HexOfFile(dir / "f"));
  EXPECT_EQ(hex, Sha256::HexOf("abc"));
  EXPECT_THAT(Sha256::HexOfFile(dir / "missing"), testing::StatusIs(StatusCode::kNotFound));
}

TEST(Sha256Test, IsSha256Hex) {
  EXPECT_TRUE(IsSha256Hex(Sha256::HexOf("a")));
  EXPECT_FALSE(IsSha256Hex("abc"));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a') + "/"));
}

}  // namespace
}  // namespace sluice
