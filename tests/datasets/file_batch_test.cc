// FileBatch must read the same bytes and report the same errors through io_uring as through the
// plain calls: each test runs both ways (where io_uring is unavailable both are plain, and the
// expectations still hold).
#include "datasets/internal/file_batch.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file_descriptor.h"
#include "testing/temp_dir.h"

namespace sluice::datasets::internal {
namespace {

namespace fs = std::filesystem;
using ::sluice::testing::TempDir;
using ::sluice::testing::WriteFile;

std::string Content(size_t n, size_t seed) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return out;
}

class FileBatchTest : public ::testing::TestWithParam<bool> {
 protected:
  FileBatch files_{GetParam()};
};

TEST_P(FileBatchTest, ReadsManyFilesWholeInRoundsOfAnySize) {
  TempDir dir;
  // More files than one io_uring round takes (256), of sizes from empty to several pages.
  const size_t count = 600;
  std::vector<std::string> names, contents;
  for (size_t i = 0; i < count; ++i) {
    names.push_back("f" + std::to_string(i));
    contents.push_back(Content((i * 131) % 9000, i));
    WriteFile(dir / names.back(), contents.back());
  }
  FileDescriptor dir_fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_GE(dir_fd.get(), 0);
  std::vector<std::string> buffers(count);
  std::vector<ReadRequest> reads(count);
  for (size_t i = 0; i < count; ++i) {
    buffers[i].resize(contents[i].size() + 1);
    reads[i].dir_fd = dir_fd.get();
    reads[i].name = names[i].c_str();
    reads[i].buffer = buffers[i].data();
    reads[i].capacity = buffers[i].size();
  }
  files_.Read(reads);
  for (size_t i = 0; i < count; ++i) {
    SCOPED_TRACE(names[i]);
    EXPECT_EQ(reads[i].error, 0);
    ASSERT_EQ(reads[i].size, contents[i].size());
    EXPECT_EQ(std::string(reads[i].buffer, reads[i].size), contents[i]);
  }
  // The descriptors of a round are closed (no direct slot or file descriptor leaks): a second
  // pass over the same requests reads the same again.
  for (std::string& b : buffers) std::fill(b.begin(), b.end(), '\0');
  files_.Read(reads);
  for (size_t i = 0; i < count; ++i) {
    ASSERT_EQ(reads[i].size, contents[i].size());
    EXPECT_EQ(std::string(reads[i].buffer, reads[i].size), contents[i]);
  }
}

TEST_P(FileBatchTest, ReadsAtMostTheCapacityAndTakesAbsoluteNames) {
  TempDir dir;
  WriteFile(dir / "big", Content(5000, 3));
  const std::string absolute = (dir / "big").string();
  std::string buffer(100, '\0');
  std::vector<ReadRequest> reads(1);
  reads[0].name = absolute.c_str();  // dir_fd is AT_FDCWD
  reads[0].buffer = buffer.data();
  reads[0].capacity = buffer.size();
  files_.Read(reads);
  EXPECT_EQ(reads[0].error, 0);
  EXPECT_EQ(reads[0].size, 100u);
  EXPECT_EQ(buffer, Content(5000, 3).substr(0, 100));
}

TEST_P(FileBatchTest, ReportsEachFailureWithItsErrnoAndReadsTheRest) {
  TempDir dir;
  WriteFile(dir / "good1", "one");
  WriteFile(dir / "good2", "two!");
  fs::create_directory(dir / "folder");
  fs::create_symlink(dir / "loop", dir / "loop");
  FileDescriptor dir_fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_GE(dir_fd.get(), 0);
  const std::vector<std::string> names = {"good1", "missing", "folder", "loop", "good2"};
  std::vector<std::string> buffers(names.size(), std::string(16, '\0'));
  std::vector<ReadRequest> reads(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    reads[i].dir_fd = dir_fd.get();
    reads[i].name = names[i].c_str();
    reads[i].buffer = buffers[i].data();
    reads[i].capacity = buffers[i].size();
  }
  files_.Read(reads);
  EXPECT_EQ(reads[0].error, 0);
  EXPECT_EQ(std::string(reads[0].buffer, reads[0].size), "one");
  EXPECT_EQ(reads[1].error, ENOENT);
  EXPECT_TRUE(reads[1].open_failed);
  // A folder opens read-only; reading it fails.
  EXPECT_EQ(reads[2].error, EISDIR);
  EXPECT_FALSE(reads[2].open_failed);
  EXPECT_EQ(reads[3].error, ELOOP);
  EXPECT_TRUE(reads[3].open_failed);
  EXPECT_EQ(reads[4].error, 0);
  EXPECT_EQ(std::string(reads[4].buffer, reads[4].size), "two!");
}

INSTANTIATE_TEST_SUITE_P(IoUringAndPlain, FileBatchTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "IoUring" : "Plain";
                         });

TEST(FileBatchSwitchTest, PlainWhenAskedOrWhenSluiceIoUringIsZero) {
  EXPECT_FALSE(FileBatch(false).uses_io_uring());
  ASSERT_EQ(::setenv("SLUICE_IO_URING", "0", 1), 0);
  EXPECT_FALSE(FileBatch::IoUringWanted());
  EXPECT_FALSE(FileBatch().uses_io_uring());
  ASSERT_EQ(::setenv("SLUICE_IO_URING", "1", 1), 0);
  EXPECT_TRUE(FileBatch::IoUringWanted());
  ASSERT_EQ(::unsetenv("SLUICE_IO_URING"), 0);
  EXPECT_TRUE(FileBatch::IoUringWanted());
}

}  // namespace
}  // namespace sluice::datasets::internal
