// The stat cache: for each file under a tracked path, the stat fields (device, inode, size,
// mtime_ns, ctime_ns, mode) it had when it was hashed and the digest (and chunks) it had then.
// A file whose stat fields are unchanged is not read again, so the status of an unchanged tree
// costs one stat per file. One row per tracked path (table dataset_stat_cache) holds the entries
// sorted by path in a compact binary encoding (format 2, docs/formats/dataset-manifest.md);
// decoding it makes views into those bytes, no allocation per file, and lookups are a merge with
// the sorted file list. Rows in the text encoding of format 1 are still read.
//
// Racy entries (a file changed within kRacyMarginNs of being looked at, when a later change
// could keep the same timestamps) are never saved, so they are hashed again next time.
//
// Thread safety: a StatCache is immutable once decoded; share it freely.
#pragma once

#include <cstdint>
#include <filesystem>
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

// Bytes of one chunk in CachedFile::chunks: its SHA-256 (32 raw bytes), then its size (8 bytes,
// little endian).
inline constexpr size_t kCachedChunkBytes = 40;

struct CachedFile {
  std::string_view path;
  FileStat stat;
  std::string_view digest;  // 32 raw bytes (SHA-256)
  std::string_view chunks;  // kCachedChunkBytes per chunk, in order; empty for a small file

  std::string DigestHex() const;
};

class StatCache {
 public:
  StatCache() = default;
  explicit StatCache(const ChunkingParams& chunking) : chunking_(chunking) {}

  // Either encoding (format 2, or the text of format 1). An unreadable or unsorted cache is
  // empty, never an error: it only costs a re-hash.
  static StatCache Decode(std::string bytes);

  const ChunkingParams& chunking() const { return chunking_; }
  // The manifest digest these entries make up, when the cache holds every file of a tree whose
  // manifest has that digest (then a tree whose files all match their entries, and no more
  // files, is that manifest without hashing or serializing anything); empty otherwise.
  const std::string& manifest_digest() const { return manifest_digest_; }
  // Sorted by path (bytewise).
  const std::vector<CachedFile>& files() const { return files_; }
  // The format 2 bytes of these entries (empty for a cache that was never saved), and whether
  // they were converted from a format 1 row, which is then worth saving again.
  std::string_view encoded() const { return bytes_ ? std::string_view(*bytes_) : ""; }
  bool converted() const { return converted_; }

 private:
  static StatCache DecodeBinary(std::shared_ptr<const std::string> bytes);
  static StatCache DecodeText(std::string_view text);

  ChunkingParams chunking_;
  std::string manifest_digest_;
  std::shared_ptr<const std::string> bytes_;  // what the views point into
  bool converted_ = false;                    // bytes_ re-encodes a format 1 row
  std::vector<CachedFile> files_;
};

// Builds the encoded cache (format 2); entries must be added in path order.
class StatCacheWriter {
 public:
  explicit StatCacheWriter(const ChunkingParams& chunking) : chunking_(chunking) {}
  // `entry.digest` and its chunks' digests are SHA-256 hex.
  void Add(const Entry& entry, const FileStat& stat);
  // Room for about `files` more entries.
  void Reserve(size_t files);
  // `manifest_digest`: see StatCache::manifest_digest(); empty when some entry was left out.
  std::string Finish(std::string_view manifest_digest) const;

 private:
  ChunkingParams chunking_;
  uint64_t count_ = 0;
  std::string body_;
};

// True when `sources` holds exactly the files `cache` lists, each with the stat it has there.
bool CacheMatchesTree(const StatCache& cache, const Sources& sources);
// The same for undecoded format 2 bytes whose chunking is `chunking` and manifest digest
// `manifest_digest` (false for anything else): a status of an unchanged tree reads nothing more.
bool EncodedCacheMatchesTree(std::string_view encoded, const ChunkingParams& chunking,
                             std::string_view manifest_digest, const Sources& sources);

// CachedFile::chunks back into chunks; kDataLoss when malformed.
Result<std::vector<Chunk>> ParseCachedChunks(std::string_view chunks);

// Stat caches are files, one per tracked path, in the workspace's .sluice/stat-cache/ (`dir`),
// each named by the SHA-256 of its path. They describe this machine's files (device, inode), so
// they stay with the workspace even when the metadata database is shared; and as a cache lost or
// torn costs only a re-hash (a torn file decodes as empty), one is written after its version
// commits, outside the transaction, and not fsynced. In the database, the cache of 100,000 files
// (megabytes) was written twice, to the log and by the checkpoint: 0.15 s of a 1.7 s add.

// The cache of `root` (a workspace-relative path); empty when there is none or it was made with
// other chunking parameters.
Result<StatCache> LoadStatCache(const std::filesystem::path& dir, storage::Connection& c,
                                const std::string& root, const ChunkingParams& chunking);
// The cache of `root` as stored (either format), for StatCache::Decode: its file (empty, with a
// warning, when it cannot be read), else the row an earlier Sluice kept in the database (table
// dataset_stat_cache, read through `c`), else empty.
Result<std::string> LoadStatCacheBytes(const std::filesystem::path& dir, storage::Connection& c,
                                       const std::string& root);
// Replaces the cache of `root` with `encoded` (StatCacheWriter::Finish's bytes), creating `dir`
// if need be: a temporary file renamed over the old one.
Status SaveStatCache(const std::filesystem::path& dir, const std::string& root,
                     std::string_view encoded);

// The wall clock in nanoseconds, the clock file timestamps come from (not an injectable Clock:
// it is compared with the file system's times).
int64_t FileClockNowNs();

// True when `stat` is too close to `looked_at_ns` to be trusted later.
inline bool IsRacy(const FileStat& stat, int64_t looked_at_ns) {
  return stat.mtime_ns >= looked_at_ns - kRacyMarginNs ||
         stat.ctime_ns >= looked_at_ns - kRacyMarginNs;
}

}  // namespace sluice::datasets::internal
