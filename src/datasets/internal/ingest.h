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
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "datasets/chunker.h"
#include "datasets/internal/pack.h"
#include "datasets/internal/walk.h"
#include "datasets/types.h"
#include "storage/database.h"

namespace sluice::datasets::internal {

// A file to read. Its paths are views into storage the caller keeps until IngestFiles returns
// (the Sources it was listed in, or strings of the caller's): building two strings per file cost
// a tenth of a second for 100,000 files, on one core.
struct IngestItem {
  // The file's folder ("" for the working folder) and its name there (NUL-terminated).
  std::string_view dir;
  const char* name = nullptr;
  // How messages name the file: `shown`, then "/" and `shown_rel` unless that is empty.
  std::string_view shown;
  std::string_view shown_rel;
  // Filled in: the entry (path is left as it was). `stat` holds the file's stat from its
  // listing; a small file is read trusting its size (one open, read and close: system calls
  // cost more than hashing 4 KiB), a large one is stat'ed again when opened.
  Entry* entry = nullptr;
  FileStat* stat = nullptr;
  // Set when the file changed while it was read (its stat must not be cached).
  uint8_t* unstable = nullptr;

  // The file at `path`, named so in messages.
  static IngestItem ForPath(const std::string& path, Entry* entry, FileStat* stat,
                            uint8_t* unstable);
  // The file `file` of `sources`.
  static IngestItem ForSource(const Sources& sources, const SourceFile& file, Entry* entry,
                              FileStat* stat, uint8_t* unstable);
  std::string Shown() const;
  std::string Path() const;
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
