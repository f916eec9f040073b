// The blob store on a local folder:
//
//   root/ab/cdef0123...   a blob, named by its SHA-256 (first two hex characters as a folder),
//                         read-only (0444)
//   root/tmp/             blobs being written; removed at open when older than an hour
//
// A writer hashes while it writes, fsyncs, then renames into place and fsyncs the folder, so a
// blob is either complete or absent after a crash. Identical content is stored once.
//
// Thread safety: thread-safe, and safe across processes sharing the folder.
#pragma once

#include <filesystem>
#include <memory>

#include "base/status.h"
#include "storage/blob_store.h"

namespace sluice::storage {

// Opens the store in `root`, creating the folder when missing.
Result<std::unique_ptr<BlobStore>> OpenLocalBlobStore(const std::filesystem::path& root);

}  // namespace sluice::storage
