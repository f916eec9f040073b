// IngestFiles reads large files block by block, carrying the bytes after each block's last whole
// chunk into the next, with or without reading ahead on the pool, and several large files at
// once on the pool's threads. Whatever the block size and threading, every file must get the
// chunks one pass over its whole content gives.
#include "datasets/internal/ingest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "base/thread_pool.h"
#include "datasets/manifest.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::datasets::internal {
namespace {

namespace fs = std::filesystem;
using ::sluice::testing::IsOk;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937_64 random(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

constexpr ChunkingParams kParams{
    .min_bytes = 1000, .avg_bytes = 4096, .max_bytes = 16384, .threshold_bytes = 16384};

// The chunks of `content` in one pass over all of it.
std::vector<Chunk> WholeFileChunks(const std::string& content) {
  Chunker chunker(kParams);
  std::vector<HashedChunk> hashed;
  chunker.CutAndHash(std::span(reinterpret_cast<const uint8_t*>(content.data()), content.size()),
                     true, hashed);
  std::vector<Chunk> out;
  for (const HashedChunk& h : hashed) out.push_back({ToHex(h.sha256.data(), 32), h.size_bytes});
  return out;
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Sizes around the block sizes below, a file of exactly one block, and a small file.
    const size_t sizes[] = {300'000, 123'457, 40'000, 20'000, 16'384 + 1, 9'000};
    for (size_t i = 0; i < std::size(sizes); ++i) {
      contents_.push_back(RandomBytes(sizes[i], static_cast<uint32_t>(i + 1)));
      paths_.push_back(dir_.path() / ("f" + std::to_string(i)));
      std::ofstream(paths_.back(), std::ios::binary) << contents_.back();
    }
  }

  // Ingests the files [0, count) and checks every entry against WholeFileChunks.
  void IngestAndCheck(size_t count, ThreadPool* pool, size_t block_bytes) {
    std::vector<Entry> entries(count);
    std::vector<FileStat> stats(count);
    std::vector<uint8_t> unstable(count, 1);
    std::vector<IngestItem> items;
    for (size_t i = 0; i < count; ++i) {
      struct stat st;
      ASSERT_EQ(::stat(paths_[i].c_str(), &st), 0);
      stats[i] = FileStatOf(st);
      items.push_back(
          {paths_[i].string(), paths_[i].string(), &entries[i], &stats[i], &unstable[i]});
    }
    IngestOptions options{.chunking = kParams, .pool = pool, .block_bytes = block_bytes};
    IngestStats totals;
    ASSERT_THAT(IngestFiles(items, options, &totals), IsOk());
    uint64_t bytes = 0;
    for (size_t i = 0; i < count; ++i) {
      const std::string where = "file " + std::to_string(i) + ", block " +
                                std::to_string(block_bytes) + (pool ? ", pool" : "");
      bytes += contents_[i].size();
      EXPECT_EQ(entries[i].size_bytes, contents_[i].size()) << where;
      EXPECT_EQ(unstable[i], 0) << where;
      if (contents_[i].size() <= kParams.threshold_bytes) {
        EXPECT_TRUE(entries[i].chunks.empty()) << where;
        EXPECT_EQ(entries[i].digest, Sha256::HexOf(contents_[i])) << where;
        continue;
      }
      EXPECT_EQ(entries[i].chunks, WholeFileChunks(contents_[i])) << where;
      EXPECT_EQ(entries[i].digest, ChunkListDigest(entries[i].chunks)) << where;
    }
    EXPECT_EQ(totals.files, count);
    EXPECT_EQ(totals.bytes, bytes);
  }

  ::sluice::testing::TempDir dir_;
  std::vector<std::string> contents_;
  std::vector<fs::path> paths_;
};

TEST_F(IngestTest, OneLargeFileAcrossBlocksWithAndWithoutReadAhead) {
  ThreadPool pool(2);
  // Blocks smaller than max_bytes (read as max_bytes), just above it, and odd sizes.
  for (size_t block : {size_t{5'000}, size_t{16'384}, size_t{20'000}, size_t{65'537}}) {
    IngestAndCheck(1, nullptr, block);
    IngestAndCheck(1, &pool, block);
  }
}

TEST_F(IngestTest, SeveralLargeFilesInParallelAndASmallOne) {
  ThreadPool pool(2);
  for (size_t block : {size_t{16'384}, size_t{30'000}}) {
    IngestAndCheck(contents_.size(), &pool, block);
    IngestAndCheck(contents_.size(), nullptr, block);
  }
}

}  // namespace
}  // namespace sluice::datasets::internal
