#include "tracking/artifacts.h"

#include <algorithm>
#include <fstream>
#include <set>

#include "base/file_util.h"
#include "base/random.h"
#include "base/sha256.h"
#include "tracking/validation.h"

namespace sluice::tracking {

std::optional<std::string> ArtifactStorePath(std::string_view artifact_uri) {
  constexpr std::string_view kScheme = "mlflow-artifacts:";
  if (!artifact_uri.starts_with(kScheme)) return std::nullopt;
  std::string_view rest = artifact_uri.substr(kScheme.size());
  if (rest.starts_with("//")) {  // mlflow-artifacts://host:port/path
    size_t slash = rest.find('/', 2);
    rest = slash == std::string_view::npos ? "" : rest.substr(slash);
  }
  while (rest.starts_with('/')) rest.remove_prefix(1);
  return std::string(rest);
}
namespace {

using storage::Connection;
using storage::Row;

std::string Normalize(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

// The half-open range of paths under folder `dir` (not the root): [dir + "/", dir + "0"), as
// '0' follows '/' in byte order.
std::pair<std::string, std::string> FolderRange(const std::string& dir) {
  return {dir + "/", dir + "0"};
}

}  // namespace

class UploadImpl final : public ArtifactStore::Upload {
 public:
  UploadImpl(ArtifactStore& store, std::string path, std::unique_ptr<storage::BlobWriter> writer)
      : store_(store), path_(std::move(path)), writer_(std::move(writer)) {}

  Status Write(std::string_view bytes) override { return writer_->Write(bytes); }

  Result<ArtifactFile> Commit() override {
    SLUICE_ASSIGN_OR_RETURN(storage::BlobInfo blob, writer_->Commit());
    SLUICE_RETURN_IF_ERROR(store_.Publish(path_, blob));
    return ArtifactFile{path_, false, static_cast<int64_t>(blob.size_bytes), blob.digest};
  }

 private:
  ArtifactStore& store_;
  std::string path_;
  std::unique_ptr<storage::BlobWriter> writer_;
};

ArtifactStore::ArtifactStore(storage::Database& database, storage::BlobStore& blobs,
                             const Clock& clock)
    : db_(database), blobs_(blobs), clock_(clock) {}

Result<std::unique_ptr<ArtifactStore::Upload>> ArtifactStore::BeginUpload(std::string_view path) {
  SLUICE_RETURN_IF_ERROR(ValidateArtifactPath(path, /*allow_empty=*/false));
  std::string normalized = Normalize(path);
  if (normalized.size() != path.size()) {
    return InvalidArgument("invalid artifact path '{}': a file path may not end with '/'", path);
  }
  SLUICE_ASSIGN_OR_RETURN(auto writer, blobs_.NewWriter());
  return std::unique_ptr<Upload>(new UploadImpl(*this, std::move(normalized), std::move(writer)));
}

Result<ArtifactFile> ArtifactStore::Put(std::string_view path, std::string_view bytes) {
  SLUICE_ASSIGN_OR_RETURN(auto upload, BeginUpload(path));
  SLUICE_RETURN_IF_ERROR(upload->Write(bytes));
  return upload->Commit();
}

Status ArtifactStore::Publish(const std::string& path, const storage::BlobInfo& blob) {
  return db_.Write([&](Connection& c) -> Status {
    auto [low, high] = FolderRange(path);
    SLUICE_ASSIGN_OR_RETURN(
        auto rows,
        c.Query("SELECT path FROM artifacts WHERE path >= ? AND path < ? LIMIT 1", {low, high}));
    if (!rows.empty()) {
      return FailedPrecondition("cannot write file '{}': it is a folder holding '{}'", path,
                                rows[0][0].AsText());
    }
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      std::string parent = path.substr(0, slash);
      SLUICE_ASSIGN_OR_RETURN(rows, c.Query("SELECT 1 FROM artifacts WHERE path = ?", {parent}));
      if (!rows.empty()) {
        return FailedPrecondition("cannot write file '{}': '{}' is a file, not a folder", path,
                                  parent);
      }
    }
    return c.Execute(
        "INSERT INTO artifacts (path, digest, size_bytes, created_time) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (path) DO UPDATE SET digest = excluded.digest, "
        "size_bytes = excluded.size_bytes, created_time = excluded.created_time",
        {path, blob.digest, blob.size_bytes, clock_.NowMillis()});
  });
}

Result<ArtifactFile> ArtifactStore::Stat(std::string_view path) {
  SLUICE_RETURN_IF_ERROR(ValidateArtifactPath(path, /*allow_empty=*/false));
  std::string normalized = Normalize(path);
  ArtifactFile file;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        auto rows,
        c.Query("SELECT digest, size_bytes FROM artifacts WHERE path = ?", {normalized}));
    if (rows.empty()) return NotFound("artifact '{}' does not exist", normalized);
    file = {normalized, false, rows[0][1].AsInt(), rows[0][0].AsText()};
    return Status();
  }));
  return file;
}

Result<std::unique_ptr<storage::BlobReader>> ArtifactStore::Open(const ArtifactFile& file) {
  return blobs_.Open(file.digest);
}

std::optional<std::filesystem::path> ArtifactStore::LocalPath(const ArtifactFile& file) const {
  return blobs_.LocalPath(file.digest);
}

