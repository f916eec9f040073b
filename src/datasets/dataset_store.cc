#include "datasets/dataset_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/file_util.h"
#include "base/log.h"
#include "base/random.h"
#include "base/sha256.h"
#include "datasets/internal/store_impl.h"
#include "datasets/manifest.h"
#include "datasets/pointer_file.h"
#include "datasets/schema.h"

namespace sluice::datasets {

namespace fs = std::filesystem;
using internal::FileStat;
using internal::ObjectLocation;
using storage::Connection;
using storage::Row;
using Json = nlohmann::json;

namespace {

// A stat cache that cannot be saved costs only a re-hash next time: a warning, not a failure.
void SaveStatCacheOrWarn(const fs::path& dir, const std::string& root, std::string_view encoded) {
  if (Status saved = internal::SaveStatCache(dir, root, encoded); !saved.ok()) {
    SLUICE_LOG_WARN("the stat cache of '{}' was not saved ({}): its next status reads every file",
                    root, saved.message());
  }
}

Json ParseJsonColumn(const storage::Value& v) {
  if (v.is_null() || v.AsText().empty()) return nullptr;
  Json j = Json::parse(v.AsText(), nullptr, false);
  return j.is_discarded() ? Json(nullptr) : j;
}

storage::Value JsonColumn(const Json& j) {
  if (j.is_null()) return storage::Value();
  return storage::Value(j.dump());
}

VersionInfo VersionFromRow(const Row& row) {
  VersionInfo v;
  v.name = row[0].AsText();
  v.version = row[1].AsInt();
  v.digest = row[2].AsText();
  v.kind = row[3].AsText() == "folder" ? DatasetKind::kFolder : DatasetKind::kFile;
  v.path = row[4].AsText();
  v.size_bytes = static_cast<uint64_t>(row[5].AsInt());
  v.file_count = static_cast<uint64_t>(row[6].AsInt());
  v.stored_bytes = static_cast<uint64_t>(row[7].AsInt());
  v.created_at = row[8].AsInt();
  v.created_by = row[9].AsText();
  v.message = row[10].AsText();
  v.source = row[11].AsText();
  v.table_info = ParseJsonColumn(row[12]);
  v.changes = ParseJsonColumn(row[13]);
  return v;
}

// Component-wise containment, so "/a/bc" is not inside "/a/b".
bool IsWithin(const fs::path& path, const fs::path& root) {
  auto [root_end, path_end] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

std::string RelativeString(const fs::path& path, const fs::path& root) {
  return path.lexically_relative(root).generic_string();
}

// Without a trailing separator, so "data/images/" and "data/images" are one path.
fs::path Clean(const fs::path& path) {
  fs::path p = path.lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

void CompareEntries(const Manifest& before, const Manifest& after, std::vector<FileChange>& added,
                    std::vector<FileChange>& removed, std::vector<FileChange>& modified,
                    uint64_t* unchanged) {
  size_t i = 0, j = 0;
  const auto& a = before.entries;
  const auto& b = after.entries;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].path < b[j].path)) {
      removed.push_back({a[i].path, a[i].size_bytes, 0});
      ++i;
    } else if (i == a.size() || b[j].path < a[i].path) {
      added.push_back({b[j].path, 0, b[j].size_bytes});
      ++j;
    } else {
      if (a[i].digest != b[j].digest || a[i].size_bytes != b[j].size_bytes ||
          a[i].mode != b[j].mode) {
        modified.push_back({a[i].path, a[i].size_bytes, b[j].size_bytes});
      } else if (unchanged != nullptr) {
        ++*unchanged;
      }
      ++i;
      ++j;
    }
  }
}

std::string PhaseLabel(std::string_view verb, std::string_view what) {
  return fmt::format("{} {}", verb, what);
}

}  // namespace

std::string_view PathStateName(PathState state) {
  switch (state) {
    case PathState::kUnchanged:
      return "unchanged";
    case PathState::kModified:
      return "modified";
    case PathState::kMissing:
      return "missing";
  }
  return "unknown";
}

std::string ChunkingText(const ChunkingParams& c) {
  return fmt::format("{} {} {} {}", c.min_bytes, c.avg_bytes, c.max_bytes, c.threshold_bytes);
}

Result<ChunkingParams> ParseChunkingText(std::string_view text) {
  ChunkingParams c;
  unsigned long long values[4] = {};
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%llu %llu %llu %llu", &values[0], &values[1], &values[2],
                  &values[3]) != 4) {
    return DataLoss("bad chunking parameters '{}' in the dataset_versions table", text);
  }
  c.min_bytes = static_cast<uint32_t>(values[0]);
  c.avg_bytes = static_cast<uint32_t>(values[1]);
  c.max_bytes = static_cast<uint32_t>(values[2]);
  c.threshold_bytes = values[3];
  SLUICE_RETURN_IF_ERROR(c.Validate());
  return c;
}

// ---- Impl

DatasetStore::Impl::Impl(storage::Database& database, storage::BlobStore& blob_store,
                         fs::path workspace_root, const Clock& clk, const StoreOptions& opts)
    : db(database),
      blobs(blob_store),
      root(std::move(workspace_root)),
      stat_caches(root / ".sluice" / "stat-cache"),
      clock(clk),
      config(opts),
      pool([&]() -> std::unique_ptr<ThreadPool> {
        // `threads` counts the calling thread, which works in every ParallelFor.
        const size_t threads = opts.threads == 0 ? ThreadPool::DefaultThreads() : opts.threads;
        if (threads <= 1) return nullptr;
        return std::make_unique<ThreadPool>(threads - 1);
      }()) {}

void DatasetStore::Impl::ForEach(size_t n, const std::function<void(size_t)>& body) {
  if (pool && n > 1) {
    pool->ParallelFor(n, body);
  } else {
    for (size_t i = 0; i < n; ++i) body(i);
  }
}

