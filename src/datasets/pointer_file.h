// The pointer file written beside added data (data/churn.csv -> data/churn.csv.sluice,
// data/images/ -> data/images.sluice): a few lines of YAML that can be committed to git with the
// code, as a .dvc file is, and from which `sluice data checkout data/churn.csv.sluice` restores
// the exact bytes.
//
//   # Sluice dataset pointer: sluice data checkout churn.csv.sluice restores the data.
//   name: churn
//   version: 2
//   digest: 5d41402abc4b2a76b9719d911017c592...
//   size: 1048576
//   path: churn.csv
//
// Thread safety: pure functions, and file reads and atomic writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice::datasets {

inline constexpr std::string_view kPointerSuffix = ".sluice";

struct PointerFile {
  std::string name;
  int64_t version = 0;
  std::string digest;  // the version's manifest digest
  uint64_t size_bytes = 0;
  std::string path;  // the data, relative to the pointer file's folder
  friend bool operator==(const PointerFile&, const PointerFile&) = default;
};

// The pointer beside `data` (a trailing '/' of a folder is ignored).
std::filesystem::path PointerPathFor(const std::filesystem::path& data);
bool IsPointerPath(const std::filesystem::path& path);

std::string SerializePointer(const PointerFile& pointer);
// kInvalidArgument naming `shown` and the missing or bad field.
Result<PointerFile> ParsePointer(std::string_view yaml, std::string_view shown);

Status WritePointer(const std::filesystem::path& file, const PointerFile& pointer);
Result<PointerFile> ReadPointer(const std::filesystem::path& file);

}  // namespace sluice::datasets