Result<std::string> ArtifactStore::ReadAll(std::string_view path) {
  SLUICE_ASSIGN_OR_RETURN(ArtifactFile file, Stat(path));
  return blobs_.ReadAll(file.digest);
}

Result<std::vector<ArtifactFile>> ArtifactStore::Download(std::string_view dir,
                                                          const std::filesystem::path& dest,
                                                          bool replace) {
  namespace fs = std::filesystem;
  SLUICE_ASSIGN_OR_RETURN(std::vector<ArtifactFile> files, ListRecursive(dir));
  if (files.empty()) return NotFound("no artifact files under '{}'", dir);
  std::error_code ec;
  const bool exists = fs::exists(dest, ec);
  if (exists && !replace && !(fs::is_directory(dest, ec) && fs::is_empty(dest, ec))) {
    return AlreadyExists("'{}' exists and is not empty; choose a new folder or replace it",
                         dest.string());
  }
  const fs::path parent = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
  const fs::path staging = parent / (".sluice-download-" + RandomHex(8));
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      if (!path.empty()) fs::remove_all(path, ignored);
    }
  } cleanup{staging};
  const std::string prefix = Normalize(dir);
  for (const ArtifactFile& file : files) {
    const std::string relative = prefix.empty() ? file.path : file.path.substr(prefix.size() + 1);
    const fs::path target = staging / relative;
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Internal("creating '{}': {}", target.parent_path().string(), ec.message());
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobReader> reader, Open(file));
    std::ofstream out(target, std::ios::binary);
    if (!out) return ErrnoError(errno, "cannot write", target);
    Sha256 hash;
    std::vector<char> buffer(1 << 20);
    while (true) {
      SLUICE_ASSIGN_OR_RETURN(size_t n, reader->Read(buffer));
      if (n == 0) break;
      hash.Update({buffer.data(), n});
      out.write(buffer.data(), static_cast<std::streamsize>(n));
    }
    out.close();
    if (!out) return Internal("writing '{}' failed", target.string());
    if (std::string digest = hash.FinishHex(); digest != file.digest) {
      return DataLoss("artifact '{}' should have sha256 {} but its stored bytes have {}", file.path,
                      file.digest, digest);
    }
    SLUICE_RETURN_IF_ERROR(FsyncFile(target));
  }
  if (exists) {
    const fs::path old = parent / (".sluice-replaced-" + RandomHex(8));
    fs::rename(dest, old, ec);
    if (ec) return Internal("moving '{}' aside: {}", dest.string(), ec.message());
    fs::rename(staging, dest, ec);
    if (ec) {
      fs::rename(old, dest, ec);  // put the old folder back
      return Internal("replacing '{}' failed", dest.string());
    }
    fs::remove_all(old, ec);
  } else {
    fs::rename(staging, dest, ec);
    if (ec) return Internal("moving the download to '{}': {}", dest.string(), ec.message());
  }
  cleanup.path.clear();
  SLUICE_RETURN_IF_ERROR(FsyncDirectory(parent));
  return files;
}

Result<std::vector<ArtifactFile>> ArtifactStore::ListRecursive(std::string_view dir) {
  SLUICE_RETURN_IF_ERROR(ValidateArtifactPath(dir, /*allow_empty=*/true));
  std::string folder = Normalize(dir);
  auto [low, high] = FolderRange(folder);
  std::vector<ArtifactFile> files;
  SLUICE_RETURN_IF_ERROR(db_.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        auto rows, folder.empty()
                       ? c.Query("SELECT path, size_bytes, digest FROM artifacts ORDER BY path")
                       : c.Query("SELECT path, size_bytes, digest FROM artifacts WHERE "
                                 "path >= ? AND path < ? ORDER BY path",
                                 {low, high}));
    for (Row& r : rows) files.push_back({r[0].AsText(), false, r[1].AsInt(), r[2].AsText()});
    return Status();
  }));
  return files;
}

Result<std::vector<ArtifactFile>> ArtifactStore::List(std::string_view dir) {
  std::string prefix = Normalize(dir);
  SLUICE_ASSIGN_OR_RETURN(std::vector<ArtifactFile> all, ListRecursive(prefix));
  size_t skip = prefix.empty() ? 0 : prefix.size() + 1;
  std::vector<ArtifactFile> children;
  std::set<std::string> folders;
  for (ArtifactFile& f : all) {
    std::string rest = f.path.substr(skip);
    size_t slash = rest.find('/');
    if (slash == std::string::npos) {
      f.path = std::move(rest);
      children.push_back(std::move(f));
    } else {
      folders.insert(rest.substr(0, slash));
    }
  }
  for (const std::string& folder : folders) children.push_back({folder, true, 0, ""});
  std::sort(children.begin(), children.end(),
            [](const ArtifactFile& a, const ArtifactFile& b) { return a.path < b.path; });
  return children;
}

Status ArtifactStore::Delete(std::string_view path) {
  SLUICE_RETURN_IF_ERROR(ValidateArtifactPath(path, /*allow_empty=*/false));
  std::string normalized = Normalize(path);
  auto [low, high] = FolderRange(normalized);
  return db_.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(
        c.Execute("DELETE FROM artifacts WHERE path = ? OR (path >= ? AND path < ?)",
                  {normalized, low, high}));
    if (c.ChangedRows() == 0) return NotFound("artifact '{}' does not exist", normalized);
    // Blobs stay: other paths may share them; garbage collection reclaims unreferenced ones.
    return Status();
  });
}

}  // namespace sluice::tracking
