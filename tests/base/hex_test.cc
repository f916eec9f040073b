#include "base/hex.h"

#include <gtest/gtest.h>

#include "base/sha256.h"

namespace sluice {
namespace {

TEST(HexTest, DecodesBothCases) {
  char out[4] = {};
  ASSERT_TRUE(HexToBytes("00ff7A9b", out));
  EXPECT_EQ(std::string(out, 4), std::string("\x00\xff\x7a\x9b", 4));
  EXPECT_EQ(HexToRaw(""), "");
  EXPECT_EQ(HexToRaw("41425a"), "ABZ");
}

TEST(HexTest, DigitValues) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  for (char c : {'g', 'G', '/', ':', '@', '`', ' ', '\0'}) EXPECT_EQ(HexDigitValue(c), -1) << c;
}

TEST(HexTest, RoundTripsWithToHex) {
  const std::string digest = Sha256::HexOf("abc");
  const std::string raw = HexToRaw(digest);
  ASSERT_EQ(raw.size(), 32u);
  EXPECT_EQ(ToHex(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()), digest);
}

TEST(HexTest, RefusesWhatIsNotHex) {
  char out[4] = {};
  EXPECT_FALSE(HexToBytes("abc", out));  // odd length
  EXPECT_FALSE(HexToBytes("0g", out));   // not a digit
  EXPECT_FALSE(HexToBytes("a ", out));
  EXPECT_FALSE(HexToBytes(std::string_view("a\0", 2), out));
  EXPECT_EQ(HexToRaw("zz"), "");
  EXPECT_EQ(HexToRaw("123"), "");
  // Every character that is not a hex digit, high or low, first or last in a digest.
  std::string digest = Sha256::HexOf("abc");
  char raw[32];
  for (int c = 0; c < 256; ++c) {
    if (HexDigitValue(static_cast<char>(c)) >= 0) continue;
    for (size_t at : {size_t{0}, size_t{1}, digest.size() - 1}) {
      std::string bad = digest;
      bad[at] = static_cast<char>(c);
      EXPECT_FALSE(HexToBytes(bad, raw)) << c << " at " << at;
    }
  }
  EXPECT_EQ(HexDigitValue('\x80'), -1);
  EXPECT_EQ(HexDigitValue('\xff'), -1);
}

TEST(HexTest, LittleEndian64) {
  char bytes[8];
  PutLittleEndian64(bytes, 0x0102030405060708ULL);
  EXPECT_EQ(std::string(bytes, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  EXPECT_EQ(GetLittleEndian64(bytes), 0x0102030405060708ULL);
  std::string appended = "x";
  AppendLittleEndian64(appended, UINT64_MAX);
  EXPECT_EQ(appended, "x" + std::string(8, '\xff'));
  EXPECT_EQ(GetLittleEndian64(appended.data() + 1), UINT64_MAX);
  AppendLittleEndian64(appended, 0);
  EXPECT_EQ(GetLittleEndian64(appended.data() + 9), 0u);
}

}  // namespace
}  // namespace sluice
