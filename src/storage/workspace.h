// A workspace: the folder a user ran `sluice init` in, holding everything Sluice stores.
//
//   <dir>/.sluice/config.yaml   where metadata and blobs live, server settings
//   <dir>/.sluice/sluice.db     the SQLite metadata database (WAL mode)
//   <dir>/.sluice/objects/      the content-addressed blob store
//
//   SLUICE_ASSIGN_OR_RETURN(auto root, Workspace::Find(std::filesystem::current_path()));
//   SLUICE_ASSIGN_OR_RETURN(auto workspace, Workspace::Open(root));
//
// config.yaml (written by Init, with comments):
//
//   metadata: sqlite:///.sluice/sluice.db   # sqlite:///<relative path> or sqlite:////<absolute>
//   blobs: file:.sluice/objects             # file:<relative path> or file:///<absolute path>
//   server:
//     host: 127.0.0.1
//     port: 5000
//
// Relative paths resolve against the workspace root (the folder holding .sluice/), so a
// workspace can be moved or checked out elsewhere. Missing keys take the defaults above;
// unknown keys and bad values are kInvalidArgument naming the key and the file; postgresql://
// and s3:// URIs are kUnimplemented until those backends exist.
//
// Thread safety: a Workspace is immutable after Open; database() and blobs() are thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace sluice::storage {

struct WorkspaceConfig {
  std::string metadata_uri = "sqlite:///.sluice/sluice.db";
  std::string blob_uri = "file:.sluice/objects";
  std::string server_host = "127.0.0.1";
  int server_port = 5000;
};

// Reads and validates a workspace's config.yaml; errors name the file and the key.
Result<WorkspaceConfig> ReadWorkspaceConfig(const std::filesystem::path& file);

class Workspace {
 public:
  static constexpr std::string_view kDirName = ".sluice";
  static constexpr std::string_view kConfigFileName = "config.yaml";

  // Creates <dir>/.sluice/{sluice.db, objects/, config.yaml} (and `dir` when missing);
  // kAlreadyExists if <dir>/.sluice is present. Everything is built in a staging folder that is
  // renamed to .sluice last, so a crash half-way never leaves a .sluice that Open accepts.
  static Result<std::unique_ptr<Workspace>> Init(const std::filesystem::path& dir);

  // Opens the workspace whose .sluice/ is in `dir`; kNotFound says to run `sluice init`.
  static Result<std::unique_ptr<Workspace>> Open(const std::filesystem::path& dir);

  // The nearest folder at or above `start` that holds .sluice/; kNotFound when there is none.
  static Result<std::filesystem::path> Find(const std::filesystem::path& start);

  Database& database() { return *database_; }
  BlobStore& blobs() { return *blobs_; }
  const WorkspaceConfig& config() const { return config_; }
  // The absolute folder holding .sluice/.
  const std::filesystem::path& root() const { return root_; }

 private:
  // Lets the static factories use std::make_unique while the constructor stays theirs alone.
  struct Key {
    explicit Key() = default;
  };

 public:
  Workspace(Key, std::filesystem::path root, WorkspaceConfig config,
            std::unique_ptr<Database> database, std::unique_ptr<BlobStore> blobs)
      : root_(std::move(root)),
        config_(std::move(config)),
        database_(std::move(database)),
        blobs_(std::move(blobs)) {}

 private:
  std::filesystem::path root_;
  WorkspaceConfig config_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<BlobStore> blobs_;
};

// Where a metadata or blob URI points on local disk, relative paths resolved against `root`.
// kUnimplemented for postgresql:// and s3://, kInvalidArgument for anything else unknown.
Result<std::filesystem::path> SqlitePathOfUri(std::string_view uri,
                                              const std::filesystem::path& root);
Result<std::filesystem::path> LocalPathOfBlobUri(std::string_view uri,
                                                 const std::filesystem::path& root);

}  // namespace sluice::storage
