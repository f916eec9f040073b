// DatasetStore::ImportDvc: a DVC-tracked output into a Sluice version.
//
// DVC 3.x (outs with `hash: md5`) keeps a file's bytes at <cache>/files/md5/<h[0:2]>/<h[2:]>,
// where h is the md5 of the raw bytes; a folder's output is a ".dir" object (md5 + ".dir"),
// a JSON list of {"md5", "relpath"} whose md5 is that of its own bytes. DVC 2.x (no `hash`)
// used <cache>/<h[0:2]>/<h[2:]> and, for files it took for text, the md5 of the bytes with
// CRLF turned into LF; both are accepted.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <fstream>
#include <mutex>

#include "base/file_util.h"
#include "base/random.h"
#include "datasets/dataset_store.h"
#include "datasets/internal/md5.h"
#include "datasets/internal/store_impl.h"
#include "datasets/manifest.h"

namespace sluice::datasets {

namespace fs = std::filesystem;
using storage::Connection;
using Json = nlohmann::json;

namespace {

bool IsMd5Hex(std::string_view text) {
  if (text.size() != 32) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

struct DvcOut {
  std::string md5;  // without ".dir"
  bool is_dir = false;
  bool legacy = false;  // 2.x: no `hash: md5`
  std::string path;
};

Result<DvcOut> ReadDvcFile(const fs::path& file) {
  SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
  const std::string shown = file.string();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("'{}' is not YAML: {}", shown, e.what());
  }
  DvcOut out;
  try {
    if (!root.IsMap() || !root["outs"] || !root["outs"].IsSequence() || root["outs"].size() == 0) {
      return InvalidArgument("'{}' has no outs: not a .dvc file of dvc add", shown);
    }
    if (root["outs"].size() > 1) {
      return Unimplemented("'{}' has {} outs; import-dvc takes .dvc files with one output", shown,
                           root["outs"].size());
    }
    const YAML::Node o = root["outs"][0];
    if (!o["md5"]) {
      return Unimplemented(
          "'{}': its output has no md5 (etag or checksum outputs of external "
          "storage are not importable)",
          shown);
    }
    if (!o["path"]) return InvalidArgument("'{}': its output has no path", shown);
    std::string md5 = o["md5"].as<std::string>();
    out.path = o["path"].as<std::string>();
    out.legacy = !o["hash"];
    if (o["hash"] && o["hash"].as<std::string>() != "md5") {
      return Unimplemented("'{}': hash '{}' is not supported (md5 only)", shown,
                           o["hash"].as<std::string>());
    }
    if (md5.ends_with(".dir")) {
      out.is_dir = true;
      md5.resize(md5.size() - 4);
    }
    if (!IsMd5Hex(md5))
      return InvalidArgument("'{}': md5 '{}' is not 32 hex characters", shown, md5);
    out.md5 = md5;
  } catch (const YAML::Exception& e) {
    return InvalidArgument("'{}': {}", shown, e.what());
  }
  if (out.path.empty() || fs::path(out.path).is_absolute()) {
    return Unimplemented("'{}': output path '{}' is not relative to the .dvc file", file.string(),
                         out.path);
  }
  return out;
}

// The repository holding `start` (the nearest folder with a .dvc/ folder).
Result<fs::path> FindDvcRepo(const fs::path& start) {
  for (fs::path dir = start;; dir = dir.parent_path()) {
    std::error_code ec;
    if (fs::is_directory(dir / ".dvc", ec)) return dir;
    if (dir == dir.root_path() || dir.empty()) break;
  }
  return NotFound("no DVC repository (a .dvc/ folder) at or above '{}'; pass --cache",
                  start.string());
}

// [cache] dir = ... from .dvc/config.local or .dvc/config, relative to .dvc/.
fs::path ConfiguredCache(const fs::path& repo) {
  for (const char* name : {"config.local", "config"}) {
    std::ifstream in(repo / ".dvc" / name);
    std::string line;
    bool in_cache = false;
    while (std::getline(in, line)) {
      const size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos) continue;
      line = line.substr(start);
      if (line.front() == '[') {
        in_cache = line.starts_with("[cache]");
        continue;
      }
      if (!in_cache || !line.starts_with("dir")) continue;
      const size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      value.erase(value.find_last_not_of(" \t\r") + 1);
      if (!value.empty()) return (repo / ".dvc" / value).lexically_normal();
    }
  }
  return repo / ".dvc" / "cache";
}

// Where DVC keeps the object with this md5 (3.x layout first, then 2.x).
Result<fs::path> CacheObject(const fs::path& cache, const std::string& md5, bool dir) {
  const std::string name = md5.substr(2) + (dir ? ".dir" : "");
  for (const fs::path& candidate :
       {cache / "files" / "md5" / md5.substr(0, 2) / name, cache / md5.substr(0, 2) / name}) {
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  return NotFound("DVC cache object {}{} is not in '{}' (run dvc pull or dvc fetch first)", md5,
                  dir ? ".dir" : "", cache.string());
}

// The md5 of the file's bytes and, for 2.x, of the bytes with CRLF as LF.
Status CheckMd5(const fs::path& file, const std::string& expected, bool legacy,
                const std::string& shown) {
  internal::Md5 raw, unix_lines;
  bool pending_cr = false;
  SLUICE_RETURN_IF_ERROR(ReadFileInChunks(file, [&](std::string_view chunk) {
    raw.Update(chunk);
    if (legacy) {
      std::string converted;
      converted.reserve(chunk.size() + 1);
      for (char c : chunk) {
        if (pending_cr && c != '\n') converted += '\r';
        pending_cr = c == '\r';
        if (!pending_cr) converted += c;
      }
      unix_lines.Update(converted);
    }
    return Status::Ok();
  }));
  if (pending_cr) unix_lines.Update("\r");
  const std::string got = raw.FinishHex();
  if (got == expected) return Status::Ok();
  if (legacy && unix_lines.FinishHex() == expected) return Status::Ok();
  return DataLoss("{}: md5 is {}, the .dvc file says {} (the DVC cache is corrupt)", shown, got,
                  expected);
}

}  // namespace

Result<AddResult> DatasetStore::ImportDvc(const fs::path& dvc_file,
                                          const ImportDvcOptions& options) {
  SLUICE_RETURN_IF_ERROR(ValidateDatasetName(options.name));
  const fs::path file = fs::absolute(dvc_file).lexically_normal();
  SLUICE_ASSIGN_OR_RETURN(DvcOut out, ReadDvcFile(file));
  fs::path cache = options.cache_dir;
  if (cache.empty()) {
    SLUICE_ASSIGN_OR_RETURN(fs::path repo, FindDvcRepo(file.parent_path()));
    cache = ConfiguredCache(repo);
  }
  cache = fs::absolute(cache);
  const fs::path data_path = (file.parent_path() / out.path).lexically_normal();
  std::string rel;
  if (IsWithinRoot(data_path) && data_path != root_)
    rel = data_path.lexically_relative(root_).generic_string();

  // The files, from the .dir manifest for a folder; each read from its own cache object.
  std::vector<internal::SourceFile> files;
  std::vector<std::string> abs_paths;
  std::vector<std::string> md5s;
  if (out.is_dir) {
    SLUICE_ASSIGN_OR_RETURN(fs::path dir_object, CacheObject(cache, out.md5, true));
    SLUICE_RETURN_IF_ERROR(CheckMd5(dir_object, out.md5, false, dir_object.string()));
    SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(dir_object));
    Json list = Json::parse(text, nullptr, false);
    if (list.is_discarded() || !list.is_array()) {
      return DataLoss("'{}' is not a DVC .dir manifest", dir_object.string());
    }
    for (const Json& item : list) {
      if (!item.is_object() || !item.contains("md5") || !item.contains("relpath") ||
          !item["md5"].is_string() || !item["relpath"].is_string()) {
        return DataLoss("'{}': an entry lacks md5 or relpath", dir_object.string());
      }
      const std::string md5 = item["md5"];
      const std::string relpath = item["relpath"];
      if (!IsMd5Hex(md5) || !IsValidEntryPath(relpath)) {
        return DataLoss("'{}': bad entry '{}'", dir_object.string(), relpath);
      }
      SLUICE_ASSIGN_OR_RETURN(fs::path object, CacheObject(cache, md5, false));
      files.push_back({relpath, 0, {}, {}});
      abs_paths.push_back(object.string());
      md5s.push_back(md5);
    }
    std::vector<size_t> order(files.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return files[a].rel < files[b].rel; });
    std::vector<internal::SourceFile> sorted;
    std::vector<std::string> sorted_abs, sorted_md5;
    for (size_t i : order) {
      if (!sorted.empty() && sorted.back().rel == files[i].rel) {
        return DataLoss("DVC .dir manifest lists '{}' twice", files[i].rel);
      }
      sorted.push_back(std::move(files[i]));
      sorted_abs.push_back(abs_paths[i]);
      sorted_md5.push_back(md5s[i]);
    }
    files = std::move(sorted);
    abs_paths = std::move(sorted_abs);
    md5s = std::move(sorted_md5);
  } else {
    SLUICE_ASSIGN_OR_RETURN(fs::path object, CacheObject(cache, out.md5, false));
    files.push_back({fs::path(out.path).filename().string(), 0, {}, {}});
    abs_paths.push_back(object.string());
    md5s.push_back(out.md5);
  }
  // Each file is read from its cache object: folder dirs[i], name = the object's file name.
  internal::Sources sources;
  sources.shown = out.path;
  sources.single_file = !out.is_dir;
  for (size_t i = 0; i < files.size(); ++i) {
    const fs::path object(abs_paths[i]);
    struct stat st;
    if (::stat(object.c_str(), &st) != 0) return ErrnoError(errno, "cannot stat", object);
    files[i].stat = internal::FileStatOf(st);
    // DVC caches files read-only; their mode there says nothing about the original.
    files[i].stat.mode = 0644;
    files[i].dir = static_cast<uint32_t>(sources.dirs.size());
    files[i].name = object.filename().string();
    sources.dirs.push_back(object.parent_path().string());
  }

  // Every file's md5, in parallel.
  std::mutex mutex;
  Status first_error;
  impl_->ForEach(files.size(), [&](size_t i) {
    const std::string shown = out.is_dir ? out.path + "/" + files[i].rel : out.path;
    Status s = CheckMd5(abs_paths[i], md5s[i], out.legacy, shown);
    if (!s.ok()) {
      std::lock_guard lock(mutex);
      if (first_error.ok()) first_error = std::move(s);
    }
  });
  SLUICE_RETURN_IF_ERROR(first_error);

  SLUICE_ASSIGN_OR_RETURN(
      std::unique_ptr<internal::Lease> lease,
      impl_->AcquireLease(internal::LeaseKind::kWrite, "import-dvc " + file.filename().string()));
  std::optional<VersionInfo> previous;
  SLUICE_RETURN_IF_ERROR(impl_->db.Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(previous, impl_->Latest(c, options.name));
    return Status::Ok();
  }));
  internal::PackSet packs(impl_->blobs, options_.pack_target_bytes);
  const DatasetKind kind = out.is_dir ? DatasetKind::kFolder : DatasetKind::kFile;
  sources.files = std::move(files);
  internal::StatCache no_cache(options_.chunking);
  Result<Ingested> ingested =
      impl_->IngestSources(sources, no_cache, options_.chunking, kind, &packs, options.progress,
                           "importing " + out.path);
  Status finished = ingested.ok() ? packs.Finish() : ingested.status();
  if (!finished.ok()) {
    packs.DiscardCommitted();
    return finished;
  }
  Result<std::string> digest = impl_->StoreManifest(ingested->manifest);
  if (!digest.ok()) {
    packs.DiscardCommitted();
    return digest.status();
  }
  NewVersion nv;
  nv.name = options.name;
  nv.digest = *digest;
  nv.kind = kind;
  nv.path = rel;
  nv.size_bytes = ingested->manifest.TotalBytes();
  nv.file_count = ingested->manifest.entries.size();
  nv.stored_bytes = packs.stored_bytes();
  nv.user = options.user;
  nv.message = options.message;
  nv.source = "import-dvc " + (IsWithinRoot(file) ? file.lexically_relative(root_).generic_string()
                                                  : file.string());
  nv.chunking = options_.chunking;
  nv.packs = packs.packs();
  nv.lease_id = lease->id();
  if (previous && previous->digest != nv.digest) {
    Result<Manifest> old = ReadManifest(previous->digest);
    if (old.ok()) nv.changes = Impl::CountChanges(*old, ingested->manifest, previous->version);
  }
  // Cache objects have no extension, which the table readers go by: profile through links
  // named like the files.
  {
    const fs::path links = root_ / ".sluice" / "datasets" / fmt::format("import-{}", RandomHex(8));
    std::error_code ec;
    fs::create_directories(links, ec);
    std::unordered_map<std::string, fs::path> by_path;
    for (size_t i = 0; i < sources.files.size(); ++i) by_path[sources.files[i].rel] = abs_paths[i];
    size_t counter = 0;
    nv.table_info = impl_->ProfileTables(
        ingested->manifest,
        [&](const Entry& e) {
          const fs::path link =
              links / fmt::format("{}-{}", counter++, fs::path(e.path).filename().string());
          std::error_code link_ec;
          fs::create_symlink(by_path[e.path], link, link_ec);
          return link;
        },
        previous ? previous->table_info : Json(nullptr));
    fs::remove_all(links, ec);
  }
  Result<std::pair<VersionInfo, bool>> recorded = impl_->RecordVersion(nv);
  if (!recorded.ok()) {
    packs.DiscardCommitted();
    return recorded.status();
  }
  AddResult result;
  result.version = std::move(recorded->first);
  result.unchanged = recorded->second;
  result.files = sources.files.size();
  result.hashed_files = ingested->hashed_files;
  result.hashed_bytes = ingested->hashed_bytes;
  for (const auto& p : nv.packs) result.new_objects += p.objects.size();
  result.new_bytes = nv.stored_bytes;
  return result;
}

}  // namespace sluice::datasets
