#include "datasets/internal/stat_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>

#include "base/file_descriptor.h"
#include "base/file_util.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/random.h"
#include "base/sha256.h"

namespace sluice::datasets::internal {
namespace {

// Format 1 (text) starts with this header line; format 2 (binary) with kMagic.
constexpr std::string_view kTextHeader = "sluice-stat-cache 1";
constexpr std::string_view kMagic = "sluice-stat-cache 2\n";

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

bool ParseHeader(std::string_view header, ChunkingParams& c, std::string& manifest_digest) {
  if (header.substr(0, kTextHeader.size()) != kTextHeader) return false;
  std::string_view params = header.substr(kTextHeader.size());
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

void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

// Times may precede 1970: zigzag keeps small negative numbers short.
uint64_t ZigZag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}
int64_t UnZigZag(uint64_t value) {
  return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
}

// 64 hex characters (checked by the caller) as 32 raw bytes.
void PutRawDigest(std::string& out, std::string_view hex) {
  char raw[32];
  SLUICE_CHECK(hex.size() == 64 && HexToBytes(hex, raw));
  out.append(raw, sizeof(raw));
}

// PutVarint into a buffer with room for 10 bytes; returns the end of what it wrote.
char* WriteVarint(char* out, uint64_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

// Reads format 2 front to back; any read past the end fails the whole decode.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool Varint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == bytes_.size()) return false;
      const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
      value |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool Bytes(size_t n, std::string_view& out) {
    if (bytes_.size() - pos_ < n) return false;
    out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace

std::string CachedFile::DigestHex() const {
  return ToHex(reinterpret_cast<const uint8_t*>(digest.data()), digest.size());
}

int64_t FileClockNowNs() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Format 2: kMagic, then varints min avg max threshold, a byte 1 and the manifest digest (32 raw
// bytes) or a byte 0, the entry count (varint), then per entry: path length and path (bytes as
// they are), device, inode, size, zigzag mtime_ns, zigzag ctime_ns, mode (varints), the digest
// (32 raw bytes), the chunk count (varint) and per chunk its raw digest and size (8 bytes, little
// endian). Views into these bytes need no copy: digests and chunk lists lie whole in them.
void StatCacheWriter::Add(const Entry& e, const FileStat& s) {
  // Built in place and appended at once: an append per byte showed in profiles of 100,000 files.
  char fields[7 * 10 + 32 + 10];
  char* end = WriteVarint(fields, e.path.size());
  body_.append(fields, static_cast<size_t>(end - fields));
  body_ += e.path;
  end = WriteVarint(fields, s.device);
  end = WriteVarint(end, s.inode);
  end = WriteVarint(end, s.size_bytes);
  end = WriteVarint(end, ZigZag(s.mtime_ns));
  end = WriteVarint(end, ZigZag(s.ctime_ns));
  end = WriteVarint(end, s.mode);
  SLUICE_CHECK(e.digest.size() == 64 && HexToBytes(e.digest, end));
  end = WriteVarint(end + 32, e.chunks.size());
  body_.append(fields, static_cast<size_t>(end - fields));
  for (const Chunk& chunk : e.chunks) {
    PutRawDigest(body_, chunk.digest);
    AppendLittleEndian64(body_, chunk.size_bytes);
  }
  ++count_;
}

void StatCacheWriter::Reserve(size_t files) {
  // A file of a few path bytes and no chunks takes about 60 bytes.
  body_.reserve(body_.size() + files * 64);
}

std::string StatCacheWriter::Finish(std::string_view manifest_digest) const {
  std::string out;
  out.reserve(kMagic.size() + 64 + body_.size());
  out += kMagic;
  PutVarint(out, chunking_.min_bytes);
  PutVarint(out, chunking_.avg_bytes);
  PutVarint(out, chunking_.max_bytes);
  PutVarint(out, chunking_.threshold_bytes);
  if (manifest_digest.empty()) {
    out += '\0';
  } else {
    out += '\1';
    PutRawDigest(out, manifest_digest);
  }
  PutVarint(out, count_);
  out += body_;
  return out;
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

namespace {

// Reads the header of format 2 bytes (after the magic).
bool ReadHeader(Reader& in, ChunkingParams& chunking, std::string_view& manifest_digest,
                uint64_t& count) {
  uint64_t min = 0, avg = 0, max = 0, threshold = 0;
  std::string_view flag;
  if (!in.Varint(min) || !in.Varint(avg) || !in.Varint(max) || !in.Varint(threshold) ||
      min > UINT32_MAX || avg > UINT32_MAX || max > UINT32_MAX || !in.Bytes(1, flag) ||
      flag[0] > 1 || (flag[0] == 1 && !in.Bytes(32, manifest_digest)) || !in.Varint(count)) {
    return false;
  }
  if (flag[0] == 0) manifest_digest = {};
  chunking.min_bytes = static_cast<uint32_t>(min);
  chunking.avg_bytes = static_cast<uint32_t>(avg);
  chunking.max_bytes = static_cast<uint32_t>(max);
  chunking.threshold_bytes = threshold;
  return true;
}

// Reads one entry of format 2.
bool ReadEntry(Reader& in, CachedFile& f) {
  uint64_t path_size = 0, mtime = 0, ctime = 0, mode = 0, chunks = 0;
  if (!in.Varint(path_size) || !in.Bytes(static_cast<size_t>(path_size), f.path) ||
      !in.Varint(f.stat.device) || !in.Varint(f.stat.inode) || !in.Varint(f.stat.size_bytes) ||
      !in.Varint(mtime) || !in.Varint(ctime) || !in.Varint(mode) || mode > UINT32_MAX ||
      !in.Bytes(32, f.digest) || !in.Varint(chunks) || chunks > (uint64_t{1} << 40) ||
      !in.Bytes(static_cast<size_t>(chunks) * kCachedChunkBytes, f.chunks)) {
    return false;
  }
  f.stat.mtime_ns = UnZigZag(mtime);
  f.stat.ctime_ns = UnZigZag(ctime);
  f.stat.mode = static_cast<uint32_t>(mode);
  return true;
}

}  // namespace

bool EncodedCacheMatchesTree(std::string_view encoded, const ChunkingParams& chunking,
                             std::string_view manifest_digest, const Sources& sources) {
  if (!encoded.starts_with(kMagic) || !IsSha256Hex(manifest_digest)) return false;
  Reader in(encoded.substr(kMagic.size()));
  ChunkingParams cached_chunking;
  std::string_view cached_digest;
  uint64_t count = 0;
  if (!ReadHeader(in, cached_chunking, cached_digest, count) || !(cached_chunking == chunking) ||
      count != sources.files.size() || cached_digest.size() != 32) {
    return false;
  }
  std::string raw;
  PutRawDigest(raw, manifest_digest);
  if (cached_digest != raw) return false;
  CachedFile f;
  for (const SourceFile& file : sources.files) {
    if (!ReadEntry(in, f) || f.path != file.rel || !(f.stat == file.stat)) return false;
  }
  return in.AtEnd();
}

StatCache StatCache::Decode(std::string bytes) {
  if (std::string_view(bytes).starts_with(kMagic)) {
    return DecodeBinary(std::make_shared<const std::string>(std::move(bytes)));
  }
  return DecodeText(bytes);
}

StatCache StatCache::DecodeBinary(std::shared_ptr<const std::string> bytes) {
  Reader in(std::string_view(*bytes).substr(kMagic.size()));
  ChunkingParams chunking;
  std::string_view digest;
  uint64_t count = 0;
  if (!ReadHeader(in, chunking, digest, count)) return StatCache();
  StatCache out(chunking);
  // Each entry takes at least 40 bytes: a count beyond that is corrupt, not a reason to reserve.
  if (count > bytes->size() / 40) return StatCache(chunking);
  out.files_.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    CachedFile f;
    if (!ReadEntry(in, f)) return StatCache(chunking);
    if (!out.files_.empty() && !(out.files_.back().path < f.path)) return StatCache(chunking);
    out.files_.push_back(f);
  }
  if (!in.AtEnd()) return StatCache(chunking);
  if (!digest.empty()) {
    out.manifest_digest_ = ToHex(reinterpret_cast<const uint8_t*>(digest.data()), digest.size());
  }
  out.bytes_ = std::move(bytes);
  return out;
}

// Format 1: a header line `sluice-stat-cache 1 <min> <avg> <max> <threshold> <manifest|->`, then
// per file `path \t device \t inode \t size \t mtime_ns \t ctime_ns \t mode(octal) \t digest \t
// chunks` (chunks: empty or `digest:size,...`; the path escapes \\, \t and \n). Re-encoded as
// format 2, so one decoder makes the views.
StatCache StatCache::DecodeText(std::string_view text) {
  const size_t header_end = text.find('\n');
  if (header_end == std::string_view::npos) return StatCache();
  ChunkingParams chunking;
  std::string manifest_digest;
  if (!ParseHeader(text.substr(0, header_end), chunking, manifest_digest) ||
      (!manifest_digest.empty() && !IsSha256Hex(manifest_digest))) {
    return StatCache();
  }
  StatCacheWriter writer(chunking);
  size_t pos = header_end + 1;
  std::string_view fields[9];
  Entry e;
  std::string previous;
  bool first = true;
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
    FileStat stat;
    if (!Unescape(fields[0], e.path) || !ParseNumber(fields[1], stat.device) ||
        !ParseNumber(fields[2], stat.inode) || !ParseNumber(fields[3], stat.size_bytes) ||
        !ParseNumber(fields[4], stat.mtime_ns) || !ParseNumber(fields[5], stat.ctime_ns) ||
        !ParseNumber(fields[6], stat.mode, 8) || !IsSha256Hex(fields[7])) {
      return StatCache(chunking);
    }
    e.digest = std::string(fields[7]);
    e.chunks.clear();
    std::string_view chunks = fields[8];
    while (!chunks.empty()) {
      const size_t comma = chunks.find(',');
      std::string_view item = chunks.substr(0, comma);
      const size_t colon = item.find(':');
      Chunk c;
      if (colon != 64 || !IsSha256Hex(item.substr(0, 64)) ||
          !ParseNumber(item.substr(colon + 1), c.size_bytes)) {
        return StatCache(chunking);
      }
      c.digest = std::string(item.substr(0, colon));
      e.chunks.push_back(std::move(c));
      if (comma == std::string_view::npos) break;
      chunks.remove_prefix(comma + 1);
    }
    if (!first && !(previous < e.path)) return StatCache(chunking);
    first = false;
    previous = e.path;
    writer.Add(e, stat);
  }
  StatCache out = DecodeBinary(std::make_shared<const std::string>(writer.Finish(manifest_digest)));
  out.converted_ = true;
  return out;
}

Result<std::vector<Chunk>> ParseCachedChunks(std::string_view chunks) {
  if (chunks.size() % kCachedChunkBytes != 0) return DataLoss("bad chunk list in the stat cache");
  std::vector<Chunk> out;
  out.reserve(chunks.size() / kCachedChunkBytes);
  for (size_t at = 0; at < chunks.size(); at += kCachedChunkBytes) {
    Chunk c;
    c.digest = ToHex(reinterpret_cast<const uint8_t*>(chunks.data() + at), 32);
    c.size_bytes = GetLittleEndian64(chunks.data() + at + 32);
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

std::filesystem::path CacheFile(const std::filesystem::path& dir, const std::string& root) {
  return dir / Sha256::HexOf(root);
}

}  // namespace

Result<std::string> LoadStatCacheBytes(const std::filesystem::path& dir, storage::Connection& c,
                                       const std::string& root) {
  Result<std::string> file = ReadFileToString(CacheFile(dir, root));
  if (file.ok()) return file;
  if (file.status().code() != StatusCode::kNotFound) {
    // Like a cache that does not decode: its files are read again.
    SLUICE_LOG_WARN("the stat cache of '{}' cannot be read ({}): its files are read again", root,
                    file.status().message());
    return std::string();
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<storage::Row> rows,
                          c.Query("SELECT entries FROM dataset_stat_cache WHERE root = ?", {root}));
  if (rows.empty()) return std::string();
  return rows[0][0].AsText();
}

Result<StatCache> LoadStatCache(const std::filesystem::path& dir, storage::Connection& c,
                                const std::string& root, const ChunkingParams& chunking) {
  SLUICE_ASSIGN_OR_RETURN(std::string bytes, LoadStatCacheBytes(dir, c, root));
  StatCache cache = StatCache::Decode(std::move(bytes));
  if (!(cache.chunking() == chunking)) return StatCache(chunking);
  return cache;
}

Status SaveStatCache(const std::filesystem::path& dir, const std::string& root,
                     std::string_view encoded) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("cannot create '{}': {}", dir.string(), ec.message());
  const std::filesystem::path file = CacheFile(dir, root);
  // Unique per writer, so that concurrent saves of one cache each rename a whole file.
  const std::filesystem::path temporary = file.string() + ".tmp-" + RandomHex(16);
  FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoError(errno, "cannot create", temporary);
  Status written = WriteAll(fd.get(), encoded, temporary);
  if (written.ok() && fd.Close() != 0) written = ErrnoError(errno, "cannot write", temporary);
  if (written.ok() && ::rename(temporary.c_str(), file.c_str()) != 0) {
    written = ErrnoError(errno, "cannot rename", temporary);
  }
  if (!written.ok()) ::unlink(temporary.c_str());
  return written;
}

}  // namespace sluice::datasets::internal
