#include "tracking/artifacts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "storage/local_blob_store.h"
#include "storage/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tracking/schema.h"

namespace sluice::tracking {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class ArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, storage::OpenSqliteDatabase(dir_ / "sluice.db"));
    ASSERT_OK(db_->Migrate(kSchemaModule, Migrations()));
    ASSERT_OK_AND_ASSIGN(blobs_, storage::OpenLocalBlobStore(dir_ / "objects"));
    store_ = std::make_unique<ArtifactStore>(*db_, *blobs_, clock_);
  }

  testing::TempDir dir_;
  FakeClock clock_{1000};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<ArtifactStore> store_;
};

TEST_F(ArtifactStoreTest, PutReadListDelete) {
  ASSERT_OK(store_->Put("0/r/artifacts/report.html", "<p>hi</p>"));
  ASSERT_OK(store_->Put("0/r/artifacts/model/MLmodel", "flavors: {}"));
  ASSERT_OK(store_->Put("0/r/artifacts/model/data/model.json", "{}"));
  EXPECT_EQ(*store_->ReadAll("0/r/artifacts/report.html"), "<p>hi</p>");

  ASSERT_OK_AND_ASSIGN(auto root, store_->List("0/r/artifacts"));
  ASSERT_THAT(root, SizeIs(2));
  EXPECT_EQ(root[0].path, "model");
  EXPECT_TRUE(root[0].is_dir);
  EXPECT_EQ(root[1].path, "report.html");
  EXPECT_EQ(root[1].size_bytes, 9);

  ASSERT_OK_AND_ASSIGN(auto model, store_->List("0/r/artifacts/model/"));
  ASSERT_THAT(model, SizeIs(2));
  EXPECT_EQ(model[0].path, "MLmodel");
  EXPECT_EQ(model[1].path, "data");

  EXPECT_THAT(*store_->List("0/r/nothing"), SizeIs(0));
  ASSERT_OK(store_->Delete("0/r/artifacts/model"));
  EXPECT_THAT(*store_->List("0/r/artifacts"), SizeIs(1));
  EXPECT_THAT(store_->Delete("0/r/artifacts/model"), StatusIs(StatusCode::kNotFound));
}

TEST_F(ArtifactStoreTest, SameBytesShareOneBlob) {
  ASSERT_OK_AND_ASSIGN(auto a, store_->Put("0/a/artifacts/x", "same"));
  ASSERT_OK_AND_ASSIGN(auto b, store_->Put("0/b/artifacts/y", "same"));
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_THAT(*blobs_->List(), SizeIs(1));
}

TEST_F(ArtifactStoreTest, OverwriteReplacesContent) {
  ASSERT_OK(store_->Put("0/r/artifacts/x", "one"));
  ASSERT_OK(store_->Put("0/r/artifacts/x", "two"));
  EXPECT_EQ(*store_->ReadAll("0/r/artifacts/x"), "two");
}

TEST_F(ArtifactStoreTest, RefusesEscapesAndFileFolderClashes) {
  EXPECT_THAT(store_->BeginUpload("0/r/../../etc/passwd"),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("'..'")));
  EXPECT_THAT(store_->BeginUpload("/etc/passwd"), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(store_->BeginUpload("0//x"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Stat("0/r/../x"), StatusIs(StatusCode::kPermissionDenied));
  ASSERT_OK(store_->Put("0/r/artifacts/dir/file", "x"));
  EXPECT_THAT(store_->Put("0/r/artifacts/dir", "x"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("is a folder")));
  EXPECT_THAT(store_->Put("0/r/artifacts/dir/file/under", "x"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("is a file")));
}

TEST_F(ArtifactStoreTest, UncommittedUploadLeavesNothing) {
  {
    ASSERT_OK_AND_ASSIGN(auto upload, store_->BeginUpload("0/r/artifacts/big"));
    ASSERT_OK(upload->Write(std::string(1 << 20, 'x')));
  }
  EXPECT_THAT(store_->Stat("0/r/artifacts/big"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(*blobs_->List(), SizeIs(0));
}

}  // namespace
}  // namespace sluice::tracking
