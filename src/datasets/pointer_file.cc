#include "datasets/pointer_file.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "base/file_util.h"
#include "base/sha256.h"
#include "datasets/manifest.h"
#include "datasets/types.h"

namespace sluice::datasets {

namespace fs = std::filesystem;

fs::path PointerPathFor(const fs::path& data) {
  fs::path clean = data;
  if (!clean.has_filename()) clean = clean.parent_path();
  clean += std::string(kPointerSuffix);
  return clean;
}

bool IsPointerPath(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.size() > kPointerSuffix.size() &&
         name.compare(name.size() - kPointerSuffix.size(), kPointerSuffix.size(), kPointerSuffix) ==
             0;
}

std::string SerializePointer(const PointerFile& p) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << p.name;
  out << YAML::Key << "version" << YAML::Value << p.version;
  out << YAML::Key << "digest" << YAML::Value << p.digest;
  out << YAML::Key << "size" << YAML::Value << p.size_bytes;
  out << YAML::Key << "path" << YAML::Value << p.path;
  out << YAML::EndMap;
  return fmt::format(
      "# Sluice dataset pointer: `sluice data checkout {}{}` restores the data.\n{}\n", p.path,
      kPointerSuffix, out.c_str());
}

Result<PointerFile> ParsePointer(std::string_view yaml, std::string_view shown) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("pointer file '{}': not YAML: {}", shown, e.what());
  }
  if (!root.IsMap()) return InvalidArgument("pointer file '{}': expected a YAML mapping", shown);
  PointerFile p;
  try {
    for (const char* key : {"name", "version", "digest", "path"}) {
      if (!root[key]) return InvalidArgument("pointer file '{}': missing '{}'", shown, key);
    }
    p.name = root["name"].as<std::string>();
    p.version = root["version"].as<int64_t>();
    p.digest = root["digest"].as<std::string>();
    p.path = root["path"].as<std::string>();
    if (root["size"]) p.size_bytes = root["size"].as<uint64_t>();
  } catch (const YAML::Exception& e) {
    return InvalidArgument("pointer file '{}': {}", shown, e.what());
  }
  if (Status s = ValidateDatasetName(p.name); !s.ok()) {
    return InvalidArgument("pointer file '{}': {}", shown, s.message());
  }
  if (p.version < 1) return InvalidArgument("pointer file '{}': version must be >= 1", shown);
  if (!IsSha256Hex(p.digest)) {
    return InvalidArgument("pointer file '{}': digest must be 64 lowercase hex characters", shown);
  }
  if (!IsValidEntryPath(p.path)) {
    return InvalidArgument("pointer file '{}': path '{}' must be relative, without '..'", shown,
                           p.path);
  }
  return p;
}

Status WritePointer(const fs::path& file, const PointerFile& pointer) {
  return WriteFileAtomically(file, SerializePointer(pointer));
}

Result<PointerFile> ReadPointer(const fs::path& file) {
  SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
  return ParsePointer(text, file.string());
}

}  // namespace sluice::datasets
