// DatasetStore::Checkout, CheckoutPointer and Resolve: writing a version's bytes back.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <mutex>
#include <unordered_map>

#include "base/file_util.h"
#include "base/random.h"
#include "base/sha256.h"
#include "datasets/dataset_store.h"
#include "datasets/internal/store_impl.h"
#include "datasets/manifest.h"
#include "datasets/pointer_file.h"

namespace sluice::datasets {

namespace fs = std::filesystem;
using internal::ObjectLocation;
using storage::Connection;
using storage::Row;

namespace {

constexpr size_t kMaxListed = 10;

bool IsWithin(const fs::path& path, const fs::path& root) {
  auto [root_end, path_end] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

fs::path Clean(const fs::path& path) {
  fs::path p = path.lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

mode_t CurrentUmask() {
  // Linux reports it without changing it; setting and restoring it would race with other
  // threads creating files.
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) != 0) continue;
    const size_t start = line.find_first_not_of(" \t", 6);
    unsigned value = 0;
    if (start != std::string::npos &&
        std::from_chars(line.data() + start, line.data() + line.size(), value, 8).ec ==
            std::errc()) {
      return static_cast<mode_t>(value);
    }
  }
  return 022;
}

struct Target {
  const Entry* entry = nullptr;
  fs::path path;
  fs::path temp;
};

Status WriteAllFd(int fd, std::string_view bytes, const fs::path& path) {
  return WriteAll(fd, bytes, path);
}

std::string ListPaths(const std::vector<std::string>& paths) {
  std::string out;
  for (size_t i = 0; i < paths.size() && i < kMaxListed; ++i) {
    out += fmt::format("{}'{}'", i == 0 ? "" : ", ", paths[i]);
  }
  if (paths.size() > kMaxListed) out += fmt::format(" and {} more", paths.size() - kMaxListed);
  return out;
}

}  // namespace

