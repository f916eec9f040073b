// Two pages, the second unreadable: text placed at the end of the first faults if a reader looks
// past it. For tests of parsers that read ahead in words or vectors.
//
//   GuardedPage guarded;
//   ASSERT_TRUE(guarded.ok());
//   std::string_view text = guarded.AtEnd("12.5,");  // the byte after '5,' is unreadable
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include "base/status.h"

namespace sluice::testing {

class GuardedPage {
 public:
  GuardedPage() : page_(static_cast<size_t>(::sysconf(_SC_PAGESIZE))) {
    void* area =
        ::mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) return;
    base_ = static_cast<char*>(area);
    ::mprotect(base_ + page_, page_, PROT_NONE);
  }
  ~GuardedPage() {
    if (base_ != nullptr) ::munmap(base_, 2 * page_);
  }
  GuardedPage(const GuardedPage&) = delete;
  GuardedPage& operator=(const GuardedPage&) = delete;

  bool ok() const { return base_ != nullptr; }
  // `text` copied to end exactly where the readable page does (at most a page of it).
  std::string_view AtEnd(std::string_view text) {
    SLUICE_CHECK(text.size() <= page_);
    char* start = base_ + page_ - text.size();
    std::memcpy(start, text.data(), text.size());
    return {start, text.size()};
  }

 private:
  size_t page_;
  char* base_ = nullptr;
};

}  // namespace sluice::testing
