// Small, careful filesystem operations: whole-file reads, crash-safe writes, and joining an
// untrusted relative path (an artifact path from a request) to a root folder without escaping it.
//
//   SLUICE_RETURN_IF_ERROR(WriteFileAtomically(dir / "meta.json", json));
//   SLUICE_ASSIGN_OR_RETURN(fs::path file, ResolveWithin(artifact_root, request_path));
//
// Thread safety: free functions without shared state; concurrent WriteFileAtomically calls on one
// file each succeed and the last rename wins.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice {

namespace fs = std::filesystem;

// Replaces `file` with `contents` so that readers, and the file after a crash or power loss, see
// either the old or the new contents in full, never a mix: a temporary file in the same folder is
// written, fsynced and renamed over `file`, then the folder is fsynced. The folder must exist
// (kNotFound otherwise). New files get mode 0666 minus the umask.
Status WriteFileAtomically(const fs::path& file, std::string_view contents);

// Makes renames and creations inside `dir` durable.
Status FsyncDirectory(const fs::path& dir);

// The whole file. kNotFound when it does not exist, kInvalidArgument for a folder; messages name
// the path.
Result<std::string> ReadFileToString(const fs::path& file);

// root / relative, after refusing with kPermissionDenied a `relative` that is absolute, has a ".."
// component, or passes through a symlink that leads outside root (or nowhere). "." and empty
// components are dropped; an empty `relative` gives root. Only the part that exists now is checked:
// this guards against hostile input, not against a concurrent writer inside root.
Result<fs::path> ResolveWithin(const fs::path& root, std::string_view relative);

// The StatusCode for an errno value: ENOENT -> kNotFound, EACCES/EPERM -> kPermissionDenied,
// EEXIST -> kAlreadyExists, ENOSPC/EDQUOT -> kResourceExhausted, others kInternal.
StatusCode ErrnoToStatusCode(int error);

}  // namespace sluice
