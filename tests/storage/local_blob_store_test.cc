#include "storage/local_blob_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <random>

#include "base/sha256.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::storage {
namespace {

using ::sluice::testing::IsOk;
namespace fs = std::filesystem;
using ::sluice::testing::StatusIs;
using ::sluice::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kAbcDigest =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kEmptyDigest =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

class LocalBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenLocalBlobStore(dir_ / "objects");
    ASSERT_THAT(store, IsOk());
    store_ = std::move(store).value();
  }

  TempDir dir_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(LocalBlobStoreTest, PutReadHasListDelete) {
  ASSERT_OK_AND_ASSIGN(BlobInfo info, store_->Put("abc"));
  EXPECT_EQ(info, (BlobInfo{std::string(kAbcDigest), 3}));
  ASSERT_OK_AND_ASSIGN(bool has, store_->Has(kAbcDigest));
  EXPECT_TRUE(has);
  ASSERT_OK_AND_ASSIGN(std::string bytes, store_->ReadAll(kAbcDigest));
  EXPECT_EQ(bytes, "abc");

  ASSERT_OK_AND_ASSIGN(auto reader, store_->Open(kAbcDigest));
  EXPECT_EQ(reader->size_bytes(), 3u);
  char buffer[2];
  ASSERT_OK_AND_ASSIGN(size_t n, reader->Read(buffer));
  EXPECT_EQ(std::string_view(buffer, n), "ab");

  ASSERT_THAT(store_->Put(""), IsOk());
  ASSERT_OK_AND_ASSIGN(auto list, store_->List());
  EXPECT_THAT(list, ElementsAre(BlobInfo{std::string(kAbcDigest), 3},
                                BlobInfo{std::string(kEmptyDigest), 0}));

  ASSERT_THAT(store_->Delete(kAbcDigest), IsOk());
  ASSERT_OK_AND_ASSIGN(has, store_->Has(kAbcDigest));
  EXPECT_FALSE(has);
  EXPECT_THAT(store_->Delete(kAbcDigest), IsOk());  // deleting a missing blob is fine
  EXPECT_THAT(
      store_->Open(kAbcDigest),
      StatusIs(StatusCode::kNotFound, "blob " + std::string(kAbcDigest) + " not found in '" +
                                          (dir_ / "objects").string() + "'"));
}

