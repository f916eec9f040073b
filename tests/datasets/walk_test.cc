// Listing a folder: every regular file once, sorted, each with its own stat, with and without a
// pool (the stat runs then overlap the walk and the sort is split).
#include "datasets/internal/walk.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::datasets::internal {
namespace {

namespace fs = std::filesystem;

// Folders of many files (several stat runs each, and runs that span two folders), nested ones,
// and files whose sizes tell them apart.
std::vector<std::string> MakeTree(const fs::path& root) {
  std::vector<std::string> rels;
  const std::pair<std::string, int> folders[] = {{"", 1500}, {"a", 700}, {"a/b", 1100}, {"c", 3}};
  for (const auto& [folder, count] : folders) {
    fs::create_directories(root / folder);
    for (int i = 0; i < count; ++i) {
      const std::string rel = (folder.empty() ? "" : folder + "/") + "f" + std::to_string(i);
      testing::WriteFile(root / rel, std::string(rels.size() % 97, 'x'));
      rels.push_back(rel);
    }
  }
  std::sort(rels.begin(), rels.end());
  return rels;
}

void ExpectListed(const Sources& sources, const fs::path& root,
                  const std::vector<std::string>& rels) {
  ASSERT_EQ(sources.files.size(), rels.size());
  for (size_t i = 0; i < rels.size(); ++i) {
    const SourceFile& f = sources.files[i];
    ASSERT_EQ(f.rel, rels[i]);
    struct stat st;
    ASSERT_EQ(::stat((root / f.rel).c_str(), &st), 0);
    EXPECT_EQ(f.stat, FileStatOf(st)) << f.rel;
    EXPECT_EQ(fs::path(sources.dirs.at(f.dir)) / fs::path(f.rel).filename(), root / f.rel);
  }
}

TEST(WalkFolderTest, ListsEveryFileSortedWithItsStat) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "data";
  const std::vector<std::string> rels = MakeTree(root);
  ThreadPool pool(1);
  for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
    auto sources = WalkFolder(root, "data", p);
    ASSERT_OK(sources.status());
    ExpectListed(*sources, root, rels);
  }
}

TEST(WalkFolderTest, AFileThatCannotBeStatedFailsTheListing) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "data";
  MakeTree(root);
  // A symlink to nothing is not a regular file to readdir; one to a missing file is an error.
  fs::create_symlink(root / "gone", root / "a" / "b" / "dangling");
  ThreadPool pool(1);
  EXPECT_THAT(WalkFolder(root, "data", &pool),
              testing::StatusIs(StatusCode::kNotFound, ::testing::HasSubstr("a/b/dangling")));
}

}  // namespace
}  // namespace sluice::datasets::internal
