#include "storage/local_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <system_error>
#include <vector>

#include "base/file_util.h"
#include "base/sha256.h"

namespace sluice::storage {
namespace {

namespace fs = std::filesystem;

// Large writes amortize the syscall cost; the buffer is per writer, so keep it modest.
constexpr size_t kWriteBufferBytes = 1 << 20;
constexpr auto kStaleTempAge = std::chrono::hours(1);

Status CheckDigest(std::string_view digest) {
  if (IsSha256Hex(digest)) return Status::Ok();
  // Echo a bounded prefix: the digest may come from a request and be arbitrarily long.
  std::string shown(digest.substr(0, 80));
  if (digest.size() > 80) shown += "...";
  return InvalidArgument(
      "'{}' is not a blob digest: expected 64 lowercase hex characters (SHA-256)", shown);
}

bool IsHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

class LocalBlobWriter final : public BlobWriter {
 public:
  LocalBlobWriter(fs::path root, fs::path temp, int fd)
      : root_(std::move(root)), temp_(std::move(temp)), fd_(fd) {
    buffer_.reserve(kWriteBufferBytes);
  }
  ~LocalBlobWriter() override { Discard(); }
  LocalBlobWriter(const LocalBlobWriter&) = delete;
  LocalBlobWriter& operator=(const LocalBlobWriter&) = delete;

  Status Write(std::string_view bytes) override {
    SLUICE_RETURN_IF_ERROR(CheckUsable());
    hasher_.Update(bytes);
    size_bytes_ += bytes.size();
    if (buffer_.size() + bytes.size() <= kWriteBufferBytes) {
      buffer_.append(bytes);
      return Status::Ok();
    }
    SLUICE_RETURN_IF_ERROR(Guard(Flush()));
    if (bytes.size() >= kWriteBufferBytes) {
      return Guard(WriteAll(fd_, bytes, temp_));
    }
    buffer_.append(bytes);
    return Status::Ok();
  }

  Result<BlobInfo> Commit() override {
    SLUICE_RETURN_IF_ERROR(CheckUsable());
    spent_ = true;
    Status status = Publish();
    Discard();
    if (!status.ok()) return status;
    return info_;
  }

 private:
  Status Publish() {
    SLUICE_RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return ErrnoError(errno, "cannot fsync", temp_);
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoError(errno, "cannot close", temp_);

    info_ = BlobInfo{hasher_.FinishHex(), size_bytes_};
    const fs::path folder = root_ / info_.digest.substr(0, 2);
    const fs::path target = folder / info_.digest.substr(2);
    if (::mkdir(folder.c_str(), 0755) == 0) {
      SLUICE_RETURN_IF_ERROR(FsyncDirectory(root_));
    } else if (errno != EEXIST) {
      return ErrnoError(errno, "cannot create folder", folder);
    }
    struct stat existing;
    if (::stat(target.c_str(), &existing) == 0) {
      // Stored already (complete: only finished files are ever renamed into place).
      return Status::Ok();
    }
    if (::rename(temp_.c_str(), target.c_str()) != 0)
      return ErrnoError(errno, "cannot publish", target);
    renamed_ = true;
    return FsyncDirectory(folder);
  }

  // Closes the file and removes the temporary unless it was published.
  void Discard() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!renamed_ && !temp_.empty()) ::unlink(temp_.c_str());
    temp_.clear();
  }

  Status Flush() {
    if (buffer_.empty()) return Status::Ok();
    Status status = WriteAll(fd_, buffer_, temp_);
    buffer_.clear();
    return status;
  }

  Status CheckUsable() const {
    if (spent_)
      return FailedPrecondition("blob writer already committed or failed: start a new one");
    return Status::Ok();
  }

  // After a failed write the temporary file is incomplete; the writer cannot go on.
  Status Guard(Status status) {
    if (!status.ok()) {
      spent_ = true;
      Discard();
    }
    return status;
  }

  const fs::path root_;
  fs::path temp_;
  int fd_;
  std::string buffer_;
  Sha256 hasher_;
  uint64_t size_bytes_ = 0;
  bool spent_ = false;
  bool renamed_ = false;
  BlobInfo info_;
};

class LocalBlobReader final : public BlobReader {
 public:
  LocalBlobReader(int fd, uint64_t size_bytes, fs::path path)
      : fd_(fd), size_bytes_(size_bytes), path_(std::move(path)) {}
  ~LocalBlobReader() override { ::close(fd_); }
  LocalBlobReader(const LocalBlobReader&) = delete;
  LocalBlobReader& operator=(const LocalBlobReader&) = delete;

  Result<size_t> Read(std::span<char> buffer) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer.data(), buffer.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return ErrnoError(errno, "cannot read", path_);
    }
  }

  uint64_t size_bytes() const override { return size_bytes_; }

 private:
  int fd_;
  uint64_t size_bytes_;
  fs::path path_;
};