Result<CheckoutResult> DatasetStore::Impl::CheckoutVersion(const VersionInfo& version,
                                                           const Manifest& manifest,
                                                           const CheckoutOptions& options,
                                                           const fs::path& dest) {
  CheckoutResult result;
  result.version = version;
  result.dest = dest;
  const std::string shown = dest.string();

  // What is at the destination now.
  struct stat dest_st;
  const bool dest_exists = ::stat(dest.c_str(), &dest_st) == 0;
  if (dest_exists) {
    const bool is_dir = S_ISDIR(dest_st.st_mode);
    if (manifest.kind == DatasetKind::kFolder && !is_dir) {
      return FailedPrecondition("'{}' exists and is not a folder; move it away or choose --to",
                                shown);
    }
    if (manifest.kind == DatasetKind::kFile && !S_ISREG(dest_st.st_mode)) {
      return FailedPrecondition("'{}' exists and is not a file; move it away or choose --to",
                                shown);
    }
  }
  internal::Sources existing;
  if (dest_exists) {
    SLUICE_ASSIGN_OR_RETURN(existing, ListSources(dest, shown, manifest.kind));
    if (manifest.kind == DatasetKind::kFile) {
      // Compared under the manifest's name, read under its own.
      existing.files[0].name = existing.files[0].rel;
      existing.files[0].rel = manifest.entries[0].path;
    }
  }
  // Digests of what is there (stat cache of the version's own path when that is where we write).
  std::unordered_map<std::string, Entry> current;
  if (!existing.files.empty()) {
    internal::StatCache cache(manifest.chunking);
    if (!version.path.empty() && dest == root / version.path) {
      SLUICE_RETURN_IF_ERROR(db.Read([&](Connection& c) -> Status {
        SLUICE_ASSIGN_OR_RETURN(
            cache, internal::LoadStatCache(stat_caches, c, version.path, manifest.chunking));
        return Status::Ok();
      }));
    }
    SLUICE_ASSIGN_OR_RETURN(
        Ingested now, IngestSources(existing, cache, manifest.chunking, manifest.kind, nullptr,
                                    options.progress, "checking " + shown));
    for (Entry& e : now.manifest.entries) {
      std::string key = e.path;
      current.emplace(std::move(key), std::move(e));
    }
  }

  std::vector<Target> targets;
  std::vector<const Entry*> replaced;  // existing files that will be overwritten
  for (const Entry& e : manifest.entries) {
    const fs::path path = manifest.kind == DatasetKind::kFile ? dest : dest / e.path;
    auto it = current.find(e.path);
    if (it != current.end()) {
      if (it->second.digest == e.digest && it->second.mode == e.mode) {
        ++result.unchanged_files;
        continue;
      }
      replaced.push_back(&it->second);
    }
    targets.push_back({&e, path, {}});
  }
  std::vector<const Entry*> extras;
  if (manifest.kind == DatasetKind::kFolder) {
    std::unordered_map<std::string, const Entry*> wanted;
    for (const Entry& e : manifest.entries) wanted.emplace(e.path, &e);
    for (const auto& [path, e] : current) {
      if (wanted.count(path) == 0) extras.push_back(&e);
    }
  }

  // Never lose bytes: a file may be overwritten or deleted only when its content is stored.
  if (!options.force && (!replaced.empty() || !extras.empty())) {
    std::vector<std::string> digests;
    for (const auto* list : {&replaced, &extras}) {
      for (const Entry* e : *list) {
        if (e->chunks.empty()) {
          digests.push_back(e->digest);
        } else {
          for (const Chunk& c : e->chunks) digests.push_back(c.digest);
        }
      }
    }
    std::unordered_map<std::string, ObjectLocation> found;
    SLUICE_RETURN_IF_ERROR(db.Read([&](Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(found, internal::LookupObjects(c, digests));
      return Status::Ok();
    }));
    std::vector<std::string> unsaved;
    for (const auto* list : {&replaced, &extras}) {
      for (const Entry* e : *list) {
        const bool stored =
            e->chunks.empty()
                ? found.count(e->digest) != 0
                : std::all_of(e->chunks.begin(), e->chunks.end(),
                              [&](const Chunk& c) { return found.count(c.digest) != 0; });
        if (!stored) {
          unsaved.push_back(manifest.kind == DatasetKind::kFile ? shown
                                                                : (dest / e->path).string());
        }
      }
    }
    std::sort(unsaved.begin(), unsaved.end());
    if (!unsaved.empty()) {
      return FailedPrecondition(
          "checkout would overwrite changes that no version holds: {} (record them first with "
          "sluice data add, or pass --force to discard them)",
          ListPaths(unsaved));
    }
  }

  // Where every object to write is.
  std::vector<std::string> digests;
  uint64_t total = 0;
  for (const Target& t : targets) {
    total += t.entry->size_bytes;
    if (t.entry->chunks.empty()) {
      if (t.entry->size_bytes > 0) digests.push_back(t.entry->digest);
    } else {
      for (const Chunk& c : t.entry->chunks) digests.push_back(c.digest);
    }
  }
  std::unordered_map<std::string, ObjectLocation> locations;
  SLUICE_RETURN_IF_ERROR(db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(locations, internal::LookupObjects(c, digests));
    return Status::Ok();
  }));
  for (const std::string& d : digests) {
    if (locations.count(d) == 0) {
      return DataLoss(
          "object {} of {}@{} is missing from the store (run sluice data verify; "
          "sluice data pull fetches it from a remote)",
          d, version.name, version.version);
    }
  }

  // Phase 1: every file into a temporary sibling, checked while written.
  const mode_t mask = CurrentUmask();
  internal::PackReader reader(blobs);
  std::mutex error_mutex;
  Status first_error;
  std::atomic<bool> failed{false};
  if (options.progress != nullptr && !targets.empty()) {
    options.progress->Start("writing " + shown, total, true);
  }
  auto write_one = [&](size_t i) {
    if (failed.load()) return;
    Target& t = targets[i];
    auto fail = [&](Status s) {
      std::lock_guard lock(error_mutex);
      if (first_error.ok()) first_error = std::move(s);
      failed = true;
    };
    std::error_code ec;
    fs::create_directories(t.path.parent_path(), ec);
    if (ec) {
      fail(Internal("cannot create folder '{}': {}", t.path.parent_path().string(), ec.message()));
      return;
    }
    t.temp = t.path.parent_path() /
             fmt::format(".{}.sluice-tmp-{}", t.path.filename().string(), RandomHex(8));
    const int fd = ::open(t.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      fail(ErrnoError(errno, "cannot create", t.temp));
      t.temp.clear();
      return;
    }
    Status s;
    std::string buffer;
    if (t.entry->chunks.empty()) {
      if (t.entry->size_bytes > 0) {
        s = reader.Read(locations.at(t.entry->digest), buffer);
        if (s.ok()) s = WriteAllFd(fd, buffer, t.temp);
      } else if (t.entry->digest != Sha256::HexOf("")) {
        s = DataLoss("entry '{}' is empty but its digest is not that of no bytes", t.entry->path);
      }
    } else {
      for (const Chunk& c : t.entry->chunks) {
        s = reader.Read(locations.at(c.digest), buffer);
        if (s.ok()) s = WriteAllFd(fd, buffer, t.temp);
        if (!s.ok()) break;
        if (options.progress != nullptr) options.progress->Advance(c.size_bytes);
      }
    }
    if (s.ok() && ::fchmod(fd, t.entry->mode & ~mask) != 0) {
      s = ErrnoError(errno, "cannot set the mode of", t.temp);
    }
    if (::close(fd) != 0 && s.ok()) s = ErrnoError(errno, "cannot close", t.temp);
    if (!s.ok()) {
      fail(std::move(s).WithContext(
          fmt::format("{}@{}: '{}'", version.name, version.version, t.entry->path)));
      return;
    }
    if (options.progress != nullptr && t.entry->chunks.empty()) {
      options.progress->Advance(t.entry->size_bytes);
    }
  };
  ForEach(targets.size(), write_one);
  if (options.progress != nullptr && !targets.empty()) options.progress->Finish();
  if (!first_error.ok()) {
    for (const Target& t : targets) {
      if (!t.temp.empty()) ::unlink(t.temp.c_str());
    }
    return first_error;
  }

  // Phase 2: into place.
  for (const Target& t : targets) {
    if (::rename(t.temp.c_str(), t.path.c_str()) != 0) {
      const int error = errno;
      for (const Target& other : targets) ::unlink(other.temp.c_str());
      return ErrnoError(error, "cannot move into place", t.path);
    }
    ++result.written_files;
    result.written_bytes += t.entry->size_bytes;
  }
  for (const Entry* e : extras) {
    const fs::path path = dest / e->path;
    if (::unlink(path.c_str()) == 0) ++result.removed_files;
  }
  if (!targets.empty() || result.removed_files > 0) {
    fs::path sync_at = manifest.kind == DatasetKind::kFile ? dest.parent_path() : dest;
    int fd = ::open(sync_at.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      const int rc = ::syncfs(fd);
      const int error = errno;
      ::close(fd);
      if (rc != 0) return ErrnoError(error, "cannot sync the file system of", sync_at);
    }
  }
  return result;
}

