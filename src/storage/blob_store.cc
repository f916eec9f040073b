#include "storage/blob_store.h"

#include "base/file_util.h"

namespace sluice::storage {

Result<BlobInfo> BlobStore::Put(std::string_view bytes) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, NewWriter());
  SLUICE_RETURN_IF_ERROR(writer->Write(bytes));
  return writer->Commit();
}

Result<BlobInfo> BlobStore::PutFile(const std::filesystem::path& file) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, NewWriter());
  // A writer dropped on failure discards what it wrote, so no partial blob is left behind.
  SLUICE_RETURN_IF_ERROR(
      ReadFileInChunks(file, [&writer](std::string_view chunk) { return writer->Write(chunk); }));
  return writer->Commit();
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
