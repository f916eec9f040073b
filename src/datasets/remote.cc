// DatasetStore remotes: push and pull to a folder.
//
//   <remote>/objects/ab/cdef...             a blob store (storage/local_blob_store.h): packs and
//                                           manifests, written atomically, verified by digest
//   <remote>/index/<pack>.idx               the objects of a pack: "<digest> <offset> <size>"
//   <remote>/versions/<name>/<version>.json a version record (written last)
//
// Packs move whole: a few large files per push instead of one per object. A pack's index is
// built from the pack's own bytes while it is copied, and every copy is checked against the
// pack's digest by the receiving store, so a resumed or repeated transfer copies only what is
// missing and never trusts a half-written file (blobs and index files are published by rename).
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/file_util.h"
#include "datasets/dataset_store.h"
#include "datasets/internal/store_impl.h"
#include "datasets/manifest.h"
#include "storage/local_blob_store.h"

namespace sluice::datasets {

namespace fs = std::filesystem;
using internal::ObjectLocation;
using internal::PackInfo;
using storage::Connection;
using storage::Row;
using Json = nlohmann::json;

namespace {

constexpr std::string_view kIndexHeader = "sluice-pack-index 1";
constexpr size_t kCopyBufferBytes = 1 << 20;

struct Remote {
  RemoteInfo info;
  fs::path root;
  std::unique_ptr<storage::BlobStore> objects;
};

Result<fs::path> RemotePath(std::string_view url) {
  if (url.starts_with("s3://")) {
    return Unimplemented(
        "remote '{}': s3:// remotes need the S3 blob store, which does not "
        "exist yet; use a folder",
        url);
  }
  std::string path(url);
  if (url.starts_with("file://")) {
    path = std::string(url.substr(7));
  } else if (url.starts_with("file:")) {
    path = std::string(url.substr(5));
  } else if (url.find("://") != std::string_view::npos) {
    return InvalidArgument("remote '{}': expected a folder path or file:///path", url);
  }
  if (path.empty()) return InvalidArgument("remote URL is empty");
  return fs::absolute(fs::path(path)).lexically_normal();
}

Result<Remote> OpenRemote(storage::Database& db, std::string_view name) {
  Remote remote;
  SLUICE_RETURN_IF_ERROR(db.Read([&](Connection& c) -> Status {
    std::vector<Row> rows;
    if (name.empty()) {
      SLUICE_ASSIGN_OR_RETURN(
          rows, c.Query("SELECT name, url, is_default FROM dataset_remotes WHERE is_default = 1"));
      if (rows.empty()) {
        return FailedPrecondition(
            "no default remote: add one with sluice data remote add NAME PATH, or pass --remote");
      }
    } else {
      SLUICE_ASSIGN_OR_RETURN(rows,
                              c.Query("SELECT name, url, is_default FROM dataset_remotes WHERE "
                                      "name = ?",
                                      {std::string(name)}));
      if (rows.empty()) {
        return NotFound("no remote named '{}' (list them: sluice data remote list)", name);
      }
    }
    remote.info = {rows[0][0].AsText(), rows[0][1].AsText(), rows[0][2].AsInt() != 0};
    return Status::Ok();
  }));
  SLUICE_ASSIGN_OR_RETURN(remote.root, RemotePath(remote.info.url));
  std::error_code ec;
  fs::create_directories(remote.root, ec);
  if (ec) {
    return Unavailable("remote '{}': cannot create '{}': {}", remote.info.name,
                       remote.root.string(), ec.message());
  }
  SLUICE_ASSIGN_OR_RETURN(remote.objects, storage::OpenLocalBlobStore(remote.root / "objects"));
  return remote;
}

std::string IndexText(const std::vector<ObjectLocation>& objects) {
  std::string out = std::string(kIndexHeader) + "\n";
  for (const ObjectLocation& o : objects) {
    out += fmt::format("{} {} {}\n", o.digest, o.offset, o.size_bytes);
  }
  return out;
}

// Every object the remote's pack indexes list, for packs the remote holds.
Result<std::unordered_map<std::string, ObjectLocation>> ReadRemoteIndex(Remote& remote) {
  std::unordered_map<std::string, ObjectLocation> out;
  const fs::path dir = remote.root / "index";
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (file.size() != 68 || !file.ends_with(".idx")) continue;
    const std::string pack = file.substr(0, 64);
    if (!IsSha256Hex(pack)) continue;
    SLUICE_ASSIGN_OR_RETURN(bool present, remote.objects->Has(pack));
    if (!present) continue;
    SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(it->path()));
    if (!text.starts_with(kIndexHeader)) continue;
    size_t pos = text.find('\n');
    while (pos != std::string::npos && pos + 1 < text.size()) {
      const size_t line_end = text.find('\n', pos + 1);
      std::string_view line(text.data() + pos + 1,
                            (line_end == std::string::npos ? text.size() : line_end) - pos - 1);
      pos = line_end;
      if (line.size() < 68) continue;
      ObjectLocation o;
      o.digest = std::string(line.substr(0, 64));
      o.pack = pack;
      const size_t space = line.find(' ', 65);
      if (space == std::string_view::npos) continue;
      std::string_view offset = line.substr(65, space - 65), size = line.substr(space + 1);
      if (std::from_chars(offset.data(), offset.data() + offset.size(), o.offset).ec !=
              std::errc() ||
          std::from_chars(size.data(), size.data() + size.size(), o.size_bytes).ec != std::errc()) {
        continue;
      }
      std::string key = o.digest;
      out.emplace(std::move(key), std::move(o));
    }
  }
  if (ec) return Internal("cannot list '{}': {}", dir.string(), ec.message());
  return out;
}