Result<std::unique_ptr<internal::Lease>> DatasetStore::Impl::AcquireLease(internal::LeaseKind kind,
                                                                          std::string command) {
  return internal::Lease::Acquire(db, clock, kind, std::move(command),
                                  {.ttl = config.lease_ttl, .wait = config.lease_wait});
}

Status DatasetStore::Impl::LoadTags(Connection& c, VersionInfo& v) {
  SLUICE_ASSIGN_OR_RETURN(
      std::vector<Row> rows,
      c.Query("SELECT tag FROM dataset_tags WHERE name = ? AND version = ? ORDER BY tag",
              {v.name, v.version}));
  v.tags.clear();
  for (const Row& r : rows) v.tags.push_back(r[0].AsText());
  return Status::Ok();
}

Result<std::optional<VersionInfo>> DatasetStore::Impl::Latest(Connection& c,
                                                              const std::string& name) {
  SLUICE_ASSIGN_OR_RETURN(
      std::vector<Row> rows,
      c.Query(fmt::format("SELECT {} FROM dataset_versions WHERE name = ? ORDER BY version DESC "
                          "LIMIT 1",
                          kVersionColumns),
              {name}));
  if (rows.empty()) return std::optional<VersionInfo>();
  VersionInfo v = VersionFromRow(rows[0]);
  SLUICE_RETURN_IF_ERROR(LoadTags(c, v));
  return std::optional<VersionInfo>(std::move(v));
}

Result<VersionInfo> DatasetStore::Impl::ResolveRef(Connection& c, const Ref& ref) {
  SLUICE_ASSIGN_OR_RETURN(
      std::vector<Row> exists,
      c.Query("SELECT last_version FROM versioned_datasets WHERE name = ?", {ref.name}));
  if (exists.empty()) {
    return NotFound("dataset '{}' does not exist (list them: sluice data ls)", ref.name);
  }
  int64_t version = 0;
  if (ref.version) {
    version = *ref.version;
  } else if (!ref.tag.empty()) {
    SLUICE_ASSIGN_OR_RETURN(std::vector<Row> rows,
                            c.Query("SELECT version FROM dataset_tags WHERE name = ? AND tag = ?",
                                    {ref.name, ref.tag}));
    if (rows.empty()) {
      return NotFound("dataset '{}' has no tag '{}' (see its versions: sluice data log {})",
                      ref.name, ref.tag, ref.name);
    }
    version = rows[0][0].AsInt();
  } else {
    SLUICE_ASSIGN_OR_RETURN(std::optional<VersionInfo> latest, Latest(c, ref.name));
    if (!latest) return NotFound("dataset '{}' has no versions left", ref.name);
    return std::move(*latest);
  }
  SLUICE_ASSIGN_OR_RETURN(
      std::vector<Row> rows,
      c.Query(fmt::format("SELECT {} FROM dataset_versions WHERE name = ? AND version = ?",
                          kVersionColumns),
              {ref.name, version}));
  if (rows.empty()) {
    return NotFound("dataset '{}' has no version {} (see its versions: sluice data log {})",
                    ref.name, version, ref.name);
  }
  VersionInfo v = VersionFromRow(rows[0]);
  SLUICE_RETURN_IF_ERROR(LoadTags(c, v));
  return v;
}

Result<internal::Sources> DatasetStore::Impl::ListSources(const fs::path& abs,
                                                          const std::string& shown,
                                                          DatasetKind kind) {
  if (kind == DatasetKind::kFile) return internal::SingleFile(abs, shown);
  return internal::WalkFolder(abs, shown, pool.get());
}

Result<Ingested> DatasetStore::Impl::IngestSources(const internal::Sources& sources,
                                                   const internal::StatCache& cache,
                                                   const ChunkingParams& chunking, DatasetKind kind,
                                                   internal::PackSet* packs, Progress* progress,
                                                   const std::string& label) {
  const std::vector<internal::SourceFile>& files = sources.files;
  Ingested out;
  out.manifest.kind = kind;
  out.manifest.chunking = chunking;
  std::vector<Entry>& entries = out.manifest.entries;
  entries.resize(files.size());
  std::vector<FileStat> stats(files.size());
  std::vector<uint8_t> unstable(files.size(), 0);
  std::vector<uint8_t> miss(files.size(), 1);
  const int64_t looked_at = internal::FileClockNowNs();
  // Both lists are sorted by path: a merge finds the cached entries.
  const std::vector<internal::CachedFile>& cached = cache.files();
  size_t c = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    Entry& e = entries[i];
    e.path = files[i].rel;
    stats[i] = files[i].stat;
    while (c < cached.size() && cached[c].path < files[i].rel) ++c;
    if (c == cached.size() || cached[c].path != files[i].rel ||
        !(cached[c].stat == files[i].stat)) {
      continue;
    }
    Result<std::vector<Chunk>> chunks = internal::ParseCachedChunks(cached[c].chunks);
    if (!chunks.ok()) continue;
    e.mode = files[i].stat.mode;
    e.size_bytes = files[i].stat.size_bytes;
    e.digest = cached[c].DigestHex();
    e.chunks = std::move(*chunks);
    miss[i] = 0;
  }
  if (packs != nullptr) {
    // Cached entries are trusted for their digests, but their objects must still be in the store
    // (a version removed and collected since); those missing are read and stored again.
    std::vector<std::string> digests;
    for (size_t i = 0; i < files.size(); ++i) {
      if (miss[i]) continue;
      const Entry& e = entries[i];
      if (e.chunks.empty()) {
        digests.push_back(e.digest);
      } else {
        for (const Chunk& ch : e.chunks) digests.push_back(ch.digest);
      }
    }
    std::unordered_map<std::string, ObjectLocation> found;
    SLUICE_RETURN_IF_ERROR(db.Read([&](Connection& conn) -> Status {
      SLUICE_ASSIGN_OR_RETURN(found, internal::LookupObjects(conn, digests));
      return Status::Ok();
    }));
    if (found.size() < digests.size()) {
      for (size_t i = 0; i < files.size(); ++i) {
        if (miss[i]) continue;
        const Entry& e = entries[i];
        const bool present =
            e.chunks.empty() ? found.count(e.digest) != 0
                             : std::all_of(e.chunks.begin(), e.chunks.end(), [&](const Chunk& ch) {
                                 return found.count(ch.digest) != 0;
                               });
        if (!present) miss[i] = 1;
      }
    }
  }
  std::vector<internal::IngestItem> items;
  items.reserve(static_cast<size_t>(std::count(miss.begin(), miss.end(), uint8_t{1})));
  uint64_t miss_bytes = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!miss[i]) continue;
    items.push_back(
        internal::IngestItem::ForSource(sources, files[i], &entries[i], &stats[i], &unstable[i]));
    miss_bytes += files[i].stat.size_bytes;
  }
  if (progress != nullptr && !items.empty()) progress->Start(label, miss_bytes, true);
  internal::IngestOptions ingest{.chunking = chunking,
                                 .pool = pool.get(),
                                 .progress = progress,
                                 .packs = packs,
                                 .database = &db};
  internal::IngestStats stats_out;
  Status status = internal::IngestFiles(items, ingest, &stats_out);
  if (progress != nullptr && !items.empty()) progress->Finish();
  SLUICE_RETURN_IF_ERROR(status);
  out.hashed_files = stats_out.files;
  out.hashed_bytes = stats_out.bytes;
  out.cacheable.resize(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    out.cacheable[i] = !unstable[i] && !(miss[i] && internal::IsRacy(stats[i], looked_at));
  }
  out.stats = std::move(stats);
  return out;
}

