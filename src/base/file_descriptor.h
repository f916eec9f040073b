// An owned POSIX file descriptor, closed when it goes out of scope (on every return path).
//
//   FileDescriptor fd(::open(path, O_RDONLY | O_CLOEXEC));
//   if (fd.get() < 0) return ...;
//   ::read(fd.get(), ...);
//
// Thread safety: as an int; one owner at a time.
#pragma once

#include <unistd.h>

namespace sluice {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() { Reset(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.Release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }

  int get() const { return fd_; }
  // Hands the descriptor to the caller, who closes it.
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // close() can report a failed delayed write, so callers that care close explicitly and look at
  // the result (-1 with errno set).
  int Close() { return ::close(Release()); }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int fd_;
};

}  // namespace sluice
