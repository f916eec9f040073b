#include "datasets/chunker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "testing/status_matchers.h"

namespace sluice::datasets {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937_64 random(seed);
  std::vector<uint8_t> out(n);
  for (uint8_t& b : out) b = static_cast<uint8_t>(random());
  return out;
}

// The boundaries of `data` as (offset, size) pairs.
std::vector<std::pair<size_t, size_t>> Cut(const Chunker& chunker,
                                           const std::vector<uint8_t>& data) {
  std::vector<std::pair<size_t, size_t>> cuts;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t n = chunker.NextChunkSize(std::span(data).subspan(pos), /*at_end=*/true);
    cuts.emplace_back(pos, n);
    pos += n;
  }
  return cuts;
}

std::set<std::string> ChunkDigests(const std::vector<uint8_t>& data,
                                   const std::vector<std::pair<size_t, size_t>>& cuts) {
  std::set<std::string> out;
  for (auto [offset, size] : cuts) {
    out.insert(
        Sha256::HexOf(std::string_view(reinterpret_cast<const char*>(data.data()) + offset, size)));
  }
  return out;
}

TEST(ChunkerTest, GearTableIsPinned) {
  // These values define every chunk boundary ever stored: they must never change. (Checked
  // against an independent SplitMix64 in Python.)
  const auto& gear = GearTable();
  EXPECT_EQ(gear[0], 0x8ce69cd714eac38fULL);
  EXPECT_EQ(gear[1], 0x067723eeb38e01f4ULL);
  EXPECT_EQ(gear[255], 0xbc6a0233d7362898ULL);
  std::set<uint64_t> distinct(gear.begin(), gear.end());
  EXPECT_EQ(distinct.size(), 256u);
}

TEST(ChunkerTest, SpreadMaskHasTheRequestedBitsInTheTopRange) {
  for (int bits : {1, 10, 18, 22, 48}) {
    const uint64_t mask = SpreadMask(bits);
    EXPECT_EQ(__builtin_popcountll(mask), bits) << bits;
    EXPECT_EQ(mask & 0xffff, 0u) << bits;
    EXPECT_NE(mask & (uint64_t{1} << 63), 0u) << bits;
  }
}

TEST(ChunkerTest, ChunksRespectTheBoundsAndAverageNearTheTarget) {
  ChunkingParams p{
      .min_bytes = 2048, .avg_bytes = 8192, .max_bytes = 32768, .threshold_bytes = 32768};
  Chunker chunker(p);
  const std::vector<uint8_t> data = RandomBytes(8 << 20, 1);
  auto cuts = Cut(chunker, data);
  size_t total = 0;
  for (size_t i = 0; i < cuts.size(); ++i) {
    total += cuts[i].second;
    EXPECT_LE(cuts[i].second, p.max_bytes);
    if (i + 1 < cuts.size()) {
      EXPECT_GT(cuts[i].second, p.min_bytes);
    }
  }
  EXPECT_EQ(total, data.size());
  const double mean = static_cast<double>(total) / cuts.size();
  EXPECT_GT(mean, 0.6 * p.avg_bytes);
  EXPECT_LT(mean, 1.6 * p.avg_bytes);
}

TEST(ChunkerTest, AnInsertionInTheMiddleChangesOnlyNearbyChunks) {
  ChunkingParams p{
      .min_bytes = 1024, .avg_bytes = 4096, .max_bytes = 16384, .threshold_bytes = 16384};
  Chunker chunker(p);
  std::vector<uint8_t> before = RandomBytes(1 << 20, 2);
  std::vector<uint8_t> after = before;
  const std::vector<uint8_t> inserted = RandomBytes(777, 3);
  after.insert(after.begin() + 500'000, inserted.begin(), inserted.end());
  auto a = ChunkDigests(before, Cut(chunker, before));
  auto b = ChunkDigests(after, Cut(chunker, after));
  size_t fresh = 0;
  for (const std::string& d : b) fresh += a.count(d) == 0;
  EXPECT_LE(fresh, 3u) << "of " << b.size() << " chunks";
}

TEST(ChunkerTest, BoundariesArePinned) {
  // Where the defaults cut 12 MiB of mt19937_64 bytes (seed 5), as an independent Python
  // implementation of docs/formats/dataset-manifest.md cuts them too. A change here changes
  // every stored chunk digest, so it needs a new algorithm name.
  const std::vector<size_t> kPinnedSizes = {1430540, 379593,  1215723, 1238827, 2539337, 1160366,
                                            1283832, 1188184, 1640387, 339216,  166907};
  Chunker chunker{ChunkingParams{}};
  const std::vector<uint8_t> data = RandomBytes(12 << 20, 5);
  std::vector<size_t> sizes;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t n = chunker.NextChunkSize(std::span(data).subspan(pos), true);
    sizes.push_back(n);
    pos += n;
  }
  EXPECT_EQ(sizes, kPinnedSizes);
}

TEST(ChunkerTest, ShortInputIsOneChunk) {
  Chunker chunker(ChunkingParams{});
  std::vector<uint8_t> data = RandomBytes(1000, 4);
  EXPECT_EQ(chunker.NextChunkSize(data, true), 1000u);
  EXPECT_EQ(chunker.NextChunkSize({}, true), 0u);
}

TEST(ChunkerTest, ValidateNamesTheBadField) {
  EXPECT_THAT((ChunkingParams{.min_bytes = 10}).Validate(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("min_bytes 10 is below 64")));
  EXPECT_THAT((ChunkingParams{.avg_bytes = 3000}).Validate(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("power of two")));
  EXPECT_THAT((ChunkingParams{.min_bytes = 1 << 20, .avg_bytes = 1 << 20}).Validate(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("min_bytes < avg_bytes")));
  EXPECT_THAT((ChunkingParams{.threshold_bytes = 1}).Validate(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("threshold_bytes 1")));
  EXPECT_TRUE(ChunkingParams{}.Validate().ok());
}

}  // namespace
}  // namespace sluice::datasets