internal::StatCacheWriter Ingested::StatCache(bool& complete) const {
  internal::StatCacheWriter cache(manifest.chunking);
  cache.Reserve(manifest.entries.size());
  complete = true;
  for (size_t i = 0; i < manifest.entries.size(); ++i) {
    if (!cacheable[i]) {
      complete = false;
      continue;
    }
    cache.Add(manifest.entries[i], stats[i]);
  }
  return cache;
}

Result<std::string> DatasetStore::Impl::StoreManifest(const Manifest& manifest) {
  const std::string json = SerializeManifest(manifest);
  const std::string digest = Sha256::HexOf(json);
  SLUICE_ASSIGN_OR_RETURN(bool present, blobs.Has(digest));
  if (!present) {
    SLUICE_ASSIGN_OR_RETURN(storage::BlobInfo blob, blobs.Put(json));
    SLUICE_CHECK(blob.digest == digest);
  }
  return digest;
}

Json DatasetStore::Impl::CountChanges(const Manifest& previous, const Manifest& current,
                                      int64_t previous_version) {
  std::vector<FileChange> added, removed, modified;
  CompareEntries(previous, current, added, removed, modified, nullptr);
  return {{"from", previous_version},
          {"added", added.size()},
          {"removed", removed.size()},
          {"modified", modified.size()}};
}

Json DatasetStore::Impl::ProfileTables(const Manifest& manifest,
                                       const std::function<fs::path(const Entry&)>& file_of,
                                       const Json& previous) {
  Json files = Json::object();
  size_t profiled = 0;
  Json notes = Json::array();
  for (const Entry& e : manifest.entries) {
    if (!IsTableFile(e.path)) continue;
    if (previous.is_object() && previous.contains("files") && previous["files"].contains(e.path) &&
        previous["files"][e.path].value("digest", "") == e.digest) {
      files[e.path] = previous["files"][e.path];
      continue;
    }
    if (profiled >= config.profile.max_files) {
      notes.push_back(
          fmt::format("profiled the first {} table files only", config.profile.max_files));
      break;
    }
    ++profiled;
    Json profile = ProfileTableFile(file_of(e), config.profile);
    profile["digest"] = e.digest;
    files[e.path] = std::move(profile);
  }
  if (files.empty()) return nullptr;
  Json out = {{"files", std::move(files)}};
  if (!notes.empty()) out["notes"] = std::move(notes);
  return out;
}

Result<std::pair<VersionInfo, bool>> DatasetStore::Impl::RecordVersion(const NewVersion& nv) {
  return RecordVersion(nv.packs, nv.lease_id, [&nv] { return &nv; });
}

