// Small, careful filesystem operations: whole-file and streamed reads, crash-safe writes, errno
// turned into a Status, and joining an untrusted relative path (an artifact path from a request)
// to a root folder without escaping it.
//
//   SLUICE_RETURN_IF_ERROR(WriteFileAtomically(dir / "meta.json", json));
//   SLUICE_RETURN_IF_ERROR(ReadFileInChunks(file, [&](std::string_view chunk) { ... }));
//   SLUICE_ASSIGN_OR_RETURN(fs::path file, ResolveWithin(artifact_root, request_path));
//
// Thread safety: free functions without shared state; concurrent WriteFileAtomically calls on one
// file each succeed and the last rename wins.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
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

// Makes the contents of the regular file `file` durable. Its name is durable only once the folder
// holding it is synced too (FsyncDirectory).
Status FsyncFile(const fs::path& file);

// Writes all of `bytes` to the open descriptor `fd`, resuming after short writes and EINTR.
// `path` is the file behind `fd`, for the error message only.
Status WriteAll(int fd, std::string_view bytes, const fs::path& path);

// The whole file. kNotFound when it does not exist, kInvalidArgument for a folder; messages name
// the path.
Result<std::string> ReadFileToString(const fs::path& file);

// Streams `file` through `consume` in order, in chunks of at most `chunk_bytes` (which must be
// positive), so a file of any size is read in bounded memory; an empty file calls it never.
// kNotFound when the file does not exist; messages name the path. The first non-OK status from
// `consume` stops the read and is returned unchanged.
Status ReadFileInChunks(const fs::path& file,
                        const std::function<Status(std::string_view chunk)>& consume,
                        size_t chunk_bytes = 1 << 20);

// root / relative, after refusing with kPermissionDenied a `relative` that is absolute, has a ".."
// component, or passes through a symlink that leads outside root (or nowhere). "." and empty
// components are dropped; an empty `relative` gives root. Only the part that exists now is checked:
// this guards against hostile input, not against a concurrent writer inside root.
Result<fs::path> ResolveWithin(const fs::path& root, std::string_view relative);

// The StatusCode for an errno value: ENOENT -> kNotFound, EACCES/EPERM -> kPermissionDenied,
// EEXIST -> kAlreadyExists, ENOSPC/EDQUOT -> kResourceExhausted, others kInternal.
StatusCode ErrnoToStatusCode(int error);

// The status for a system call on `path` that failed with `error`: the code from
// ErrnoToStatusCode and the message "<what> '<path>': <strerror>", as in
// ErrnoError(errno, "cannot open", file).
Status ErrnoError(int error, std::string_view what, const fs::path& path);

}  // namespace sluice
