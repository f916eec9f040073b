#include "datasets/internal/pack.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/file_util.h"
#include "base/hex.h"

namespace sluice::datasets::internal {
namespace {

constexpr size_t kLookupBatch = 400;

}  // namespace

// ---- PackWriter

PackWriter::PackWriter(std::unique_ptr<storage::BlobWriter> writer) : writer_(std::move(writer)) {}

Result<std::unique_ptr<PackWriter>> PackWriter::Create(storage::BlobStore& blobs) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobWriter> writer, blobs.NewWriter());
  SLUICE_RETURN_IF_ERROR(writer->Write(kPackMagic));
  auto pack = std::unique_ptr<PackWriter>(new PackWriter(std::move(writer)));
  pack->offset_ = kPackMagic.size();
  return pack;
}

Status PackWriter::Add(const Sha256::Digest& digest, std::string_view bytes) {
  char header[kPackEntryHeaderBytes];
  std::memcpy(header, digest.data(), digest.size());
  PutLittleEndian64(header + 32, bytes.size());
  SLUICE_RETURN_IF_ERROR(writer_->Write(std::string_view(header, sizeof(header))));
  SLUICE_RETURN_IF_ERROR(writer_->Write(bytes));
  offset_ += kPackEntryHeaderBytes;
  objects_.push_back({digest, offset_, bytes.size()});
  offset_ += bytes.size();
  return Status::Ok();
}

Result<PackInfo> PackWriter::Commit() {
  SLUICE_ASSIGN_OR_RETURN(storage::BlobInfo blob, writer_->Commit());
  PackInfo info;
  info.digest = blob.digest;
  info.size_bytes = blob.size_bytes;
  info.objects = std::move(objects_);
  return info;
}

Result<PackedObject> ToPackedObject(const ObjectLocation& location) {
  PackedObject o{{}, location.offset, location.size_bytes};
  if (location.digest.size() != 64 ||
      !HexToBytes(location.digest, reinterpret_cast<char*>(o.digest.data()))) {
    return InvalidArgument("'{}' is not a SHA-256 digest", location.digest);
  }
  return o;
}

// ---- PackSet

PackSet::~PackSet() { (void)WaitPending(); }

Status PackSet::Add(std::span<const std::pair<const Sha256::Digest*, std::string_view>> objects) {
  if (objects.empty()) return Status::Ok();
  std::unique_ptr<PackWriter> writer;
  {
    std::lock_guard lock(mutex_);
    SLUICE_RETURN_IF_ERROR(failed_);
    if (!idle_.empty()) {
      writer = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!writer) {
    SLUICE_ASSIGN_OR_RETURN(writer, PackWriter::Create(blobs_));
  }
  for (const auto& [digest, bytes] : objects) {
    // On failure the writer is dropped, which discards its temporary file.
    SLUICE_RETURN_IF_ERROR(writer->Add(*digest, bytes));
  }
  if (writer->size_bytes() >= target_bytes_) {
    StartCommit(std::move(writer));
    return Status::Ok();
  }
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(writer));
  return Status::Ok();
}

void PackSet::StartCommit(std::unique_ptr<PackWriter> writer) {
  auto pending = std::make_unique<Pending>();
  pending->writer = std::move(writer);
  Pending* p = pending.get();
  for (;;) {
    std::unique_ptr<Pending> oldest;
    {
      std::lock_guard lock(mutex_);
      if (pending_.size() < kMaxPendingCommits) {
        pending->thread = std::jthread([this, p] {
          p->result = p->writer->Commit();
          if (!p->result->ok()) {
            std::lock_guard failed_lock(mutex_);
            if (failed_.ok()) failed_ = p->result->status();
          }
        });
        pending_.push_back(std::move(pending));
        return;
      }
      // A disk slower than the hashing: wait for the oldest commit rather than pile up threads
      // and full packs.
      oldest = std::move(pending_.front());
      pending_.erase(pending_.begin());
    }
    (void)Collect(*oldest);
  }
}

Status PackSet::Collect(Pending& pending) {
  pending.thread.join();
  if (!pending.result->ok()) return pending.result->status();
  std::lock_guard lock(mutex_);
  committed_.push_back(std::move(**pending.result));
  return Status::Ok();
}

Status PackSet::WaitPending() {
  std::vector<std::unique_ptr<Pending>> pending;
  {
    std::lock_guard lock(mutex_);
    pending.swap(pending_);
  }
  Status first;
  for (auto& p : pending) {
    Status status = Collect(*p);
    if (first.ok() && !status.ok()) first = status;
  }
  return first;
}