Result<std::pair<VersionInfo, bool>> DatasetStore::Impl::RecordVersion(
    std::span<const internal::PackInfo> packs, const std::string& lease_id,
    const std::function<const NewVersion*()>& rest, bool release_lease) {
  VersionInfo recorded;
  bool unchanged = false;
  SLUICE_RETURN_IF_ERROR(db.Write([&](Connection& c) -> Status {
    unchanged = false;
    const int64_t now = clock.NowMillis();
    if (!lease_id.empty()) {
      SLUICE_RETURN_IF_ERROR(internal::Lease::CheckHeld(c, lease_id));
      if (release_lease) SLUICE_RETURN_IF_ERROR(internal::Lease::ReleaseWithin(c, lease_id));
    }
    const auto t0 = std::chrono::steady_clock::now();
    SLUICE_RETURN_IF_ERROR(internal::InsertPacks(c, packs, now));
    const auto t1 = std::chrono::steady_clock::now();
    const NewVersion* version = rest();
    if (version == nullptr)
      return FailedPrecondition("nothing recorded: the version was not completed");
    const NewVersion& nv = *version;
    SLUICE_LOG_DEBUG("record {}: object index in {:.3f} s, waited {:.3f} s", nv.name,
                     std::chrono::duration<double>(t1 - t0).count(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count());
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> head,
        c.Query("SELECT last_version FROM versioned_datasets WHERE name = ?", {nv.name}));
    int64_t last = 0;
    if (head.empty()) {
      SLUICE_RETURN_IF_ERROR(c.Execute(
          "INSERT INTO versioned_datasets (name, created_at, last_version) VALUES (?, ?, 0)",
          {nv.name, now}));
    } else {
      last = head[0][0].AsInt();
    }
    int64_t number = last + 1;
    if (nv.version) {
      SLUICE_ASSIGN_OR_RETURN(
          std::vector<Row> taken,
          c.Query(fmt::format("SELECT {} FROM dataset_versions WHERE name = ? AND version = ?",
                              kVersionColumns),
                  {nv.name, *nv.version}));
      if (!taken.empty()) {
        recorded = VersionFromRow(taken[0]);
        if (recorded.digest != nv.digest) {
          return AlreadyExists("{}@{} exists here with another digest ({} here, {} there)", nv.name,
                               *nv.version, recorded.digest, nv.digest);
        }
        unchanged = true;
        return LoadTags(c, recorded);
      }
      number = *nv.version;
    } else {
      SLUICE_ASSIGN_OR_RETURN(std::optional<VersionInfo> latest, Latest(c, nv.name));
      if (latest && latest->digest == nv.digest) {
        recorded = std::move(*latest);
        unchanged = true;
        return Status::Ok();
      }
    }
    SLUICE_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO dataset_versions (name, version, digest, kind, path, size_bytes, file_count, "
        "stored_bytes, created_at, created_by, message, source, table_info, changes, chunking) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {nv.name, number, nv.digest, DatasetKindName(nv.kind), nv.path, nv.size_bytes,
         nv.file_count, nv.stored_bytes, now, nv.user, nv.message, nv.source,
         JsonColumn(nv.table_info), JsonColumn(nv.changes), ChunkingText(nv.chunking)}));
    SLUICE_RETURN_IF_ERROR(
        c.Execute("UPDATE versioned_datasets SET last_version = ? WHERE name = ?",
                  {std::max(number, last), nv.name}));
    recorded = VersionInfo{};
    recorded.name = nv.name;
    recorded.version = number;
    recorded.digest = nv.digest;
    recorded.kind = nv.kind;
    recorded.path = nv.path;
    recorded.size_bytes = nv.size_bytes;
    recorded.file_count = nv.file_count;
    recorded.stored_bytes = nv.stored_bytes;
    recorded.created_at = now;
    recorded.created_by = nv.user;
    recorded.message = nv.message;
    recorded.source = nv.source;
    recorded.table_info = nv.table_info;
    recorded.changes = nv.changes;
    return Status::Ok();
  }));
  return std::make_pair(std::move(recorded), unchanged);
}

// ---- DatasetStore

DatasetStore::DatasetStore(std::unique_ptr<Impl> impl, fs::path root, StoreOptions options)
    : impl_(std::move(impl)), root_(std::move(root)), options_(std::move(options)) {}

DatasetStore::~DatasetStore() = default;

Result<std::unique_ptr<DatasetStore>> DatasetStore::Open(storage::Database& database,
                                                         storage::BlobStore& blobs,
                                                         fs::path workspace_root,
                                                         const Clock& clock, StoreOptions options) {
  SLUICE_RETURN_IF_ERROR(options.chunking.Validate());
  SLUICE_RETURN_IF_ERROR(database.Migrate(kSchemaModule, Migrations()));
  std::error_code ec;
  fs::path root = fs::weakly_canonical(fs::absolute(workspace_root), ec);
  if (ec)
    return Internal("cannot resolve workspace '{}': {}", workspace_root.string(), ec.message());
  auto impl = std::make_unique<Impl>(database, blobs, root, clock, options);
  return std::unique_ptr<DatasetStore>(
      new DatasetStore(std::move(impl), std::move(root), std::move(options)));
}