Result<CheckoutResult> DatasetStore::Checkout(std::string_view ref,
                                              const CheckoutOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(VersionInfo version, Get(ref));
  SLUICE_ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(version.digest));
  fs::path dest;
  if (options.dest.empty()) {
    if (version.path.empty()) {
      return InvalidArgument("{}@{} has no path in the workspace; choose one with --to",
                             version.name, version.version);
    }
    dest = root_ / version.path;
  } else {
    dest = Clean(fs::absolute(options.dest));
    std::error_code ec;
    if (manifest.kind == DatasetKind::kFile && fs::is_directory(dest, ec)) {
      dest /= manifest.entries[0].path;
    }
  }
  if (IsWithin(dest, root_ / ".sluice")) {
    return PermissionDenied("'{}' is inside .sluice/, which holds Sluice's own state",
                            dest.string());
  }
  return impl_->CheckoutVersion(version, manifest, options, dest);
}

Result<CheckoutResult> DatasetStore::CheckoutPointer(const fs::path& pointer_file,
                                                     const CheckoutOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(PointerFile pointer, ReadPointer(pointer_file));
  VersionInfo version;
  Result<VersionInfo> by_name = Get(fmt::format("{}@{}", pointer.name, pointer.version));
  if (by_name.ok() && by_name->digest == pointer.digest) {
    version = std::move(*by_name);
  } else {
    std::vector<Row> rows;
    SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(
          rows, c.Query(fmt::format("SELECT {} FROM dataset_versions WHERE digest = ? ORDER BY "
                                    "name, version LIMIT 1",
                                    kVersionColumns),
                        {pointer.digest}));
      return Status::Ok();
    }));
    if (rows.empty()) {
      return NotFound(
          "pointer '{}' names {}@{} (digest {}), which this workspace does not have; fetch it "
          "with sluice data pull",
          pointer_file.string(), pointer.name, pointer.version, pointer.digest);
    }
    SLUICE_ASSIGN_OR_RETURN(version,
                            Get(fmt::format("{}@{}", rows[0][0].AsText(), rows[0][1].AsInt())));
  }
  SLUICE_ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(version.digest));
  CheckoutOptions o = options;
  fs::path dest;
  if (o.dest.empty()) {
    dest = Clean(fs::absolute(pointer_file)).parent_path() / pointer.path;
  } else {
    dest = Clean(fs::absolute(o.dest));
    std::error_code ec;
    if (manifest.kind == DatasetKind::kFile && fs::is_directory(dest, ec)) {
      dest /= manifest.entries[0].path;
    }
  }
  return impl_->CheckoutVersion(version, manifest, o, dest);
}

