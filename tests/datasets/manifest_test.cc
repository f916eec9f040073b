#include "datasets/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/sha256.h"
#include "datasets/internal/stat_cache.h"
#include "datasets/pointer_file.h"
#include "testing/status_matchers.h"

namespace sluice::datasets {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

std::string D(char c) { return std::string(64, c); }

Manifest Sample() {
  Manifest m;
  m.kind = DatasetKind::kFolder;
  m.entries.push_back({"a \"quoted\"\tname.csv", 0644, 3, Sha256::HexOf("abc"), {}});
  m.entries.push_back({"sub/big.bin", 0755, 30, "", {{D('1'), 10}, {D('2'), 20}}});
  m.entries[1].digest = ChunkListDigest(m.entries[1].chunks);
  return m;
}

TEST(ManifestTest, RoundTripsAndIsCanonical) {
  const Manifest m = Sample();
  const std::string json = SerializeManifest(m);
  ASSERT_OK_AND_ASSIGN(Manifest back, ParseManifest(json));
  EXPECT_EQ(back, m);
  EXPECT_EQ(SerializeManifest(back), json);
  EXPECT_THAT(json, HasSubstr("{\"format\":\"sluice.dataset.manifest\",\"version\":1,"
                              "\"kind\":\"folder\",\"chunking\":{\"algorithm\":"
                              "\"fastcdc-gear-splitmix64-v1\",\"min\":262144,\"avg\":1048576,"
                              "\"max\":4194304,\"threshold\":4194304},\"entries\":[\n"));
  EXPECT_THAT(json, HasSubstr("\"mode\":\"0755\",\"size\":30"));
}

TEST(ManifestTest, ChunkListDigestIsTheHashOfItsLines) {
  std::vector<Chunk> chunks = {{D('1'), 10}, {D('2'), 20}};
  EXPECT_EQ(ChunkListDigest(chunks),
            Sha256::HexOf("sluice-chunks-v1\n" + D('1') + " 10\n" + D('2') + " 20\n"));
}

TEST(ManifestTest, RejectsCorruptOrUnsafeManifests) {
  EXPECT_THAT(ParseManifest("not json"), StatusIs(StatusCode::kDataLoss, HasSubstr("not a JSON")));
  EXPECT_THAT(ParseManifest("{\"format\":\"other\"}"), StatusIs(StatusCode::kDataLoss));
  std::string json = SerializeManifest(Sample());
  std::string newer = json;
  newer.replace(newer.find("\"version\":1"), 11, "\"version\":9");
  EXPECT_THAT(ParseManifest(newer),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("newer than this Sluice reads")));
  Manifest escape = Sample();
  escape.entries[0].path = "../etc/passwd";
  EXPECT_THAT(ParseManifest(SerializeManifest(escape)),
              StatusIs(StatusCode::kDataLoss, HasSubstr("bad entry path '../etc/passwd'")));
  Manifest unsorted = Sample();
  std::swap(unsorted.entries[0], unsorted.entries[1]);
  EXPECT_THAT(ParseManifest(SerializeManifest(unsorted)),
              StatusIs(StatusCode::kDataLoss, HasSubstr("not sorted")));
  Manifest short_chunks = Sample();
  short_chunks.entries[1].size_bytes = 31;
  EXPECT_THAT(ParseManifest(SerializeManifest(short_chunks)),
              StatusIs(StatusCode::kDataLoss, HasSubstr("add up to 30 bytes, not 31")));
}

TEST(ManifestTest, EntryPathRules) {
  EXPECT_TRUE(IsValidEntryPath("a/b.csv"));
  for (const char* bad : {"", "/abs", "a//b", "a/./b", "a/../b", "..", "a/"}) {
    EXPECT_FALSE(IsValidEntryPath(bad)) << bad;
  }
}