Result<AddResult> DatasetStore::Add(const fs::path& path, const AddOptions& options) {
  SLUICE_RETURN_IF_ERROR(ValidateDatasetName(options.name));
  const std::string shown = path.string();
  if (path.empty()) return InvalidArgument("no path given to add");
  const fs::path abs = Clean(fs::absolute(path));
  struct stat lst;
  if (::lstat(abs.c_str(), &lst) != 0) {
    if (errno == ENOENT) return NotFound("'{}' does not exist", shown);
    return ErrnoError(errno, "cannot stat", shown);
  }
  struct stat st;
  if (::stat(abs.c_str(), &st) != 0) {
    const int error = errno;
    if (error == ELOOP) return InvalidArgument("'{}' is a symlink loop", shown);
    if (error == ENOENT) return NotFound("'{}' is a symlink to a missing file", shown);
    return ErrnoError(error, "cannot stat", shown);
  }
  std::error_code ec;
  const fs::path real = fs::canonical(abs, ec);
  if (ec) return Internal("cannot resolve '{}': {}", shown, ec.message());
  if (!IsWithin(real, root_) || !IsWithin(abs, root_)) {
    return PermissionDenied(
        "'{}' is outside the workspace '{}': data must be inside the workspace to be tracked "
        "(copy or move it in first)",
        shown, root_.string());
  }
  if (IsWithin(real, root_ / ".sluice") || IsWithin(abs, root_ / ".sluice")) {
    return PermissionDenied("'{}' is inside .sluice/, which holds Sluice's own state", shown);
  }
  if (real == root_ || abs == root_) {
    return InvalidArgument("cannot add the workspace root itself; add a file or folder inside it");
  }
  if (IsPointerPath(abs)) {
    return InvalidArgument("'{}' is a pointer file; restore its data with sluice data checkout",
                           shown);
  }
  DatasetKind kind;
  if (S_ISREG(st.st_mode)) {
    kind = DatasetKind::kFile;
  } else if (S_ISDIR(st.st_mode)) {
    kind = DatasetKind::kFolder;
  } else {
    return InvalidArgument("'{}' is neither a file nor a folder", shown);
  }
  if (::access(abs.c_str(), R_OK | (kind == DatasetKind::kFolder ? X_OK : 0)) != 0) {
    return PermissionDenied("cannot read '{}': {}", shown, std::strerror(errno));
  }
  const std::string rel = RelativeString(abs, root_);

  AddResult result;
  // Phase times, for SLUICE_LOG_LEVEL=debug.
  // CPU time beside wall time: on a shared machine the wall time of a phase says little.
  auto cpu_seconds = [] {
    timespec ts;
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  };
  auto started = std::chrono::steady_clock::now();
  double started_cpu = cpu_seconds();
  auto phase = [&started, &started_cpu, &cpu_seconds, &rel](std::string_view what) {
    const auto now = std::chrono::steady_clock::now();
    const double now_cpu = cpu_seconds();
    SLUICE_LOG_DEBUG("add {}: {} in {:.3f} s ({:.3f} CPU-s)", rel, what,
                     std::chrono::duration<double>(now - started).count(), now_cpu - started_cpu);
    started = now;
    started_cpu = now_cpu;
  };
  SLUICE_ASSIGN_OR_RETURN(internal::Sources files, impl_->ListSources(abs, shown, kind));
  phase(fmt::format("listed {} files", files.files.size()));
  result.notes = files.notes;
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<internal::Lease> lease,
                          impl_->AcquireLease(internal::LeaseKind::kWrite, "add " + rel));

  std::optional<VersionInfo> previous;
  internal::StatCache cache;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(previous, impl_->Latest(c, options.name));
    SLUICE_ASSIGN_OR_RETURN(cache,
                            internal::LoadStatCache(impl_->stat_caches, c, rel, options_.chunking));
    return Status::Ok();
  }));

  internal::PackSet packs(impl_->blobs, options_.pack_target_bytes);
  // Until the version is recorded nothing refers to the new packs: drop them on any failure.
  struct DiscardOnFailure {
    internal::PackSet& packs;
    bool armed = true;
    ~DiscardOnFailure() {
      if (armed) packs.DiscardCommitted();
    }
  } discard{packs};

  SLUICE_ASSIGN_OR_RETURN(Ingested ingested,
                          impl_->IngestSources(files, cache, options_.chunking, kind, &packs,
                                               options.progress, PhaseLabel("adding", rel)));
  phase(fmt::format("hashed {} files", ingested.hashed_files));
  // The stat cache is encoded beside the pack commits and the manifest; it is saved once the
  // version is recorded.
  bool cache_complete = false;
  std::future<internal::StatCacheWriter> cache_encoded =
      std::async(std::launch::async,
                 [&ingested, &cache_complete] { return ingested.StatCache(cache_complete); });
  SLUICE_RETURN_IF_ERROR(packs.Finish());
  phase(fmt::format("committed {} packs", packs.packs().size()));

  // The recording transaction runs on a thread of its own, started here: it inserts the new
  // objects' index rows (for 100,000 small files a fifth of the add) while this thread stores
  // the manifest, then takes the rest of the version from `handover` and commits it all at
  // once. When table files are to be profiled (seconds, for few rows to insert) it starts only
  // after that, so as not to hold the write lock meanwhile. Declared in this order so that on
  // any return below the handover gives up first (nullptr: the transaction rolls back), then
  // the thread is joined, then `discard` runs. Nothing on this thread may wait for the write
  // lock before the handover.
  NewVersion nv;
  std::promise<const NewVersion*> rest;
  std::shared_future<const NewVersion*> rest_ready = rest.get_future().share();
  const std::string& lease_id = lease->id();
  std::future<Result<std::pair<VersionInfo, bool>>> recording;
  auto start_recording = [&] {
    recording = std::async(std::launch::async, [this, &packs, &lease_id, rest_ready] {
      return impl_->RecordVersion(
          packs.packs(), lease_id, [&rest_ready] { return rest_ready.get(); },
          /*release_lease=*/true);
    });
  };
  struct Handover {
    std::promise<const NewVersion*>& rest;
    bool given = false;
    void Give(const NewVersion* v) {
      rest.set_value(v);
      given = true;
    }
    ~Handover() {
      if (!given) rest.set_value(nullptr);
    }
  } handover{rest};
  const bool profiles =
      options.profile_tables &&
      std::any_of(ingested.manifest.entries.begin(), ingested.manifest.entries.end(),
                  [](const Entry& e) { return IsTableFile(e.path); });
  if (!profiles) start_recording();

  SLUICE_ASSIGN_OR_RETURN(std::string digest, impl_->StoreManifest(ingested.manifest));
  phase("stored the manifest");

  nv.name = options.name;
  nv.digest = digest;
  nv.kind = kind;
  nv.path = rel;
  nv.size_bytes = ingested.manifest.TotalBytes();
  nv.file_count = ingested.manifest.entries.size();
  nv.stored_bytes = packs.stored_bytes();
  nv.user = options.user;
  nv.message = options.message;
  nv.source = "add";
  nv.chunking = options_.chunking;
  const bool same_as_previous = previous && previous->digest == digest;
  if (previous && !same_as_previous) {
    Result<Manifest> old = ReadManifest(previous->digest);
    if (old.ok()) nv.changes = Impl::CountChanges(*old, ingested.manifest, previous->version);
  }
  if (options.profile_tables) {
    if (same_as_previous) {
      nv.table_info = previous->table_info;
    } else {
      nv.table_info = impl_->ProfileTables(
          ingested.manifest,
          [&](const Entry& e) { return kind == DatasetKind::kFile ? abs : abs / e.path; },
          previous ? previous->table_info : Json(nullptr));
    }
  }
  phase("profiled tables");
  if (!recording.valid()) start_recording();
  handover.Give(&nv);
  // Finished while the version commits, saved only once it has (below).
  const std::string cache_bytes = cache_encoded.get().Finish(cache_complete ? digest : "");
  SLUICE_ASSIGN_OR_RETURN(auto recorded, recording.get());
  // Recorded: the packs belong to the version, and its transaction released the lease.
  discard.armed = false;
  lease->Released();
  lease.reset();
  phase("recorded the version");
  // Only now, so that the cache never speaks for a version that was not recorded. Rewriting an
  // unchanged cache costs as much as the rest of recording an unchanged tree. A cache that
  // cannot be saved costs a re-hash next time.
  if (cache.converted() || cache_bytes != cache.encoded()) {
    SaveStatCacheOrWarn(impl_->stat_caches, rel, cache_bytes);
  }

  result.version = std::move(recorded.first);
  result.unchanged = recorded.second;
  result.files = files.files.size();
  result.hashed_files = ingested.hashed_files;
  result.hashed_bytes = ingested.hashed_bytes;
  result.new_objects = 0;
  for (const auto& p : packs.packs()) result.new_objects += p.objects.size();
  result.new_bytes = nv.stored_bytes;
  if (result.unchanged) {
    SLUICE_RETURN_IF_ERROR(
        impl_->db.Read([&](Connection& c) { return impl_->LoadTags(c, result.version); }));
  }
  if (options.write_pointer) {
    const fs::path pointer = PointerPathFor(abs);
    PointerFile p{result.version.name, result.version.version, result.version.digest,
                  result.version.size_bytes, abs.filename().string()};
    Status written = WritePointer(pointer, p);
    if (written.ok()) {
      result.pointer = pointer;
    } else {
      result.notes.push_back("pointer file not written: " + written.message());
    }
  }
  return result;
}

