#include "base/file_util.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice {
namespace {

// ASSERT_THAT(..., IsOk()) rather than ASSERT_OK(...): the latter binds a reference to the status
// of a temporary, which is gone before it is read.

using ::sluice::testing::IsOk;
using ::sluice::testing::ReadFile;
using ::sluice::testing::StatusIs;
using ::sluice::testing::TempDir;
using ::sluice::testing::WriteFile;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Le;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(WriteFileAtomicallyTest, CreatesAndReplacesLeavingNoTemporaryFiles) {
  TempDir dir;
  fs::path file = dir / "meta.json";
  ASSERT_THAT(WriteFileAtomically(file, "first"), IsOk());
  EXPECT_EQ(ReadFile(file), "first");
  ASSERT_THAT(WriteFileAtomically(file, std::string(1 << 20, 'x')), IsOk());
  EXPECT_EQ(ReadFile(file), std::string(1 << 20, 'x'));
  ASSERT_THAT(WriteFileAtomically(file, ""), IsOk());
  EXPECT_EQ(ReadFile(file), "");
  EXPECT_THAT(Entries(dir.path()), ElementsAre("meta.json"));
}

TEST(WriteFileAtomicallyTest, MissingFolderIsNotFound) {
  TempDir dir;
  fs::path file = dir / "missing" / "f";
  Status status = WriteFileAtomically(file, "x");
  EXPECT_THAT(status, StatusIs(StatusCode::kNotFound,
                               MatchesRegex("writing '.*/missing/f': cannot create temporary file "
                                            "'.*/missing/\\.f\\.tmp-[0-9a-f]{12}': No such file or "
                                            "directory")));
}

TEST(WriteFileAtomicallyTest, FailedRenameRemovesTheTemporaryFile) {
  TempDir dir;
  fs::create_directory(dir / "occupied");
  WriteFile(dir / "occupied" / "child", "x");  // rename cannot replace a non-empty folder
  Status status = WriteFileAtomically(dir / "occupied", "data");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(),
              StartsWith("writing '" + (dir / "occupied").string() + "': cannot rename '"));
  EXPECT_THAT(Entries(dir.path()), ElementsAre("occupied"));
}

TEST(WriteFileAtomicallyTest, ReadersNeverSeePartialContents) {
  TempDir dir;
  fs::path file = dir / "f";
  const std::string a(256 << 10, 'a'), b(256 << 10, 'b');
  ASSERT_THAT(WriteFileAtomically(file, a), IsOk());
  std::atomic<bool> stop{false};
  std::jthread writer([&] {
    for (int i = 0; i < 20; ++i) ASSERT_THAT(WriteFileAtomically(file, i % 2 ? a : b), IsOk());
    stop = true;
  });
  int reads = 0;
  while (!stop) {
    Result<std::string> contents = ReadFileToString(file);
    ASSERT_TRUE(contents.ok()) << contents.status().ToString();
    ASSERT_TRUE(*contents == a || *contents == b)
        << "partial contents of size " << contents->size();
    ++reads;
  }
  EXPECT_GT(reads, 0);
}

TEST(FsyncDirectoryTest, WorksOnFoldersAndNamesMissingOnes) {
  TempDir dir;
  EXPECT_THAT(FsyncDirectory(dir.path()), IsOk());
  EXPECT_THAT(FsyncDirectory(dir / "nope"),
              StatusIs(StatusCode::kNotFound, "cannot open folder '" + (dir / "nope").string() +
                                                  "': No such file or directory"));
}

TEST(ReadFileToStringTest, ReadsWholeFiles) {
  TempDir dir;
  std::string binary("a\0b\xff", 4);
  WriteFile(dir / "bin", binary);
  ASSERT_OK_AND_ASSIGN(std::string contents, ReadFileToString(dir / "bin"));
  EXPECT_EQ(contents, binary);
  WriteFile(dir / "empty", "");
  ASSERT_OK_AND_ASSIGN(std::string empty, ReadFileToString(dir / "empty"));
  EXPECT_EQ(empty, "");
}

TEST(ReadFileToStringTest, ErrorsNameThePath) {
  TempDir dir;
  EXPECT_THAT(ReadFileToString(dir / "missing"),
              StatusIs(StatusCode::kNotFound, "cannot open '" + (dir / "missing").string() +
                                                  "': No such file or directory"));
  EXPECT_THAT(ReadFileToString(dir.path()),
              StatusIs(StatusCode::kInvalidArgument,
                       "cannot read '" + dir.path().string() + "': it is a folder, not a file"));
}