TEST_F(LocalBlobStoreTest, LayoutIsTwoCharacterFoldersOfReadOnlyFiles) {
  ASSERT_THAT(store_->Put("abc"), IsOk());
  const fs::path expected = dir_ / "objects" / "ba" / std::string(kAbcDigest.substr(2));
  EXPECT_TRUE(fs::is_regular_file(expected));
  EXPECT_EQ(store_->LocalPath(kAbcDigest), expected);
  EXPECT_EQ(store_->LocalPath("not a digest"), std::nullopt);
  struct stat st;
  ASSERT_EQ(::stat(expected.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_TRUE(fs::is_empty(dir_ / "objects" / "tmp"));
}

TEST_F(LocalBlobStoreTest, IdenticalContentIsStoredOnce) {
  ASSERT_OK_AND_ASSIGN(BlobInfo first, store_->Put("same bytes"));
  ASSERT_OK_AND_ASSIGN(BlobInfo second, store_->Put("same bytes"));
  EXPECT_EQ(first, second);
  ASSERT_OK_AND_ASSIGN(auto list, store_->List());
  EXPECT_EQ(list.size(), 1u);
  EXPECT_TRUE(fs::is_empty(dir_ / "objects" / "tmp"));
}

TEST_F(LocalBlobStoreTest, StreamsTenMegabytesInOddChunks) {
  std::mt19937 random(7);
  std::string content(10 * 1024 * 1024 + 13, '\0');
  for (char& c : content) c = static_cast<char>(random());
  ASSERT_OK_AND_ASSIGN(auto writer, store_->NewWriter());
  // Small chunks, one larger than the write buffer, and an empty one.
  const size_t sizes[] = {1, 4093, 0, 3 * 1024 * 1024 + 5, 65537, 999'983};
  size_t at = 0;
  for (int i = 0; at < content.size(); ++i) {
    size_t n = std::min(sizes[i % std::size(sizes)], content.size() - at);
    ASSERT_THAT(writer->Write(std::string_view(content).substr(at, n)), IsOk());
    at += n;
  }
  ASSERT_OK_AND_ASSIGN(BlobInfo info, writer->Commit());
  EXPECT_EQ(info.digest, Sha256::HexOf(content));
  EXPECT_EQ(info.size_bytes, content.size());
  ASSERT_OK_AND_ASSIGN(std::string back, store_->ReadAll(info.digest));
  EXPECT_TRUE(back == content);
  ASSERT_OK_AND_ASSIGN(std::string file_digest, Sha256::HexOfFile(*store_->LocalPath(info.digest)));
  EXPECT_EQ(file_digest, info.digest);

  EXPECT_THAT(writer->Write("more"),
              StatusIs(StatusCode::kFailedPrecondition,
                       "blob writer already committed or failed: start a new one"));
  EXPECT_THAT(writer->Commit(), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(LocalBlobStoreTest, UncommittedWriterLeavesNothing) {
  {
    ASSERT_OK_AND_ASSIGN(auto writer, store_->NewWriter());
    ASSERT_THAT(writer->Write(std::string(3 * 1024 * 1024, 'x')),
                IsOk());  // past the buffer: on disk
    EXPECT_FALSE(fs::is_empty(dir_ / "objects" / "tmp"));
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "objects" / "tmp"));
  ASSERT_OK_AND_ASSIGN(auto list, store_->List());
  EXPECT_TRUE(list.empty());
}

TEST_F(LocalBlobStoreTest, InvalidDigestsAreRejected) {
  const std::string upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  for (std::string_view bad : {std::string_view(upper), kAbcDigest.substr(1),
                               std::string_view("../../etc/passwd"), std::string_view("")}) {
    const std::string message = fmt::format(
        "'{}' is not a blob digest: expected 64 lowercase hex characters (SHA-256)", bad);
    EXPECT_THAT(store_->Open(bad), StatusIs(StatusCode::kInvalidArgument, message));
    EXPECT_THAT(store_->Has(bad), StatusIs(StatusCode::kInvalidArgument, message));
    EXPECT_THAT(store_->Delete(bad), StatusIs(StatusCode::kInvalidArgument, message));
    EXPECT_THAT(store_->ReadAll(bad), StatusIs(StatusCode::kInvalidArgument, message));
  }
}

TEST_F(LocalBlobStoreTest, PutFileStreamsAFile) {
  const std::string content(2'500'000, 'q');
  ::sluice::testing::WriteFile(dir_ / "input.bin", content);
  ASSERT_OK_AND_ASSIGN(BlobInfo info, store_->PutFile(dir_ / "input.bin"));
  EXPECT_EQ(info, (BlobInfo{Sha256::HexOf(content), content.size()}));
  EXPECT_THAT(store_->PutFile(dir_ / "missing.bin"),
              StatusIs(StatusCode::kNotFound, HasSubstr("missing.bin")));
}

TEST_F(LocalBlobStoreTest, ListIgnoresTemporariesAndStrayFiles) {
  ASSERT_THAT(store_->Put("abc"), IsOk());
  ::sluice::testing::WriteFile(dir_ / "objects" / "tmp" / "123-abc-0.tmp", "partial");
  ::sluice::testing::WriteFile(dir_ / "objects" / "ba" / "README", "not a blob");
  ::sluice::testing::WriteFile(dir_ / "objects" / "zz" / std::string(62, 'a'), "bad folder");
  ::sluice::testing::WriteFile(dir_ / "objects" / "notes.txt", "hello");
  ASSERT_OK_AND_ASSIGN(auto list, store_->List());
  EXPECT_THAT(list, ElementsAre(BlobInfo{std::string(kAbcDigest), 3}));
}

TEST(LocalBlobStoreOpenTest, StaleTemporariesAreRemovedAtOpen) {
  TempDir dir;
  const fs::path stale = dir / "tmp" / "1-a-0.tmp";
  const fs::path fresh = dir / "tmp" / "1-a-1.tmp";
  ::sluice::testing::WriteFile(stale, "left by a crash");
  ::sluice::testing::WriteFile(fresh, "a writer in progress");
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::minutes(61));
  fs::last_write_time(fresh, fs::file_time_type::clock::now() - std::chrono::minutes(59));
  ASSERT_THAT(OpenLocalBlobStore(dir.path()), IsOk());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}

TEST(LocalBlobStoreOpenTest, CreatesAMissingRoot) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenLocalBlobStore(dir / "a" / "b"));
  EXPECT_TRUE(fs::is_directory(dir / "a" / "b" / "tmp"));
  ASSERT_OK_AND_ASSIGN(auto list, store->List());
  EXPECT_TRUE(list.empty());
}

}  // namespace
}  // namespace sluice::storage