Result<std::vector<PathStatus>> DatasetStore::CheckStatus(std::string_view name,
                                                          Progress* progress) {
  std::vector<VersionInfo> latest;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    std::vector<Row> names;
    if (name.empty()) {
      SLUICE_ASSIGN_OR_RETURN(names, c.Query("SELECT name FROM versioned_datasets ORDER BY name"));
    } else {
      SLUICE_ASSIGN_OR_RETURN(names, c.Query("SELECT name FROM versioned_datasets WHERE name = ?",
                                             {std::string(name)}));
      if (names.empty()) {
        return NotFound("dataset '{}' does not exist (list them: sluice data ls)", name);
      }
    }
    for (const Row& r : names) {
      SLUICE_ASSIGN_OR_RETURN(std::optional<VersionInfo> v, impl_->Latest(c, r[0].AsText()));
      if (v && !v->path.empty()) latest.push_back(std::move(*v));
    }
    return Status::Ok();
  }));
  std::vector<PathStatus> out;
  for (VersionInfo& v : latest) {
    PathStatus ps;
    ps.version = v;
    const fs::path abs = root_ / v.path;
    struct stat st;
    if (::stat(abs.c_str(), &st) != 0) {
      ps.state = PathState::kMissing;
      out.push_back(std::move(ps));
      continue;
    }
    const DatasetKind kind = S_ISDIR(st.st_mode) ? DatasetKind::kFolder : DatasetKind::kFile;
    SLUICE_ASSIGN_OR_RETURN(internal::Sources files, impl_->ListSources(abs, v.path, kind));
    SLUICE_ASSIGN_OR_RETURN(ChunkingParams chunking, [&]() -> Result<ChunkingParams> {
      std::string text;
      SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
        SLUICE_ASSIGN_OR_RETURN(
            std::vector<Row> rows,
            c.Query("SELECT chunking FROM dataset_versions WHERE name = ? AND version = ?",
                    {v.name, v.version}));
        if (!rows.empty()) text = rows[0][0].AsText();
        return Status::Ok();
      }));
      return ParseChunkingText(text);
    }());
    std::string cache_bytes;
    SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(cache_bytes,
                              internal::LoadStatCacheBytes(impl_->stat_caches, c, v.path));
      return Status::Ok();
    }));
    ps.files = files.files.size();
    // The common case, a tree exactly as recorded: one stat per file, and the cache is compared
    // as it is stored, without decoding it.
    if (kind == v.kind &&
        internal::EncodedCacheMatchesTree(cache_bytes, chunking, v.digest, files)) {
      out.push_back(std::move(ps));
      continue;
    }
    internal::StatCache cache = internal::StatCache::Decode(std::move(cache_bytes));
    if (!(cache.chunking() == chunking)) cache = internal::StatCache(chunking);
    if (cache.manifest_digest() == v.digest && kind == v.kind &&
        internal::CacheMatchesTree(cache, files)) {
      if (cache.converted()) {
        // A row of the old text format: saved in the current one, so it is decoded fast later.
        SaveStatCacheOrWarn(impl_->stat_caches, v.path, cache.encoded());
      }
      out.push_back(std::move(ps));
      continue;
    }
    SLUICE_ASSIGN_OR_RETURN(Ingested now,
                            impl_->IngestSources(files, cache, chunking, kind, nullptr, progress,
                                                 PhaseLabel("checking", v.path)));
    ps.hashed_files = now.hashed_files;
    const std::string digest = Sha256::HexOf(SerializeManifest(now.manifest));
    if (digest != v.digest) {
      ps.state = PathState::kModified;
      SLUICE_ASSIGN_OR_RETURN(Manifest recorded, ReadManifest(v.digest));
      CompareEntries(recorded, now.manifest, ps.added, ps.removed, ps.modified, nullptr);
    }
    bool complete = false;
    const internal::StatCacheWriter now_cache = now.StatCache(complete);
    const std::string complete_digest = complete ? digest : "";
    if (now.hashed_files > 0 || cache.manifest_digest() != complete_digest || cache.converted()) {
      // What was read is remembered, so the next status of these files is stat-only.
      SaveStatCacheOrWarn(impl_->stat_caches, v.path, now_cache.Finish(complete_digest));
    }
    out.push_back(std::move(ps));
  }
  return out;
}

