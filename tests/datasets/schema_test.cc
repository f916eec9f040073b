// The datasets module's migrations keep what earlier versions recorded.
#include "datasets/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/sha256.h"
#include "datasets/internal/pack.h"
#include "storage/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::datasets {
namespace {

using internal::ObjectLocation;
using internal::PackedObject;
using internal::PackInfo;
using storage::Connection;
using storage::Row;

PackInfo Pack(const std::string& name, int objects) {
  PackInfo p{Sha256::HexOf(name), 0, {}};
  for (int i = 0; i < objects; ++i) {
    Sha256 hasher;
    hasher.Update(name + std::to_string(i));
    p.objects.push_back(
        {hasher.Finish(), static_cast<uint64_t>(48 + 100 * i), static_cast<uint64_t>(60 + i)});
    p.size_bytes += 100;
  }
  return p;
}

std::vector<std::string> Digests(const std::vector<PackInfo>& packs) {
  std::vector<std::string> out;
  for (const PackInfo& p : packs) {
    for (const PackedObject& o : p.objects) out.push_back(o.hex());
  }
  return out;
}

TEST(SchemaTest, VersionThreeRebuildsTheObjectIndexAndKeepsEveryLocation) {
  testing::TempDir dir;
  auto db = storage::OpenSqliteDatabase(dir.path() / "sluice.db");
  ASSERT_OK(db.status());
  ASSERT_OK((*db)->Migrate(kSchemaModule, Migrations().first(2)));
  // The rows as versions 1 and 2 wrote them: digests as hex text; and one that is not hex.
  const std::vector<PackInfo> packs = {Pack("first", 300), Pack("second", 5)};
  ASSERT_OK((*db)->Write([&](Connection& c) -> Status {
    for (size_t p = 0; p < packs.size(); ++p) {
      const int64_t id = static_cast<int64_t>(p) + 1;
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO dataset_packs (id, digest, size_bytes, object_count, created_at) "
                    "VALUES (?, ?, ?, ?, 1)",
                    {id, packs[p].digest, packs[p].size_bytes, packs[p].objects.size()}));
      for (const PackedObject& o : packs[p].objects) {
        SLUICE_RETURN_IF_ERROR(
            c.Execute("INSERT INTO dataset_objects (digest, pack_id, pack_offset, size_bytes) "
                      "VALUES (?, ?, ?, ?)",
                      {o.hex(), id, o.offset, o.size_bytes}));
      }
    }
    return c.Execute(
        "INSERT INTO dataset_objects (digest, pack_id, pack_offset, size_bytes) "
        "VALUES ('not hex', 1, 48, 1)");
  }));

  ASSERT_OK((*db)->Migrate(kSchemaModule, Migrations()));

  ASSERT_OK((*db)->Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> tables,
        c.Query("SELECT sql FROM sqlite_master WHERE tbl_name = 'dataset_objects'"));
    EXPECT_EQ(tables.size(), 1u) << "the index by pack is gone";
    EXPECT_THAT(tables.at(0)[0].AsText(), ::testing::HasSubstr("WITHOUT ROWID"));
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> kinds,
        c.Query("SELECT typeof(digest), length(digest), COUNT(*) FROM dataset_objects "
                "GROUP BY 1, 2"));
    EXPECT_EQ(kinds.size(), 1u) << "every digest is 32 raw bytes; the one not hex is gone";
    EXPECT_EQ(kinds.at(0)[0].AsText(), "blob");
    EXPECT_EQ(kinds.at(0)[1].AsInt(), 32);
    EXPECT_EQ(kinds.at(0)[2].AsInt(), 305);
    SLUICE_ASSIGN_OR_RETURN(auto found, internal::LookupObjects(c, Digests(packs)));
    EXPECT_EQ(found.size(), 305u);
    for (const PackInfo& p : packs) {
      for (const PackedObject& o : p.objects) {
        const ObjectLocation& got = found.at(o.hex());
        EXPECT_EQ(got.pack, p.digest);
        EXPECT_EQ(got.offset, o.offset);
        EXPECT_EQ(got.size_bytes, o.size_bytes);
      }
    }
    return Status::Ok();
  }));

  // New objects go into the rebuilt table beside the old ones; one already located keeps its
  // location.
  PackInfo third = Pack("third", 3);
  third.objects.push_back(packs[1].objects[0]);
  ASSERT_OK((*db)->Write([&](Connection& c) { return internal::InsertPacks(c, {&third, 1}, 2); }));
  ASSERT_OK((*db)->Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto found, internal::LookupObjects(c, Digests({packs[1], third})));
    EXPECT_EQ(found.size(), 8u);
    EXPECT_EQ(found.at(packs[1].objects[0].hex()).pack, packs[1].digest);
    EXPECT_EQ(found.at(third.objects[0].hex()).pack, third.digest);
    return Status::Ok();
  }));
}

}  // namespace
}  // namespace sluice::datasets
