#include "datasets/dataset_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "base/file_util.h"
#include "base/sha256.h"
#include "datasets/internal/lease.h"
#include "datasets/internal/stat_cache.h"
#include "datasets/manifest.h"
#include "datasets/pointer_file.h"
#include "store_fixture.h"

namespace sluice::datasets {
namespace {

namespace fs = std::filesystem;
using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST_F(StoreTest, AddsAFileAndRecordsItsVersion) {
  Write("data/churn.csv", "id,x\n1,2\n3,4\n");
  ASSERT_OK_AND_ASSIGN(AddResult added, Add("data/churn.csv", "churn", "first"));
  const VersionInfo& v = added.version;
  EXPECT_FALSE(added.unchanged);
  EXPECT_EQ(v.name, "churn");
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.kind, DatasetKind::kFile);
  EXPECT_EQ(v.path, "data/churn.csv");
  EXPECT_EQ(v.size_bytes, 13u);
  EXPECT_EQ(v.file_count, 1u);
  EXPECT_EQ(v.stored_bytes, 13u);
  EXPECT_EQ(v.created_by, "tester");
  EXPECT_EQ(v.message, "first");
  EXPECT_TRUE(v.changes.is_null());
  EXPECT_EQ(added.pointer, Path("data/churn.csv.sluice"));

  ASSERT_OK_AND_ASSIGN(Manifest m, store_->ReadManifest(v.digest));
  ASSERT_EQ(m.entries.size(), 1u);
  EXPECT_EQ(m.entries[0].path, "churn.csv");
  EXPECT_EQ(m.entries[0].digest, Sha256::HexOf("id,x\n1,2\n3,4\n"));  // sha256sum's answer

  ASSERT_OK_AND_ASSIGN(PointerFile pointer, ReadPointer(Path("data/churn.csv.sluice")));
  EXPECT_EQ(pointer, (PointerFile{"churn", 1, v.digest, 13, "churn.csv"}));

  // The table profile.
  const auto& profile = v.table_info["files"]["churn.csv"];
  EXPECT_EQ(profile["rows"], 2);
  EXPECT_EQ(profile["columns"][0]["name"], "id");
  EXPECT_EQ(profile["columns"][0]["type"], "int64");
  EXPECT_EQ(profile["columns"][1]["mean"], 3.0);
}

TEST_F(StoreTest, UnchangedDataAddsNoVersionAndChangedDataAddsOne) {
  Write("d.csv", "a\n1\n");
  ASSERT_OK_AND_ASSIGN(AddResult first, Add("d.csv", "d"));
  ASSERT_OK_AND_ASSIGN(AddResult again, Add("d.csv", "d"));
  EXPECT_TRUE(again.unchanged);
  EXPECT_EQ(again.version.version, 1);
  EXPECT_EQ(again.new_bytes, 0u);
  Write("d.csv", "a\n1\n2\n");
  ASSERT_OK_AND_ASSIGN(AddResult second, Add("d.csv", "d", "more rows"));
  EXPECT_EQ(second.version.version, 2);
  EXPECT_EQ(second.version.changes,
            nlohmann::json({{"from", 1}, {"added", 0}, {"removed", 0}, {"modified", 1}}));

  ASSERT_OK_AND_ASSIGN(auto log, store_->Log("d"));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].version, 2);
  EXPECT_EQ(log[1].version, 1);
  ASSERT_OK_AND_ASSIGN(VersionInfo latest, store_->Get("d"));
  EXPECT_EQ(latest.version, 2);
  ASSERT_OK_AND_ASSIGN(VersionInfo one, store_->Get("d@1"));
  EXPECT_EQ(one.digest, first.version.digest);
  EXPECT_THAT(store_->Get("d@7"),
              StatusIs(StatusCode::kNotFound, HasSubstr("dataset 'd' has no version 7")));
  EXPECT_THAT(store_->Get("nope"),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("dataset 'nope' does not exist (list them: sluice data ls)")));
}

