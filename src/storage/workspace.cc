#include "storage/workspace.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <random>
#include <system_error>

#include "base/file_util.h"
#include "storage/local_blob_store.h"
#include "storage/sqlite_database.h"

namespace sluice::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDatabaseFileName = "sluice.db";
constexpr std::string_view kObjectsDirName = "objects";

// What Init writes. The URIs are relative so the workspace can move with its folder.
constexpr std::string_view kDefaultConfig =
    R"(# Sluice workspace configuration, read by every sluice command run in this folder or below.
# Relative paths resolve against the folder that holds .sluice/.

# Metadata (experiments, runs, models): sqlite:///<relative path> or sqlite:////<absolute path>.
metadata: sqlite:///.sluice/sluice.db

# Large files (datasets, models, artifacts), stored by SHA-256:
# file:<relative path> or file:///<absolute path>.
blobs: file:.sluice/objects

# `sluice server` listens here unless told otherwise on the command line.
server:
  host: 127.0.0.1
  port: 5000
)";

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

fs::path Resolve(std::string_view path, const fs::path& root) {
  fs::path p(path);
  return (p.is_absolute() ? p : root / p).lexically_normal();
}

// Creates `file` exclusively and syncs its contents; the caller syncs the folder holding it.
Status WriteDurably(const fs::path& file, std::string_view contents) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, "cannot create", file);
  Status status = WriteAll(fd, contents, file);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError(errno, "cannot fsync", file);
  ::close(fd);
  return status;
}

// A scalar as text; kInvalidArgument naming `key` when it is a list or a map.
Result<std::string> ScalarOf(const YAML::Node& node, std::string_view key) {
  if (!node.IsScalar()) return InvalidArgument("key '{}': expected a string", key);
  return node.Scalar();
}

Status ParseServer(const YAML::Node& server, WorkspaceConfig& config) {
  if (server.IsNull()) return Status::Ok();
  if (!server.IsMap()) return InvalidArgument("key 'server': expected a map with host and port");
  for (const auto& entry : server) {
    const std::string key = entry.first.as<std::string>();
    if (key == "host") {
      SLUICE_ASSIGN_OR_RETURN(config.server_host, ScalarOf(entry.second, "server.host"));
      if (config.server_host.empty())
        return InvalidArgument("key 'server.host': must not be empty");
    } else if (key == "port") {
      SLUICE_ASSIGN_OR_RETURN(std::string text, ScalarOf(entry.second, "server.port"));
      int port = -1;
      try {
        port = entry.second.as<int>();
      } catch (const YAML::Exception&) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        return InvalidArgument(
            "key 'server.port': expected a port number from 0 to 65535, got '{}'", text);
      }
      config.server_port = port;
    } else {
      return InvalidArgument("unknown key 'server.{}' (known keys under 'server': host, port)",
                             key);
    }
  }
  return Status::Ok();
}

Result<WorkspaceConfig> ParseConfig(const YAML::Node& root) {
  WorkspaceConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) return InvalidArgument("expected a map of keys (metadata, blobs, server)");
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    if (key == "metadata") {
      SLUICE_ASSIGN_OR_RETURN(config.metadata_uri, ScalarOf(entry.second, key));
      SLUICE_RETURN_IF_ERROR(
          SqlitePathOfUri(config.metadata_uri, "/").status().WithContext("key 'metadata'"));
    } else if (key == "blobs") {
      SLUICE_ASSIGN_OR_RETURN(config.blob_uri, ScalarOf(entry.second, key));
      SLUICE_RETURN_IF_ERROR(
          LocalPathOfBlobUri(config.blob_uri, "/").status().WithContext("key 'blobs'"));
    } else if (key == "server") {
      SLUICE_RETURN_IF_ERROR(ParseServer(entry.second, config));
    } else {
      return InvalidArgument("unknown key '{}' (known keys: metadata, blobs, server)", key);
    }
  }
  return config;
}

