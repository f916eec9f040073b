#include "datasets/internal/ingest.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "base/file_descriptor.h"
#include "base/file_util.h"
#include "base/sha256.h"
#include "datasets/internal/file_batch.h"
#include "datasets/internal/sha_ni.h"
#include "datasets/manifest.h"

namespace sluice::datasets::internal {
namespace {

constexpr size_t kSmallBatchFiles = 256;
constexpr uint64_t kSmallBatchBytes = 16 << 20;

// Large files are read(), not mmap()ed: mapping saves the copy out of the page cache, but on this
// kind of machine (a VM, where page-table updates are expensive) populating the mapping of a
// cached 2 GiB file cost 0.84-1.4 CPU-s against 0.31 s for read() into a reused buffer, and a
// mapped file that shrinks under us raises SIGBUS instead of a short read.
//
// A large read buffer: anonymous memory backed by huge pages where the kernel allows it, and
// never zero-filled by us. Page faults on fresh memory cost as much as hashing here (a VM), so
// an ingest allocates its two block buffers once and reuses them for every large file.
class BlockBuffer {
 public:
  explicit BlockBuffer(size_t size) : size_(size) {
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SLUICE_CHECK(p != MAP_FAILED);
    ::madvise(p, size_, MADV_HUGEPAGE);
    data_ = static_cast<char*>(p);
  }
  ~BlockBuffer() { ::munmap(data_, size_); }
  BlockBuffer(const BlockBuffer&) = delete;
  BlockBuffer& operator=(const BlockBuffer&) = delete;
  char* data() { return data_; }
  size_t size() const { return size_; }

 private:
  char* data_;
  size_t size_;
};

Result<int> OpenForRead(const IngestItem& item) {
  const int fd = ::open(item.Path().c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    if (error == ELOOP) return InvalidArgument("'{}' is a symlink loop", item.Shown());
    return ErrnoError(error, "cannot open", item.Shown());
  }
  return fd;
}

Result<FileStat> StatFd(int fd, const IngestItem& item) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError(errno, "cannot stat", item.Shown());
  if (!S_ISREG(st.st_mode)) return InvalidArgument("'{}' is not a regular file", item.Shown());
  return FileStatOf(st);
}

// Reads until `buffer` is full or the file ends; returns the bytes read.
Result<size_t> ReadFull(int fd, char* buffer, size_t size, const IngestItem& item) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, buffer + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot read", item.Shown());
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

class Ingestor {
 public:
  Ingestor(const IngestOptions& options) : options_(options), chunker_(options.chunking) {}

  Status Run(std::vector<IngestItem>& items) {
    std::vector<size_t> small, large;
    for (size_t i = 0; i < items.size(); ++i) {
      (items[i].stat->size_bytes > options_.chunking.threshold_bytes ? large : small).push_back(i);
    }
    if (options_.packs != nullptr) claimed_.reserve(small.size());
    // Batches of small files, bounded in count and bytes so memory stays small.
    std::vector<std::pair<size_t, size_t>> batches;
    for (size_t start = 0; start < small.size();) {
      size_t end = start;
      uint64_t bytes = 0;
      while (end < small.size() && end - start < kSmallBatchFiles &&
             (end == start || bytes + items[small[end]].stat->size_bytes <= kSmallBatchBytes)) {
        bytes += items[small[end]].stat->size_bytes;
        ++end;
      }
      batches.emplace_back(start, end);
      start = end;
    }
    std::mutex error_mutex;
    Status first_error;
    std::atomic<bool> failed{false};
    auto run_batch = [&](size_t b) {
      if (failed.load()) return;
      std::vector<size_t> batch(small.begin() + batches[b].first,
                                small.begin() + batches[b].second);
      Status s = SmallBatch(items, batch);
      if (!s.ok()) {
        std::lock_guard lock(error_mutex);
        if (first_error.ok()) first_error = std::move(s);
        failed = true;
      }
    };
    if (options_.pool != nullptr && batches.size() > 1) {
      options_.pool->ParallelFor(batches.size(), run_batch);
    } else {
      for (size_t b = 0; b < batches.size(); ++b) run_batch(b);
    }
    SLUICE_RETURN_IF_ERROR(first_error);
    if (options_.pool != nullptr && large.size() > 1) {
      // Several large files: one per thread, each read and hashed in one pass by that thread.
      options_.pool->ParallelFor(large.size(), [&](size_t k) {
        if (failed.load()) return;
        Status s = LargeFile(items[large[k]], /*read_ahead=*/false);
        if (!s.ok()) {
          std::lock_guard lock(error_mutex);
          if (first_error.ok()) first_error = std::move(s);
          failed = true;
        }
      });
      return first_error;
    }
    for (size_t i : large) SLUICE_RETURN_IF_ERROR(LargeFile(items[i]));
    return Status::Ok();
  }

