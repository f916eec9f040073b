// A fresh folder under $TMPDIR for one test, removed with everything in it when destroyed.
#pragma once

#include <filesystem>
#include <string>

namespace sluice::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `contents` to `file`, creating parent folders.
void WriteFile(const std::filesystem::path& file, const std::string& contents);
std::string ReadFile(const std::filesystem::path& file);

}  // namespace sluice::testing