Result<VersionInfo> DatasetStore::Get(std::string_view ref_text) {
  SLUICE_ASSIGN_OR_RETURN(Ref ref, ParseRef(ref_text));
  VersionInfo v;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(v, impl_->ResolveRef(c, ref));
    return Status::Ok();
  }));
  return v;
}

Result<std::vector<VersionInfo>> DatasetStore::Log(std::string_view name) {
  SLUICE_RETURN_IF_ERROR(ValidateDatasetName(name));
  std::vector<VersionInfo> out;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> exists,
        c.Query("SELECT name FROM versioned_datasets WHERE name = ?", {std::string(name)}));
    if (exists.empty()) {
      return NotFound("dataset '{}' does not exist (list them: sluice data ls)", name);
    }
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        c.Query(fmt::format("SELECT {} FROM dataset_versions WHERE name = ? ORDER BY version DESC",
                            kVersionColumns),
                {std::string(name)}));
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> tags,
        c.Query("SELECT version, tag FROM dataset_tags WHERE name = ? ORDER BY tag",
                {std::string(name)}));
    std::map<int64_t, std::vector<std::string>> by_version;
    for (const Row& t : tags) by_version[t[0].AsInt()].push_back(t[1].AsText());
    for (const Row& r : rows) {
      VersionInfo v = VersionFromRow(r);
      v.tags = by_version[v.version];
      out.push_back(std::move(v));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<DatasetSummary>> DatasetStore::List() {
  std::vector<DatasetSummary> out;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        c.Query("SELECT d.name, COUNT(v.version) FROM versioned_datasets d "
                "LEFT JOIN dataset_versions v ON v.name = d.name GROUP BY d.name ORDER BY d.name"));
    for (const Row& r : rows) {
      DatasetSummary s;
      s.name = r[0].AsText();
      s.versions = r[1].AsInt();
      SLUICE_ASSIGN_OR_RETURN(std::optional<VersionInfo> latest, impl_->Latest(c, s.name));
      if (!latest) continue;
      s.latest = std::move(*latest);
      out.push_back(std::move(s));
    }
    return Status::Ok();
  }));
  return out;
}

Result<Manifest> DatasetStore::ReadManifest(std::string_view digest) {
  Result<std::string> bytes = impl_->blobs.ReadAll(digest);
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      return DataLoss("manifest {} is missing from the blob store", digest);
    }
    return bytes.status();
  }
  const std::string actual = Sha256::HexOf(*bytes);
  if (actual != digest) {
    return DataLoss("manifest {} is corrupt: its bytes hash to {}", digest, actual);
  }
  return ParseManifest(*bytes).WithContext(fmt::format("manifest {}", digest));
}

Status DatasetStore::Tag(std::string_view ref, std::string_view tag, bool force) {
  SLUICE_RETURN_IF_ERROR(ValidateTagName(tag));
  SLUICE_ASSIGN_OR_RETURN(Ref parsed, ParseRef(ref));
  return impl_->db.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(VersionInfo v, impl_->ResolveRef(c, parsed));
    SLUICE_ASSIGN_OR_RETURN(std::vector<Row> existing,
                            c.Query("SELECT version FROM dataset_tags WHERE name = ? AND tag = ?",
                                    {v.name, std::string(tag)}));
    if (!existing.empty()) {
      if (existing[0][0].AsInt() == v.version) return Status::Ok();
      if (!force) {
        return AlreadyExists("tag '{}' of '{}' points at version {}; pass --force to move it", tag,
                             v.name, existing[0][0].AsInt());
      }
      return c.Execute(
          "UPDATE dataset_tags SET version = ?, created_at = ? WHERE name = ? AND "
          "tag = ?",
          {v.version, impl_->clock.NowMillis(), v.name, std::string(tag)});
    }
    return c.Execute(
        "INSERT INTO dataset_tags (name, tag, version, created_at) VALUES (?, ?, ?, ?)",
        {v.name, std::string(tag), v.version, impl_->clock.NowMillis()});
  });
}

Status DatasetStore::DeleteTag(std::string_view name, std::string_view tag) {
  return impl_->db.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(c.Execute("DELETE FROM dataset_tags WHERE name = ? AND tag = ?",
                                     {std::string(name), std::string(tag)}));
    if (c.ChangedRows() == 0) return NotFound("dataset '{}' has no tag '{}'", name, tag);
    return Status::Ok();
  });
}

