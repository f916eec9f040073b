// DatasetStore::Verify and Gc: reading every stored byte back, and removing what nothing
// reaches.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/sha256.h"
#include "datasets/dataset_store.h"
#include "datasets/internal/store_impl.h"
#include "datasets/manifest.h"

namespace sluice::datasets {

namespace fs = std::filesystem;
using internal::ObjectLocation;
using storage::Connection;
using storage::Row;
using storage::Value;

namespace {

constexpr size_t kRefsPerProblem = 3;
constexpr std::string_view kManifestPrefix = "{\"format\":\"sluice.dataset.manifest\"";

struct VersionRow {
  std::string name;
  int64_t version;
  std::string digest;
  std::string label() const { return fmt::format("{}@{}", name, version); }
};

// Reads the first bytes of a blob, to recognize the module's own packs and manifests.
Result<std::string> BlobPrefix(storage::BlobStore& blobs, const std::string& digest, size_t n) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobReader> reader, blobs.Open(digest));
  std::string out(n, '\0');
  size_t done = 0;
  while (done < n) {
    SLUICE_ASSIGN_OR_RETURN(size_t got, reader->Read(std::span<char>(out.data() + done, n - done)));
    if (got == 0) break;
    done += got;
  }
  out.resize(done);
  return out;
}

// Digests other modules' tables point at, which gc must never delete even when they look like
// ours (an artifact that is a copy of a pack, say). Only tracking stores blobs today.
Result<std::unordered_set<std::string>> ForeignReferences(storage::Database& db) {
  std::unordered_set<std::string> refs;
  SLUICE_RETURN_IF_ERROR(db.Read([&](Connection& c) -> Status {
    if (db.dialect() != "sqlite") return Status::Ok();
    SLUICE_ASSIGN_OR_RETURN(
        std::vector<Row> tables,
        c.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'artifacts'"));
    if (tables.empty()) return Status::Ok();
    SLUICE_ASSIGN_OR_RETURN(std::vector<Row> rows, c.Query("SELECT digest FROM artifacts"));
    for (const Row& r : rows) refs.insert(r[0].AsText());
    return Status::Ok();
  }));
  return refs;
}

}  // namespace

Result<VerifyReport> DatasetStore::Verify(std::string_view ref, Progress* progress) {
  std::vector<VersionRow> versions;
  if (ref.empty()) {
    SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(
          std::vector<Row> rows,
          c.Query("SELECT name, version, digest FROM dataset_versions ORDER BY name, version"));
      for (const Row& r : rows) versions.push_back({r[0].AsText(), r[1].AsInt(), r[2].AsText()});
      return Status::Ok();
    }));
  } else {
    SLUICE_ASSIGN_OR_RETURN(VersionInfo v, Get(ref));
    versions.push_back({v.name, v.version, v.digest});
  }
  VerifyReport report;
  report.versions = versions.size();
  // Object -> where it is used (a few places, for the report).
  std::unordered_map<std::string, std::vector<std::string>> uses;
  std::map<std::string, std::vector<std::string>> manifests;  // digest -> versions
  for (const VersionRow& v : versions) manifests[v.digest].push_back(v.label());
  for (const auto& [digest, labels] : manifests) {
    Result<Manifest> m = ReadManifest(digest);
    if (!m.ok()) {
      report.problems.push_back({digest, m.status().message(), labels});
      continue;
    }
    for (const Entry& e : m->entries) {
      auto note = [&](const std::string& object) {
        std::vector<std::string>& list = uses[object];
        if (list.size() < kRefsPerProblem) list.push_back(labels.front() + ": " + e.path);
      };
      if (e.chunks.empty()) {
        if (e.size_bytes > 0) note(e.digest);
      } else {
        for (const Chunk& c : e.chunks) note(c.digest);
      }
    }
  }
  std::vector<std::string> digests;
  digests.reserve(uses.size());
  for (const auto& [digest, list] : uses) digests.push_back(digest);
  std::sort(digests.begin(), digests.end());
  std::unordered_map<std::string, ObjectLocation> locations;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(locations, internal::LookupObjects(c, digests));
    return Status::Ok();
  }));
  std::map<std::string, std::vector<const ObjectLocation*>> by_pack;
  uint64_t total = 0;
  for (const std::string& d : digests) {
    auto it = locations.find(d);
    if (it == locations.end()) {
      report.problems.push_back({d, "object is missing from the store", uses[d]});
      continue;
    }
    by_pack[it->second.pack].push_back(&it->second);
    total += it->second.size_bytes;
  }
  std::vector<std::pair<std::string, std::vector<const ObjectLocation*>>> packs(by_pack.begin(),
                                                                                by_pack.end());
  for (auto& [pack, objects] : packs) {
    std::sort(objects.begin(), objects.end(), [](const ObjectLocation* a, const ObjectLocation* b) {
      return a->offset < b->offset;
    });
  }
  if (progress != nullptr) progress->Start("verifying", total, true);
  internal::PackReader reader(impl_->blobs);
  std::mutex mutex;
  std::atomic<uint64_t> objects{0}, bytes{0};
  auto check_pack = [&](size_t i) {
    std::string buffer;
    for (const ObjectLocation* o : packs[i].second) {
      Status s = reader.Read(*o, buffer);
      objects += 1;
      bytes += o->size_bytes;
      if (progress != nullptr) progress->Advance(o->size_bytes);
      if (!s.ok()) {
        std::lock_guard lock(mutex);
        report.problems.push_back({o->digest, s.message(), uses[o->digest]});
      }
    }
  };
  impl_->ForEach(packs.size(), check_pack);
  if (progress != nullptr) progress->Finish();
  report.objects = objects.load();
  report.bytes = bytes.load();
  std::sort(report.problems.begin(), report.problems.end(),
            [](const VerifyProblem& a, const VerifyProblem& b) { return a.object < b.object; });
  return report;
}

