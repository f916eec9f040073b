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
#include <unordered_set>

#include "base/file_util.h"
#include "base/sha256.h"
#include "datasets/manifest.h"

namespace sluice::datasets::internal {
namespace {

constexpr size_t kSmallBatchFiles = 256;
constexpr uint64_t kSmallBatchBytes = 16 << 20;

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

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = other.fd_;
      other.fd_ = -1;
    }
    return *this;
  }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<int> OpenForRead(const IngestItem& item) {
  const int fd = ::open(item.abs.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    if (error == ELOOP) return InvalidArgument("'{}' is a symlink loop", item.shown);
    return ErrnoError(error, "cannot open", item.shown);
  }
  return fd;
}

Result<FileStat> StatFd(int fd, const IngestItem& item) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError(errno, "cannot stat", item.shown);
  if (!S_ISREG(st.st_mode)) return InvalidArgument("'{}' is not a regular file", item.shown);
  return FileStatOf(st);
}

// Reads until `buffer` is full or the file ends; returns the bytes read.
Result<size_t> ReadFull(int fd, char* buffer, size_t size, const IngestItem& item) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, buffer + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot read", item.shown);
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
    for (size_t i : large) SLUICE_RETURN_IF_ERROR(LargeFile(items[i]));
    return Status::Ok();
  }

  IngestStats stats() const {
    return {files_.load(), bytes_.load(), new_objects_.load(), new_bytes_.load()};
  }

 private:
  // Of the hashed objects, those to write: not located in the database and not already taken
  // by this ingest (another thread, or an earlier file with the same content).
  Result<std::vector<size_t>> ClaimNew(const std::vector<std::string>& digests) {
    std::vector<size_t> fresh;
    if (options_.packs == nullptr) return fresh;
    std::unordered_map<std::string, ObjectLocation> found;
    SLUICE_RETURN_IF_ERROR(options_.database->Read([&](storage::Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(found, LookupObjects(c, digests));
      return Status::Ok();
    }));
    std::lock_guard lock(claimed_mutex_);
    for (size_t i = 0; i < digests.size(); ++i) {
      if (found.count(digests[i]) != 0) continue;
      if (claimed_.insert(digests[i]).second) fresh.push_back(i);
    }
    return fresh;
  }

  Status Store(const std::vector<std::string>& digests,
               const std::vector<std::string_view>& bytes) {
    if (options_.packs == nullptr) return Status::Ok();
    SLUICE_ASSIGN_OR_RETURN(std::vector<size_t> fresh, ClaimNew(digests));
    std::vector<std::pair<std::string, std::string_view>> objects;
    uint64_t total = 0;
    for (size_t i : fresh) {
      objects.emplace_back(digests[i], bytes[i]);
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
    std::string arena = TakeArena();
    if (arena.size() < total) arena.resize(total);
    struct GiveBack {
      Ingestor& self;
      std::string& arena;
      ~GiveBack() { self.ReturnArena(std::move(arena)); }
    } give_back{*this, arena};
    std::vector<std::string> digests(batch.size());
    std::vector<std::string_view> views(batch.size());
    std::vector<size_t> grown;  // files that became large since they were listed
    Sha256 hasher;
    size_t offset = 0;
    // Files are opened relative to their folder: one path component to resolve, not the whole
    // path (the files of a batch mostly share a folder).
    Fd dir_fd(-1);
    std::string_view open_dir;
    for (size_t k = 0; k < batch.size(); ++k) {
      IngestItem& item = items[batch[k]];
      const FileStat listed = *item.stat;
      const size_t slash = item.abs.rfind('/');
      int raw_fd = -1;
      if (slash != std::string::npos && slash > 0) {
        std::string_view dir(item.abs.data(), slash);
        if (dir != open_dir) {
          dir_fd = Fd(::open(std::string(dir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
          open_dir = dir;
        }
        if (dir_fd.get() >= 0) {
          raw_fd =
              ::openat(dir_fd.get(), item.abs.c_str() + slash + 1, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        }
      }
      if (raw_fd < 0) {
        SLUICE_ASSIGN_OR_RETURN(raw_fd, OpenForRead(item));
      }
      Fd fd(raw_fd);
      char* data = arena.data() + offset;
      // One byte more than the listed size: a file that grew shows in a full read. For a regular
      // file a short read is the end of the file.
      size_t n = 0;
      for (;;) {
        ssize_t got = ::read(fd.get(), data, listed.size_bytes + 1);
        if (got >= 0) {
          n = static_cast<size_t>(got);
          break;
        }
        if (errno != EINTR) return ErrnoError(errno, "cannot read", item.shown);
      }
      offset += listed.size_bytes + 1;
      if (n > listed.size_bytes) {
        if (retry)
          return InvalidArgument("'{}' changed while it was read; add it again", item.shown);
        grown.push_back(batch[k]);
        continue;
      }
      hasher.Update(std::string_view(data, n));
      digests[k] = hasher.FinishHex();
      views[k] = std::string_view(data, n);
      item.entry->digest = digests[k];
      item.entry->size_bytes = n;
      item.entry->chunks.clear();
      item.entry->mode = listed.mode;
      if (item.unstable != nullptr) *item.unstable = n != listed.size_bytes;
      files_ += 1;
      bytes_ += n;
      if (options_.progress != nullptr) options_.progress->Advance(n);
    }
    // Grown files leave holes (empty digests) that Store must not see.
    std::vector<std::string> kept_digests;
    std::vector<std::string_view> kept_views;
    kept_digests.reserve(batch.size());
    kept_views.reserve(batch.size());
    for (size_t k = 0; k < batch.size(); ++k) {
      if (digests[k].empty()) continue;
      kept_digests.push_back(std::move(digests[k]));
      kept_views.push_back(views[k]);
    }
    SLUICE_RETURN_IF_ERROR(Store(kept_digests, kept_views));
    for (size_t i : grown) SLUICE_RETURN_IF_ERROR(LargeFile(items[i], /*pipelined=*/false));
    return Status::Ok();
  }

  // A block of a large file: read, then cut into chunks; the bytes after the last cut (fewer
  // than max_bytes, unless the file ended) are carried into the next block.
  struct Block {
    std::unique_ptr<BlockBuffer> buffer;
    size_t filled = 0;
    bool at_end = false;
    size_t consumed = 0;
    std::vector<std::pair<size_t, size_t>> cuts;
  };

  Status FillAndCut(int fd, const IngestItem& item, Block& b) {
    SLUICE_ASSIGN_OR_RETURN(
        size_t n, ReadFull(fd, b.buffer->data() + b.filled, b.buffer->size() - b.filled, item));
    b.filled += n;
    b.at_end = b.filled < b.buffer->size();
    b.cuts.clear();
    size_t pos = 0;
    const size_t max = options_.chunking.max_bytes;
    const auto* bytes = reinterpret_cast<const uint8_t*>(b.buffer->data());
    while (pos < b.filled && (b.at_end || b.filled - pos >= max)) {
      const size_t n_cut =
          chunker_.NextChunkSize(std::span<const uint8_t>(bytes + pos, b.filled - pos), b.at_end);
      b.cuts.emplace_back(pos, n_cut);
      pos += n_cut;
    }
    b.consumed = pos;
    return Status::Ok();
  }

  // Reads, cuts, hashes (and stores) a large file. With `pipelined`, the next block is read and
  // cut on the pool while this one's chunks are hashed; never from inside a pool task, which
  // could wait for a task queued behind itself.
  Status LargeFile(IngestItem& item, bool pipelined = true) {
    SLUICE_ASSIGN_OR_RETURN(int raw_fd, OpenForRead(item));
    Fd fd(raw_fd);
    SLUICE_ASSIGN_OR_RETURN(FileStat before, StatFd(fd.get(), item));
    if (before.size_bytes <= options_.chunking.threshold_bytes) {
      // Shrank since it was listed: a small file after all.
      *item.stat = before;
      std::vector<IngestItem> one = {item};
      return SmallBatch(one, {0}, /*retry=*/true);
    }
    const size_t max = options_.chunking.max_bytes;
    // Large files are read one at a time by the calling thread, so one pair of buffers serves
    // them all; a file that grew while listed is read from a pool thread, with its own pair.
    Block local[2];
    Block* blocks = pipelined ? blocks_ : local;
    for (Block* b = blocks; b != blocks + 2; ++b) {
      if (!b->buffer) b->buffer = std::make_unique<BlockBuffer>(options_.block_bytes + max);
      b->filled = 0;
      b->at_end = false;
      b->consumed = 0;
    }
    Block* current = &blocks[0];
    Block* next = &blocks[1];
    SLUICE_RETURN_IF_ERROR(FillAndCut(fd.get(), item, *current));
    uint64_t total = 0;
    std::vector<Chunk> chunks;
    for (;;) {
      std::future<Status> pending;
      bool more = false;
      if (!current->at_end) {
        more = true;
        const size_t tail = current->filled - current->consumed;
        std::memcpy(next->buffer->data(), current->buffer->data() + current->consumed, tail);
        next->filled = tail;
        if (pipelined && options_.pool != nullptr) {
          pending = options_.pool->Submit(
              [this, &fd, &item, next] { return FillAndCut(fd.get(), item, *next); });
        }
      }
      const auto& cuts = current->cuts;
      std::vector<std::string> digests(cuts.size());
      auto hash = [&](size_t i) {
        Sha256 hasher;
        hasher.Update(std::string_view(current->buffer->data() + cuts[i].first, cuts[i].second));
        digests[i] = hasher.FinishHex();
        if (options_.progress != nullptr) options_.progress->Advance(cuts[i].second);
      };
      if (options_.pool != nullptr && cuts.size() > 1) {
        options_.pool->ParallelFor(cuts.size(), hash);
      } else {
        for (size_t i = 0; i < cuts.size(); ++i) hash(i);
      }
      std::vector<std::string_view> views;
      for (size_t i = 0; i < cuts.size(); ++i) {
        views.emplace_back(current->buffer->data() + cuts[i].first, cuts[i].second);
        chunks.push_back({digests[i], cuts[i].second});
        total += cuts[i].second;
      }
      Status stored = Store(digests, views);
      Status filled = pending.valid() ? pending.get() : Status::Ok();
      SLUICE_RETURN_IF_ERROR(stored);
      if (!more) break;
      if (!pending.valid()) filled = FillAndCut(fd.get(), item, *next);
      SLUICE_RETURN_IF_ERROR(filled);
      std::swap(current, next);
    }
    SLUICE_ASSIGN_OR_RETURN(FileStat after, StatFd(fd.get(), item));
    item.entry->size_bytes = total;
    item.entry->mode = before.mode;
    if (total <= options_.chunking.threshold_bytes) {
      return InvalidArgument("'{}' changed while it was read; add it again", item.shown);
    }
    item.entry->digest = ChunkListDigest(chunks);
    item.entry->chunks = std::move(chunks);
    *item.stat = before;
    if (item.unstable != nullptr) *item.unstable = !(before == after) || total != before.size_bytes;
    files_ += 1;
    bytes_ += total;
    return Status::Ok();
  }

  std::string TakeArena() {
    std::lock_guard lock(arenas_mutex_);
    if (arenas_.empty()) return {};
    std::string a = std::move(arenas_.back());
    arenas_.pop_back();
    return a;
  }
  void ReturnArena(std::string arena) {
    std::lock_guard lock(arenas_mutex_);
    arenas_.push_back(std::move(arena));
  }

  const IngestOptions& options_;
  const Chunker chunker_;
  Block blocks_[2];
  std::mutex arenas_mutex_;
  std::vector<std::string> arenas_;  // guarded by arenas_mutex_
  std::mutex claimed_mutex_;
  std::unordered_set<std::string> claimed_;  // guarded by claimed_mutex_
  std::atomic<uint64_t> files_{0}, bytes_{0}, new_objects_{0}, new_bytes_{0};
};

}  // namespace

Status IngestFiles(std::vector<IngestItem>& items, const IngestOptions& options,
                   IngestStats* stats) {
  Ingestor ingestor(options);
  Status status = ingestor.Run(items);
  if (stats != nullptr) *stats = ingestor.stats();
  return status;
}

}  // namespace sluice::datasets::internal