TEST(RefTest, ParsesNamesVersionsAndTags) {
  ASSERT_OK_AND_ASSIGN(Ref plain, ParseRef("churn"));
  EXPECT_EQ(plain.name, "churn");
  EXPECT_FALSE(plain.version);
  EXPECT_EQ(plain.tag, "");
  ASSERT_OK_AND_ASSIGN(Ref numbered, ParseRef("churn@12"));
  EXPECT_EQ(*numbered.version, 12);
  ASSERT_OK_AND_ASSIGN(Ref tagged, ParseRef("churn@gold-2026-11"));
  EXPECT_EQ(tagged.tag, "gold-2026-11");
  EXPECT_EQ(tagged.ToString(), "churn@gold-2026-11");
  ASSERT_OK_AND_ASSIGN(Ref latest, ParseRef("churn@latest"));
  EXPECT_FALSE(latest.version);
  EXPECT_EQ(latest.tag, "");
  EXPECT_THAT(ParseRef("churn@0"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("version must be a number from 1")));
  EXPECT_THAT(ParseRef("bad name"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("dataset reference 'bad name': dataset name 'bad name' may hold "
                                 "only letters, digits, '.', '_' and '-'")));
  EXPECT_THAT(ParseRef("@3"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("is empty")));
  EXPECT_THAT(ValidateTagName("42"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reads as a version number")));
  EXPECT_THAT(ValidateTagName("latest"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(StatCacheTest, RoundTripsOddPathsInOrder) {
  ChunkingParams chunking;
  chunking.threshold_bytes = 8 << 20;
  internal::StatCacheWriter writer(chunking);
  internal::FileStat stat{1, 2, 3, 4, 5, 0755};
  Entry big{"big", 0644, 15, D('a'), {{D('b'), 7}, {D('c'), 8}}};
  Entry odd{"tab\there\nnewline\\slash", 0644, 3, D('d'), {}};
  writer.Add(big, stat);
  writer.Add(odd, stat);
  internal::StatCache back = internal::StatCache::Decode(writer.Finish(D('f')));
  EXPECT_EQ(back.manifest_digest(), D('f'));
  EXPECT_EQ(back.chunking(), chunking);
  ASSERT_EQ(back.files().size(), 2u);
  EXPECT_EQ(back.files()[0].path, "big");
  EXPECT_EQ(back.files()[0].stat, stat);
  ASSERT_OK_AND_ASSIGN(std::vector<Chunk> chunks,
                       internal::ParseCachedChunks(back.files()[0].chunks));
  EXPECT_EQ(chunks, big.chunks);
  EXPECT_EQ(back.files()[1].path, odd.path);
  EXPECT_EQ(back.files()[1].DigestHex(), D('d'));
  EXPECT_FALSE(back.converted());
  // A copy keeps its views valid.
  internal::StatCache copy = back;
  back = internal::StatCache();
  EXPECT_EQ(copy.files()[1].path, odd.path);
  EXPECT_TRUE(internal::StatCache::Decode("garbage").files().empty());
  EXPECT_TRUE(
      internal::StatCache::Decode("sluice-stat-cache 1 1 2 3 4 -\nbad line\n").files().empty());
  // Out of order: not trusted.
  internal::StatCacheWriter unsorted(chunking);
  unsorted.Add(odd, stat);
  unsorted.Add(big, stat);
  EXPECT_TRUE(internal::StatCache::Decode(unsorted.Finish("")).files().empty());
}

// Format 1, as versions before format 2 wrote it: rows of existing workspaces.
constexpr std::string_view kFormat1 =
    "sluice-stat-cache 1 1024 4096 16384 16384 "
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n"
    "a\\tb\t1\t2\t3\t4\t5\t644\t"
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\t\n"
    "big\t1\t7\t30\t-4\t6\t755\t"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\t"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:10,"
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc:20\n";

TEST(StatCacheTest, ReadsTheTextFormatOfOlderVersions) {
  internal::StatCache old = internal::StatCache::Decode(std::string(kFormat1));
  EXPECT_TRUE(old.converted());
  EXPECT_EQ(old.chunking(), (ChunkingParams{1024, 4096, 16384, 16384}));
  EXPECT_EQ(old.manifest_digest(), D('f'));
  ASSERT_EQ(old.files().size(), 2u);
  EXPECT_EQ(old.files()[0].path, "a\tb");
  EXPECT_EQ(old.files()[0].stat, (internal::FileStat{1, 2, 3, 4, 5, 0644}));
  EXPECT_EQ(old.files()[0].DigestHex(), D('d'));
  EXPECT_EQ(old.files()[0].chunks, "");
  EXPECT_EQ(old.files()[1].stat, (internal::FileStat{1, 7, 30, -4, 6, 0755}));
  ASSERT_OK_AND_ASSIGN(std::vector<Chunk> chunks,
                       internal::ParseCachedChunks(old.files()[1].chunks));
  EXPECT_EQ(chunks, (std::vector<Chunk>{{D('b'), 10}, {D('c'), 20}}));
  // Its format 2 re-encoding decodes to the same entries.
  internal::StatCache again = internal::StatCache::Decode(std::string(old.encoded()));
  EXPECT_FALSE(again.converted());
  EXPECT_EQ(again.manifest_digest(), D('f'));
  ASSERT_EQ(again.files().size(), 2u);
  EXPECT_EQ(again.files()[1].path, "big");
  EXPECT_EQ(again.files()[1].chunks, old.files()[1].chunks);
  // A digest that is not hex is not trusted.
  std::string bad(kFormat1);
  bad.replace(bad.find("dddd"), 1, "x");
  EXPECT_TRUE(internal::StatCache::Decode(bad).files().empty());
}

TEST(StatCacheTest, TruncatedOrCorruptBinaryIsAnEmptyCache) {
  ChunkingParams chunking;
  internal::StatCacheWriter writer(chunking);
  writer.Add({"a", 0644, 3, D('a'), {}}, {1, 2, 3, 4, 5, 0644});
  writer.Add({"b", 0644, 30, D('b'), {{D('c'), 10}, {D('d'), 20}}}, {1, 3, 30, 4, 5, 0644});
  const std::string bytes = writer.Finish("");
  ASSERT_EQ(internal::StatCache::Decode(bytes).files().size(), 2u);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_TRUE(internal::StatCache::Decode(bytes.substr(0, n)).files().empty()) << n;
  }
  EXPECT_TRUE(internal::StatCache::Decode(bytes + "x").files().empty());
}

TEST(StatCacheTest, EncodedCacheMatchesOnlyTheSameTree) {
  ChunkingParams chunking;
  internal::StatCacheWriter writer(chunking);
  const internal::FileStat stat{1, 2, 3, 4, 5, 0644};
  writer.Add({"a", 0644, 3, D('a'), {}}, stat);
  writer.Add({"b/c", 0644, 3, D('b'), {}}, stat);
  const std::string bytes = writer.Finish(D('e'));
  internal::Sources tree;
  tree.files = {{"a", 0, {}, stat}, {"b/c", 0, {}, stat}};
  EXPECT_TRUE(internal::EncodedCacheMatchesTree(bytes, chunking, D('e'), tree));
  EXPECT_FALSE(internal::EncodedCacheMatchesTree(bytes, chunking, D('f'), tree));
  ChunkingParams other = chunking;
  other.threshold_bytes += 1;
  EXPECT_FALSE(internal::EncodedCacheMatchesTree(bytes, other, D('e'), tree));
  internal::Sources touched = tree;
  touched.files[1].stat.mtime_ns += 1;
  EXPECT_FALSE(internal::EncodedCacheMatchesTree(bytes, chunking, D('e'), touched));
  internal::Sources more = tree;
  more.files.push_back({"d", 0, {}, stat});
  EXPECT_FALSE(internal::EncodedCacheMatchesTree(bytes, chunking, D('e'), more));
  // A cache left incomplete (no manifest digest) never matches, nor does format 1.
  EXPECT_FALSE(internal::EncodedCacheMatchesTree(writer.Finish(""), chunking, D('e'), tree));
  EXPECT_FALSE(internal::EncodedCacheMatchesTree(kFormat1, chunking, D('f'), tree));
}

TEST(PointerFileTest, RoundTripsAndNamesBadFields) {
  PointerFile p{"churn", 2, D('e'), 1234, "churn.csv"};
  const std::string yaml = SerializePointer(p);
  EXPECT_THAT(yaml, HasSubstr("# Sluice dataset pointer: `sluice data checkout churn.csv.sluice`"));
  ASSERT_OK_AND_ASSIGN(PointerFile back, ParsePointer(yaml, "x.sluice"));
  EXPECT_EQ(back, p);
  EXPECT_THAT(ParsePointer("name: churn\n", "x.sluice"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("pointer file 'x.sluice': missing 'version'")));
  EXPECT_THAT(ParsePointer("name: c\nversion: 1\ndigest: abc\npath: a\n", "x.sluice"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("digest must be 64")));
  EXPECT_THAT(ParsePointer("name: c\nversion: 1\ndigest: " + D('a') + "\npath: ../a\n", "x.sluice"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("without '..'")));
  EXPECT_EQ(PointerPathFor("data/images/"), std::filesystem::path("data/images.sluice"));
  EXPECT_EQ(PointerPathFor("data/churn.csv"), std::filesystem::path("data/churn.csv.sluice"));
}

}  // namespace
}  // namespace sluice::datasets