// Builds the contents of .sluice in `staging`.
Status Populate(const fs::path& staging) {
  std::error_code ec;
  fs::create_directory(staging / kObjectsDirName, ec);
  if (ec)
    return Internal("cannot create '{}': {}", (staging / kObjectsDirName).string(), ec.message());
  SLUICE_RETURN_IF_ERROR(OpenLocalBlobStore(staging / kObjectsDirName).status());
  {
    // Creating schema_migrations gives the file its header; closing the database (end of this
    // scope) checkpoints the WAL into it, so only sluice.db itself is moved by the rename.
    SLUICE_ASSIGN_OR_RETURN(auto database, OpenSqliteDatabase(staging / kDatabaseFileName));
    SLUICE_RETURN_IF_ERROR(database->Migrate("workspace", {}));
  }
  SLUICE_RETURN_IF_ERROR(FsyncFile(staging / kDatabaseFileName));
  SLUICE_RETURN_IF_ERROR(WriteDurably(staging / Workspace::kConfigFileName, kDefaultConfig));
  SLUICE_RETURN_IF_ERROR(FsyncDirectory(staging / kObjectsDirName));
  return FsyncDirectory(staging);
}

}  // namespace

Result<fs::path> SqlitePathOfUri(std::string_view uri, const fs::path& root) {
  if (StartsWith(uri, "postgresql://") || StartsWith(uri, "postgres://")) {
    return Unimplemented(
        "metadata URI '{}': the PostgreSQL backend is not available yet; use "
        "sqlite:///.sluice/sluice.db",
        uri);
  }
  constexpr std::string_view kScheme = "sqlite:///";
  if (!StartsWith(uri, kScheme) || uri.size() == kScheme.size()) {
    return InvalidArgument(
        "metadata URI '{}' is not supported: write sqlite:///<path relative to the workspace> or "
        "sqlite:////<absolute path>",
        uri);
  }
  return Resolve(uri.substr(kScheme.size()), root);
}

Result<fs::path> LocalPathOfBlobUri(std::string_view uri, const fs::path& root) {
  if (StartsWith(uri, "s3://")) {
    return Unimplemented(
        "blob URI '{}': the S3 backend is not available yet; use file:.sluice/objects", uri);
  }
  constexpr std::string_view kUsage =
      "write file:<path relative to the workspace> or file:///<absolute path>";
  if (!StartsWith(uri, "file:") || uri.size() == 5) {
    return InvalidArgument("blob URI '{}' is not supported: {}", uri, kUsage);
  }
  std::string_view path = uri.substr(5);
  if (StartsWith(path, "//")) {
    // file://host/path: only the local host makes sense for a folder.
    path.remove_prefix(2);
    if (StartsWith(path, "localhost/")) path.remove_prefix(9);
    if (!StartsWith(path, "/")) {
      return InvalidArgument("blob URI '{}' names a host, not a local folder: {}", uri, kUsage);
    }
  }
  return Resolve(path, root);
}

Result<WorkspaceConfig> ReadWorkspaceConfig(const fs::path& file) {
  YAML::Node node;
  try {
    node = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    return NotFound("config file '{}' cannot be read", file.string());
  } catch (const YAML::Exception& e) {
    return InvalidArgument("config file '{}' line {}: {}", file.string(), e.mark.line + 1, e.msg);
  }
  try {
    return ParseConfig(node).WithContext(fmt::format("config file '{}'", file.string()));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("config file '{}' line {}: {}", file.string(), e.mark.line + 1, e.msg);
  }
}

