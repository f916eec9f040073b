#include "datasets/manifest.h"

#include <fmt/format.h>

#include <iterator>
#include <nlohmann/json.hpp>

#include "base/json_text.h"
#include "base/sha256.h"

namespace sluice::datasets {
namespace {

using Json = nlohmann::json;

Status Corrupt(std::string_view what) { return DataLoss("not a valid dataset manifest: {}", what); }

}  // namespace

std::string SerializeManifest(const Manifest& manifest) {
  std::string out;
  out.reserve(256 + manifest.entries.size() * 160);
  const ChunkingParams& c = manifest.chunking;
  out += fmt::format(
      "{{\"format\":\"{}\",\"version\":{},\"kind\":\"{}\",\"chunking\":{{\"algorithm\":\"{}\","
      "\"min\":{},\"avg\":{},\"max\":{},\"threshold\":{}}},\"entries\":[",
      kManifestFormat, Manifest::kFormatVersion, DatasetKindName(manifest.kind), kChunkingAlgorithm,
      c.min_bytes, c.avg_bytes, c.max_bytes, c.threshold_bytes);
  bool first = true;
  for (const Entry& e : manifest.entries) {
    out += first ? "\n{\"path\":" : ",\n{\"path\":";
    first = false;
    AppendJsonString(out, e.path);
    // Formatted in place: a temporary string per entry costs more than the rest of the work.
    fmt::format_to(std::back_inserter(out), ",\"mode\":\"{:04o}\",\"size\":{},\"digest\":\"{}\"",
                   e.mode, e.size_bytes, e.digest);
    if (!e.chunks.empty()) {
      out += ",\"chunks\":[";
      for (size_t i = 0; i < e.chunks.size(); ++i) {
        fmt::format_to(std::back_inserter(out), "{}[\"{}\",{}]", i == 0 ? "" : ",",
                       e.chunks[i].digest, e.chunks[i].size_bytes);
      }
      out += ']';
    }
    out += '}';
  }
  out += "\n]}\n";
  return out;
}

bool IsValidEntryPath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (part.find('\0') != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

Result<Manifest> ParseManifest(std::string_view text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return Corrupt("not a JSON object");
  if (json.value("format", "") != kManifestFormat)
    return Corrupt("no \"format\" field of a manifest");
  if (!json.contains("version") || !json["version"].is_number_integer()) {
    return Corrupt("no format version");
  }
  const int64_t version = json["version"].get<int64_t>();
  if (version > Manifest::kFormatVersion) {
    return Unimplemented(
        "dataset manifest format version {} is newer than this Sluice reads ({}): upgrade Sluice",
        version, Manifest::kFormatVersion);
  }
  Manifest m;
  try {
    const std::string kind = json.at("kind").get<std::string>();
    if (kind == "file") {
      m.kind = DatasetKind::kFile;
    } else if (kind == "folder") {
      m.kind = DatasetKind::kFolder;
    } else {
      return Corrupt(fmt::format("unknown kind '{}'", kind));
    }
    const Json& chunking = json.at("chunking");
    const std::string algorithm = chunking.at("algorithm").get<std::string>();
    if (algorithm != kChunkingAlgorithm) {
      return Unimplemented("dataset manifest uses chunking algorithm '{}'; this Sluice knows '{}'",
                           algorithm, kChunkingAlgorithm);
    }
    m.chunking.min_bytes = chunking.at("min").get<uint32_t>();
    m.chunking.avg_bytes = chunking.at("avg").get<uint32_t>();
    m.chunking.max_bytes = chunking.at("max").get<uint32_t>();
    m.chunking.threshold_bytes = chunking.at("threshold").get<uint64_t>();
    if (Status s = m.chunking.Validate(); !s.ok()) return Corrupt(s.message());
    const Json& entries = json.at("entries");
    if (!entries.is_array()) return Corrupt("\"entries\" is not an array");
    m.entries.reserve(entries.size());
    for (const Json& item : entries) {
      Entry e;
      e.path = item.at("path").get<std::string>();
      if (!IsValidEntryPath(e.path)) return Corrupt(fmt::format("bad entry path '{}'", e.path));
      if (!m.entries.empty() && !(m.entries.back().path < e.path)) {
        return Corrupt(fmt::format("entries not sorted or repeated at '{}'", e.path));
      }
      const std::string mode = item.at("mode").get<std::string>();
      if (mode == "0644") {
        e.mode = 0644;
      } else if (mode == "0755") {
        e.mode = 0755;
      } else {
        return Corrupt(fmt::format("bad mode '{}' of '{}'", mode, e.path));
      }
      e.size_bytes = item.at("size").get<uint64_t>();
      e.digest = item.at("digest").get<std::string>();
      if (!IsSha256Hex(e.digest)) return Corrupt(fmt::format("bad digest of '{}'", e.path));
      if (item.contains("chunks")) {
        uint64_t total = 0;
        for (const Json& c : item["chunks"]) {
          Chunk chunk{c.at(0).get<std::string>(), c.at(1).get<uint64_t>()};
          if (!IsSha256Hex(chunk.digest)) {
            return Corrupt(fmt::format("bad chunk digest in '{}'", e.path));
          }
          total += chunk.size_bytes;
          e.chunks.push_back(std::move(chunk));
        }
        if (total != e.size_bytes) {
          return Corrupt(fmt::format("chunks of '{}' add up to {} bytes, not {}", e.path, total,
                                     e.size_bytes));
        }
      }
      m.entries.push_back(std::move(e));
    }
  } catch (const Json::exception& e) {
    return Corrupt(e.what());
  }
  if (m.kind == DatasetKind::kFile && m.entries.size() != 1) {
    return Corrupt("a file manifest must hold exactly one entry");
  }
  return m;
}

std::string ChunkListDigest(std::span<const Chunk> chunks) {
  Sha256 hasher;
  hasher.Update("sluice-chunks-v1\n");
  std::string line;
  for (const Chunk& c : chunks) {
    line = fmt::format("{} {}\n", c.digest, c.size_bytes);
    hasher.Update(line);
  }
  return hasher.FinishHex();
}

}  // namespace sluice::datasets
