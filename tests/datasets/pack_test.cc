// PackSet's background commits: a failed commit is never lost, however it was joined.
#include "datasets/internal/pack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "base/sha256.h"
#include "storage/local_blob_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::datasets::internal {
namespace {

using ::sluice::testing::StatusIs;

// A blob store whose first commit fails, slowly, like a disk that fills up during an fsync.
class FirstCommitFails final : public storage::BlobStore {
 public:
  explicit FirstCommitFails(storage::BlobStore& real) : real_(real) {}
  Result<std::unique_ptr<storage::BlobWriter>> NewWriter() override {
    SLUICE_ASSIGN_OR_RETURN(auto writer, real_.NewWriter());
    return std::unique_ptr<storage::BlobWriter>(
        std::make_unique<Writer>(std::move(writer), writers_++ == 0));
  }
  Result<std::unique_ptr<storage::BlobReader>> Open(std::string_view d) override {
    return real_.Open(d);
  }
  Result<bool> Has(std::string_view d) override { return real_.Has(d); }
  Result<std::vector<storage::BlobInfo>> List() override { return real_.List(); }
  Status Delete(std::string_view d) override { return real_.Delete(d); }
  std::optional<std::filesystem::path> LocalPath(std::string_view d) const override {
    return real_.LocalPath(d);
  }

 private:
  class Writer final : public storage::BlobWriter {
   public:
    Writer(std::unique_ptr<storage::BlobWriter> real, bool fail)
        : real_(std::move(real)), fail_(fail) {}
    Status Write(std::string_view bytes) override { return real_->Write(bytes); }
    Result<storage::BlobInfo> Commit() override {
      if (!fail_) return real_->Commit();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return ResourceExhausted("no space left on device");
    }

   private:
    std::unique_ptr<storage::BlobWriter> real_;
    bool fail_;
  };

  storage::BlobStore& real_;
  int writers_ = 0;
};

// The failing commit is joined while a third pack waits for room (at most two in flight), not by
// Finish; Finish must still report it.
TEST(PackSetTest, FinishReportsACommitThatFailedWhileWaitingForRoom) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto real, storage::OpenLocalBlobStore(dir.path() / "objects"));
  FirstCommitFails blobs(*real);
  PackSet packs(blobs, /*target_bytes=*/1);
  for (const std::string bytes : {"first", "second", "third"}) {
    ASSERT_OK(packs.Add({{Sha256::HexOf(bytes), bytes}}));
  }
  EXPECT_THAT(packs.Finish(), StatusIs(StatusCode::kResourceExhausted, "no space left on device"));
  EXPECT_EQ(packs.packs().size(), 2u);
}

// A digest that is not SHA-256 hex would make a garbage entry header: refused before anything is
// written, so the pack still holds exactly the objects added before; read back, such a location
// is data loss, not an out-of-bounds compare.
TEST(PackTest, RefusesADigestThatIsNotSha256Hex) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto blobs, storage::OpenLocalBlobStore(dir.path() / "objects"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PackWriter> writer, PackWriter::Create(*blobs));
  const std::string good = "good bytes";
  ASSERT_OK(writer->Add(Sha256::HexOf(good), good));
  const uint64_t size = writer->size_bytes();
  const std::string upper_x = std::string(63, 'a') + "x";
  for (const std::string& digest : {std::string("abc"), upper_x}) {
    EXPECT_THAT(writer->Add(digest, "other"),
                StatusIs(StatusCode::kInvalidArgument, "'" + digest + "' is not a SHA-256 digest"));
  }
  EXPECT_EQ(writer->size_bytes(), size);
  ASSERT_OK_AND_ASSIGN(PackInfo info, writer->Commit());
  ASSERT_EQ(info.objects.size(), 1u);

  PackReader reader(*blobs);
  std::string out;
  ASSERT_OK(reader.Read(info.objects[0], out));
  EXPECT_EQ(out, good);
  ObjectLocation bad = info.objects[0];
  bad.digest = "zz";
  EXPECT_THAT(reader.Read(bad, out),
              StatusIs(StatusCode::kDataLoss,
                       "object 'zz' of pack " + info.digest + ": not a SHA-256 digest"));
}

}  // namespace
}  // namespace sluice::datasets::internal