Status PackSet::Finish() {
  std::vector<std::unique_ptr<PackWriter>> open;
  {
    std::lock_guard lock(mutex_);
    open.swap(idle_);
  }
  // The open packs (one per thread that added) are committed side by side too.
  for (auto& writer : open) {
    if (!writer->empty()) StartCommit(std::move(writer));
  }
  SLUICE_RETURN_IF_ERROR(WaitPending());
  // A commit that failed may have been joined earlier (StartCommit, waiting for room).
  std::lock_guard lock(mutex_);
  return failed_;
}

uint64_t PackSet::stored_bytes() const {
  uint64_t total = 0;
  for (const PackInfo& p : committed_) {
    for (const PackedObject& o : p.objects) total += o.size_bytes;
  }
  return total;
}

void PackSet::DiscardCommitted() {
  (void)WaitPending();
  std::lock_guard lock(mutex_);
  for (const PackInfo& p : committed_) (void)blobs_.Delete(p.digest);
  committed_.clear();
}

// ---- PackReader

PackReader::OpenFile::~OpenFile() { ::close(fd); }

Result<std::shared_ptr<PackReader::OpenFile>> PackReader::OpenPack(const std::string& pack) {
  std::lock_guard lock(mutex_);
  if (auto it = files_.find(pack); it != files_.end()) return it->second;
  std::optional<std::filesystem::path> path = blobs_.LocalPath(pack);
  if (!path) {
    return Unimplemented("reading dataset objects needs a local blob store (file:...)");
  }
  const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT) return DataLoss("pack {} is missing from the blob store", pack);
    return ErrnoError(error, "cannot open pack", *path);
  }
  // A verify of a large store touches many packs; keep the descriptor count bounded.
  if (files_.size() >= 64) files_.clear();
  auto file = std::make_shared<OpenFile>(fd);
  files_.emplace(pack, file);
  return file;
}

Status PackReader::Read(const ObjectLocation& location, std::string& out) {
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<OpenFile> file, OpenPack(location.pack));
  const int fd = file->fd;
  if (location.offset < kPackEntryHeaderBytes) {
    return DataLoss("object {}: bad offset {} in pack {}", location.digest, location.offset,
                    location.pack);
  }
  out.resize(kPackEntryHeaderBytes + location.size_bytes);
  size_t done = 0;
  const off_t start = static_cast<off_t>(location.offset - kPackEntryHeaderBytes);
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, start + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot read pack", location.pack);
    }
    if (n == 0) {
      return DataLoss("object {} is cut short in pack {} (the pack is truncated)", location.digest,
                      location.pack);
    }
    done += static_cast<size_t>(n);
  }
  char raw[32];
  if (location.digest.size() != 64 || !HexToBytes(location.digest, raw)) {
    return DataLoss("object '{}' of pack {}: not a SHA-256 digest", location.digest, location.pack);
  }
  if (std::memcmp(out.data(), raw, 32) != 0 ||
      GetLittleEndian64(out.data() + 32) != location.size_bytes) {
    return DataLoss("object {}: the entry header at offset {} of pack {} does not match (corrupt)",
                    location.digest, location.offset, location.pack);
  }
  out.erase(0, kPackEntryHeaderBytes);
  const std::string actual = Sha256::HexOf(out);
  if (actual != location.digest) {
    return DataLoss("object {} in pack {} is corrupt: its bytes hash to {}", location.digest,
                    location.pack, actual);
  }
  return Status::Ok();
}

// ---- PackScanner

Status PackScanner::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (!magic_done_) {
      const size_t take = std::min(bytes.size(), kPackMagic.size() - header_.size());
      header_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      offset_ += take;
      if (header_.size() == kPackMagic.size()) {
        if (header_ != kPackMagic) return DataLoss("blob {} is not a dataset pack", pack_);
        header_.clear();
        magic_done_ = true;
      }
      continue;
    }
    if (data_left_ > 0) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), data_left_));
      bytes.remove_prefix(take);
      data_left_ -= take;
      offset_ += take;
      continue;
    }
    const size_t take = std::min(bytes.size(), kPackEntryHeaderBytes - header_.size());
    header_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    offset_ += take;
    if (header_.size() < kPackEntryHeaderBytes) continue;
    ObjectLocation o;
    o.digest = ToHex(reinterpret_cast<const uint8_t*>(header_.data()), 32);
    o.pack = pack_;
    o.offset = offset_;
    o.size_bytes = GetLittleEndian64(header_.data() + 32);
    header_.clear();
    data_left_ = o.size_bytes;
    SLUICE_RETURN_IF_ERROR(on_object_(o));
  }
  return Status::Ok();
}