// Copies blob `digest` from `from` to `to`, checked against its digest, feeding its bytes to
// `scanner` when given. Returns the bytes copied.
Result<uint64_t> CopyBlob(storage::BlobStore& from, storage::BlobStore& to,
                          const std::string& digest, internal::PackScanner* scanner,
                          Progress* progress) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobReader> reader, from.Open(digest));
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobWriter> writer, to.NewWriter());
  std::string buffer(kCopyBufferBytes, '\0');
  uint64_t total = 0;
  for (;;) {
    SLUICE_ASSIGN_OR_RETURN(size_t n, reader->Read(std::span<char>(buffer.data(), buffer.size())));
    if (n == 0) break;
    std::string_view chunk(buffer.data(), n);
    SLUICE_RETURN_IF_ERROR(writer->Write(chunk));
    if (scanner != nullptr) SLUICE_RETURN_IF_ERROR(scanner->Feed(chunk));
    if (progress != nullptr) progress->Advance(n);
    total += n;
  }
  if (scanner != nullptr) SLUICE_RETURN_IF_ERROR(scanner->Finish());
  SLUICE_ASSIGN_OR_RETURN(storage::BlobInfo blob, writer->Commit());
  if (blob.digest != digest) {
    // The receiving store kept the bytes under their real digest; they are garbage for gc.
    return DataLoss("blob {} is corrupt: its bytes hash to {} (run sluice data verify)", digest,
                    blob.digest);
  }
  return total;
}

// The pack's objects, read from its own bytes.
Result<std::vector<ObjectLocation>> ScanStoredPack(storage::BlobStore& blobs,
                                                   const std::string& pack) {
  std::vector<ObjectLocation> objects;
  internal::PackScanner scanner(pack, [&](const ObjectLocation& o) {
    objects.push_back(o);
    return Status::Ok();
  });
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobReader> reader, blobs.Open(pack));
  std::string buffer(kCopyBufferBytes, '\0');
  for (;;) {
    SLUICE_ASSIGN_OR_RETURN(size_t n, reader->Read(std::span<char>(buffer.data(), buffer.size())));
    if (n == 0) break;
    SLUICE_RETURN_IF_ERROR(scanner.Feed(std::string_view(buffer.data(), n)));
  }
  SLUICE_RETURN_IF_ERROR(scanner.Finish());
  return objects;
}

Json RecordJson(const VersionInfo& v, const std::string& chunking) {
  Json record = ToJson(v);
  record["chunking"] = chunking;
  return record;
}

// Selects versions by the transfer's refs: a bare name is every version of it.
bool Selected(const std::vector<Ref>& refs, const std::string& name, int64_t version,
              const std::vector<std::string>& tags) {
  if (refs.empty()) return true;
  for (const Ref& r : refs) {
    if (r.name != name) continue;
    if (r.version) {
      if (*r.version == version) return true;
    } else if (!r.tag.empty()) {
      if (std::find(tags.begin(), tags.end(), r.tag) != tags.end()) return true;
    } else {
      return true;
    }
  }
  return false;
}

