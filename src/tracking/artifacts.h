// Artifact files of runs and logged models, addressed by path under the mlflow-artifacts root
// ("<experiment_id>/<run_id>/artifacts/<file>"). The bytes live in the content-addressed blob
// store (identical files are stored once); the path -> blob mapping lives in the metadata
// database, so an upload becomes visible atomically when its row commits.
//
// Thread safety: thread-safe. An Upload is used by one thread.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace sluice::tracking {

struct ArtifactFile {
  std::string path;  // from the root for Stat; the name within the folder for List
  bool is_dir = false;
  int64_t size_bytes = 0;  // files only
  std::string digest;      // files only
};

// The store path of an artifact URI: "mlflow-artifacts:/0/abc/artifacts" -> "0/abc/artifacts"
// (also with a host, "mlflow-artifacts://host:port/0/..."); nullopt for other schemes, whose files
// this store does not hold.
std::optional<std::string> ArtifactStorePath(std::string_view artifact_uri);

class ArtifactStore {
 public:
  // All three must outlive the store.
  ArtifactStore(storage::Database& database, storage::BlobStore& blobs, const Clock& clock);

  class Upload {
   public:
    virtual ~Upload() = default;
    virtual Status Write(std::string_view bytes) = 0;
    // Publishes the file, replacing an older file at the same path. kFailedPrecondition when
    // the path is a folder or lies under a file.
    virtual Result<ArtifactFile> Commit() = 0;
  };

  // Validates the path (no '..', no absolute paths) before any byte is read.
  Result<std::unique_ptr<Upload>> BeginUpload(std::string_view path);
  Result<ArtifactFile> Put(std::string_view path, std::string_view bytes);

  // kNotFound when no file is at `path` (a folder is not a file).
  Result<ArtifactFile> Stat(std::string_view path);
  Result<std::unique_ptr<storage::BlobReader>> Open(const ArtifactFile& file);
  // The file's bytes on local disk, when the blob store is a local folder.
  std::optional<std::filesystem::path> LocalPath(const ArtifactFile& file) const;
  Result<std::string> ReadAll(std::string_view path);

  // The direct children of folder `dir` ("" = the root), folders and files, sorted by name.
  // A missing folder lists as empty, as MLflow does.
  Result<std::vector<ArtifactFile>> List(std::string_view dir);
  // Every file under `dir`, paths from the root.
  Result<std::vector<ArtifactFile>> ListRecursive(std::string_view dir);

  // Copies every file under `dir` into the local folder `dest` (paths below `dir` kept), checking
  // each file's bytes against its digest (kDataLoss when they differ). The files are written into
  // a temporary sibling folder that is renamed to `dest` only when all are complete, so `dest`
  // never holds a partial download. kNotFound when `dir` holds no file; kAlreadyExists when
  // `dest` exists and is not empty, unless `replace`, which swaps the old folder out last.
  Result<std::vector<ArtifactFile>> Download(std::string_view dir,
                                             const std::filesystem::path& dest, bool replace);
  // Deletes a file or a whole folder. kNotFound when nothing is there.
  Status Delete(std::string_view path);

 private:
  friend class UploadImpl;
  Status Publish(const std::string& path, const storage::BlobInfo& blob);

  storage::Database& db_;
  storage::BlobStore& blobs_;
  const Clock& clock_;
};

}  // namespace sluice::tracking