Status PackScanner::Finish() {
  if (!magic_done_ || !header_.empty() || data_left_ > 0) {
    return DataLoss("pack {} ends in the middle of an entry (truncated)", pack_);
  }
  return Status::Ok();
}

// ---- index

Result<std::unordered_map<std::string, ObjectLocation>> LookupObjects(
    storage::Connection& c, const std::vector<std::string>& digests) {
  std::unordered_map<std::string, ObjectLocation> found;
  found.reserve(digests.size());
  std::string sql;
  std::vector<storage::Value> params;
  for (size_t start = 0; start < digests.size(); start += kLookupBatch) {
    const size_t end = std::min(digests.size(), start + kLookupBatch);
    sql =
        "SELECT o.digest, p.digest, o.pack_offset, o.size_bytes FROM dataset_objects o "
        "JOIN dataset_packs p ON p.id = o.pack_id WHERE o.digest IN (";
    params.clear();
    for (size_t i = start; i < end; ++i) {
      sql += i == start ? "?" : ",?";
      params.emplace_back(storage::Blob{HexToRaw(digests[i])});
    }
    sql += ")";
    SLUICE_ASSIGN_OR_RETURN(std::vector<storage::Row> rows, c.Query(sql, params));
    for (storage::Row& row : rows) {
      const std::string& raw = row[0].AsText();
      ObjectLocation o{ToHex(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()),
                       row[1].AsText(), static_cast<uint64_t>(row[2].AsInt()),
                       static_cast<uint64_t>(row[3].AsInt())};
      std::string key = o.digest;
      found.emplace(std::move(key), std::move(o));
    }
  }
  return found;
}

Status InsertPacks(storage::Connection& c, std::span<const PackInfo> packs, int64_t now) {
  // Rows go in digest order, many per statement: random-order inserts into the digest index of a
  // large table thrash SQLite's page cache (measured: 100,000 objects took 2.4 s unsorted).
  constexpr size_t kRowsPerStatement = 200;
  struct Row {
    const PackedObject* object;
    int64_t pack_id;
  };
  std::vector<Row> rows;
  for (const PackInfo& p : packs) {
    SLUICE_ASSIGN_OR_RETURN(std::vector<storage::Row> existing,
                            c.Query("SELECT id FROM dataset_packs WHERE digest = ?", {p.digest}));
    int64_t id = 0;
    if (!existing.empty()) {
      id = existing[0][0].AsInt();
    } else {
      SLUICE_ASSIGN_OR_RETURN(std::vector<storage::Row> max,
                              c.Query("SELECT COALESCE(MAX(id), 0) FROM dataset_packs"));
      id = max[0][0].AsInt() + 1;
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO dataset_packs (id, digest, size_bytes, object_count, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    {id, p.digest, p.size_bytes, static_cast<uint64_t>(p.objects.size()), now}));
    }
    for (const PackedObject& o : p.objects) rows.push_back({&o, id});
  }
  // Raw digests sort as their lowercase hex does.
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.object->digest < b.object->digest; });
  std::string sql;
  std::vector<storage::Value> params;
  for (size_t start = 0; start < rows.size(); start += kRowsPerStatement) {
    const size_t end = std::min(rows.size(), start + kRowsPerStatement);
    sql = "INSERT INTO dataset_objects (digest, pack_id, pack_offset, size_bytes) VALUES ";
    params.clear();
    for (size_t i = start; i < end; ++i) {
      sql += i == start ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)";
      const Sha256::Digest& digest = rows[i].object->digest;
      params.emplace_back(
          storage::Blob{std::string(reinterpret_cast<const char*>(digest.data()), digest.size())});
      params.emplace_back(rows[i].pack_id);
      params.emplace_back(rows[i].object->offset);
      params.emplace_back(rows[i].object->size_bytes);
    }
    sql += " ON CONFLICT (digest) DO NOTHING";
    SLUICE_RETURN_IF_ERROR(c.Execute(sql, params));
  }
  return Status::Ok();
}

}  // namespace sluice::datasets::internal
