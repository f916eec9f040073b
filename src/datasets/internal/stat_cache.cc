#include "datasets/internal/stat_cache.h"

#include <fmt/format.h>
#include <time.h>

#include <charconv>

namespace sluice::datasets::internal {
namespace {

constexpr std::string_view kHeader = "sluice-stat-cache 1";

void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

bool Unescape(std::string_view text, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return false;
    switch (text[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      default:
        return false;
    }
  }
  return true;
}

template <typename T>
bool ParseNumber(std::string_view text, T& value, int base = 10) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  return ec == std::errc() && end == text.data() + text.size();
}

template <typename T>
void AppendNumber(std::string& out, T value, int base = 10) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value, base);
  out.append(buffer, end);
}

bool ParseHeader(std::string_view header, ChunkingParams& c, std::string& manifest_digest) {
  if (header.substr(0, kHeader.size()) != kHeader) return false;
  std::string_view params = header.substr(kHeader.size());
  std::string_view parts[5];
  for (std::string_view& part : parts) {
    if (params.empty() || params.front() != ' ') return false;
    params.remove_prefix(1);
    const size_t space = std::min(params.find(' '), params.size());
    part = params.substr(0, space);
    params.remove_prefix(space);
  }
  if (parts[4] != "-" && parts[4].size() != 64) return false;
  manifest_digest = parts[4] == "-" ? "" : std::string(parts[4]);
  return params.empty() && ParseNumber(parts[0], c.min_bytes) &&
         ParseNumber(parts[1], c.avg_bytes) && ParseNumber(parts[2], c.max_bytes) &&
         ParseNumber(parts[3], c.threshold_bytes);
}

}  // namespace

int64_t FileClockNowNs() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string StatCacheWriter::Finish(std::string_view manifest_digest) const {
  const ChunkingParams& c = chunking_;
  std::string text =
      fmt::format("{} {} {} {} {} {}\n", kHeader, c.min_bytes, c.avg_bytes, c.max_bytes,
                  c.threshold_bytes, manifest_digest.empty() ? "-" : manifest_digest);
  text += body_;
  return text;
}

bool CacheMatchesTree(const StatCache& cache, const Sources& sources) {
  const std::vector<CachedFile>& cached = cache.files();
  if (cached.size() != sources.files.size()) return false;
  for (size_t i = 0; i < cached.size(); ++i) {
    if (cached[i].path != sources.files[i].rel || !(cached[i].stat == sources.files[i].stat)) {
      return false;
    }
  }
  return true;
}

void StatCacheWriter::Add(const Entry& e, const FileStat& s) {
  std::string& text_ = body_;
  AppendEscaped(text_, e.path);
  text_ += '\t';
  AppendNumber(text_, s.device);
  text_ += '\t';
  AppendNumber(text_, s.inode);
  text_ += '\t';
  AppendNumber(text_, s.size_bytes);
  text_ += '\t';
  AppendNumber(text_, s.mtime_ns);
  text_ += '\t';
  AppendNumber(text_, s.ctime_ns);
  text_ += '\t';
  AppendNumber(text_, s.mode, 8);
  text_ += '\t';
  text_ += e.digest;
  text_ += '\t';
  for (size_t i = 0; i < e.chunks.size(); ++i) {
    if (i > 0) text_ += ',';
    text_ += e.chunks[i].digest;
    text_ += ':';
    AppendNumber(text_, e.chunks[i].size_bytes);
  }
  text_ += '\n';
}

StatCache StatCache::Decode(std::string text_in) {
  StatCache cache;
  auto text_ptr = std::make_shared<const std::string>(std::move(text_in));
  std::string_view text = *text_ptr;
  const size_t header_end = text.find('\n');
  if (header_end == std::string_view::npos) return cache;
  ChunkingParams chunking;
  std::string manifest_digest;
  if (!ParseHeader(text.substr(0, header_end), chunking, manifest_digest)) return cache;
  StatCache out(chunking);
  out.manifest_digest_ = manifest_digest;
  out.text_ = text_ptr;
  out.unescaped_ = std::make_shared<std::deque<std::string>>();
  out.files_.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  size_t pos = header_end + 1;
  std::string_view fields[9];
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t n = 0, start = 0;
    while (n < 9) {
      size_t tab = line.find('\t', start);
      if (tab == std::string_view::npos) tab = line.size();
      fields[n++] = line.substr(start, tab - start);
      if (tab == line.size()) break;
      start = tab + 1;
    }
    if (n != 9) return StatCache(chunking);
    CachedFile f;
    if (fields[0].find('\\') != std::string_view::npos) {
      std::string path;
      if (!Unescape(fields[0], path)) return StatCache(chunking);
      out.unescaped_->push_back(std::move(path));
      f.path = out.unescaped_->back();
    } else {
      f.path = fields[0];
    }
    if (!ParseNumber(fields[1], f.stat.device) || !ParseNumber(fields[2], f.stat.inode) ||
        !ParseNumber(fields[3], f.stat.size_bytes) || !ParseNumber(fields[4], f.stat.mtime_ns) ||
        !ParseNumber(fields[5], f.stat.ctime_ns) || !ParseNumber(fields[6], f.stat.mode, 8) ||
        fields[7].size() != 64) {
      return StatCache(chunking);
    }
    f.digest = fields[7];
    f.chunks = fields[8];
    if (!out.files_.empty() && !(out.files_.back().path < f.path)) return StatCache(chunking);
    out.files_.push_back(f);
  }
  return out;
}

Result<std::vector<Chunk>> ParseCachedChunks(std::string_view chunks) {
  std::vector<Chunk> out;
  while (!chunks.empty()) {
    const size_t comma = chunks.find(',');
    std::string_view item = chunks.substr(0, comma);
    const size_t colon = item.find(':');
    Chunk c;
    if (colon != 64 || !ParseNumber(item.substr(colon + 1), c.size_bytes)) {
      return DataLoss("bad chunk list in the stat cache");
    }
    c.digest = std::string(item.substr(0, colon));
    out.push_back(std::move(c));
    if (comma == std::string_view::npos) break;
    chunks.remove_prefix(comma + 1);
  }
  return out;
}

Result<StatCache> LoadStatCache(storage::Connection& c, const std::string& root,
                                const ChunkingParams& chunking) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<storage::Row> rows,
                          c.Query("SELECT entries FROM dataset_stat_cache WHERE root = ?", {root}));
  if (rows.empty()) return StatCache(chunking);
  StatCache cache = StatCache::Decode(rows[0][0].AsText());
  if (!(cache.chunking() == chunking)) return StatCache(chunking);
  return cache;
}

Status SaveStatCache(storage::Connection& c, const std::string& root, const std::string& text,
                     int64_t now_millis) {
  return c.Execute(
      "INSERT INTO dataset_stat_cache (root, entries, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT (root) DO UPDATE SET entries = excluded.entries, "
      "updated_at = excluded.updated_at",
      {root, text, now_millis});
}

}  // namespace sluice::datasets::internal