TEST_F(StoreTest, TagsNameVersions) {
  Write("d.txt", "one");
  ASSERT_THAT(Add("d.txt", "d"), IsOk());
  Write("d.txt", "two");
  ASSERT_THAT(Add("d.txt", "d"), IsOk());
  ASSERT_THAT(store_->Tag("d@1", "gold", false), IsOk());
  ASSERT_OK_AND_ASSIGN(VersionInfo gold, store_->Get("d@gold"));
  EXPECT_EQ(gold.version, 1);
  EXPECT_THAT(gold.tags, ElementsAre("gold"));
  EXPECT_THAT(
      store_->Tag("d@2", "gold", false),
      StatusIs(StatusCode::kAlreadyExists,
               HasSubstr("tag 'gold' of 'd' points at version 1; pass --force to move it")));
  ASSERT_THAT(store_->Tag("d@2", "gold", true), IsOk());
  ASSERT_OK_AND_ASSIGN(gold, store_->Get("d@gold"));
  EXPECT_EQ(gold.version, 2);
  EXPECT_THAT(store_->Get("d@silver"),
              StatusIs(StatusCode::kNotFound, HasSubstr("dataset 'd' has no tag 'silver'")));
  EXPECT_THAT(store_->Tag("d@1", "12", false), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(StoreTest, FolderVersionsAndDiff) {
  Write("imgs/a.bin", "aaa");
  Write("imgs/sub/b.bin", "bbb");
  Write("imgs/c.bin", "ccc");
  ASSERT_OK_AND_ASSIGN(AddResult v1, Add("imgs/", "imgs"));
  EXPECT_EQ(v1.version.kind, DatasetKind::kFolder);
  EXPECT_EQ(v1.version.path, "imgs");
  EXPECT_EQ(v1.version.file_count, 3u);
  EXPECT_EQ(v1.pointer, Path("imgs.sluice"));
  fs::remove(Path("imgs/c.bin"));
  Write("imgs/a.bin", "AAAA");
  Write("imgs/d.bin", "ddd");
  ASSERT_OK_AND_ASSIGN(AddResult v2, Add("imgs", "imgs"));
  ASSERT_OK_AND_ASSIGN(DiffResult d, store_->Diff("imgs@1", "imgs@2"));
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].path, "d.bin");
  ASSERT_EQ(d.removed.size(), 1u);
  EXPECT_EQ(d.removed[0].path, "c.bin");
  ASSERT_EQ(d.modified.size(), 1u);
  EXPECT_EQ(d.modified[0].path, "a.bin");
  EXPECT_EQ(d.modified[0].size_before, 3u);
  EXPECT_EQ(d.modified[0].size_after, 4u);
  EXPECT_EQ(d.unchanged, 1u);
}

TEST_F(StoreTest, DiffOfTableVersionsReportsSchemaAndColumnShifts) {
  Write("t.csv", "id,score,city\n1,1.0,a\n2,2.0,b\n3,3.0,a\n");
  ASSERT_THAT(Add("t.csv", "t"), IsOk());
  Write("t.csv", "id,score,extra\n1,10.0,x\n2,20.0,y\n3,30.0,z\n4,40.0,w\n");
  ASSERT_THAT(Add("t.csv", "t"), IsOk());
  ASSERT_OK_AND_ASSIGN(DiffResult d, store_->Diff("t@1", "t@2"));
  ASSERT_TRUE(d.tables.contains("t.csv")) << d.tables.dump();
  const auto& shift = d.tables["t.csv"];
  EXPECT_EQ(shift["rows"], nlohmann::json({3, 4}));
  EXPECT_EQ(shift["added_columns"], nlohmann::json({"extra"}));
  EXPECT_EQ(shift["removed_columns"], nlohmann::json({"city"}));
  const auto& score = shift["columns"][1];
  EXPECT_EQ(score["name"], "score");
  EXPECT_EQ(score["mean"], nlohmann::json({2.0, 25.0}));
  EXPECT_DOUBLE_EQ(score["mean_shift_sd"].get<double>(), 23.0);
}

TEST_F(StoreTest, UnparseableTableIsNotedNotFatal) {
  Write("bad.csv", "a,b\n1\n");
  ASSERT_OK_AND_ASSIGN(AddResult added, Add("bad.csv", "bad"));
  EXPECT_THAT(added.version.table_info["files"]["bad.csv"]["skipped"].get<std::string>(),
              HasSubstr("not parsed: "));
}