Result<GcReport> DatasetStore::Gc(const GcOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(
      std::unique_ptr<internal::Lease> lease,
      impl_->AcquireLease(internal::LeaseKind::kGc, options.dry_run ? "gc --dry-run" : "gc"));
  GcReport report;
  report.dry_run = options.dry_run;

  // 1. Everything a version reaches. A manifest that cannot be read stops gc: what it
  //    references is unknown, so nothing may be deleted.
  std::vector<VersionRow> versions;
  std::vector<std::pair<std::string, uint64_t>> recorded_packs;
  std::vector<std::pair<std::string, std::string>> object_packs;  // digest, pack
  std::unordered_map<std::string, uint64_t> object_sizes;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(std::vector<Row> rows,
                            c.Query("SELECT name, version, digest FROM dataset_versions"));
    for (const Row& r : rows) versions.push_back({r[0].AsText(), r[1].AsInt(), r[2].AsText()});
    SLUICE_ASSIGN_OR_RETURN(rows, c.Query("SELECT digest, size_bytes FROM dataset_packs"));
    for (const Row& r : rows) {
      recorded_packs.emplace_back(r[0].AsText(), static_cast<uint64_t>(r[1].AsInt()));
    }
    SLUICE_ASSIGN_OR_RETURN(rows, c.Query("SELECT o.digest, p.digest, o.size_bytes FROM "
                                          "dataset_objects o JOIN dataset_packs p ON p.id = "
                                          "o.pack_id"));
    for (const Row& r : rows) {
      const std::string& raw = r[0].AsText();  // the digest's 32 bytes
      std::string digest = ToHex(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
      object_sizes[digest] = static_cast<uint64_t>(r[2].AsInt());
      object_packs.emplace_back(std::move(digest), r[1].AsText());
    }
    return Status::Ok();
  }));
  std::unordered_set<std::string> live_manifests;
  std::unordered_set<std::string> reachable;
  for (const VersionRow& v : versions) {
    if (!live_manifests.insert(v.digest).second) continue;
    Result<Manifest> m = ReadManifest(v.digest);
    if (!m.ok()) {
      return DataLoss(
          "gc stopped, nothing was removed: the manifest of {} cannot be read ({}); "
          "run sluice data verify",
          v.label(), m.status().message());
    }
    for (const Entry& e : m->entries) {
      if (e.chunks.empty()) {
        reachable.insert(e.digest);
      } else {
        for (const Chunk& c : e.chunks) reachable.insert(c.digest);
      }
    }
  }
  report.reachable_objects = reachable.size();

  // 2. Packs holding a reachable object are live; the rest of the recorded packs are not.
  std::unordered_set<std::string> live_packs;
  for (const auto& [digest, pack] : object_packs) {
    if (reachable.count(digest) != 0) live_packs.insert(pack);
  }
  for (const auto& [digest, pack] : object_packs) {
    if (reachable.count(digest) == 0 && live_packs.count(pack) != 0) {
      report.dead_bytes_in_live_packs += object_sizes[digest];
    }
  }
  report.live_packs = live_packs.size();
  std::unordered_set<std::string> recorded;
  std::vector<std::string> dead_packs;
  for (const auto& [digest, size] : recorded_packs) {
    recorded.insert(digest);
    if (live_packs.count(digest) == 0) dead_packs.push_back(digest);
  }
  for (const auto& [digest, pack] : object_packs) {
    if (live_packs.count(pack) == 0) ++report.forgotten_objects;
  }

  // 3. Blobs nothing records that are recognizably ours (a pack or a manifest): left by an add
  //    that crashed, or by a version since removed. Other modules' blobs are never touched.
  SLUICE_ASSIGN_OR_RETURN(std::unordered_set<std::string> foreign, ForeignReferences(impl_->db));
  SLUICE_ASSIGN_OR_RETURN(std::vector<storage::BlobInfo> blobs, impl_->blobs.List());
  std::unordered_map<std::string, uint64_t> blob_sizes;
  for (const storage::BlobInfo& b : blobs) blob_sizes[b.digest] = b.size_bytes;
  const auto cutoff = fs::file_time_type::clock::now() -
                      std::chrono::duration_cast<fs::file_time_type::duration>(options.min_age);
  std::vector<std::string> to_delete;
  for (const std::string& p : dead_packs) {
    if (foreign.count(p) == 0 && blob_sizes.count(p) != 0) to_delete.push_back(p);
  }
  if (options.progress != nullptr) options.progress->Start("scanning blobs", blobs.size(), false);
  for (const storage::BlobInfo& b : blobs) {
    if (options.progress != nullptr) options.progress->Advance(1);
    if (recorded.count(b.digest) != 0 || live_manifests.count(b.digest) != 0 ||
        foreign.count(b.digest) != 0) {
      continue;
    }
    Result<std::string> prefix = BlobPrefix(impl_->blobs, b.digest, kManifestPrefix.size());
    if (!prefix.ok()) continue;  // deleted meanwhile, or unreadable: not ours to judge
    const bool pack = prefix->substr(0, internal::kPackMagic.size()) == internal::kPackMagic;
    const bool manifest = *prefix == kManifestPrefix;
    if (!pack && !manifest) continue;
    std::optional<fs::path> local = impl_->blobs.LocalPath(b.digest);
    std::error_code ec;
    if (local) {
      const auto modified = fs::last_write_time(*local, ec);
      if (ec || modified > cutoff) {
        ++report.kept_young_blobs;
        continue;
      }
    }
    to_delete.push_back(b.digest);
    if (manifest) ++report.removed_manifests;
    if (pack) ++report.removed_packs;
  }
  if (options.progress != nullptr) options.progress->Finish();
  report.removed_packs += dead_packs.size();
  for (const std::string& d : to_delete) report.removed_bytes += blob_sizes[d];
  if (options.dry_run) return report;

  // 4. Forget the dead packs' objects first (one transaction, under the lease), then delete the
  //    blobs: a crash in between leaves unrecorded blobs, which the next gc removes.
  SLUICE_RETURN_IF_ERROR(impl_->db.Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(internal::Lease::CheckHeld(c, lease->id()));
    // Writers are excluded by the lease, so this only catches what no lease guards.
    SLUICE_ASSIGN_OR_RETURN(std::vector<Row> rows,
                            c.Query("SELECT name, version, digest FROM dataset_versions"));
    std::set<std::string> now, before;
    for (const Row& r : rows) now.insert(r[2].AsText());
    for (const VersionRow& v : versions) before.insert(v.digest);
    for (const std::string& d : now) {
      if (before.count(d) == 0) {
        return Unavailable("versions changed while gc ran; nothing was removed: run gc again");
      }
    }
    // The object index has no index by pack, so each statement scans it once: many packs a
    // statement.
    constexpr size_t kPacksPerStatement = 500;
    std::vector<Value> params;
    for (size_t start = 0; start < dead_packs.size(); start += kPacksPerStatement) {
      const size_t end = std::min(dead_packs.size(), start + kPacksPerStatement);
      params.assign(dead_packs.begin() + start, dead_packs.begin() + end);
      std::string list = "?";
      for (size_t i = start + 1; i < end; ++i) list += ",?";
      SLUICE_RETURN_IF_ERROR(c.Execute(
          fmt::format("DELETE FROM dataset_objects WHERE pack_id IN (SELECT id FROM dataset_packs "
                      "WHERE digest IN ({}))",
                      list),
          params));
      SLUICE_RETURN_IF_ERROR(
          c.Execute(fmt::format("DELETE FROM dataset_packs WHERE digest IN ({})", list), params));
    }
    return Status::Ok();
  }));
  for (const std::string& d : to_delete) SLUICE_RETURN_IF_ERROR(impl_->blobs.Delete(d));
  return report;
}

}  // namespace sluice::datasets
