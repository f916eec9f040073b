#include "validation/internal/mapped_array.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace sluice::validation::internal::mapped_array_detail {
namespace {

constexpr size_t kSmallPage = size_t{4} << 10;
constexpr size_t kHugePage = size_t{2} << 20;
// Small arrays (most suites on small data) start at a few pages, not a whole huge page.
constexpr size_t kFirstBytes = size_t{64} << 10;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

#if defined(__linux__)

void* Grow(void* old, size_t old_bytes, size_t used_bytes, size_t min_bytes, size_t* bytes) {
  size_t want = std::max({min_bytes, 2 * old_bytes, kFirstBytes});
  // Huge pages only fill huge-page-aligned stretches: align the start and round the size.
  const bool huge = want >= kHugePage;
  const size_t align = huge ? kHugePage : kSmallPage;
  want = RoundUp(want, align);
  const size_t reserved = want + (huge ? kHugePage : 0);
  void* area =
      ::mmap(nullptr, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) throw std::bad_alloc();
  const auto begin = reinterpret_cast<uintptr_t>(area);
  const uintptr_t start = RoundUp(begin, align);
  if (start > begin) ::munmap(area, start - begin);
  if (begin + reserved > start + want) {
    ::munmap(reinterpret_cast<void*>(start + want), begin + reserved - (start + want));
  }
  void* const data = reinterpret_cast<void*>(start);
  if (old != nullptr) {
    // The old pages move to the front of the new mapping, replacing its untouched ones: page
    // tables change, the values are not copied. Copy only if the kernel refuses.
    if (::mremap(old, old_bytes, old_bytes, MREMAP_MAYMOVE | MREMAP_FIXED, data) == MAP_FAILED) {
      std::memcpy(data, old, used_bytes);
      ::munmap(old, old_bytes);
    }
  }
#ifdef MADV_HUGEPAGE
  if (huge) ::madvise(data, want, MADV_HUGEPAGE);
#endif
  *bytes = want;
  return data;
}

void Release(void* data, size_t bytes) {
  if (data != nullptr) ::munmap(data, bytes);
}

#else

void* Grow(void* old, size_t old_bytes, size_t used_bytes, size_t min_bytes, size_t* bytes) {
  const size_t want = RoundUp(std::max({min_bytes, 2 * old_bytes, kFirstBytes}), kSmallPage);
  void* data = std::malloc(want);
  if (data == nullptr) throw std::bad_alloc();
  if (old != nullptr) std::memcpy(data, old, used_bytes);
  std::free(old);
  *bytes = want;
  return data;
}

void Release(void* data, size_t) { std::free(data); }

#endif

}  // namespace sluice::validation::internal::mapped_array_detail