TEST_F(StoreTest, BadPathsRecordNothing) {
  EXPECT_THAT(Add("missing.csv", "m"),
              StatusIs(StatusCode::kNotFound, HasSubstr("missing.csv' does not exist")));
  testing::WriteFile(dir_.path() / "outside.csv", "x");
  EXPECT_THAT(store_->Add(dir_.path() / "outside.csv", {.name = "o"}),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("is outside the workspace")));
  // A symlink inside the workspace to a file outside it.
  fs::create_symlink(dir_.path() / "outside.csv", Path("link.csv"));
  EXPECT_THAT(Add("link.csv", "o"),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("is outside the workspace")));
  fs::create_symlink(Path("loop"), Path("loop"));
  EXPECT_THAT(Add("loop", "l"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("loop' is a symlink loop")));
  // A folder holding a symlink back to itself.
  Write("cyc/a.txt", "a");
  fs::create_directory_symlink(Path("cyc"), Path("cyc/again"));
  EXPECT_THAT(Add("cyc", "c"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("cyc/again' is a symlink loop: it leads back to a folder above")));
  EXPECT_THAT(Add(".sluice/config.yaml", "s"),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("inside .sluice/")));
  EXPECT_THAT(Add("missing.csv", "bad name"), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto list, store_->List());
  EXPECT_THAT(list, IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto blobs, workspace_->blobs().List());
  EXPECT_THAT(blobs, IsEmpty());
}