Result<DiffResult> DatasetStore::Diff(std::string_view from_ref, std::string_view to_ref) {
  DiffResult d;
  SLUICE_ASSIGN_OR_RETURN(d.from, Get(from_ref));
  SLUICE_ASSIGN_OR_RETURN(d.to, Get(to_ref));
  SLUICE_ASSIGN_OR_RETURN(Manifest a, ReadManifest(d.from.digest));
  SLUICE_ASSIGN_OR_RETURN(Manifest b, ReadManifest(d.to.digest));
  if (a.kind == DatasetKind::kFile && b.kind == DatasetKind::kFile &&
      a.entries[0].path != b.entries[0].path) {
    // Two single files under different names: compare their contents, not their names.
    b.entries[0].path = a.entries[0].path;
  }
  CompareEntries(a, b, d.added, d.removed, d.modified, &d.unchanged);
  const Json& ta = d.from.table_info;
  const Json& tb = d.to.table_info;
  if (ta.is_object() && tb.is_object() && ta.contains("files") && tb.contains("files")) {
    for (const FileChange& m : d.modified) {
      std::string after_path = m.path;
      if (a.kind == DatasetKind::kFile) after_path = d.to.table_info["files"].begin().key();
      if (!ta["files"].contains(m.path) || !tb["files"].contains(after_path)) continue;
      Json shift = DiffTableProfiles(ta["files"][m.path], tb["files"][after_path]);
      if (!shift.is_null()) d.tables[m.path] = std::move(shift);
    }
  }
  return d;
}

Status DatasetStore::Remove(std::string_view name, std::optional<int64_t> version, bool force) {
  SLUICE_RETURN_IF_ERROR(ValidateDatasetName(name));
  return impl_->db.Write([&](Connection& c) -> Status {
    const std::string n(name);
    SLUICE_ASSIGN_OR_RETURN(std::vector<Row> exists,
                            c.Query("SELECT name FROM versioned_datasets WHERE name = ?", {n}));
    if (exists.empty())
      return NotFound("dataset '{}' does not exist (list them: sluice data ls)", n);
    std::string where = "name = ?";
    std::vector<storage::Value> params = {n};
    if (version) {
      where += " AND version = ?";
      params.emplace_back(*version);
      SLUICE_ASSIGN_OR_RETURN(
          std::vector<Row> rows,
          c.Query("SELECT version FROM dataset_versions WHERE name = ? AND version = ?",
                  {n, *version}));
      if (rows.empty()) return NotFound("dataset '{}' has no version {}", n, *version);
    }
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> tags,
        c.Query("SELECT tag, version FROM dataset_tags WHERE " + where, params));
    if (!tags.empty() && !force) {
      std::string list;
      for (const Row& t : tags) {
        list +=
            fmt::format("{}{} (version {})", list.empty() ? "" : ", ", t[0].AsText(), t[1].AsInt());
      }
      return FailedPrecondition(
          "tags point at what would be removed: {}; pass --force to remove "
          "them too",
          list);
    }
    SLUICE_RETURN_IF_ERROR(c.Execute("DELETE FROM dataset_tags WHERE " + where, params));
    SLUICE_RETURN_IF_ERROR(c.Execute("DELETE FROM dataset_validations WHERE " + where, params));
    // The name stays (with its last_version) even without versions, so a later add never reuses
    // a version number.
    return c.Execute("DELETE FROM dataset_versions WHERE " + where, params);
  });
}

Status DatasetStore::RecordValidation(const VersionInfo& version, ValidationRecord record) {
  record.created_at = impl_->clock.NowMillis();
  return impl_->db.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        c.Query("SELECT digest FROM dataset_versions WHERE name = ? AND version = ?",
                {version.name, version.version}));
    if (rows.empty() || rows[0][0].AsText() != version.digest) {
      return NotFound("{}@{} was removed; its validation is not recorded", version.name,
                      version.version);
    }
    return c.Execute(
        "INSERT INTO dataset_validations (id, name, version, suite, success, evaluated, failed, "
        "rows_checked, created_at, created_by, result) SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ? FROM dataset_validations",
        {version.name, version.version, record.suite, record.success, record.evaluated,
         record.failed, record.rows, record.created_at, record.created_by, record.result});
  });
}

Result<std::vector<ValidationRecord>> DatasetStore::Validations(std::string_view name,
                                                                int64_t version) {
  std::vector<ValidationRecord> out;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        c.Query("SELECT suite, success, evaluated, failed, rows_checked, created_at, created_by, "
                "result FROM dataset_validations WHERE name = ? AND version = ? ORDER BY id DESC",
                {std::string(name), version}));
    for (const Row& r : rows) {
      out.push_back({.suite = r[0].AsText(),
                     .success = r[1].AsInt() != 0,
                     .evaluated = r[2].AsInt(),
                     .failed = r[3].AsInt(),
                     .rows = r[4].AsInt(),
                     .created_at = r[5].AsInt(),
                     .created_by = r[6].AsText(),
                     .result = r[7].AsText()});
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Entry>> DatasetStore::Hash(const std::vector<fs::path>& files,
                                              Progress* progress) {
  std::vector<Entry> entries(files.size());
  std::vector<FileStat> stats(files.size());
  std::vector<internal::IngestItem> items;
  uint64_t total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const fs::path& f = files[i];
    struct stat st;
    if (::stat(f.c_str(), &st) != 0) {
      if (errno == ENOENT) return NotFound("'{}' does not exist", f.string());
      return ErrnoError(errno, "cannot stat", f);
    }
    if (!S_ISREG(st.st_mode)) return InvalidArgument("'{}' is not a regular file", f.string());
    entries[i].path = f.string();
    stats[i] = internal::FileStatOf(st);
    total += stats[i].size_bytes;
  }
  std::vector<std::string> paths;
  paths.reserve(files.size());  // items point into these strings
  for (size_t i = 0; i < files.size(); ++i) {
    paths.push_back(files[i].string());
    items.push_back(internal::IngestItem::ForPath(paths.back(), &entries[i], &stats[i], nullptr));
  }
  if (progress != nullptr) progress->Start("hashing", total, true);
  internal::IngestOptions ingest{
      .chunking = options_.chunking, .pool = impl_->pool.get(), .progress = progress};
  Status status = internal::IngestFiles(items, ingest, nullptr);
  if (progress != nullptr) progress->Finish();
  SLUICE_RETURN_IF_ERROR(status);
  return entries;
}

}  // namespace sluice::datasets
