// Listing the files of a dataset: every regular file under a folder (symlinks followed, loops
// refused), with the stat fields change detection keys on. Built for 100,000s of files: one
// fstatat per file relative to its folder's descriptor, in parallel, and no path object per file.
//
// Thread safety: free functions; the pool, when given, runs the stat calls in parallel.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"

namespace sluice::datasets::internal {

struct FileStat {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size_bytes = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint32_t mode = 0644;  // 0644 or 0755 (owner execute bit)
  friend bool operator==(const FileStat&, const FileStat&) = default;
};

FileStat FileStatOf(const struct stat& st);

// A file to hash: its path in the manifest, and where its bytes are (dirs[dir] / name, where an
// empty name means the last part of rel).
struct SourceFile {
  std::string rel;
  uint32_t dir = 0;
  std::string name;
  FileStat stat;
};

struct Sources {
  std::string shown;              // how messages name the dataset root
  bool single_file = false;       // messages name `shown` itself, not shown/rel
  std::vector<std::string> dirs;  // absolute folders
  std::vector<SourceFile> files;  // sorted by rel (bytewise)
  // Things left out: "skipped 'a/fifo': not a regular file".
  std::vector<std::string> notes;
};

// The regular files under the folder `root`, sorted. Entries named ".sluice" (a workspace) are
// skipped. `shown` is how `root` is named in messages. Errors: kNotFound for a missing root or a
// symlink to nothing, kInvalidArgument for a symlink loop or a name that is not UTF-8,
// kPermissionDenied for an unreadable folder.
Result<Sources> WalkFolder(const std::filesystem::path& root, const std::string& shown,
                           ThreadPool* pool);

// The one file `file` as Sources (its manifest path is its name).
Result<Sources> SingleFile(const std::filesystem::path& file, const std::string& shown);

}  // namespace sluice::datasets::internal
