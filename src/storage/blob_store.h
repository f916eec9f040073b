// The content-addressed blob store: bytes stored under the lowercase hex SHA-256 of their
// content. A blob becomes visible only when complete: writers stream into a temporary object
// and Commit() publishes it atomically (local folder: temp file, fsync, rename, fsync of the
// directory). Identical content is stored once.
//
//   SLUICE_ASSIGN_OR_RETURN(auto writer, store.NewWriter());
//   SLUICE_RETURN_IF_ERROR(writer->Write(chunk));   // any number of times
//   SLUICE_ASSIGN_OR_RETURN(BlobInfo blob, writer->Commit());
//
// Thread safety: BlobStore is thread-safe. A BlobWriter or BlobReader is used by one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice::storage {

struct BlobInfo {
  std::string digest;  // 64 lowercase hex characters (SHA-256)
  uint64_t size_bytes = 0;
  friend bool operator==(const BlobInfo&, const BlobInfo&) = default;
};

class BlobWriter {
 public:
  // Destroying a writer that was not committed discards what it wrote.
  virtual ~BlobWriter() = default;
  virtual Status Write(std::string_view bytes) = 0;
  // Publishes the blob (or finds it already stored) and returns its digest and size. The
  // writer is spent afterwards.
  virtual Result<BlobInfo> Commit() = 0;
};

class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Reads up to buffer.size() bytes; 0 at the end.
  virtual Result<size_t> Read(std::span<char> buffer) = 0;
  virtual uint64_t size_bytes() const = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  virtual Result<std::unique_ptr<BlobWriter>> NewWriter() = 0;
  // Conveniences over NewWriter().
  Result<BlobInfo> Put(std::string_view bytes);
  Result<BlobInfo> PutFile(const std::filesystem::path& file);

  // kNotFound when no blob has that digest; kInvalidArgument when it is not a digest.
  virtual Result<std::unique_ptr<BlobReader>> Open(std::string_view digest) = 0;
  Result<std::string> ReadAll(std::string_view digest);
  virtual Result<bool> Has(std::string_view digest) = 0;
  virtual Result<std::vector<BlobInfo>> List() = 0;
  // Deleting a missing blob is OK.
  virtual Status Delete(std::string_view digest) = 0;

  // Where the blob's bytes lie on local disk, when this store is a local folder; lets the HTTP
  // layer send a file without copying. nullopt for remote stores.
  virtual std::optional<std::filesystem::path> LocalPath(std::string_view digest) const = 0;
};

}  // namespace sluice::storage
