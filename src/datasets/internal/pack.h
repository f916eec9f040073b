// Packs: blobs that hold many objects (whole small files and chunks of large files) one after
// another, so that storing 100,000 small files costs a few blob writes and fsyncs instead of
// 100,000, and push/pull moves a few large files. The metadata database maps each object's
// digest to (pack, offset, size) (table dataset_objects).
//
//   pack := "SLPACK01" entry*
//   entry := digest (32 raw bytes, SHA-256 of data) | size (8 bytes, little endian) | data
//
// An object's offset is that of its data. A pack is self-describing, so its index can be
// rebuilt from its bytes (ScanPack), and every read checks the entry header and the data's
// SHA-256.
//
// Thread safety: a PackWriter is used by one thread; PackSet and PackReader are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace sluice::datasets::internal {

inline constexpr std::string_view kPackMagic = "SLPACK01";
inline constexpr size_t kPackEntryHeaderBytes = 40;

struct ObjectLocation {
  std::string digest;
  std::string pack;
  uint64_t offset = 0;
  uint64_t size_bytes = 0;
};

// An object a pack holds. Raw digests, with no copy of the pack's digest: a pack of small files
// holds tens of thousands of them, and each string was an allocation to make and to free.
struct PackedObject {
  Sha256::Digest digest{};
  uint64_t offset = 0;  // of the data, after the entry header
  uint64_t size_bytes = 0;
  std::string hex() const { return ToHex(digest.data(), digest.size()); }
};

struct PackInfo {
  std::string digest;
  uint64_t size_bytes = 0;
  std::vector<PackedObject> objects;
};

// The entry of `location` in its pack; kInvalidArgument when its digest is not SHA-256 hex.
Result<PackedObject> ToPackedObject(const ObjectLocation& location);

class PackWriter {
 public:
  static Result<std::unique_ptr<PackWriter>> Create(storage::BlobStore& blobs);

  // Appends one object; `digest` is the SHA-256 of `bytes`.
  Status Add(const Sha256::Digest& digest, std::string_view bytes);
  uint64_t size_bytes() const { return offset_; }
  bool empty() const { return objects_.empty(); }
  // Publishes the pack (durable when this returns) and returns where its objects are.
  Result<PackInfo> Commit();

 private:
  explicit PackWriter(std::unique_ptr<storage::BlobWriter> writer);
  std::unique_ptr<storage::BlobWriter> writer_;
  uint64_t offset_ = 0;
  std::vector<PackedObject> objects_;
};

// The packs one operation writes: each thread takes a writer, appends, and gives it back; a
// writer past `target_bytes` is committed on return, on a thread of its own, so the fsync of a
// full pack (seconds for 64 MiB on a busy disk) overlaps the reading and hashing of the next
// files. Finish() commits the rest and waits for every commit.
class PackSet {
 public:
  PackSet(storage::BlobStore& blobs, uint64_t target_bytes)
      : blobs_(blobs), target_bytes_(target_bytes) {}
  // Waits for commits still running (their packs stay, unreferenced, unless discarded).
  ~PackSet();
  PackSet(const PackSet&) = delete;
  PackSet& operator=(const PackSet&) = delete;

  // Appends objects as one group (they end up in one pack, in order). A failed background
  // commit shows here or in Finish().
  // Each object is (its digest, its bytes); both are copied before Add returns.
  Status Add(std::span<const std::pair<const Sha256::Digest*, std::string_view>> objects);
  // Commits the open packs and waits for the background commits; the packs are durable when it
  // returns OK. Afterwards packs() lists every committed pack.
  Status Finish();
  const std::vector<PackInfo>& packs() const { return committed_; }
  uint64_t stored_bytes() const;
  // Waits for background commits, then deletes every committed pack (after a failure, before
  // anything refers to them).
  void DiscardCommitted();

 private:
  struct Pending {
    std::unique_ptr<PackWriter> writer;
    std::optional<Result<PackInfo>> result;  // set by `thread` before it ends
    std::jthread thread;
  };
  // Commits in flight at most; two overlap one fsync with the next pack's filling.
  static constexpr size_t kMaxPendingCommits = 2;
  // Commits `writer` on a thread of its own (first waiting for the oldest commit when
  // kMaxPendingCommits are in flight).
  void StartCommit(std::unique_ptr<PackWriter> writer);
  // Joins one background commit and moves its pack to committed_ (failed_ already holds its
  // error).
  Status Collect(Pending& pending);
  // Joins the background commits and moves their packs to committed_; the first error.
  Status WaitPending();

  storage::BlobStore& blobs_;
  const uint64_t target_bytes_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<PackWriter>> idle_;  // guarded by mutex_
  std::vector<std::unique_ptr<Pending>> pending_;  // guarded by mutex_
  Status failed_;                                  // guarded by mutex_: a commit that failed
  std::vector<PackInfo> committed_;                // guarded by mutex_
};

// Reads objects out of packs in a local blob store, checking each against its digest.
class PackReader {
 public:
  explicit PackReader(storage::BlobStore& blobs) : blobs_(blobs) {}
  PackReader(const PackReader&) = delete;
  PackReader& operator=(const PackReader&) = delete;

  // The object's bytes into `out` (resized). kDataLoss when the pack is missing, the entry
  // header does not match, or the bytes do not hash to the digest; the message names the object
  // and the pack.
  Status Read(const ObjectLocation& location, std::string& out);

 private:
  // Closes its descriptor when the last reader using it is done, so evicting one from the
  // cache never closes it under a concurrent pread.
  struct OpenFile {
    explicit OpenFile(int descriptor) : fd(descriptor) {}
    ~OpenFile();
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    const int fd;
  };
  Result<std::shared_ptr<OpenFile>> OpenPack(const std::string& pack);
  storage::BlobStore& blobs_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<OpenFile>> files_;  // guarded by mutex_
};

// Calls `on_object` for every entry of the pack's bytes streamed through Feed(); checks the
// magic and the framing (not the digests). Finish() fails when the stream ended mid-entry.
class PackScanner {
 public:
  using Callback = std::function<Status(const ObjectLocation&)>;
  PackScanner(std::string pack_digest, Callback on_object)
      : pack_(std::move(pack_digest)), on_object_(std::move(on_object)) {}
  Status Feed(std::string_view bytes);
  Status Finish();

 private:
  std::string pack_;
  Callback on_object_;
  uint64_t offset_ = 0;     // bytes consumed so far
  std::string header_;      // partial magic or entry header
  uint64_t data_left_ = 0;  // bytes of the current entry's data still to skip
  bool magic_done_ = false;
};

// Locations of the given digests (absent ones are left out), in batches of a few hundred per
// query.
Result<std::unordered_map<std::string, ObjectLocation>> LookupObjects(
    storage::Connection& c, const std::vector<std::string>& digests);
// Records packs and their objects; an object already located elsewhere keeps its location.
Status InsertPacks(storage::Connection& c, std::span<const PackInfo> packs, int64_t now);

}  // namespace sluice::datasets::internal
