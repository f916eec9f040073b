#include "datasets/internal/file_batch.h"

#include <liburing.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/log.h"

namespace sluice::datasets::internal {
namespace {

// A round opens at most kSlots files (one direct descriptor each), three entries per file.
constexpr unsigned kEntries = 1024;
constexpr unsigned kSlots = 256;

enum Op : uint64_t { kOpen = 0, kRead = 1, kClose = 2 };

uint64_t Tag(size_t index, Op op) { return (static_cast<uint64_t>(index) << 2) | op; }

void PlainRead(ReadRequest& r) {
  r.size = 0;
  r.error = 0;
  r.open_failed = false;
  const int fd = ::openat(r.dir_fd, r.name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    r.error = errno;
    r.open_failed = true;
    return;
  }
  for (;;) {
    const ssize_t got = ::read(fd, r.buffer, r.capacity);
    if (got >= 0) {
      r.size = static_cast<size_t>(got);
      break;
    }
    if (errno != EINTR) {
      r.error = errno;
      break;
    }
  }
  ::close(fd);
}

}  // namespace

class FileBatch::Ring {
 public:
  // nullptr when this kernel or process cannot do what Read needs; why is logged once (debug),
  // for whoever wonders why adding small files is slower here.
  static std::unique_ptr<Ring> Open() {
    const char* missing = nullptr;
    std::unique_ptr<Ring> ring = TryOpen(missing);
    static std::once_flag logged;
    if (!ring) {
      std::call_once(logged, [missing] {
        SLUICE_LOG_DEBUG("io_uring unavailable ({}): small files are read with plain calls",
                         missing);
      });
    }
    return ring;
  }

  ~Ring() {
    if (initialized_) io_uring_queue_exit(&ring_);
  }

  io_uring_sqe* Next() { return io_uring_get_sqe(&ring_); }

  // Submits the `queued` entries and hands every completion to `on_done`. False when the ring
  // failed: the caller redoes, with plain calls, each request that got no completion. Either way
  // every submitted entry has completed on return (the kernel writes into the requests).
  template <typename OnDone>
  bool Drain(unsigned queued, OnDone&& on_done) {
    unsigned submitted = 0;
    unsigned completed = 0;
    bool failed = false;
    while (completed < submitted || (!failed && submitted < queued)) {
      if (!failed && submitted < queued) {
        const int rc = io_uring_submit_and_wait(&ring_, 1);
        const bool in_flight = completed < submitted;
        if (rc > 0) {
          submitted += static_cast<unsigned>(rc);
        } else if (rc == -EINTR || ((rc == -EAGAIN || rc == -EBUSY) && in_flight)) {
          // Interrupted, or out of room until the entries in flight complete: try again.
        } else {
          failed = true;
        }
      } else {
        io_uring_cqe* cqe = nullptr;
        const int rc = io_uring_wait_cqe(&ring_, &cqe);
        // Entries in flight point into the caller's requests: leaving before they complete
        // would let the kernel write into freed memory.
        SLUICE_CHECK(rc == 0 || rc == -EINTR || rc == -EAGAIN);
      }
      io_uring_cqe* cqe = nullptr;
      while (completed < submitted && io_uring_peek_cqe(&ring_, &cqe) == 0) {
        on_done(cqe->user_data, cqe->res);
        io_uring_cqe_seen(&ring_, cqe);
        ++completed;
      }
    }
    return !failed;
  }

 private:
  Ring() = default;

  static std::unique_ptr<Ring> TryOpen(const char*& missing) {
    auto ring = std::unique_ptr<Ring>(new Ring());
    io_uring_params params{};
    if (const int rc = io_uring_queue_init_params(kEntries, &ring->ring_, &params); rc < 0) {
      missing = rc == -EPERM ? "refused: a seccomp profile or io_uring_disabled"
                             : "io_uring_setup failed";
      return nullptr;
    }
    ring->initialized_ = true;
    // A read linked behind the open of its file must look the file's slot up when it runs, not
    // when it is submitted (IORING_FEAT_LINKED_FILE, Linux 5.17).
    missing = "the kernel is older than 5.17";
    if ((params.features & IORING_FEAT_LINKED_FILE) == 0) return nullptr;
    io_uring_probe* probe = io_uring_get_probe_ring(&ring->ring_);
    if (probe == nullptr) return nullptr;
    const bool supported = io_uring_opcode_supported(probe, IORING_OP_OPENAT) &&
                           io_uring_opcode_supported(probe, IORING_OP_READ) &&
                           io_uring_opcode_supported(probe, IORING_OP_CLOSE);
    io_uring_free_probe(probe);
    if (!supported) return nullptr;
    missing = "no room for registered files";
    if (io_uring_register_files_sparse(&ring->ring_, kSlots) < 0) return nullptr;
    return ring;
  }

  io_uring ring_{};
  bool initialized_ = false;
};

FileBatch::FileBatch(bool try_io_uring) {
  if (try_io_uring) ring_ = Ring::Open();
}

FileBatch::~FileBatch() = default;

bool FileBatch::IoUringWanted() {
  const char* env = std::getenv("SLUICE_IO_URING");
  return env == nullptr || std::strcmp(env, "0") != 0;
}

void FileBatch::Read(std::span<ReadRequest> requests) {
  std::vector<uint8_t> done;
  for (size_t start = 0; start < requests.size(); start += kSlots) {
    const size_t end = std::min(requests.size(), start + kSlots);
    if (!ring_) {
      for (size_t i = start; i < end; ++i) PlainRead(requests[i]);
      continue;
    }
    done.assign(end - start, 0);
    for (size_t i = start; i < end; ++i) {
      ReadRequest& r = requests[i];
      const auto slot = static_cast<unsigned>(i - start);
      // open -> read -> close, each after the one before. O_CLOEXEC does not apply to a direct
      // descriptor (it is no file descriptor of the process) and is refused.
      io_uring_sqe* sqe = ring_->Next();
      io_uring_prep_openat_direct(sqe, r.dir_fd, r.name, O_RDONLY | O_NOCTTY, 0, slot);
      sqe->flags |= IOSQE_IO_LINK;
      sqe->user_data = Tag(slot, kOpen);
      sqe = ring_->Next();
      io_uring_prep_read(sqe, static_cast<int>(slot), r.buffer, static_cast<unsigned>(r.capacity),
                         0);
      // A hard link: the close runs even when the read comes up short of `capacity` (which the
      // kernel counts as a failure for an ordinary link).
      sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
      sqe->user_data = Tag(slot, kRead);
      sqe = ring_->Next();
      io_uring_prep_close_direct(sqe, slot);
      sqe->user_data = Tag(slot, kClose);
    }
    const bool ok =
        ring_->Drain(static_cast<unsigned>(3 * (end - start)), [&](uint64_t tag, int res) {
          if ((tag & 3) != kRead || res < 0) return;
          requests[start + (tag >> 2)].size = static_cast<size_t>(res);
          done[tag >> 2] = 1;
        });
    for (size_t i = start; i < end; ++i) {
      if (done[i - start]) {
        requests[i].error = 0;
        requests[i].open_failed = false;
      } else {
        PlainRead(requests[i]);
      }
    }
    if (!ok) ring_.reset();
  }
}

}  // namespace sluice::datasets::internal
