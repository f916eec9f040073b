// The state behind a DatasetStore and the helpers its operations share (dataset_store.cc,
// remote.cc, dvc_import.cc). Private to the module.
//
// Thread safety: as DatasetStore.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/thread_pool.h"
#include "datasets/dataset_store.h"
#include "datasets/internal/ingest.h"
#include "datasets/internal/lease.h"
#include "datasets/internal/pack.h"
#include "datasets/internal/stat_cache.h"
#include "datasets/internal/walk.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace sluice::datasets {

// The columns VersionFromRow reads, in order.
inline constexpr std::string_view kVersionColumns =
    "name, version, digest, kind, path, size_bytes, file_count, stored_bytes, created_at, "
    "created_by, message, source, table_info, changes, chunking";

std::string ChunkingText(const ChunkingParams& c);
Result<ChunkingParams> ParseChunkingText(std::string_view text);

// What the ingest of a set of source files produced.
struct Ingested {
  Manifest manifest;
  // Per entry: its stat, and whether the stat cache may hold it (stable, not racy).
  std::vector<internal::FileStat> stats;
  std::vector<uint8_t> cacheable;
  uint64_t hashed_files = 0;
  uint64_t hashed_bytes = 0;

  // The stat cache of the cacheable entries; `complete` tells whether that is all of them. Reads
  // only, so it may run beside other readers of the manifest (an add encodes it while it stores
  // the manifest: 50 ms for 100,000 files).
  internal::StatCacheWriter StatCache(bool& complete) const;
};

// A version about to be recorded.
struct NewVersion {
  std::string name;
  std::string digest;
  DatasetKind kind = DatasetKind::kFile;
  std::string path;
  uint64_t size_bytes = 0;
  uint64_t file_count = 0;
  uint64_t stored_bytes = 0;
  std::string user;
  std::string message;
  std::string source;
  nlohmann::json table_info;
  nlohmann::json changes;
  ChunkingParams chunking;
  // Recorded in the same transaction.
  std::vector<internal::PackInfo> packs;
  // The writer's lease, checked inside the recording transaction (empty: not checked).
  std::string lease_id;
  // For pull: this exact version number (kAlreadyExists when taken by another digest).
  std::optional<int64_t> version;
};

struct DatasetStore::Impl {
  Impl(storage::Database& database, storage::BlobStore& blob_store, std::filesystem::path root,
       const Clock& clock, const StoreOptions& options);

  storage::Database& db;
  storage::BlobStore& blobs;
  const std::filesystem::path root;
  const std::filesystem::path stat_caches;  // root/.sluice/stat-cache (stat_cache.h)
  const Clock& clock;
  const StoreOptions config;
  // Workers beside the calling thread (which works too); null when StoreOptions::threads is 1.
  std::unique_ptr<ThreadPool> pool;

  // body(0) ... body(n - 1) on the pool and the calling thread, or in order without a pool.
  void ForEach(size_t n, const std::function<void(size_t)>& body);

  Result<std::unique_ptr<internal::Lease>> AcquireLease(internal::LeaseKind kind,
                                                        std::string command);

  // Version lookups inside a transaction.
  Result<VersionInfo> ResolveRef(storage::Connection& c, const Ref& ref);
  Result<std::optional<VersionInfo>> Latest(storage::Connection& c, const std::string& name);
  Status LoadTags(storage::Connection& c, VersionInfo& v);

  // Hashes `files` (cached entries reused when their stat matches `cache`), storing new objects
  // in `packs` when given. Entries are in the order of `files` (sorted by rel).
  Result<Ingested> IngestSources(const internal::Sources& sources, const internal::StatCache& cache,
                                 const ChunkingParams& chunking, DatasetKind kind,
                                 internal::PackSet* packs, Progress* progress,
                                 const std::string& label);

  // Records a version whose objects and manifest are durable, with its packs' index rows, in one
  // transaction. Returns the version and whether it was already the latest (then nothing but the
  // packs is written).
  Result<std::pair<VersionInfo, bool>> RecordVersion(const NewVersion& v);
  // The same, begun before the version is complete: the transaction inserts the rows of `packs`
  // (under `lease_id` when not empty), then calls `rest` for the version (its `packs` and
  // `lease_id` unused) while the caller completes it meanwhile. `rest` returning nullptr rolls
  // everything back (kFailedPrecondition). `rest` may run on another thread, inside the write lock:
  // it must not wait for anything that itself waits for this database's write lock.
  // `release_lease`: the transaction also removes the lease (internal::Lease::ReleaseWithin).
  Result<std::pair<VersionInfo, bool>> RecordVersion(std::span<const internal::PackInfo> packs,
                                                     const std::string& lease_id,
                                                     const std::function<const NewVersion*()>& rest,
                                                     bool release_lease = false);

  // Table profiles of the table files among `entries`, reusing the profiles `previous` holds for
  // files with the same digest.
  // `file_of` names the file holding an entry's bytes (its name's extension decides the format).
  nlohmann::json ProfileTables(const Manifest& manifest,
                               const std::function<std::filesystem::path(const Entry&)>& file_of,
                               const nlohmann::json& previous);

  // {"from": N, "added": a, "removed": r, "modified": m} against the manifest `previous`.
  static nlohmann::json CountChanges(const Manifest& previous, const Manifest& current,
                                     int64_t previous_version);

  Result<CheckoutResult> CheckoutVersion(const VersionInfo& version, const Manifest& manifest,
                                         const CheckoutOptions& options,
                                         const std::filesystem::path& dest);

  // Puts the manifest blob (durable) and returns its digest.
  Result<std::string> StoreManifest(const Manifest& manifest);

  // Lists the files of a dataset path: a file or a folder.
  Result<internal::Sources> ListSources(const std::filesystem::path& abs, const std::string& shown,
                                        DatasetKind kind);
};

}  // namespace sluice::datasets
