// Chunker::CutAndHash against its definition: the chunks repeated NextChunkSize calls cut, each
// hashed by OpenSSL. The one-pass path (our SHA-NI block function interleaved with the gear) must
// agree byte for byte with the portable path, for every alignment, tail length and parameter set.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "datasets/chunker.h"

namespace sluice::datasets {
namespace {

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937_64 random(seed);
  std::vector<uint8_t> out(n);
  for (uint8_t& b : out) b = static_cast<uint8_t>(random());
  return out;
}

struct Expected {
  std::vector<HashedChunk> chunks;
  size_t consumed = 0;
};

// The definition: NextChunkSize for the cuts, OpenSSL (through Sha256) for the digests.
Expected Reference(const Chunker& chunker, std::span<const uint8_t> data, bool at_end) {
  Expected out;
  size_t pos = 0;
  while (pos < data.size() && (at_end || data.size() - pos >= chunker.params().max_bytes)) {
    const size_t n = chunker.NextChunkSize(data.subspan(pos), at_end);
    Sha256 hasher;
    hasher.Update(std::string_view(reinterpret_cast<const char*>(data.data()) + pos, n));
    out.chunks.push_back({n, hasher.Finish()});
    pos += n;
  }
  out.consumed = pos;
  return out;
}

void ExpectSameChunks(const std::vector<HashedChunk>& got, const std::vector<HashedChunk>& want,
                      const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].size_bytes, want[i].size_bytes) << where << " chunk " << i;
    EXPECT_EQ(ToHex(got[i].sha256.data(), 32), ToHex(want[i].sha256.data(), 32))
        << where << " chunk " << i;
  }
}

void CheckBothPaths(const Chunker& chunker, std::span<const uint8_t> data, bool at_end,
                    const std::string& where) {
  const Expected want = Reference(chunker, data, at_end);
  for (CutHashPath path : {CutHashPath::kAuto, CutHashPath::kPortable}) {
    std::vector<HashedChunk> got;
    const size_t consumed = chunker.CutAndHash(data, at_end, got, path);
    const std::string label =
        where + (path == CutHashPath::kAuto ? " (auto)" : " (portable)") + (at_end ? " end" : "");
    EXPECT_EQ(consumed, want.consumed) << label;
    ExpectSameChunks(got, want.chunks, label);
  }
}

TEST(CutHashTest, DefaultsMatchTheDefinitionOnRandomBytes) {
  Chunker chunker{ChunkingParams{}};
  const std::vector<uint8_t> data = RandomBytes(12 << 20, 5);
  CheckBothPaths(chunker, data, true, "12 MiB");
  CheckBothPaths(chunker, data, false, "12 MiB");
}

TEST(CutHashTest, TheOnePassPathKeepsThePinnedBoundaries) {
  // The sizes pinned in chunker_test.cc (BoundariesArePinned), through CutAndHash.
  const std::vector<size_t> kPinnedSizes = {1430540, 379593,  1215723, 1238827, 2539337, 1160366,
                                            1283832, 1188184, 1640387, 339216,  166907};
  Chunker chunker{ChunkingParams{}};
  const std::vector<uint8_t> data = RandomBytes(12 << 20, 5);
  std::vector<HashedChunk> chunks;
  EXPECT_EQ(chunker.CutAndHash(data, true, chunks), data.size());
  std::vector<size_t> sizes;
  for (const HashedChunk& c : chunks) sizes.push_back(c.size_bytes);
  EXPECT_EQ(sizes, kPinnedSizes);
}