// Every chunk ReadFileInChunks hands over, in order.
Result<std::vector<std::string>> Chunks(const fs::path& file, size_t chunk_bytes) {
  std::vector<std::string> chunks;
  SLUICE_RETURN_IF_ERROR(ReadFileInChunks(
      file,
      [&chunks](std::string_view chunk) {
        chunks.emplace_back(chunk);
        return Status::Ok();
      },
      chunk_bytes));
  return chunks;
}

TEST(ReadFileInChunksTest, ChunksConcatenateToTheFile) {
  TempDir dir;
  std::string contents;
  for (int i = 0; i < 100'000; ++i) contents += static_cast<char>(i % 251);
  WriteFile(dir / "data", contents);

  ASSERT_OK_AND_ASSIGN(std::vector<std::string> whole, Chunks(dir / "data", 1 << 20));
  EXPECT_THAT(whole, ElementsAre(contents));

  // 7 does not divide the size, so the last chunk is short; none is empty or too long.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> small, Chunks(dir / "data", 7));
  std::string joined;
  for (const std::string& chunk : small) {
    EXPECT_THAT(chunk.size(), AllOf(Ge(1u), Le(7u)));
    joined += chunk;
  }
  EXPECT_EQ(joined, contents);
  EXPECT_EQ(small.back().size(), contents.size() % 7);

  WriteFile(dir / "empty", "");
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> none, Chunks(dir / "empty", 7));
  EXPECT_THAT(none, IsEmpty());
}

TEST(ReadFileInChunksTest, AConsumerErrorStopsTheReadAndIsReturned) {
  TempDir dir;
  WriteFile(dir / "data", std::string(100, 'x'));
  int calls = 0;
  Status status = ReadFileInChunks(
      dir / "data",
      [&calls](std::string_view) {
        return ++calls == 3 ? DataLoss("disk full of chunks") : Status::Ok();
      },
      10);
  EXPECT_THAT(status, StatusIs(StatusCode::kDataLoss, "disk full of chunks"));
  EXPECT_EQ(calls, 3);
}

TEST(ReadFileInChunksTest, MissingFileIsNotFoundNamingThePath) {
  TempDir dir;
  EXPECT_THAT(Chunks(dir / "missing", 7),
              StatusIs(StatusCode::kNotFound, "cannot open '" + (dir / "missing").string() +
                                                  "': No such file or directory"));
}

TEST(FsyncFileTest, WorksOnFilesAndNamesMissingOnes) {
  TempDir dir;
  WriteFile(dir / "f", "x");
  EXPECT_THAT(FsyncFile(dir / "f"), IsOk());
  EXPECT_THAT(FsyncFile(dir / "nope"),
              StatusIs(StatusCode::kNotFound,
                       "cannot open '" + (dir / "nope").string() + "': No such file or directory"));
}