Result<std::vector<Ref>> ParseRefs(const std::vector<std::string>& texts) {
  std::vector<Ref> refs;
  for (const std::string& t : texts) {
    SLUICE_ASSIGN_OR_RETURN(Ref r, ParseRef(t));
    refs.push_back(std::move(r));
  }
  return refs;
}

void CollectObjects(const Manifest& m, std::vector<std::string>& out) {
  for (const Entry& e : m.entries) {
    if (e.chunks.empty()) {
      if (e.size_bytes > 0) out.push_back(e.digest);
    } else {
      for (const Chunk& c : e.chunks) out.push_back(c.digest);
    }
  }
}

}  // namespace

Status DatasetStore::AddRemote(std::string_view name, std::string_view url, bool make_default) {
  Status valid = ValidateDatasetName(name);
  if (!valid.ok()) {
    return InvalidArgument("remote name '{}': letters, digits, '.', '_' and '-' only", name);
  }
  SLUICE_ASSIGN_OR_RETURN(fs::path path, RemotePath(url));
  if (IsWithinRoot(path)) {
    return InvalidArgument("remote '{}' is inside the workspace; choose a folder elsewhere",
                           path.string());
  }
  return impl_->db.Write([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        c.Query("SELECT name FROM dataset_remotes WHERE name = ?", {std::string(name)}));
    if (!rows.empty()) {
      return AlreadyExists("remote '{}' exists (remove it first: sluice data remote remove {})",
                           name, name);
    }
    SLUICE_ASSIGN_OR_RETURN(rows, c.Query("SELECT COUNT(*) FROM dataset_remotes"));
    const bool first = rows[0][0].AsInt() == 0;
    if (make_default) {
      SLUICE_RETURN_IF_ERROR(c.Execute("UPDATE dataset_remotes SET is_default = 0"));
    }
    return c.Execute(
        "INSERT INTO dataset_remotes (name, url, is_default, created_at) VALUES (?, ?, ?, ?)",
        {std::string(name), "file://" + path.string(), (first || make_default) ? 1 : 0,
         impl_->clock.NowMillis()});
  });
}

bool DatasetStore::IsWithinRoot(const fs::path& path) const {
  auto [root_end, path_end] = std::mismatch(root_.begin(), root_.end(), path.begin(), path.end());
  return root_end == root_.end();
}

Status DatasetStore::RemoveRemote(std::string_view name) {
  return impl_->db.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(
        c.Execute("DELETE FROM dataset_remotes WHERE name = ?", {std::string(name)}));
    if (c.ChangedRows() == 0) {
      return NotFound("no remote named '{}' (list them: sluice data remote list)", name);
    }
    return Status::Ok();
  });
}

Result<std::vector<RemoteInfo>> DatasetStore::ListRemotes() {
  std::vector<RemoteInfo> out;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        c.Query("SELECT name, url, is_default FROM dataset_remotes ORDER BY name"));
    for (const Row& r : rows) out.push_back({r[0].AsText(), r[1].AsText(), r[2].AsInt() != 0});
    return Status::Ok();
  }));
  return out;
}