class LocalBlobStore final : public BlobStore {
 public:
  explicit LocalBlobStore(fs::path root)
      : root_(std::move(root)), tmp_(root_ / "tmp"), nonce_(std::random_device{}()) {}

  Status Init() {
    std::error_code ec;
    fs::create_directories(tmp_, ec);
    if (ec) {
      return Internal("cannot create blob store folder '{}': {}", tmp_.string(), ec.message());
    }
    RemoveStaleTemporaries();
    return Status::Ok();
  }

  Result<std::unique_ptr<BlobWriter>> NewWriter() override {
    for (int attempt = 0;; ++attempt) {
      fs::path temp = tmp_ / fmt::format("{}-{:x}-{}.tmp", ::getpid(), nonce_, counter_++);
      // 0444 from the start: the descriptor we hold may still write, nobody else can.
      int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
      if (fd >= 0)
        return std::unique_ptr<BlobWriter>(std::make_unique<LocalBlobWriter>(root_, temp, fd));
      if (errno != EEXIST) return ErrnoError(errno, "cannot create temporary blob", temp);
      // Names that keep clashing are our bug, not a blob that already exists.
      if (attempt > 100) {
        return Internal("cannot create temporary blob '{}': {}", temp.string(),
                        std::strerror(EEXIST));
      }
    }
  }

  Result<std::unique_ptr<BlobReader>> Open(std::string_view digest) override {
    SLUICE_RETURN_IF_ERROR(CheckDigest(digest));
    fs::path path = PathOf(digest);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return NotFound("blob {} not found in '{}'", digest, root_.string());
      return ErrnoError(errno, "cannot open blob", path);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int error = errno;
      ::close(fd);
      return ErrnoError(error, "cannot stat blob", path);
    }
    return std::unique_ptr<BlobReader>(
        std::make_unique<LocalBlobReader>(fd, static_cast<uint64_t>(st.st_size), path));
  }

  Result<bool> Has(std::string_view digest) override {
    SLUICE_RETURN_IF_ERROR(CheckDigest(digest));
    fs::path path = PathOf(digest);
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return ErrnoError(errno, "cannot stat blob", path);
  }

  Result<std::vector<BlobInfo>> List() override {
    std::vector<BlobInfo> blobs;
    std::error_code ec;
    for (fs::directory_iterator folders(root_, ec), end; !ec && folders != end;
         folders.increment(ec)) {
      const std::string prefix = folders->path().filename().string();
      if (prefix.size() != 2 || !IsHex(prefix) || !folders->is_directory(ec)) continue;
      std::error_code inner;
      for (fs::directory_iterator files(folders->path(), inner); !inner && files != end;
           files.increment(inner)) {
        const std::string rest = files->path().filename().string();
        if (rest.size() != 62 || !IsHex(rest)) continue;
        std::error_code size_ec;
        uint64_t size = files->file_size(size_ec);
        if (size_ec) continue;  // deleted while we listed
        blobs.push_back(BlobInfo{prefix + rest, size});
      }
      if (inner) return Internal("cannot list '{}': {}", folders->path().string(), inner.message());
    }
    if (ec) return Internal("cannot list blob store '{}': {}", root_.string(), ec.message());
    std::sort(blobs.begin(), blobs.end(),
              [](const BlobInfo& a, const BlobInfo& b) { return a.digest < b.digest; });
    return blobs;
  }

  Status Delete(std::string_view digest) override {
    SLUICE_RETURN_IF_ERROR(CheckDigest(digest));
    fs::path path = PathOf(digest);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return ErrnoError(errno, "cannot delete blob", path);
    return Status::Ok();
  }

  std::optional<fs::path> LocalPath(std::string_view digest) const override {
    if (!IsSha256Hex(digest)) return std::nullopt;
    return PathOf(digest);
  }

 private:
  fs::path PathOf(std::string_view digest) const {
    return root_ / digest.substr(0, 2) / digest.substr(2);
  }

  // Writers that crashed leave their temporaries behind. An hour is far longer than any live
  // writer pauses between writes, so another process's writer in progress is never removed.
  void RemoveStaleTemporaries() {
    const auto cutoff = fs::file_time_type::clock::now() - kStaleTempAge;
    std::error_code ec;
    for (fs::directory_iterator it(tmp_, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code entry_ec;
      auto modified = it->last_write_time(entry_ec);
      if (!entry_ec && modified < cutoff) fs::remove(it->path(), entry_ec);
    }
  }

  const fs::path root_;
  const fs::path tmp_;
  const uint64_t nonce_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenLocalBlobStore(const std::filesystem::path& root) {
  auto store = std::make_unique<LocalBlobStore>(root);
  SLUICE_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace sluice::storage