TEST(WriteAllTest, WritesEverythingAndNamesThePathOnFailure) {
  TempDir dir;
  const std::string contents(3 << 20, 'w');
  int fd = ::open((dir / "f").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_THAT(WriteAll(fd, contents, dir / "f"), IsOk());
  ::close(fd);
  EXPECT_EQ(ReadFile(dir / "f"), contents);

  fd = ::open((dir / "f").c_str(), O_RDONLY | O_CLOEXEC);  // writes fail with EBADF
  ASSERT_GE(fd, 0);
  EXPECT_THAT(WriteAll(fd, "x", dir / "f"),
              StatusIs(StatusCode::kInternal,
                       "cannot write '" + (dir / "f").string() + "': Bad file descriptor"));
  ::close(fd);
}

class ResolveWithinTest : public ::testing::Test {
 protected:
  ResolveWithinTest() : root_(dir_ / "root") {
    fs::create_directories(root_ / "a" / "b");
    fs::create_directories(dir_ / "outside");
    WriteFile(dir_ / "outside" / "secret", "s");
    WriteFile(dir_ / "root2" / "x", "x");
  }

  TempDir dir_;
  fs::path root_;
};

TEST_F(ResolveWithinTest, JoinsRelativePaths) {
  struct Case {
    std::string relative;
    std::string expected;  // relative to root_, "" for root_ itself
  };
  for (const Case& c : std::vector<Case>{
           {"a/b", "a/b"},
           {"a/b/new/file.txt", "a/b/new/file.txt"},  // need not exist
           {"./a//b/", "a/b"},
           {"", ""},
           {".", ""},
           {"a/..x/...", "a/..x/..."},  // only ".." exactly is refused
       }) {
    Result<fs::path> resolved = ResolveWithin(root_, c.relative);
    ASSERT_TRUE(resolved.ok()) << c.relative << ": " << resolved.status().ToString();
    EXPECT_EQ(*resolved, c.expected.empty() ? root_ : root_ / c.expected) << c.relative;
  }
}

TEST_F(ResolveWithinTest, RefusesAbsoluteAndDotDot) {
  std::string root = root_.string();
  EXPECT_THAT(ResolveWithin(root_, "/etc/passwd"),
              StatusIs(StatusCode::kPermissionDenied,
                       "path '/etc/passwd' is absolute; it must be relative to '" + root + "'"));
  for (std::string relative : {"..", "../root2/x", "a/../../outside", "a/b/..", "a/../b"}) {
    EXPECT_THAT(
        ResolveWithin(root_, relative),
        StatusIs(StatusCode::kPermissionDenied,
                 "path '" + relative + "' contains '..'; it must stay inside '" + root + "'"))
        << relative;
  }
  EXPECT_THAT(ResolveWithin(root_, std::string_view("a\0b", 3)),
              StatusIs(StatusCode::kInvalidArgument, "path contains a NUL character"));
}

TEST_F(ResolveWithinTest, RefusesSymlinksLeadingOutside) {
  fs::create_directory_symlink(dir_ / "outside", root_ / "a" / "out");
  fs::create_directory_symlink("../../root2", root_ / "a" / "sibling");  // a prefix-sharing name
  fs::create_symlink("/etc/passwd", root_ / "passwd");
  std::string root = root_.string();
  for (auto [relative, link] : std::vector<std::pair<std::string, std::string>>{
           {"a/out", "a/out"},
           {"a/out/secret", "a/out"},
           {"a/out/new/deeper", "a/out"},
           {"a/sibling/x", "a/sibling"},
           {"passwd", "passwd"},
       }) {
    EXPECT_THAT(ResolveWithin(root_, relative),
                StatusIs(StatusCode::kPermissionDenied, "path '" + relative + "' leaves '" + root +
                                                            "' through the symlink '" + link + "'"))
        << relative;
  }
}

TEST_F(ResolveWithinTest, RefusesDanglingSymlinks) {
  // Writing through it would create a file wherever it points.
  fs::create_symlink(dir_ / "outside" / "not-yet", root_ / "dangling");
  EXPECT_THAT(ResolveWithin(root_, "dangling"),
              StatusIs(StatusCode::kPermissionDenied,
                       "path 'dangling' goes through the symlink 'dangling', which leads nowhere"));
}

TEST_F(ResolveWithinTest, AllowsSymlinksStayingInside) {
  fs::create_directory_symlink("a/b", root_ / "shortcut");
  fs::create_symlink("b", root_ / "a" / "alias");
  ASSERT_OK_AND_ASSIGN(fs::path p, ResolveWithin(root_, "shortcut/file"));
  EXPECT_EQ(p, root_ / "shortcut" / "file");
  ASSERT_OK_AND_ASSIGN(fs::path q, ResolveWithin(root_, "a/alias"));
  EXPECT_EQ(q, root_ / "a" / "alias");
}

TEST_F(ResolveWithinTest, RootReachedThroughASymlinkWorks) {
  fs::create_directory_symlink(root_, dir_ / "root-link");
  fs::create_directory_symlink(root_ / "a", root_ / "inner");
  ASSERT_OK_AND_ASSIGN(fs::path p, ResolveWithin(dir_ / "root-link", "inner/b"));
  EXPECT_EQ(p, dir_ / "root-link" / "inner" / "b");
  ASSERT_OK_AND_ASSIGN(fs::path missing_root, ResolveWithin(dir_ / "not-created", "x/y"));
  EXPECT_EQ(missing_root, dir_ / "not-created" / "x" / "y");
}

TEST(ErrnoErrorTest, CombinesCodeWhatPathAndReason) {
  EXPECT_THAT(ErrnoError(EACCES, "cannot open", "/data/f"),
              StatusIs(StatusCode::kPermissionDenied, "cannot open '/data/f': Permission denied"));
}

TEST(ErrnoToStatusCodeTest, MapsCommonErrors) {
  EXPECT_EQ(ErrnoToStatusCode(ENOENT), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatusCode(EACCES), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatusCode(EEXIST), StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrnoToStatusCode(ENOSPC), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatusCode(EIO), StatusCode::kInternal);
}

}  // namespace
}  // namespace sluice
