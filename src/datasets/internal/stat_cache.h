// The stat cache: for each file under a tracked path, the stat fields (device, inode, size,
// mtime_ns, ctime_ns, mode) it had when it was hashed and the digest (and chunks) it had then.
// A file whose stat fields are unchanged is not read again, so the status of an unchanged tree
// costs one stat per file. One row per tracked path (table dataset_stat_cache) holds compact text
// sorted by path (docs/formats/dataset-manifest.md); decoding it makes views into that text, no
// allocation per file, and lookups are a merge with the sorted file list.
//
// Racy entries (a file changed within kRacyMarginNs of being looked at, when a later change
// could keep the same timestamps) are never saved, so they are hashed again next time.
//
// Thread safety: a StatCache is immutable once decoded; share it freely.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "datasets/chunker.h"
#include "datasets/internal/walk.h"
#include "datasets/types.h"
#include "storage/database.h"

namespace sluice::datasets::internal {

inline constexpr int64_t kRacyMarginNs = 1'000'000'000;

struct CachedFile {
  std::string_view path;
  FileStat stat;
  std::string_view digest;
  std::string_view chunks;  // "digest:size,..." or empty
};

class StatCache {
 public:
  StatCache() = default;
  explicit StatCache(const ChunkingParams& chunking) : chunking_(chunking) {}

  // An unreadable or unsorted cache is empty, never an error: it only costs a re-hash.
  static StatCache Decode(std::string text);

  const ChunkingParams& chunking() const { return chunking_; }
  // The manifest digest these entries make up, when the cache holds every file of a tree whose
  // manifest has that digest (then a tree whose files all match their entries, and no more
  // files, is that manifest without hashing or serializing anything); empty otherwise.
  const std::string& manifest_digest() const { return manifest_digest_; }
  // Sorted by path (bytewise).
  const std::vector<CachedFile>& files() const { return files_; }

 private:
  ChunkingParams chunking_;
  std::string manifest_digest_;
  std::shared_ptr<const std::string> text_;             // what the views point into
  std::shared_ptr<std::deque<std::string>> unescaped_;  // paths that needed unescaping
  std::vector<CachedFile> files_;
};

// Builds the cache text; entries must be added in path order.
class StatCacheWriter {
 public:
  explicit StatCacheWriter(const ChunkingParams& chunking) : chunking_(chunking) {}
  void Add(const Entry& entry, const FileStat& stat);
  // `manifest_digest`: see StatCache::manifest_digest(); empty when some entry was left out.
  std::string Finish(std::string_view manifest_digest) const;

 private:
  ChunkingParams chunking_;
  std::string body_;
};

// True when `sources` holds exactly the files `cache` lists, each with the stat it has there.
bool CacheMatchesTree(const StatCache& cache, const Sources& sources);

// "digest:size,..." back into chunks; kDataLoss when malformed.
Result<std::vector<Chunk>> ParseCachedChunks(std::string_view text);

// The cache of `root` (a workspace-relative path); empty when there is none or it was made with
// other chunking parameters.
Result<StatCache> LoadStatCache(storage::Connection& c, const std::string& root,
                                const ChunkingParams& chunking);
Status SaveStatCache(storage::Connection& c, const std::string& root, const std::string& text,
                     int64_t now_millis);

// The wall clock in nanoseconds, the clock file timestamps come from (not an injectable Clock:
// it is compared with the file system's times).
int64_t FileClockNowNs();

// True when `stat` is too close to `looked_at_ns` to be trusted later.
inline bool IsRacy(const FileStat& stat, int64_t looked_at_ns) {
  return stat.mtime_ns >= looked_at_ns - kRacyMarginNs ||
         stat.ctime_ns >= looked_at_ns - kRacyMarginNs;
}

}  // namespace sluice::datasets::internal