TEST_F(StoreTest, ChunkedFilesStoreOnlyTheChangedChunks) {
  const std::string base = RandomText(400'000, 7);
  Write("big.txt", base);
  ASSERT_OK_AND_ASSIGN(AddResult v1, Add("big.txt", "big"));
  EXPECT_EQ(v1.new_bytes, base.size());
  ASSERT_OK_AND_ASSIGN(Manifest m1, store_->ReadManifest(v1.version.digest));
  EXPECT_GT(m1.entries[0].chunks.size(), 20u);
  EXPECT_EQ(m1.entries[0].digest, ChunkListDigest(m1.entries[0].chunks));
  // Insert in the middle: only the chunks around the insertion are new.
  std::string changed = base;
  changed.insert(200'000, "INSERTED ROWS\n");
  Write("big.txt", changed);
  ASSERT_OK_AND_ASSIGN(AddResult v2, Add("big.txt", "big"));
  EXPECT_LT(v2.new_bytes, 40'000u);
  CheckoutOptions o;
  o.dest = Path("restored/");
  fs::create_directories(Path("restored"));
  ASSERT_OK_AND_ASSIGN(CheckoutResult out, store_->Checkout("big@1", o));
  EXPECT_EQ(out.dest, Path("restored/big.txt"));
  EXPECT_EQ(Read("restored/big.txt"), base);
}

TEST_F(StoreTest, ManySmallFilesGoIntoFewPacks) {
  for (int i = 0; i < 300; ++i) Write(fmt::format("many/f{:03}.txt", i), RandomText(2000, i));
  ASSERT_OK_AND_ASSIGN(AddResult v, Add("many", "many"));
  EXPECT_EQ(v.files, 300u);
  EXPECT_EQ(v.new_objects, 300u);
  ASSERT_OK_AND_ASSIGN(auto blobs, workspace_->blobs().List());
  // 600 KB in 256 KiB packs (one open pack per thread) and a manifest.
  EXPECT_LE(blobs.size(), 6u);
  fs::remove_all(Path("many"));
  ASSERT_OK_AND_ASSIGN(CheckoutResult out, store_->Checkout("many", {}));
  EXPECT_EQ(out.written_files, 300u);
  EXPECT_EQ(Read("many/f123.txt"), RandomText(2000, 123));
}

TEST_F(StoreTest, OneThreadGivesTheSameVersion) {
  Write("one/big.txt", RandomText(100'000, 3));
  for (int i = 0; i < 50; ++i) Write(fmt::format("one/f{}.txt", i), RandomText(500, i));
  ASSERT_OK_AND_ASSIGN(AddResult parallel, Add("one", "parallel"));
  StoreOptions single = Options();
  single.threads = 1;
  Reopen(single);
  ASSERT_OK_AND_ASSIGN(AddResult sequential, Add("one", "sequential"));
  EXPECT_EQ(sequential.version.digest, parallel.version.digest);
  fs::remove_all(Path("one"));
  ASSERT_THAT(store_->Checkout("sequential", {}), IsOk());
  EXPECT_EQ(Read("one/big.txt"), RandomText(100'000, 3));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
  EXPECT_TRUE(report.ok());
}

TEST_F(StoreTest, StatusUsesTheStatCache) {
  for (int i = 0; i < 20; ++i) Write(fmt::format("s/f{}.txt", i), "x" + std::to_string(i));
  ASSERT_THAT(Add("s", "s"), IsOk());
  // The files were just written: racy, so the first status reads them; the second does not.
  sleep(1);
  ASSERT_OK_AND_ASSIGN(auto first, store_->CheckStatus());
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].state, PathState::kUnchanged);
  ASSERT_OK_AND_ASSIGN(auto second, store_->CheckStatus());
  EXPECT_EQ(second[0].state, PathState::kUnchanged);
  EXPECT_EQ(second[0].hashed_files, 0u);
  EXPECT_EQ(second[0].files, 20u);

  Write("s/f3.txt", "changed");
  Write("s/new.txt", "new");
  fs::remove(Path("s/f4.txt"));
  ASSERT_OK_AND_ASSIGN(auto third, store_->CheckStatus("s"));
  EXPECT_EQ(third[0].state, PathState::kModified);
  ASSERT_EQ(third[0].modified.size(), 1u);
  EXPECT_EQ(third[0].modified[0].path, "f3.txt");
  ASSERT_EQ(third[0].added.size(), 1u);
  EXPECT_EQ(third[0].added[0].path, "new.txt");
  ASSERT_EQ(third[0].removed.size(), 1u);
  EXPECT_EQ(third[0].hashed_files, 2u);

  fs::remove_all(Path("s"));
  ASSERT_OK_AND_ASSIGN(auto gone, store_->CheckStatus());
  EXPECT_EQ(gone[0].state, PathState::kMissing);
}

// The stat cache row of `root` in the text format versions before format 2 wrote.
std::string AsFormat1(const internal::StatCache& cache) {
  const ChunkingParams& c = cache.chunking();
  std::string text = fmt::format("sluice-stat-cache 1 {} {} {} {} {}\n", c.min_bytes, c.avg_bytes,
                                 c.max_bytes, c.threshold_bytes, cache.manifest_digest());
  for (const internal::CachedFile& f : cache.files()) {
    text += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{:o}\t{}\t\n", f.path, f.stat.device, f.stat.inode,
                        f.stat.size_bytes, f.stat.mtime_ns, f.stat.ctime_ns, f.stat.mode,
                        f.DigestHex());
  }
  return text;
}

// Stat caches are files in .sluice/stat-cache/ (stat_cache.h), written after the version.
TEST_F(StoreTest, StatCacheFilesFollowTheTreeAndRowsOfOlderVersionsAreRead) {
  for (int i = 0; i < 20; ++i) Write(fmt::format("s/f{}.txt", i), "x" + std::to_string(i));
  ASSERT_THAT(Add("s", "s"), IsOk());
  sleep(1);
  const std::filesystem::path file = root_ / ".sluice" / "stat-cache" / Sha256::HexOf("s");
  auto inode = [&file] {
    struct stat st {};
    return ::stat(file.c_str(), &st) == 0 ? st.st_ino : 0;
  };
  ASSERT_NE(inode(), 0u) << file;
  // The add was too recent to cache its files (racy); the status reads them and caches them.
  ASSERT_OK_AND_ASSIGN(auto first, store_->CheckStatus());
  EXPECT_EQ(first[0].hashed_files, 20u);
  internal::StatCache cache = internal::StatCache::Decode(testing::ReadFile(file));
  ASSERT_EQ(cache.files().size(), 20u);
  ASSERT_FALSE(cache.manifest_digest().empty());
  ASSERT_OK_AND_ASSIGN(auto cached, store_->CheckStatus());
  EXPECT_EQ(cached[0].state, PathState::kUnchanged);
  EXPECT_EQ(cached[0].hashed_files, 0u);

  // A workspace of an earlier version kept the cache in the database, in the text of format 1:
  // read as well as a file, and saved as one in the current format.
  std::filesystem::remove(file);
  storage::Database& db = workspace_->database();
  ASSERT_THAT(db.Write([&](storage::Connection& c) {
    return c.Execute("INSERT INTO dataset_stat_cache (root, entries, updated_at) VALUES (?, ?, 1)",
                     {"s", AsFormat1(cache)});
  }),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto status, store_->CheckStatus());
  EXPECT_EQ(status[0].state, PathState::kUnchanged);
  EXPECT_EQ(status[0].hashed_files, 0u);
  EXPECT_EQ(testing::ReadFile(file), cache.encoded());

  // An add of the unchanged tree reads nothing and leaves the file alone.
  const auto saved = inode();
  ASSERT_OK_AND_ASSIGN(AddResult again, Add("s", "s"));
  EXPECT_TRUE(again.unchanged);
  EXPECT_EQ(again.hashed_files, 0u);
  EXPECT_EQ(inode(), saved);
  // A changed file is read, and the cache follows it.
  Write("s/f3.txt", "changed");
  ASSERT_OK_AND_ASSIGN(AddResult changed, Add("s", "s"));
  EXPECT_EQ(changed.hashed_files, 1u);
  EXPECT_NE(inode(), saved);
  // A torn file (a crash while it was written, as it is not fsynced) only costs a re-hash.
  sleep(1);
  const std::string whole = testing::ReadFile(file);
  testing::WriteFile(file, whole.substr(0, whole.size() / 2));
  ASSERT_OK_AND_ASSIGN(auto torn, store_->CheckStatus());
  EXPECT_EQ(torn[0].state, PathState::kUnchanged);
  EXPECT_EQ(torn[0].hashed_files, 20u);
  ASSERT_OK_AND_ASSIGN(auto mended, store_->CheckStatus());
  EXPECT_EQ(mended[0].hashed_files, 0u);
  // No temporary files are left behind.
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(file.parent_path())) {
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

// The add's own transaction releases its lease; a stat cache that cannot be saved costs a
// re-hash, not the version (whose packs stay).
TEST_F(StoreTest, AnAddReleasesItsLeaseAndOutlivesAnUnsavedStatCache) {
  for (int i = 0; i < 5; ++i) Write(fmt::format("u/f{}.txt", i), "u" + std::to_string(i));
  // A file where the folder of stat caches goes: no cache can be saved.
  testing::WriteFile(root_ / ".sluice" / "stat-cache", "in the way");
  ASSERT_OK_AND_ASSIGN(AddResult added, Add("u", "u"));
  EXPECT_EQ(added.version.version, 1);
  int64_t leases = -1;
  ASSERT_THAT(workspace_->database().Read([&](storage::Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(std::vector<storage::Row> rows,
                            c.Query("SELECT COUNT(*) FROM dataset_leases"));
    leases = rows[0][0].AsInt();
    return Status::Ok();
  }),
              IsOk());
  EXPECT_EQ(leases, 0);
  std::filesystem::remove_all(root_ / "u");
  ASSERT_THAT(store_->Checkout("u", {}), IsOk());
  EXPECT_EQ(Read("u/f3.txt"), "u3");
}

TEST_F(StoreTest, CheckoutRestoresAndProtectsUnsavedChanges) {
  Write("c.txt", "version one");
  ASSERT_THAT(Add("c.txt", "c"), IsOk());
  Write("c.txt", "version two");
  ASSERT_THAT(Add("c.txt", "c"), IsOk());
  // Stored content may be replaced freely.
  ASSERT_OK_AND_ASSIGN(CheckoutResult back, store_->Checkout("c@1", {}));
  EXPECT_EQ(back.written_files, 1u);
  EXPECT_EQ(Read("c.txt"), "version one");
  ASSERT_OK_AND_ASSIGN(CheckoutResult same, store_->Checkout("c@1", {}));
  EXPECT_EQ(same.written_files, 0u);
  EXPECT_EQ(same.unchanged_files, 1u);
  // Unsaved edits are not.
  Write("c.txt", "precious edits");
  EXPECT_THAT(store_->Checkout("c@2", {}),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("checkout would overwrite changes that no version holds")));
  EXPECT_EQ(Read("c.txt"), "precious edits");
  CheckoutOptions force;
  force.force = true;
  ASSERT_THAT(store_->Checkout("c@2", force), IsOk());
  EXPECT_EQ(Read("c.txt"), "version two");
  // From the pointer file.
  ASSERT_THAT(store_->Checkout("c@1", {}), IsOk());
  ASSERT_OK_AND_ASSIGN(PointerFile p, ReadPointer(Path("c.txt.sluice")));
  EXPECT_EQ(p.version, 2);
  ASSERT_THAT(store_->CheckoutPointer(Path("c.txt.sluice"), {}), IsOk());
  EXPECT_EQ(Read("c.txt"), "version two");
}

TEST_F(StoreTest, CheckoutOfAFolderRemovesFilesTheVersionLacks) {
  Write("f/a.txt", "a");
  ASSERT_THAT(Add("f", "f"), IsOk());
  Write("f/b.txt", "b");
  ASSERT_THAT(Add("f", "f"), IsOk());
  ASSERT_OK_AND_ASSIGN(CheckoutResult out, store_->Checkout("f@1", {}));
  EXPECT_EQ(out.removed_files, 1u);
  EXPECT_FALSE(fs::exists(Path("f/b.txt")));
  // An unsaved extra file blocks it.
  ASSERT_THAT(store_->Checkout("f@2", {}), IsOk());
  Write("f/unsaved.txt", "u");
  EXPECT_THAT(store_->Checkout("f@1", {}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("unsaved.txt")));
}

// Flips one bit of the pack holding `content`.
void FlipBitOf(storage::BlobStore& blobs, const std::string& content) {
  ASSERT_OK_AND_ASSIGN(auto list, blobs.List());
  for (const auto& b : list) {
    fs::path path = *blobs.LocalPath(b.digest);
    std::string bytes = testing::ReadFile(path);
    size_t at = bytes.find(content);
    if (at == std::string::npos) continue;
    bytes[at] ^= 0x01;
    fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
    testing::WriteFile(path, bytes);
    return;
  }
  FAIL() << "no blob holds the content";
}

TEST_F(StoreTest, AFlippedBitIsReportedByVerifyAndStopsCheckout) {
  Write("v.txt", "precious bytes here");
  ASSERT_THAT(Add("v.txt", "v"), IsOk());
  ASSERT_OK_AND_ASSIGN(VerifyReport clean, store_->Verify());
  EXPECT_TRUE(clean.ok());
  EXPECT_EQ(clean.objects, 1u);
  FlipBitOf(workspace_->blobs(), "precious bytes here");
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify("v@1"));
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_THAT(report.problems[0].what, HasSubstr("is corrupt: its bytes hash to"));
  EXPECT_THAT(report.problems[0].refs, ElementsAre("v@1: v.txt"));
  fs::remove(Path("v.txt"));
  EXPECT_THAT(store_->Checkout("v@1", {}),
              StatusIs(StatusCode::kDataLoss, HasSubstr("is corrupt")));
  EXPECT_FALSE(fs::exists(Path("v.txt")));
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(root_)) {
    EXPECT_EQ(e.path().filename().string().find(".sluice-tmp"), std::string::npos);
  }
}

TEST_F(StoreTest, GcRemovesOnlyWhatNoVersionReaches) {
  Write("g.txt", "kept content");
  ASSERT_THAT(Add("g.txt", "g"), IsOk());
  Write("g.txt", "dropped content");
  ASSERT_THAT(Add("g.txt", "g"), IsOk());
  Write("h.txt", "other dataset");
  ASSERT_THAT(Add("h.txt", "h"), IsOk());
  ASSERT_OK_AND_ASSIGN(GcReport nothing, store_->Gc({.min_age = std::chrono::seconds(0)}));
  EXPECT_EQ(nothing.removed_bytes, 0u);

  Write("k.txt", "also dropped");
  ASSERT_THAT(Add("k.txt", "k"), IsOk());
  ASSERT_THAT(store_->Remove("g", 2, false), IsOk());
  ASSERT_THAT(store_->Remove("k", 1, false), IsOk());
  ASSERT_OK_AND_ASSIGN(GcReport dry,
                       store_->Gc({.dry_run = true, .min_age = std::chrono::seconds(0)}));
  EXPECT_TRUE(dry.dry_run);
  EXPECT_EQ(dry.removed_packs, 2u);
  EXPECT_EQ(dry.removed_manifests, 2u);
  EXPECT_GT(dry.removed_bytes, 0u);
  ASSERT_OK_AND_ASSIGN(auto before, workspace_->blobs().List());
  ASSERT_OK_AND_ASSIGN(GcReport real, store_->Gc({.min_age = std::chrono::seconds(0)}));
  EXPECT_EQ(real.removed_bytes, dry.removed_bytes);
  ASSERT_OK_AND_ASSIGN(auto after, workspace_->blobs().List());
  EXPECT_EQ(after.size(), before.size() - 4);
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.versions, 2u);
  fs::remove(Path("g.txt"));
  ASSERT_THAT(store_->Checkout("g@1", {}), IsOk());
  EXPECT_EQ(Read("g.txt"), "kept content");
  // Re-adding the dropped contents stores them again: the index forgot both dead packs.
  Write("g.txt", "dropped content");
  ASSERT_OK_AND_ASSIGN(AddResult again, Add("g.txt", "g"));
  EXPECT_EQ(again.version.version, 3);
  EXPECT_EQ(again.new_bytes, 15u);
  ASSERT_OK_AND_ASSIGN(AddResult k_again, Add("k.txt", "k"));
  EXPECT_EQ(k_again.new_bytes, 12u);
}

TEST_F(StoreTest, GcKeepsYoungUnrecordedBlobsAndNeverTouchesForeignOnes) {
  // A pack an interrupted add left behind, and a blob of another module.
  ASSERT_OK_AND_ASSIGN(auto writer, workspace_->blobs().NewWriter());
  ASSERT_THAT(writer->Write("SLPACK01"), IsOk());
  ASSERT_OK_AND_ASSIGN(storage::BlobInfo orphan, writer->Commit());
  ASSERT_OK_AND_ASSIGN(storage::BlobInfo foreign, workspace_->blobs().Put("a model artifact"));
  ASSERT_OK_AND_ASSIGN(GcReport young, store_->Gc({}));
  EXPECT_EQ(young.kept_young_blobs, 1u);
  EXPECT_EQ(young.removed_bytes, 0u);
  ASSERT_OK_AND_ASSIGN(GcReport old, store_->Gc({.min_age = std::chrono::seconds(0)}));
  EXPECT_EQ(old.removed_packs, 1u);
  EXPECT_EQ(old.removed_bytes, orphan.size_bytes);
  ASSERT_OK_AND_ASSIGN(bool orphan_left, workspace_->blobs().Has(orphan.digest));
  EXPECT_FALSE(orphan_left);
  ASSERT_OK_AND_ASSIGN(bool kept, workspace_->blobs().Has(foreign.digest));
  EXPECT_TRUE(kept);
}

TEST_F(StoreTest, GcWaitsForWritersAndWritersWaitForGc) {
  Write("w.txt", "w");
  // A write lease held by someone else (a live process: this one).
  ASSERT_OK_AND_ASSIGN(
      auto lease, datasets::internal::Lease::Acquire(workspace_->database(), SystemClock::Get(),
                                                     datasets::internal::LeaseKind::kWrite, "add x",
                                                     {.wait = std::chrono::milliseconds(0)}));
  EXPECT_THAT(store_->Gc({}), StatusIs(StatusCode::kUnavailable, HasSubstr("'add x' (pid")));
  lease.reset();
  ASSERT_OK_AND_ASSIGN(
      auto gc_lease, datasets::internal::Lease::Acquire(workspace_->database(), SystemClock::Get(),
                                                        datasets::internal::LeaseKind::kGc, "gc",
                                                        {.wait = std::chrono::milliseconds(0)}));
  EXPECT_THAT(Add("w.txt", "w"),
              StatusIs(StatusCode::kUnavailable, HasSubstr("garbage collection 'gc' (pid")));
  gc_lease.reset();
  EXPECT_THAT(Add("w.txt", "w"), IsOk());
}

TEST_F(StoreTest, ResolveGivesTheWorkspacePathOrACachedCopy) {
  Write("r.csv", "a\n1\n");
  ASSERT_THAT(Add("r.csv", "r"), IsOk());
  Write("r.csv", "a\n2\n");
  ASSERT_THAT(Add("r.csv", "r"), IsOk());
  ASSERT_OK_AND_ASSIGN(ResolvedData latest, store_->Resolve("r"));
  EXPECT_EQ(latest.path, Path("r.csv"));
  ASSERT_OK_AND_ASSIGN(ResolvedData old, store_->Resolve("r@1"));
  EXPECT_NE(old.path, Path("r.csv"));
  EXPECT_EQ(testing::ReadFile(old.path), "a\n1\n");
  EXPECT_EQ(old.version.version, 1);
  ASSERT_OK_AND_ASSIGN(ResolvedData again, store_->Resolve("r@1"));
  EXPECT_EQ(again.path, old.path);
}

TEST_F(StoreTest, ResolveDataArgumentPrefersExistingPaths) {
  Write("r.csv", "a\n1\n");
  ASSERT_THAT(Add("r.csv", "r"), IsOk());
  ASSERT_OK_AND_ASSIGN(auto as_path, ResolveDataArgument(*store_, Path("r.csv").string()));
  EXPECT_FALSE(as_path.has_value());
  ASSERT_OK_AND_ASSIGN(auto as_ref, ResolveDataArgument(*store_, "r@1"));
  ASSERT_TRUE(as_ref.has_value());
  EXPECT_EQ(as_ref->path, Path("r.csv"));
  EXPECT_EQ(as_ref->version.version, 1);
  EXPECT_THAT(ResolveDataArgument(*store_, "nothing@2"),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("'nothing@2' is neither a file nor a dataset version: dataset "
                                 "'nothing' does not exist")));
  EXPECT_THAT(ResolveDataArgument(*store_, "no such/file.csv"),
              StatusIs(StatusCode::kNotFound, HasSubstr("is neither a file nor a dataset")));
}

