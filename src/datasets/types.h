// The values of the datasets module: references to versions, manifests (what a version holds),
// version records, and the options and reports of the store's operations (dataset_store.h).
//
// Thread safety: values; copy freely. A Progress is called from several threads at once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "datasets/chunker.h"

namespace sluice::datasets {

// A version of a dataset as users write it: "churn" (the latest), "churn@3", "churn@gold".
struct Ref {
  std::string name;
  std::optional<int64_t> version;  // set for name@N
  std::string tag;                 // set for name@tag
  std::string ToString() const;
};

// Errors are kInvalidArgument quoting the text and saying what is allowed.
Result<Ref> ParseRef(std::string_view text);
// Dataset names: 1-100 characters of letters, digits, '.', '_' and '-', starting with a letter
// or digit.
Status ValidateDatasetName(std::string_view name);
// Tags: as names, but not all digits (that would read as a version number) and not "latest".
Status ValidateTagName(std::string_view tag);

struct Chunk {
  std::string digest;  // SHA-256 of the chunk's bytes
  uint64_t size_bytes = 0;
  friend bool operator==(const Chunk&, const Chunk&) = default;
};

// One file of a version. A file of at most ChunkingParams::threshold_bytes is one object whose
// digest is the SHA-256 of its bytes (what sha256sum prints) and `chunks` is empty; a larger
// file is cut into chunks and its digest is ChunkListDigest(chunks).
struct Entry {
  std::string path;      // relative to the dataset root, '/'-separated; the file name for a file
  uint32_t mode = 0644;  // 0644 or 0755: only the owner's execute bit is kept
  uint64_t size_bytes = 0;
  std::string digest;
  std::vector<Chunk> chunks;
  friend bool operator==(const Entry&, const Entry&) = default;
};

enum class DatasetKind { kFile, kFolder };
std::string_view DatasetKindName(DatasetKind kind);  // "file", "folder"

// What a version holds, stored as a JSON blob whose digest identifies the version
// (docs/formats/dataset-manifest.md). Entries are sorted by path (bytewise).
struct Manifest {
  static constexpr int kFormatVersion = 1;
  DatasetKind kind = DatasetKind::kFile;
  ChunkingParams chunking;
  std::vector<Entry> entries;

  uint64_t TotalBytes() const;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// A recorded version of a dataset.
struct VersionInfo {
  std::string name;
  int64_t version = 0;
  std::string digest;  // the manifest's blob digest: the identity runs record as their input
  DatasetKind kind = DatasetKind::kFile;
  // Where the data was added from, relative to the workspace root ('/'-separated); checkout
  // restores it there by default.
  std::string path;
  uint64_t size_bytes = 0;
  uint64_t file_count = 0;
  // Bytes this version added to the store (new chunks and files); 0 when all were stored.
  uint64_t stored_bytes = 0;
  int64_t created_at = 0;  // milliseconds since the epoch
  std::string created_by;
  std::string message;
  std::string source;  // "add", "import-dvc <file>", "pull <remote>"
  // Row counts, schemas and column profiles of the table files (table_profile.h), or null.
  nlohmann::json table_info;
  // Files added, removed and modified against the previous version: {"added": n, ...}, or null
  // for the first version.
  nlohmann::json changes;
  std::vector<std::string> tags;
};

// The version as one JSON object, every field by its name (kind as its name): what `--json`
// prints and what a remote keeps beside the version's manifest.
nlohmann::json ToJson(const VersionInfo& v);

// A check of a version against an expectation suite (`sluice validate run churn@3`).
struct ValidationRecord {
  std::string suite;  // the suite's name
  bool success = false;
  int64_t evaluated = 0;  // expectations evaluated
  int64_t failed = 0;     // of them, failed
  int64_t rows = 0;
  int64_t created_at = 0;  // milliseconds since the epoch
  std::string created_by;
  std::string result;  // Great Expectations' validation result, JSON
};

// A long operation's progress; the command line draws it as a progress bar.
class Progress {
 public:
  virtual ~Progress() = default;
  // A new phase; total 0 means unknown. Phases do not overlap.
  virtual void Start(std::string_view label, uint64_t total, bool bytes) = 0;
  // May be called from several threads at once.
  virtual void Advance(uint64_t n) = 0;
  virtual void Finish() = 0;
};

}  // namespace sluice::datasets