  IngestStats stats() const {
    return {files_.load(), bytes_.load(), new_objects_.load(), new_bytes_.load()};
  }

 private:
  // Of the hashed objects (raw digests and the same in hex), those to write: not located in the
  // database and not already taken by this ingest (another thread, or an earlier file with the
  // same content).
  Result<std::vector<size_t>> ClaimNew(const std::vector<Sha256::Digest>& digests,
                                       const std::vector<std::string>& hex) {
    std::vector<size_t> fresh;
    std::unordered_map<std::string, ObjectLocation> found;
    SLUICE_RETURN_IF_ERROR(options_.database->Read([&](storage::Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(found, LookupObjects(c, hex));
      return Status::Ok();
    }));
    std::lock_guard lock(claimed_mutex_);
    for (size_t i = 0; i < digests.size(); ++i) {
      if (!found.empty() && found.count(hex[i]) != 0) continue;
      if (claimed_.insert(digests[i]).second) fresh.push_back(i);
    }
    return fresh;
  }

  Status Store(const std::vector<Sha256::Digest>& digests, const std::vector<std::string>& hex,
               const std::vector<std::string_view>& bytes) {
    if (options_.packs == nullptr) return Status::Ok();
    SLUICE_ASSIGN_OR_RETURN(std::vector<size_t> fresh, ClaimNew(digests, hex));
    std::vector<std::pair<const Sha256::Digest*, std::string_view>> objects;
    objects.reserve(fresh.size());
    uint64_t total = 0;
    for (size_t i : fresh) {
      objects.emplace_back(&digests[i], bytes[i]);
      total += bytes[i].size();
    }
    SLUICE_RETURN_IF_ERROR(options_.packs->Add(objects));
    new_objects_ += objects.size();
    new_bytes_ += total;
    return Status::Ok();
  }

