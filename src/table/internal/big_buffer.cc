#include "table/internal/big_buffer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "base/file_descriptor.h"
#include "base/file_util.h"

namespace sluice::table::internal {
namespace {

constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
constexpr size_t kMinAdvisedBytes = size_t{4} << 20;

}  // namespace

void AdviseHugePages(void* data, size_t bytes) {
#ifdef MADV_HUGEPAGE
  if (data == nullptr || bytes < kMinAdvisedBytes) return;
  // Only whole huge pages inside the range can be advised.
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHugePage - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

Result<std::string> ReadWholeFile(const std::filesystem::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "cannot open", file);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return ErrnoError(errno, "cannot stat", file);
  if (S_ISDIR(info.st_mode)) {
    return InvalidArgument("cannot read '{}': it is a folder, not a file", file.string());
  }
  // The size is a hint only (files in /proc say 0; a file may grow), so read on to the end.
  std::string contents;
  size_t filled = 0;
  contents.reserve(static_cast<size_t>(std::max<off_t>(info.st_size, 0)) + 1);
  AdviseHugePages(contents.data(), contents.capacity());
  contents.resize(contents.capacity());
  for (;;) {
    if (filled == contents.size()) contents.resize(contents.size() + (size_t{1} << 16));
    const ssize_t n = ::read(fd.get(), contents.data() + filled, contents.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "cannot read", file);
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  contents.resize(filled);
  return contents;
}

}  // namespace sluice::table::internal