Result<TransferReport> DatasetStore::Push(const TransferOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(Remote remote, OpenRemote(impl_->db, options.remote));
  SLUICE_ASSIGN_OR_RETURN(std::vector<Ref> refs, ParseRefs(options.refs));
  TransferReport report;
  report.remote = remote.info.name;

  // The versions to send, with their chunking text.
  std::vector<std::pair<VersionInfo, std::string>> versions;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(std::vector<Row> rows,
                            c.Query("SELECT name, version, chunking FROM dataset_versions "
                                    "ORDER BY name, version"));
    for (const Row& r : rows) {
      Ref ref{r[0].AsText(), r[1].AsInt(), ""};
      SLUICE_ASSIGN_OR_RETURN(VersionInfo v, impl_->ResolveRef(c, ref));
      if (!Selected(refs, v.name, v.version, v.tags)) continue;
      versions.emplace_back(std::move(v), r[2].AsText());
    }
    return Status::Ok();
  }));
  for (const Ref& r : refs) {
    const bool any = std::any_of(versions.begin(), versions.end(), [&](const auto& v) {
      return Selected({r}, v.first.name, v.first.version, v.first.tags);
    });
    if (!any) return NotFound("nothing to push for '{}'", r.ToString());
  }

  // What the remote lacks.
  SLUICE_ASSIGN_OR_RETURN(auto remote_objects, ReadRemoteIndex(remote));
  std::vector<std::string> needed;
  std::set<std::string> manifests;
  for (const auto& [v, chunking] : versions) {
    manifests.insert(v.digest);
  }
  for (const std::string& digest : manifests) {
    SLUICE_ASSIGN_OR_RETURN(Manifest m, ReadManifest(digest));
    CollectObjects(m, needed);
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  std::vector<std::string> missing;
  for (const std::string& d : needed) {
    if (remote_objects.count(d) != 0) {
      ++report.already_there;
    } else {
      missing.push_back(d);
    }
  }
  std::unordered_map<std::string, ObjectLocation> local;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(local, internal::LookupObjects(c, missing));
    return Status::Ok();
  }));
  std::set<std::string> pack_set;
  for (const std::string& d : missing) {
    auto it = local.find(d);
    if (it == local.end()) {
      return DataLoss(
          "object {} is missing from the local store; nothing to push it from (run "
          "sluice data verify)",
          d);
    }
    pack_set.insert(it->second.pack);
  }
  std::vector<std::string> packs(pack_set.begin(), pack_set.end());
  uint64_t total = 0;
  for (const std::string& p : packs) {
    std::optional<fs::path> path = impl_->blobs.LocalPath(p);
    std::error_code ec;
    if (path) total += fs::file_size(*path, ec);
  }

  // 1. Packs, each with its index, in parallel.
  std::error_code ec;
  fs::create_directories(remote.root / "index", ec);
  if (ec)
    return Unavailable("cannot create '{}': {}", (remote.root / "index").string(), ec.message());
  if (options.progress != nullptr) options.progress->Start("pushing packs", total, true);
  std::mutex mutex;
  Status first_error;
  std::atomic<uint64_t> copied{0}, bytes{0};
  impl_->ForEach(packs.size(), [&](size_t i) {
    const std::string& pack = packs[i];
    Status s = [&]() -> Status {
      std::vector<ObjectLocation> objects;
      SLUICE_ASSIGN_OR_RETURN(bool present, remote.objects->Has(pack));
      if (present) {
        SLUICE_ASSIGN_OR_RETURN(objects, ScanStoredPack(*remote.objects, pack));
      } else {
        internal::PackScanner scanner(pack, [&](const ObjectLocation& o) {
          objects.push_back(o);
          return Status::Ok();
        });
        SLUICE_ASSIGN_OR_RETURN(
            uint64_t n, CopyBlob(impl_->blobs, *remote.objects, pack, &scanner, options.progress));
        copied += 1;
        bytes += n;
      }
      return WriteFileAtomically(remote.root / "index" / (pack + ".idx"), IndexText(objects));
    }();
    if (!s.ok()) {
      std::lock_guard lock(mutex);
      if (first_error.ok()) first_error = std::move(s);
    }
  });
  if (options.progress != nullptr) options.progress->Finish();
  SLUICE_RETURN_IF_ERROR(first_error);
  report.packs = copied.load();
  report.bytes = bytes.load();

  // 2. Manifests. 3. Version records, last.
  for (const std::string& digest : manifests) {
    SLUICE_ASSIGN_OR_RETURN(bool present, remote.objects->Has(digest));
    if (present) continue;
    SLUICE_ASSIGN_OR_RETURN(uint64_t n,
                            CopyBlob(impl_->blobs, *remote.objects, digest, nullptr, nullptr));
    ++report.manifests;
    report.bytes += n;
  }
  for (const auto& [v, chunking] : versions) {
    const fs::path dir = remote.root / "versions" / v.name;
    const fs::path file = dir / fmt::format("{}.json", v.version);
    if (fs::exists(file, ec)) {
      SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
      Json there = Json::parse(text, nullptr, false);
      if (!there.is_discarded() && there.value("digest", "") != v.digest) {
        report.conflicts.push_back(fmt::format("{}@{} is another version on the remote (digest {})",
                                               v.name, v.version, there.value("digest", "")));
        continue;
      }
      if (!there.is_discarded() && there.value("tags", Json::array()) == Json(v.tags)) continue;
    }
    fs::create_directories(dir, ec);
    if (ec) return Unavailable("cannot create '{}': {}", dir.string(), ec.message());
    SLUICE_RETURN_IF_ERROR(WriteFileAtomically(file, RecordJson(v, chunking).dump(2) + "\n"));
    ++report.versions;
  }
  return report;
}

