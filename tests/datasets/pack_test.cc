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

Sha256::Digest DigestOf(std::string_view bytes) {
  Sha256 hasher;
  hasher.Update(bytes);
  return hasher.Finish();
}

// The failing commit is joined while a third pack waits for room (at most two in flight), not by
// Finish; Finish must still report it.
TEST(PackSetTest, FinishReportsACommitThatFailedWhileWaitingForRoom) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto real, storage::OpenLocalBlobStore(dir.path() / "objects"));
  FirstCommitFails blobs(*real);
  PackSet packs(blobs, /*target_bytes=*/1);
  for (const std::string bytes : {"first", "second", "third"}) {
    const Sha256::Digest digest = DigestOf(bytes);
    const std::pair<const Sha256::Digest*, std::string_view> object = {&digest, bytes};
    ASSERT_OK(packs.Add({&object, 1}));
  }
  EXPECT_THAT(packs.Finish(), StatusIs(StatusCode::kResourceExhausted, "no space left on device"));
  EXPECT_EQ(packs.packs().size(), 2u);
}

// An entry is written under its raw digest and read back through its location in hex; a location
// whose digest is not SHA-256 hex is refused on the way in (pull) and is data loss on a read, not
// an out-of-bounds compare.
TEST(PackTest, WritesRawDigestsAndReadsThemBackByLocation) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto blobs, storage::OpenLocalBlobStore(dir.path() / "objects"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PackWriter> writer, PackWriter::Create(*blobs));
  const std::string good = "good bytes";
  ASSERT_OK(writer->Add(DigestOf(good), good));
  ASSERT_OK_AND_ASSIGN(PackInfo info, writer->Commit());
  ASSERT_EQ(info.objects.size(), 1u);
  const PackedObject& packed = info.objects[0];
  EXPECT_EQ(packed.hex(), Sha256::HexOf(good));
  EXPECT_EQ(packed.offset, kPackMagic.size() + kPackEntryHeaderBytes);
  EXPECT_EQ(packed.size_bytes, good.size());
  EXPECT_EQ(info.size_bytes, packed.offset + good.size());

  const ObjectLocation location{packed.hex(), info.digest, packed.offset, packed.size_bytes};
  PackReader reader(*blobs);
  std::string out;
  ASSERT_OK(reader.Read(location, out));
  EXPECT_EQ(out, good);
  ASSERT_OK_AND_ASSIGN(PackedObject again, ToPackedObject(location));
  EXPECT_EQ(again.digest, packed.digest);
  EXPECT_EQ(again.offset, packed.offset);
  EXPECT_EQ(again.size_bytes, packed.size_bytes);

  const std::string upper_x = std::string(63, 'a') + "x";
  for (const std::string& digest : {std::string("abc"), upper_x}) {
    ObjectLocation bad = location;
    bad.digest = digest;
    EXPECT_THAT(ToPackedObject(bad),
                StatusIs(StatusCode::kInvalidArgument, "'" + digest + "' is not a SHA-256 digest"));
  }
  ObjectLocation bad = location;
  bad.digest = "zz";
  EXPECT_THAT(reader.Read(bad, out),
              StatusIs(StatusCode::kDataLoss,
                       "object 'zz' of pack " + info.digest + ": not a SHA-256 digest"));
}

}  // namespace
}  // namespace sluice::datasets::internal
