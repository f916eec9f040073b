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
    std::vector<std::string> paths;
    paths.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      struct stat st;
      ASSERT_EQ(::stat(paths_[i].c_str(), &st), 0);
      stats[i] = FileStatOf(st);
      paths.push_back(paths_[i].string());
      items.push_back(IngestItem::ForPath(paths.back(), &entries[i], &stats[i], &unstable[i]));
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

// Items point into their caller's strings; each splits into a folder to open and a name in it.
TEST(IngestItemTest, NamesTheFileAndItsFolder) {
  const std::string nested = "/data/images/cat.png";
  const IngestItem a = IngestItem::ForPath(nested, nullptr, nullptr, nullptr);
  EXPECT_EQ(a.dir, "/data/images");
  EXPECT_STREQ(a.name, "cat.png");
  EXPECT_EQ(a.Path(), nested);
  EXPECT_EQ(a.Shown(), nested);

  const std::string at_root = "/cat.png";
  const IngestItem b = IngestItem::ForPath(at_root, nullptr, nullptr, nullptr);
  EXPECT_EQ(b.dir, "/");
  EXPECT_STREQ(b.name, "cat.png");
  EXPECT_EQ(b.Path(), at_root);

  const std::string here = "cat.png";
  const IngestItem c = IngestItem::ForPath(here, nullptr, nullptr, nullptr);
  EXPECT_EQ(c.dir, "");
  EXPECT_STREQ(c.name, "cat.png");
  EXPECT_EQ(c.Path(), here);

  Sources folder;
  folder.shown = "data";
  folder.dirs = {"/w/data", "/w/data/images"};
  folder.files = {{"images/cat.png", 1, {}, {}}, {"top.csv", 0, {}, {}}};
  const IngestItem d = IngestItem::ForSource(folder, folder.files[0], nullptr, nullptr, nullptr);
  EXPECT_EQ(d.dir, "/w/data/images");
  EXPECT_STREQ(d.name, "cat.png");
  EXPECT_EQ(d.Path(), "/w/data/images/cat.png");
  EXPECT_EQ(d.Shown(), "data/images/cat.png");
  EXPECT_STREQ(IngestItem::ForSource(folder, folder.files[1], nullptr, nullptr, nullptr).name,
               "top.csv");

  // One file, read from a folder under a name of its own (a DVC cache object).
  Sources one;
  one.shown = "churn.csv";
  one.single_file = true;
  one.dirs = {"/cache/files/md5/ab"};
  one.files = {{"churn.csv", 0, "cdef0123", {}}};
  const IngestItem e = IngestItem::ForSource(one, one.files[0], nullptr, nullptr, nullptr);
  EXPECT_EQ(e.Path(), "/cache/files/md5/ab/cdef0123");
  EXPECT_EQ(e.Shown(), "churn.csv");
}

}  // namespace
}  // namespace sluice::datasets::internal