Result<TransferReport> DatasetStore::Pull(const TransferOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(Remote remote, OpenRemote(impl_->db, options.remote));
  SLUICE_ASSIGN_OR_RETURN(std::vector<Ref> refs, ParseRefs(options.refs));
  TransferReport report;
  report.remote = remote.info.name;

  // The remote's version records.
  std::vector<Json> records;
  const fs::path versions_dir = remote.root / "versions";
  std::error_code ec;
  if (fs::exists(versions_dir, ec)) {
    for (fs::recursive_directory_iterator it(versions_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (!it->is_regular_file() || it->path().extension() != ".json") continue;
      SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(it->path()));
      Json record = Json::parse(text, nullptr, false);
      if (record.is_discarded() || !record.is_object() ||
          !IsSha256Hex(record.value("digest", "")) ||
          !ValidateDatasetName(record.value("name", "")).ok() ||
          record.value("version", int64_t{0}) < 1) {
        return DataLoss("remote '{}': '{}' is not a version record", remote.info.name,
                        it->path().string());
      }
      std::vector<std::string> tags = record.value("tags", std::vector<std::string>{});
      if (!Selected(refs, record["name"], record["version"].get<int64_t>(), tags)) continue;
      records.push_back(std::move(record));
    }
  }
  std::sort(records.begin(), records.end(), [](const Json& a, const Json& b) {
    return std::make_pair(a["name"].get<std::string>(), a["version"].get<int64_t>()) <
           std::make_pair(b["name"].get<std::string>(), b["version"].get<int64_t>());
  });
  for (const Ref& r : refs) {
    const bool any = std::any_of(records.begin(), records.end(), [&](const Json& j) {
      return Selected({r}, j["name"], j["version"].get<int64_t>(),
                      j.value("tags", std::vector<std::string>{}));
    });
    if (!any) {
      return NotFound("remote '{}' has nothing for '{}'", remote.info.name, r.ToString());
    }
  }

  SLUICE_ASSIGN_OR_RETURN(
      std::unique_ptr<internal::Lease> lease,
      impl_->AcquireLease(internal::LeaseKind::kWrite, "pull from " + remote.info.name));

  // Manifests first (small), then the packs holding objects the workspace lacks.
  std::vector<std::string> needed;
  for (const Json& r : records) {
    const std::string digest = r["digest"];
    SLUICE_ASSIGN_OR_RETURN(bool present, impl_->blobs.Has(digest));
    if (!present) {
      SLUICE_ASSIGN_OR_RETURN(uint64_t n,
                              CopyBlob(*remote.objects, impl_->blobs, digest, nullptr, nullptr));
      ++report.manifests;
      report.bytes += n;
    }
    SLUICE_ASSIGN_OR_RETURN(Manifest m, ReadManifest(digest));
    CollectObjects(m, needed);
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  std::unordered_map<std::string, ObjectLocation> local;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(local, internal::LookupObjects(c, needed));
    return Status::Ok();
  }));
  report.already_there = local.size();
  std::set<std::string> pack_set;
  if (local.size() < needed.size()) {
    SLUICE_ASSIGN_OR_RETURN(auto remote_objects, ReadRemoteIndex(remote));
    for (const std::string& d : needed) {
      if (local.count(d) != 0) continue;
      auto it = remote_objects.find(d);
      if (it == remote_objects.end()) {
        return DataLoss(
            "object {} is on neither side: remote '{}' lacks it (push it again from "
            "a workspace that has it)",
            d, remote.info.name);
      }
      pack_set.insert(it->second.pack);
    }
  }
  std::vector<std::string> packs(pack_set.begin(), pack_set.end());
  uint64_t total = 0;
  for (const std::string& p : packs) {
    std::optional<fs::path> path = remote.objects->LocalPath(p);
    if (path) total += fs::file_size(*path, ec);
  }
  if (options.progress != nullptr) options.progress->Start("pulling packs", total, true);
  std::vector<PackInfo> fetched(packs.size());
  std::mutex mutex;
  Status first_error;
  std::atomic<uint64_t> bytes{0};
  impl_->ForEach(packs.size(), [&](size_t i) {
    Status s = [&]() -> Status {
      PackInfo& info = fetched[i];
      info.digest = packs[i];
      SLUICE_ASSIGN_OR_RETURN(bool present, impl_->blobs.Has(packs[i]));
      std::vector<ObjectLocation> objects;
      if (present) {
        SLUICE_ASSIGN_OR_RETURN(objects, ScanStoredPack(impl_->blobs, packs[i]));
      } else {
        internal::PackScanner scanner(packs[i], [&](const ObjectLocation& o) {
          objects.push_back(o);
          return Status::Ok();
        });
        SLUICE_ASSIGN_OR_RETURN(uint64_t n, CopyBlob(*remote.objects, impl_->blobs, packs[i],
                                                     &scanner, options.progress));
        bytes += n;
      }
      info.objects.reserve(objects.size());
      for (const ObjectLocation& o : objects) {
        SLUICE_ASSIGN_OR_RETURN(internal::PackedObject packed, internal::ToPackedObject(o));
        info.objects.push_back(packed);
        info.size_bytes = o.offset + o.size_bytes;
      }
      return Status::Ok();
    }();
    if (!s.ok()) {
      std::lock_guard lock(mutex);
      if (first_error.ok()) first_error = std::move(s);
    }
  });
  if (options.progress != nullptr) options.progress->Finish();
  SLUICE_RETURN_IF_ERROR(first_error);
  report.packs = packs.size();
  report.bytes += bytes.load();

  // The records, each in its own transaction (the packs with the first).
  bool packs_recorded = false;
  for (const Json& r : records) {
    NewVersion nv;
    nv.name = r["name"];
    nv.version = r["version"].get<int64_t>();
    nv.digest = r["digest"];
    nv.kind = r.value("kind", "file") == "folder" ? DatasetKind::kFolder : DatasetKind::kFile;
    nv.path = r.value("path", "");
    nv.size_bytes = r.value("size_bytes", uint64_t{0});
    nv.file_count = r.value("file_count", uint64_t{0});
    nv.stored_bytes = r.value("stored_bytes", uint64_t{0});
    nv.user = r.value("created_by", "");
    nv.message = r.value("message", "");
    nv.source = r.value("source", "");
    nv.table_info = r.value("table_info", Json(nullptr));
    nv.changes = r.value("changes", Json(nullptr));
    SLUICE_ASSIGN_OR_RETURN(nv.chunking, ParseChunkingText(r.value("chunking", "")));
    nv.lease_id = lease->id();
    if (!packs_recorded) nv.packs = fetched;
    Result<std::pair<VersionInfo, bool>> recorded = impl_->RecordVersion(nv);
    if (!recorded.ok()) {
      if (recorded.status().code() != StatusCode::kAlreadyExists) return recorded.status();
      report.conflicts.push_back(recorded.status().message());
      if (!packs_recorded) {
        SLUICE_RETURN_IF_ERROR(impl_->db.Write([&](Connection& c) {
          return internal::InsertPacks(c, fetched, impl_->clock.NowMillis());
        }));
      }
    } else if (!recorded->second) {
      ++report.versions;
    }
    packs_recorded = true;
    // Tags the workspace does not have yet.
    for (const std::string& tag : r.value("tags", std::vector<std::string>{})) {
      if (!ValidateTagName(tag).ok()) continue;
      SLUICE_RETURN_IF_ERROR(impl_->db.Write([&](Connection& c) -> Status {
        return c.Execute(
            "INSERT INTO dataset_tags (name, tag, version, created_at) SELECT ?, ?, ?, ? WHERE "
            "EXISTS (SELECT 1 FROM dataset_versions WHERE name = ? AND version = ? AND digest = ?) "
            "ON CONFLICT (name, tag) DO NOTHING",
            {nv.name, tag, *nv.version, impl_->clock.NowMillis(), nv.name, *nv.version, nv.digest});
      }));
    }
  }
  if (!packs_recorded && !fetched.empty()) {
    SLUICE_RETURN_IF_ERROR(impl_->db.Write([&](Connection& c) {
      return internal::InsertPacks(c, fetched, impl_->clock.NowMillis());
    }));
  }
  return report;
}

}  // namespace sluice::datasets