Result<std::unique_ptr<Workspace>> Workspace::Init(const fs::path& dir) {
  std::error_code ec;
  const fs::path root = fs::absolute(dir, ec).lexically_normal();
  if (ec) return Internal("cannot resolve '{}': {}", dir.string(), ec.message());
  fs::create_directories(root, ec);
  if (ec) return Internal("cannot create folder '{}': {}", root.string(), ec.message());
  const fs::path final_dir = root / kDirName;
  const auto already = [&] {
    return AlreadyExists("a Sluice workspace already exists in '{}' ({} is present)", root.string(),
                         kDirName);
  };
  if (fs::exists(final_dir, ec)) return already();

  // Build in a staging folder and rename it into place last: rename is atomic, so .sluice
  // either holds a complete workspace or does not exist, whatever happens half-way.
  const fs::path staging =
      root / fmt::format("{}.init-{}-{:x}", kDirName, ::getpid(), std::random_device{}());
  if (!fs::create_directory(staging, ec) || ec) {
    return Internal("cannot create folder '{}': {}", staging.string(), ec.message());
  }
  Status status = Populate(staging);
  if (status.ok() && ::rename(staging.c_str(), final_dir.c_str()) != 0) {
    // Another Init won the race (rename onto a non-empty folder fails).
    status = (errno == EEXIST || errno == ENOTEMPTY)
                 ? already()
                 : ErrnoError(errno, "cannot rename to", final_dir);
  }
  if (!status.ok()) {
    fs::remove_all(staging, ec);
    return status.WithContext(fmt::format("initializing workspace in '{}'", root.string()));
  }
  SLUICE_RETURN_IF_ERROR(FsyncDirectory(root));
  return Open(root);
}

Result<std::unique_ptr<Workspace>> Workspace::Open(const fs::path& dir) {
  std::error_code ec;
  fs::path root = fs::absolute(dir, ec).lexically_normal();
  if (ec) return Internal("cannot resolve '{}': {}", dir.string(), ec.message());
  if (!root.has_filename() && root.has_relative_path()) root = root.parent_path();  // "a/b/"
  const fs::path sluice_dir = root / kDirName;
  if (!fs::is_directory(sluice_dir, ec)) {
    return NotFound("no Sluice workspace in '{}': run `sluice init` there to create one",
                    root.string());
  }
  const fs::path config_file = sluice_dir / kConfigFileName;
  if (!fs::exists(config_file, ec)) {
    return FailedPrecondition(
        "workspace '{}' is incomplete: '{}' is missing; restore it, or move {} away and run "
        "`sluice init` again",
        root.string(), config_file.string(), kDirName);
  }
  SLUICE_ASSIGN_OR_RETURN(WorkspaceConfig config, ReadWorkspaceConfig(config_file));
  SLUICE_ASSIGN_OR_RETURN(fs::path db_path, SqlitePathOfUri(config.metadata_uri, root));
  SLUICE_ASSIGN_OR_RETURN(fs::path blob_path, LocalPathOfBlobUri(config.blob_uri, root));

  // The database must exist: an empty new one would hide that the real one went missing.
  SqliteOptions options;
  options.create_if_missing = false;
  auto database = OpenSqliteDatabase(db_path, options);
  if (!database.ok()) {
    return std::move(database).status().WithContext(
        fmt::format("opening workspace '{}'", root.string()));
  }
  auto blobs = OpenLocalBlobStore(blob_path);
  if (!blobs.ok()) {
    return std::move(blobs).status().WithContext(
        fmt::format("opening workspace '{}'", root.string()));
  }
  return std::make_unique<Workspace>(Key{}, std::move(root), std::move(config),
                                     std::move(*database), std::move(*blobs));
}

Result<fs::path> Workspace::Find(const fs::path& start) {
  std::error_code ec;
  const fs::path from = fs::absolute(start, ec).lexically_normal();
  if (ec) return Internal("cannot resolve '{}': {}", start.string(), ec.message());
  for (fs::path dir = from;; dir = dir.parent_path()) {
    if (!dir.has_filename() && dir.has_relative_path()) continue;  // trailing slash
    if (fs::is_directory(dir / kDirName, ec)) return dir;
    if (dir == dir.root_path() || dir.parent_path() == dir) break;
  }
  return NotFound(
      "no Sluice workspace ({} folder) in '{}' or any folder above it: run `sluice init` to "
      "create one",
      kDirName, from.string());
}

}  // namespace sluice::storage
