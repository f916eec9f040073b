// Reading files into entries: hashing them (SHA-256 of small files whole, of large files chunk by
// chunk after content-defined chunking), and, when a PackSet is given, storing the objects the
// store lacks. Small files are read in batches across the pool's threads; a large file is read in
// large blocks whose chunks are hashed in parallel.
//
// Thread safety: one IngestFiles call at a time per IngestOptions; it uses the pool internally.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "datasets/chunker.h"
#include "datasets/internal/pack.h"
#include "datasets/internal/walk.h"
#include "datasets/types.h"
#include "storage/database.h"

namespace sluice::datasets::internal {

struct IngestItem {
  std::string shown;  // how messages name the file
  std::string abs;
  // Filled in: the entry (path is left as it was). `stat` holds the file's stat from its
  // listing; a small file is read trusting its size (one open, read and close: system calls
  // cost more than hashing 4 KiB), a large one is stat'ed again when opened.
  Entry* entry = nullptr;
  FileStat* stat = nullptr;
  // Set when the file changed while it was read (its stat must not be cached).
  uint8_t* unstable = nullptr;
};

struct IngestOptions {
  ChunkingParams chunking;
  ThreadPool* pool = nullptr;
  Progress* progress = nullptr;
  // Both set: new objects are stored in packs, objects the database locates are skipped.
  PackSet* packs = nullptr;
  storage::Database* database = nullptr;
  size_t block_bytes = 8 << 20;
};

struct IngestStats {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t new_objects = 0;
  uint64_t new_bytes = 0;
};

Status IngestFiles(std::vector<IngestItem>& items, const IngestOptions& options,
                   IngestStats* stats);

}  // namespace sluice::datasets::internal