TEST_F(StoreTest, RemoveRefusesTaggedVersionsWithoutForce) {
  Write("x.txt", "x");
  ASSERT_THAT(Add("x.txt", "x"), IsOk());
  ASSERT_THAT(store_->Tag("x@1", "keep", false), IsOk());
  EXPECT_THAT(store_->Remove("x", 1, false),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("keep (version 1)")));
  ASSERT_THAT(store_->Remove("x", 1, true), IsOk());
  EXPECT_THAT(store_->Get("x@1"), StatusIs(StatusCode::kNotFound));
  // Version numbers are never reused.
  Write("x.txt", "y");
  ASSERT_OK_AND_ASSIGN(AddResult next, Add("x.txt", "x"));
  EXPECT_EQ(next.version.version, 2);
}

TEST_F(StoreTest, ValidationsAreKeptPerVersionNewestFirstAndGoWithIt) {
  Write("v.csv", "a\n1\n");
  ASSERT_OK_AND_ASSIGN(AddResult first, Add("v.csv", "v"));
  ASSERT_THAT(store_->RecordValidation(first.version, {.suite = "s1",
                                                       .success = true,
                                                       .evaluated = 3,
                                                       .rows = 1,
                                                       .created_by = "tester",
                                                       .result = "{}"}),
              IsOk());
  ASSERT_THAT(store_->RecordValidation(first.version, {.suite = "s2",
                                                       .success = false,
                                                       .evaluated = 3,
                                                       .failed = 2,
                                                       .rows = 1,
                                                       .created_by = "tester",
                                                       .result = "{}"}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto checks, store_->Validations("v", 1));
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].suite, "s2");
  EXPECT_EQ(checks[0].failed, 2);
  EXPECT_FALSE(checks[0].success);
  EXPECT_EQ(checks[1].suite, "s1");
  EXPECT_GT(checks[1].created_at, 0);

  ASSERT_THAT(store_->Remove("v", 1, false), IsOk());
  ASSERT_OK_AND_ASSIGN(checks, store_->Validations("v", 1));
  EXPECT_TRUE(checks.empty());
  EXPECT_THAT(store_->RecordValidation(first.version, {.suite = "s3"}),
              StatusIs(StatusCode::kNotFound, HasSubstr("v@1 was removed")));
}