  Status SmallBatch(std::vector<IngestItem>& items, const std::vector<size_t>& batch,
                    bool retry = false) {
    // One buffer for the batch's bytes, reused across batches: no allocation (and no page
    // faults on fresh memory) per file.
    uint64_t total = 0;
    for (size_t i : batch) total += items[i].stat->size_bytes + 1;
    std::unique_ptr<Scratch> scratch = TakeScratch();
    struct GiveBack {
      Ingestor& self;
      std::unique_ptr<Scratch>& scratch;
      ~GiveBack() { self.ReturnScratch(std::move(scratch)); }
    } give_back{*this, scratch};
    std::string& arena = scratch->arena;
    if (arena.size() < total) arena.resize(total);
    // Files are opened relative to their folder: one path component to resolve, not the whole
    // path (the files of a batch mostly share a folder). A folder that cannot be opened leaves
    // its files to be opened by absolute path.
    std::vector<FileDescriptor> dir_fds;
    std::vector<std::string> full_paths;
    full_paths.reserve(batch.size());  // never reallocated: requests point into it
    std::vector<ReadRequest> reads(batch.size());
    std::optional<std::string_view> open_dir;
    size_t offset = 0;
    for (size_t k = 0; k < batch.size(); ++k) {
      const IngestItem& item = items[batch[k]];
      ReadRequest& r = reads[k];
      r.name = item.name;
      if (!item.dir.empty()) {
        if (item.dir != open_dir) {
          dir_fds.emplace_back(
              ::open(std::string(item.dir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
          open_dir = item.dir;
        }
        if (dir_fds.back().get() >= 0) {
          r.dir_fd = dir_fds.back().get();
        } else {
          full_paths.push_back(item.Path());
          r.name = full_paths.back().c_str();
        }
      }
      // One byte more than the listed size: a file that grew shows in a full read. For a regular
      // file a short read is the end of the file.
      r.buffer = arena.data() + offset;
      r.capacity = item.stat->size_bytes + 1;
      offset += r.capacity;
    }
    scratch->files.Read(reads);
    std::vector<size_t> whole;  // read whole: to hash and store
    std::vector<size_t> grown;  // became large since they were listed
    whole.reserve(batch.size());
    for (size_t k = 0; k < batch.size(); ++k) {
      const IngestItem& item = items[batch[k]];
      const ReadRequest& r = reads[k];
      if (r.error != 0) {
        if (!r.open_failed) return ErrnoError(r.error, "cannot read", item.Shown());
        if (r.error == ELOOP) return InvalidArgument("'{}' is a symlink loop", item.Shown());
        return ErrnoError(r.error, "cannot open", item.Shown());
      }
      if (r.size > item.stat->size_bytes) {
        if (retry)
          return InvalidArgument("'{}' changed while it was read; add it again", item.Shown());
        grown.push_back(batch[k]);
        continue;
      }
      whole.push_back(k);
    }
    // Two files at a time: the SHA unit hashes two messages for little more than the price of one
    // (sha_ni.h). An odd one out is paired with itself.
    std::vector<Sha256Digest> raw(whole.size());
    for (size_t j = 0; j < whole.size(); j += 2) {
      const ReadRequest& a = reads[whole[j]];
      const bool pair = j + 1 < whole.size();
      const ReadRequest& b = pair ? reads[whole[j + 1]] : a;
      Sha256Digest spare;
      Sha256Pair(reinterpret_cast<const uint8_t*>(a.buffer), a.size,
                 reinterpret_cast<const uint8_t*>(b.buffer), b.size, raw[j],
                 pair ? raw[j + 1] : spare);
    }
    std::vector<std::string> kept_digests;
    std::vector<std::string_view> kept_views;
    kept_digests.reserve(whole.size());
    kept_views.reserve(whole.size());
    for (size_t j = 0; j < whole.size(); ++j) {
      const size_t k = whole[j];
      IngestItem& item = items[batch[k]];
      const size_t n = reads[k].size;
      kept_digests.push_back(ToHex(raw[j].data(), raw[j].size()));
      kept_views.emplace_back(reads[k].buffer, n);
      item.entry->digest = kept_digests.back();
      item.entry->size_bytes = n;
      item.entry->chunks.clear();
      item.entry->mode = item.stat->mode;
      if (item.unstable != nullptr) *item.unstable = n != item.stat->size_bytes;
      files_ += 1;
      bytes_ += n;
      if (options_.progress != nullptr) options_.progress->Advance(n);
    }
    SLUICE_RETURN_IF_ERROR(Store(raw, kept_digests, kept_views));
    for (size_t i : grown) SLUICE_RETURN_IF_ERROR(LargeFile(items[i], /*read_ahead=*/false));
    return Status::Ok();
  }

  // A large file is read in blocks into a buffer laid out as [max_bytes | block]: a block
  // is read behind the first max_bytes, and the bytes after the last whole chunk of the block
  // before (always fewer than max_bytes) are copied in front of it, so every chunk is contiguous
  // and the next read need not wait for the cut that decides where the carried bytes start.
  struct Block {
    std::unique_ptr<BlockBuffer> buffer;
    size_t start = 0;  // the first byte of the next chunk
    size_t end = 0;    // after the last byte read
    bool at_end = false;
  };

  Status Fill(int fd, const IngestItem& item, Block& b) {
    const size_t max = options_.chunking.max_bytes;
    SLUICE_ASSIGN_OR_RETURN(size_t n,
                            ReadFull(fd, b.buffer->data() + max, b.buffer->size() - max, item));
    b.start = max;
    b.end = max + n;
    b.at_end = n < b.buffer->size() - max;
    return Status::Ok();
  }

  // Moves the bytes of `from` after `consumed` in front of the bytes `to` read.
  void Carry(const Block& from, size_t consumed, Block& to) {
    const size_t tail = from.end - from.start - consumed;
    to.start -= tail;
    std::memmove(to.buffer->data() + to.start, from.buffer->data() + from.start + consumed, tail);
  }

  // Cuts and hashes the whole chunks of `b` (and stores them); returns the bytes they cover.
  Result<size_t> CutHashStore(const Block& b, std::vector<Chunk>& chunks, uint64_t& total) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(b.buffer->data() + b.start);
    std::vector<HashedChunk> hashed;
    const size_t consumed =
        chunker_.CutAndHash(std::span<const uint8_t>(bytes, b.end - b.start), b.at_end, hashed);
    std::vector<Sha256::Digest> raw;
    std::vector<std::string> digests;
    std::vector<std::string_view> views;
    raw.reserve(hashed.size());
    digests.reserve(hashed.size());
    views.reserve(hashed.size());
    size_t offset = b.start;
    for (const HashedChunk& h : hashed) {
      raw.push_back(h.sha256);
      digests.push_back(ToHex(h.sha256.data(), h.sha256.size()));
      views.emplace_back(b.buffer->data() + offset, h.size_bytes);
      chunks.push_back({digests.back(), h.size_bytes});
      offset += h.size_bytes;
      total += h.size_bytes;
      if (options_.progress != nullptr) options_.progress->Advance(h.size_bytes);
    }
    SLUICE_RETURN_IF_ERROR(Store(raw, digests, views));
    return consumed;
  }

  std::unique_ptr<BlockBuffer> TakeBuffer() {
    {
      std::lock_guard lock(buffers_mutex_);
      if (!buffers_.empty()) {
        std::unique_ptr<BlockBuffer> b = std::move(buffers_.back());
        buffers_.pop_back();
        return b;
      }
    }
    // At least max_bytes are read per block, so every block but the last holds a whole chunk.
    const size_t max = options_.chunking.max_bytes;
    return std::make_unique<BlockBuffer>(max + std::max(options_.block_bytes, max));
  }
  void ReturnBuffer(std::unique_ptr<BlockBuffer> b) {
    std::lock_guard lock(buffers_mutex_);
    buffers_.push_back(std::move(b));
  }

  // Reads, cuts, hashes (and stores) a large file, one pass over its bytes (Chunker::
  // CutAndHash). With `read_ahead`, the next block is read on the pool while this one is cut
  // and hashed; never from inside a pool task, which could wait for a task queued behind itself.
  Status LargeFile(IngestItem& item, bool read_ahead = true) {
    SLUICE_ASSIGN_OR_RETURN(int raw_fd, OpenForRead(item));
    FileDescriptor fd(raw_fd);
    SLUICE_ASSIGN_OR_RETURN(FileStat before, StatFd(fd.get(), item));
    if (before.size_bytes <= options_.chunking.threshold_bytes) {
      // Shrank since it was listed: a small file after all.
      *item.stat = before;
      std::vector<IngestItem> one = {item};
      return SmallBatch(one, {0}, /*retry=*/true);
    }
    read_ahead = read_ahead && options_.pool != nullptr;
    Block blocks[2];
    struct GiveBack {
      Ingestor& self;
      Block* blocks;
      ~GiveBack() {
        for (int i = 0; i < 2; ++i) {
          if (blocks[i].buffer) self.ReturnBuffer(std::move(blocks[i].buffer));
        }
      }
    } give_back{*this, blocks};
    blocks[0].buffer = TakeBuffer();
    if (read_ahead) blocks[1].buffer = TakeBuffer();
    Block* current = &blocks[0];
    Block* next = read_ahead ? &blocks[1] : &blocks[0];
    SLUICE_RETURN_IF_ERROR(Fill(fd.get(), item, *current));
    uint64_t total = 0;
    std::vector<Chunk> chunks;
    for (;;) {
      std::future<Status> pending;
      if (!current->at_end && read_ahead) {
        pending =
            options_.pool->Submit([this, &fd, &item, next] { return Fill(fd.get(), item, *next); });
      }
      Result<size_t> consumed = CutHashStore(*current, chunks, total);
      Status filled = pending.valid() ? pending.get() : Status::Ok();
      SLUICE_RETURN_IF_ERROR(consumed.status());
      if (current->at_end) break;
      SLUICE_RETURN_IF_ERROR(filled);
      if (read_ahead) {
        Carry(*current, *consumed, *next);
        std::swap(current, next);
      } else {
        // One buffer: the carried bytes move to the front, then the next block is read behind.
        const size_t tail = current->end - current->start - *consumed;
        std::memmove(current->buffer->data() + options_.chunking.max_bytes - tail,
                     current->buffer->data() + current->start + *consumed, tail);
        SLUICE_RETURN_IF_ERROR(Fill(fd.get(), item, *current));
        current->start -= tail;
      }
    }
    SLUICE_ASSIGN_OR_RETURN(FileStat after, StatFd(fd.get(), item));
    item.entry->size_bytes = total;
    item.entry->mode = before.mode;
    if (total <= options_.chunking.threshold_bytes) {
      return InvalidArgument("'{}' changed while it was read; add it again", item.Shown());
    }
    item.entry->digest = ChunkListDigest(chunks);
    item.entry->chunks = std::move(chunks);
    *item.stat = before;
    if (item.unstable != nullptr) *item.unstable = !(before == after) || total != before.size_bytes;
    files_ += 1;
    bytes_ += total;
    return Status::Ok();
  }

  // What a thread needs to read a batch of small files, reused from batch to batch.
  struct Scratch {
    std::string arena;
    FileBatch files;
  };
  std::unique_ptr<Scratch> TakeScratch() {
    {
      std::lock_guard lock(scratch_mutex_);
      if (!scratch_.empty()) {
        std::unique_ptr<Scratch> s = std::move(scratch_.back());
        scratch_.pop_back();
        return s;
      }
    }
    return std::make_unique<Scratch>();
  }
  void ReturnScratch(std::unique_ptr<Scratch> s) {
    std::lock_guard lock(scratch_mutex_);
    scratch_.push_back(std::move(s));
  }

  const IngestOptions& options_;
  const Chunker chunker_;
  std::mutex buffers_mutex_;
  std::vector<std::unique_ptr<BlockBuffer>> buffers_;  // guarded by buffers_mutex_
  std::mutex scratch_mutex_;
  std::vector<std::unique_ptr<Scratch>> scratch_;  // guarded by scratch_mutex_
  std::mutex claimed_mutex_;
  // SHA-256 digests are uniform: their first bytes are as good a hash as any.
  struct DigestHash {
    size_t operator()(const Sha256::Digest& d) const {
      size_t h;
      std::memcpy(&h, d.data(), sizeof(h));
      return h;
    }
  };
  std::unordered_set<Sha256::Digest, DigestHash> claimed_;  // guarded by claimed_mutex_
  std::atomic<uint64_t> files_{0}, bytes_{0}, new_objects_{0}, new_bytes_{0};
};

}  // namespace

IngestItem IngestItem::ForPath(const std::string& path, Entry* entry, FileStat* stat,
                               uint8_t* unstable) {
  IngestItem item{.name = path.c_str(), .shown = path};
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos) {
    item.dir = std::string_view(path.data(), slash == 0 ? 1 : slash);
    item.name = path.c_str() + slash + 1;
  }
  item.entry = entry;
  item.stat = stat;
  item.unstable = unstable;
  return item;
}

IngestItem IngestItem::ForSource(const Sources& sources, const SourceFile& file, Entry* entry,
                                 FileStat* stat, uint8_t* unstable) {
  IngestItem item;
  item.dir = sources.dirs[file.dir];
  if (!file.name.empty()) {
    item.name = file.name.c_str();
  } else {
    const size_t slash = file.rel.rfind('/');
    item.name = file.rel.c_str() + (slash == std::string::npos ? 0 : slash + 1);
  }
  item.shown = sources.shown;
  if (!sources.single_file) item.shown_rel = file.rel;
  item.entry = entry;
  item.stat = stat;
  item.unstable = unstable;
  return item;
}

std::string IngestItem::Shown() const {
  std::string out(shown);
  if (!shown_rel.empty()) {
    out += '/';
    out += shown_rel;
  }
  return out;
}

std::string IngestItem::Path() const {
  if (dir.empty()) return name;
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

Status IngestFiles(std::vector<IngestItem>& items, const IngestOptions& options,
                   IngestStats* stats) {
  Ingestor ingestor(options);
  Status status = ingestor.Run(items);
  if (stats != nullptr) *stats = ingestor.stats();
  return status;
}

}  // namespace sluice::datasets::internal
