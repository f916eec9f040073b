#include "storage/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sluice::storage {

Result<BlobInfo> BlobStore::Put(std::string_view bytes) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, NewWriter());
  SLUICE_RETURN_IF_ERROR(writer->Write(bytes));
  return writer->Commit();
}

Result<BlobInfo> BlobStore::PutFile(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(errno == ENOENT ? StatusCode::kNotFound : StatusCode::kInternal,
                     "cannot open '{}': {}", file.string(), std::strerror(errno));
  }
  auto writer = NewWriter();
  if (!writer.ok()) {
    ::close(fd);
    return writer.status();
  }
  std::vector<char> buffer(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      return Internal("cannot read '{}': {}", file.string(), std::strerror(error));
    }
    if (n == 0) break;
    Status status = (*writer)->Write(std::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!status.ok()) {
      ::close(fd);
      return status;
    }
  }
  ::close(fd);
  return (*writer)->Commit();
}

Result<std::string> BlobStore::ReadAll(std::string_view digest) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<BlobReader> reader, Open(digest));
  std::string bytes(reader->size_bytes(), '\0');
  size_t filled = 0;
  while (filled < bytes.size()) {
    SLUICE_ASSIGN_OR_RETURN(
        size_t n, reader->Read(std::span<char>(bytes.data() + filled, bytes.size() - filled)));
    if (n == 0) break;
    filled += n;
  }
  bytes.resize(filled);
  // A store whose size_bytes() understated the length still yields every byte.
  char more[4096];
  for (;;) {
    SLUICE_ASSIGN_OR_RETURN(size_t n, reader->Read(std::span<char>(more, sizeof(more))));
    if (n == 0) break;
    bytes.append(more, n);
  }
  return bytes;
}

}  // namespace sluice::storage