Result<ResolvedData> DatasetStore::Resolve(std::string_view ref) {
  ResolvedData out;
  SLUICE_ASSIGN_OR_RETURN(out.version, Get(ref));
  const VersionInfo& v = out.version;
  SLUICE_ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(v.digest));
  // The workspace copy, when it holds exactly these bytes.
  if (!v.path.empty()) {
    const fs::path abs = root_ / v.path;
    struct stat st;
    const bool right_kind =
        ::stat(abs.c_str(), &st) == 0 &&
        (manifest.kind == DatasetKind::kFolder ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
    if (right_kind) {
      Result<internal::Sources> files = impl_->ListSources(abs, v.path, manifest.kind);
      if (files.ok()) {
        internal::StatCache cache(manifest.chunking);
        SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
          SLUICE_ASSIGN_OR_RETURN(
              cache, internal::LoadStatCache(impl_->stat_caches, c, v.path, manifest.chunking));
          return Status::Ok();
        }));
        Result<Ingested> now = impl_->IngestSources(*files, cache, manifest.chunking, manifest.kind,
                                                    nullptr, nullptr, "");
        if (now.ok() && Sha256::HexOf(SerializeManifest(now->manifest)) == v.digest) {
          out.path = abs;
          return out;
        }
      }
    }
  }
  // Else a copy in the workspace's cache, made once per digest.
  const fs::path cache_root = root_ / ".sluice" / "datasets" / "cache";
  const std::string leaf = manifest.kind == DatasetKind::kFile
                               ? manifest.entries[0].path
                               : (v.path.empty() ? v.name : fs::path(v.path).filename().string());
  const fs::path done = cache_root / v.digest;
  if (fs::exists(done / ".complete")) {
    out.path = done / leaf;
    return out;
  }
  std::error_code ec;
  fs::create_directories(cache_root, ec);
  if (ec) return Internal("cannot create '{}': {}", cache_root.string(), ec.message());
  const fs::path staging = cache_root / fmt::format("{}.tmp-{}", v.digest, RandomHex(8));
  fs::create_directories(staging, ec);
  if (ec) return Internal("cannot create '{}': {}", staging.string(), ec.message());
  CheckoutOptions options;
  options.dest = staging / leaf;
  Result<CheckoutResult> written = impl_->CheckoutVersion(v, manifest, options, staging / leaf);
  if (written.ok()) {
    Status marked = WriteFileAtomically(staging / ".complete", v.digest + "\n");
    if (marked.ok() && ::rename(staging.c_str(), done.c_str()) != 0 && errno != ENOTEMPTY &&
        errno != EEXIST) {
      marked = ErrnoError(errno, "cannot move into place", done);
    }
    if (!marked.ok()) written = marked;
  }
  fs::remove_all(staging, ec);
  SLUICE_RETURN_IF_ERROR(written.status());
  out.path = done / leaf;
  return out;
}

Result<std::optional<ResolvedData>> ResolveDataArgument(DatasetStore& store,
                                                        std::string_view argument) {
  std::error_code ec;
  if (!argument.empty() && fs::exists(fs::path(argument), ec)) {
    return std::optional<ResolvedData>();
  }
  Result<Ref> ref = ParseRef(argument);
  if (!ref.ok()) {
    return NotFound("'{}' is neither a file nor a dataset version (NAME, NAME@VERSION, NAME@TAG)",
                    argument);
  }
  Result<ResolvedData> resolved = store.Resolve(argument);
  if (!resolved.ok()) {
    if (resolved.status().code() == StatusCode::kNotFound) {
      return NotFound("'{}' is neither a file nor a dataset version: {}", argument,
                      resolved.status().message());
    }
    return resolved.status();
  }
  return std::optional<ResolvedData>(std::move(*resolved));
}

}  // namespace sluice::datasets
