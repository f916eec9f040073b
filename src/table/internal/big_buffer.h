// Large buffers the readers fill exactly once: a file's bytes and the output columns. They are
// advised onto transparent huge pages because first-touch page faults otherwise dominate reading:
// on the 2-vCPU build machine, zero-filling 96 MB of fresh 4 KiB pages took 0.31 s, and reading a
// 100 MB file into fresh memory 0.33 s; with 2 MiB pages, 0.03 s and 0.02-0.2 s.
//
// Thread safety: free functions on their arguments.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace sluice::table::internal {

// A hint that [data, data + bytes) will be touched in full soon; does nothing where unsupported.
void AdviseHugePages(void* data, size_t bytes);

// v.resize(n, value) into a fresh, advised allocation.
template <typename T>
void ResizeFresh(std::vector<T>& v, size_t n, const T& value = T()) {
  std::vector<T>().swap(v);
  v.reserve(n);
  AdviseHugePages(v.data(), n * sizeof(T));
  v.resize(n, value);
}

// The whole file, like ReadFileToString (same errors), into an advised buffer.
Result<std::string> ReadWholeFile(const std::filesystem::path& file);

}  // namespace sluice::table::internal
