#include "base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "base/file_descriptor.h"
#include "base/random.h"

namespace sluice {
namespace {

Status Fsync(const fs::path& path, bool directory) {
  FileDescriptor fd(
      ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC));
  if (fd.get() < 0) {
    return ErrnoError(errno, directory ? "cannot open folder" : "cannot open", path);
  }
  if (::fsync(fd.get()) != 0) {
    return ErrnoError(errno, directory ? "cannot fsync folder" : "cannot fsync", path);
  }
  return Status::Ok();
}

// Reads `fd` to its end; shared by the whole-file and the streamed reads.
Status ReadToEnd(int fd, const fs::path& file, size_t chunk_bytes,
                 const std::function<Status(std::string_view chunk)>& consume) {
  std::vector<char> buffer(chunk_bytes);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot read", file);
    }
    if (n == 0) return Status::Ok();
    SLUICE_RETURN_IF_ERROR(consume(std::string_view(buffer.data(), static_cast<size_t>(n))));
  }
}

// Component-wise, so that "/data/root2" is not inside "/data/root".
bool IsWithin(const fs::path& path, const fs::path& root) {
  auto [root_end, path_end] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

}  // namespace

StatusCode ErrnoToStatusCode(int error) {
  switch (error) {
    case ENOENT:
      return StatusCode::kNotFound;
    case EACCES:
    case EPERM:
      return StatusCode::kPermissionDenied;
    case EEXIST:
      return StatusCode::kAlreadyExists;
    case ENOSPC:
    case EDQUOT:
      return StatusCode::kResourceExhausted;
    default:
      return StatusCode::kInternal;
  }
}

Status ErrnoError(int error, std::string_view what, const fs::path& path) {
  return MakeError(ErrnoToStatusCode(error), "{} '{}': {}", what, path.string(),
                   std::strerror(error));
}

Status FsyncDirectory(const fs::path& dir) { return Fsync(dir, /*directory=*/true); }

Status FsyncFile(const fs::path& file) { return Fsync(file, /*directory=*/false); }

Status WriteAll(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status WriteFileAtomically(const fs::path& file, std::string_view contents) {
  fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  // Hidden and random, so concurrent writers and directory listings never trip over it.
  // The name is cut short so that a 255-byte file name still leaves room for the suffix.
  fs::path temp =
      dir / fmt::format(".{}.tmp-{}", file.filename().string().substr(0, 200), RandomHex(12));
  FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() < 0) {
    return ErrnoError(errno, "cannot create temporary file", temp)
        .WithContext(fmt::format("writing '{}'", file.string()));
  }
  Status status = WriteAll(fd.get(), contents, temp);
  if (status.ok() && ::fsync(fd.get()) != 0) status = ErrnoError(errno, "cannot fsync", temp);
  if (status.ok() && fd.Close() != 0) status = ErrnoError(errno, "cannot close", temp);
  if (status.ok() && ::rename(temp.c_str(), file.c_str()) != 0) {
    status = MakeError(ErrnoToStatusCode(errno), "cannot rename '{}' to '{}': {}", temp.string(),
                       file.string(), std::strerror(errno));
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return std::move(status).WithContext(fmt::format("writing '{}'", file.string()));
  }
  return FsyncDirectory(dir).WithContext(fmt::format("writing '{}'", file.string()));
}

Result<std::string> ReadFileToString(const fs::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "cannot open", file);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return ErrnoError(errno, "cannot stat", file);
  if (S_ISDIR(info.st_mode)) {
    return InvalidArgument("cannot read '{}': it is a folder, not a file", file.string());
  }
  std::string contents;
  // The size is a hint only: files in /proc report 0, and the file may grow while we read.
  contents.reserve(static_cast<size_t>(std::max<off_t>(info.st_size, 0)));
  SLUICE_RETURN_IF_ERROR(ReadToEnd(fd.get(), file, 1 << 16, [&](std::string_view chunk) {
    contents.append(chunk);
    return Status::Ok();
  }));
  return contents;
}

Status ReadFileInChunks(const fs::path& file,
                        const std::function<Status(std::string_view chunk)>& consume,
                        size_t chunk_bytes) {
  SLUICE_CHECK(chunk_bytes > 0);
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "cannot open", file);
  return ReadToEnd(fd.get(), file, chunk_bytes, consume);
}

Result<fs::path> ResolveWithin(const fs::path& root, std::string_view relative) {
  if (relative.find('\0') != std::string_view::npos) {
    return InvalidArgument("path contains a NUL character");
  }
  if (relative.starts_with('/')) {
    return PermissionDenied("path '{}' is absolute; it must be relative to '{}'", relative,
                            root.string());
  }
  std::vector<std::string_view> components;
  for (std::string_view rest = relative; !rest.empty();) {
    size_t slash = rest.find('/');
    std::string_view component = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (component == "..") {
      return PermissionDenied("path '{}' contains '..'; it must stay inside '{}'", relative,
                              root.string());
    }
    if (!component.empty() && component != ".") components.push_back(component);
  }

  std::error_code error;
  fs::path real_root = fs::weakly_canonical(root, error);
  if (error) {
    return Internal("cannot resolve '{}': {}", root.string(), error.message());
  }
  if (real_root.filename().empty()) real_root = real_root.parent_path();  // a trailing '/'

  // Without "..", only a symlink can lead out, so every symlink among the components that exist
  // is resolved in full and checked. The walk stops at the first component that does not exist.
  fs::path resolved = root;
  std::string shown;  // the relative prefix walked so far, for messages
  for (size_t i = 0; i < components.size(); ++i) {
    resolved /= components[i];
    shown += (i == 0 ? "" : "/") + std::string(components[i]);
    struct stat info {};
    if (::lstat(resolved.c_str(), &info) != 0) {
      // Missing, or a non-folder in the middle: nothing below can be a symlink; later opens
      // report the real problem.
      for (size_t j = i + 1; j < components.size(); ++j) resolved /= components[j];
      break;
    }
    if (!S_ISLNK(info.st_mode)) continue;
    fs::path target = fs::canonical(resolved, error);
    if (error) {
      return PermissionDenied("path '{}' goes through the symlink '{}', which leads nowhere",
                              relative, shown);
    }
    if (!IsWithin(target, real_root)) {
      return PermissionDenied("path '{}' leaves '{}' through the symlink '{}'", relative,
                              root.string(), shown);
    }
  }
  return resolved;
}

}  // namespace sluice