TEST(CutHashTest, OddParametersEveryTailLengthAndAlignment) {
  // min not a multiple of 64, so the gear window and the mask switch fall inside SHA blocks;
  // every start alignment and many tail lengths exercise the padding of the last block.
  const ChunkingParams params{
      .min_bytes = 100, .avg_bytes = 1024, .max_bytes = 3000, .threshold_bytes = 3000};
  Chunker chunker(params);
  const std::vector<uint8_t> data = RandomBytes(300'000, 6);
  for (size_t align = 0; align < 8; ++align) {
    constexpr size_t kSizes[] = {0,    1,    55,   56,   63,   64,   65,     99,    100,
                                 101,  119,  120,  128,  163,  164,  1023,   1024,  1025,
                                 2999, 3000, 3001, 6000, 6001, 6063, 100000, 299000};
    for (size_t size : kSizes) {
      const auto part = std::span<const uint8_t>(data).subspan(align, size);
      CheckBothPaths(chunker, part, true,
                     "align " + std::to_string(align) + " size " + std::to_string(size));
      CheckBothPaths(chunker, part, false,
                     "align " + std::to_string(align) + " size " + std::to_string(size));
    }
  }
}

TEST(CutHashTest, CutsAtEveryByteOfABlockInBothMaskRegions) {
  // The one-pass path hashes a block while the gear rolls over the next one, and a cut in that
  // next block is its rare exit: check every exit, at each of the 64 bytes of a block, below and
  // above avg_bytes (the two masks), with block-aligned sizes so those regions are fused.
  const ChunkingParams params{
      .min_bytes = 128, .avg_bytes = 1024, .max_bytes = 4096, .threshold_bytes = 4096};
  Chunker chunker(params);
  const std::vector<uint8_t> data = RandomBytes(6 << 20, 7);
  CheckBothPaths(chunker, data, true, "6 MiB");
  std::vector<HashedChunk> chunks;
  chunker.CutAndHash(data, true, chunks);
  std::set<size_t> below, above;  // cut offsets within their 64-byte block
  for (const HashedChunk& c : chunks) {
    if (c.size_bytes == params.max_bytes) continue;
    (c.size_bytes < params.avg_bytes ? below : above).insert((c.size_bytes - 1) % 64);
  }
  EXPECT_EQ(below.size(), 64u);
  EXPECT_EQ(above.size(), 64u);
}

TEST(CutHashTest, LowEntropyInputCutsAtMaxAndMatches) {
  // Zeros never satisfy the mask test here: every chunk is max_bytes long (the last shorter).
  Chunker chunker(ChunkingParams{
      .min_bytes = 2048, .avg_bytes = 8192, .max_bytes = 32768, .threshold_bytes = 32768});
  std::vector<uint8_t> zeros(100'000, 0);
  CheckBothPaths(chunker, zeros, true, "zeros");
  std::vector<uint8_t> text(200'000);
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<uint8_t>("row,1.5,abc\n"[i % 12]);
  CheckBothPaths(chunker, text, true, "repeated text");
}

TEST(CutHashTest, BoundariesAreContentDefinedAfterAnInsert) {
  // Property: bytes inserted in the middle change only the chunks around them; chunks before
  // the insert keep their offsets and digests, and the ones after it reappear shifted.
  Chunker chunker(ChunkingParams{
      .min_bytes = 1024, .avg_bytes = 4096, .max_bytes = 16384, .threshold_bytes = 16384});
  for (uint32_t seed = 10; seed < 14; ++seed) {
    const std::vector<uint8_t> before = RandomBytes(1 << 20, seed);
    std::vector<uint8_t> after = before;
    const std::vector<uint8_t> inserted = RandomBytes(300 + seed * 97, seed + 100);
    const size_t at = 400'000 + seed * 1000;
    after.insert(after.begin() + static_cast<ptrdiff_t>(at), inserted.begin(), inserted.end());
    std::vector<HashedChunk> a, b;
    chunker.CutAndHash(before, true, a);
    chunker.CutAndHash(after, true, b);
    std::set<std::string> old_digests;
    for (const HashedChunk& c : a) old_digests.insert(ToHex(c.sha256.data(), 32));
    size_t fresh = 0, offset = 0;
    for (const HashedChunk& c : b) {
      const bool known = old_digests.count(ToHex(c.sha256.data(), 32)) != 0;
      fresh += !known;
      // A chunk wholly before the insert must be unchanged.
      if (offset + c.size_bytes <= at) {
        EXPECT_TRUE(known) << "seed " << seed << " offset " << offset;
      }
      offset += c.size_bytes;
    }
    // The cut around the insert moves, and the chunks after it resynchronize within a few
    // chunks (seed 13 takes four): a handful of new chunks out of about 230.
    EXPECT_LE(fresh, 5u) << "seed " << seed << ": of " << b.size() << " chunks";
    // And the last chunks are the old ones, shifted by the insert.
    ASSERT_GE(a.size(), 2u);
    ASSERT_GE(b.size(), 2u);
    EXPECT_EQ(ToHex(a.back().sha256.data(), 32), ToHex(b.back().sha256.data(), 32));
    EXPECT_EQ(ToHex(a[a.size() - 2].sha256.data(), 32), ToHex(b[b.size() - 2].sha256.data(), 32));
  }
}

}  // namespace
}  // namespace sluice::datasets