TEST_F(StoreTest, ConcurrentAddsOfSharedContentBothSucceed) {
  const std::string shared = RandomText(100'000, 11);
  for (const char* d : {"a", "b"}) {
    Write(std::string(d) + "/shared.txt", shared);
    Write(std::string(d) + "/own.txt", d);
  }
  Result<AddResult> a = Status(), b = Status();
  std::thread ta([&] { a = Add("a", "a"); });
  std::thread tb([&] { b = Add("b", "b"); });
  ta.join();
  tb.join();
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, store_->Verify());
  EXPECT_TRUE(report.ok());
  ASSERT_OK_AND_ASSIGN(GcReport gc, store_->Gc({.min_age = std::chrono::seconds(0)}));
  EXPECT_EQ(gc.forgotten_objects, 0u);
  ASSERT_OK_AND_ASSIGN(report, store_->Verify());
  EXPECT_TRUE(report.ok());
  fs::remove_all(Path("b"));
  ASSERT_THAT(store_->Checkout("b", {}), IsOk());
  EXPECT_EQ(Read("b/shared.txt"), shared);
}

TEST_F(StoreTest, HashMatchesSha256sumForSmallFiles) {
  Write("h.bin", "hello");
  ASSERT_OK_AND_ASSIGN(auto entries, store_->Hash({Path("h.bin")}));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].digest, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
}

}  // namespace
}  // namespace sluice::datasets
