// Versioned datasets: a file or folder of the workspace recorded as an immutable version
// (name@N) whose manifest and bytes live in the blob store, so that the exact bytes a model was
// trained on can be restored years later.
//
//   SLUICE_ASSIGN_OR_RETURN(auto store, DatasetStore::Open(db, blobs, workspace_root, clock));
//   SLUICE_ASSIGN_OR_RETURN(AddResult added, store->Add("data/churn.csv", {.name = "churn"}));
//   SLUICE_ASSIGN_OR_RETURN(VersionInfo v, store->Get("churn@2"));        // or churn@gold, churn
//   SLUICE_ASSIGN_OR_RETURN(CheckoutResult out, store->Checkout("churn@1", {}));
//
// Storage (docs/formats/dataset-manifest.md): a version is a manifest (entries of path, mode,
// size, digest and, for large files, content-defined chunks) stored as a blob; the bytes are
// objects (whole small files and chunks) stored in packs; the metadata database holds the version
// records, tags, the object index, the stat cache, remotes and leases. A version is recorded only
// after its packs and manifest are durable, so a crash at any point leaves either no version or a
// complete one; the user's files are only ever read by add.
//
// Thread safety: a DatasetStore is thread-safe; operations may run concurrently, also from
// several processes sharing a workspace. Writers (Add, ImportDvc, Pull) and Gc exclude each other
// through leases in the database (gc waits for writers and writers wait for gc).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "base/thread_pool.h"
#include "datasets/chunker.h"
#include "datasets/table_profile.h"
#include "datasets/types.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace sluice::datasets {

struct StoreOptions {
  ChunkingParams chunking;
  // Threads hashing, copying and verifying, the calling thread included (1 = no other thread);
  // 0 = ThreadPool::DefaultThreads().
  size_t threads = 0;
  // A pack is closed (and fsynced) once it holds this many bytes.
  uint64_t pack_target_bytes = 64 << 20;
  ProfileOptions profile;
  // Leases between writers and gc: renewed every ttl / 3, waited for up to `lease_wait`.
  std::chrono::milliseconds lease_ttl{60'000};
  std::chrono::milliseconds lease_wait{60'000};
};

struct AddOptions {
  std::string name;  // required
  std::string message;
  std::string user;  // recorded as created_by
  bool write_pointer = true;
  bool profile_tables = true;
  Progress* progress = nullptr;
};

struct AddResult {
  VersionInfo version;
  // The data equals the latest version already: no version was added and `version` is it.
  bool unchanged = false;
  uint64_t files = 0;
  uint64_t hashed_files = 0;  // files read; the others were unchanged by their stat
  uint64_t hashed_bytes = 0;
  uint64_t new_objects = 0;
  uint64_t new_bytes = 0;
  std::filesystem::path pointer;  // the pointer file written, or empty
  std::vector<std::string> notes;
};

struct FileChange {
  std::string path;
  uint64_t size_before = 0;
  uint64_t size_after = 0;
};

enum class PathState { kUnchanged, kModified, kMissing };
std::string_view PathStateName(PathState state);  // "unchanged", "modified", "missing"

// A tracked path (the path of a dataset's latest version) against its version.
struct PathStatus {
  VersionInfo version;
  PathState state = PathState::kUnchanged;
  std::vector<FileChange> added, removed, modified;
  uint64_t files = 0;
  uint64_t hashed_files = 0;  // files read because their stat changed
};

struct DiffResult {
  VersionInfo from, to;
  std::vector<FileChange> added, removed, modified;
  uint64_t unchanged = 0;
  // Per table file present in both: DiffTableProfiles(before, after); {} when none.
  nlohmann::json tables = nlohmann::json::object();
};

struct CheckoutOptions {
  // Where to write; empty = the version's own path in the workspace. For a file version, an
  // existing folder means "into this folder".
  std::filesystem::path dest;
  // Overwrite (and for folders, delete) files whose content no version holds.
  bool force = false;
  Progress* progress = nullptr;
};

struct CheckoutResult {
  VersionInfo version;
  std::filesystem::path dest;
  uint64_t written_files = 0;
  uint64_t written_bytes = 0;
  uint64_t unchanged_files = 0;  // already right, not rewritten
  uint64_t removed_files = 0;    // in the destination folder but not in the version
};

struct VerifyProblem {
  std::string object;  // digest of the bad object, pack or manifest
  std::string what;
  std::vector<std::string> refs;  // "churn@2: data/a.csv"
};

struct VerifyReport {
  uint64_t versions = 0;
  uint64_t objects = 0;
  uint64_t bytes = 0;
  std::vector<VerifyProblem> problems;
  bool ok() const { return problems.empty(); }
};

struct GcOptions {
  bool dry_run = false;
  // Unreferenced blobs the database has no record of (written by an add that crashed, or is
  // still running on another host whose lease lapsed) are removed only when older than this.
  std::chrono::seconds min_age{3600};
  Progress* progress = nullptr;
};

struct GcReport {
  bool dry_run = false;
  uint64_t reachable_objects = 0;
  uint64_t live_packs = 0;
  uint64_t removed_packs = 0;
  uint64_t removed_manifests = 0;
  uint64_t removed_bytes = 0;      // bytes of blobs removed (or that would be)
  uint64_t forgotten_objects = 0;  // index rows of unreachable objects dropped
  // Bytes of unreachable objects inside packs that still hold reachable ones (kept).
  uint64_t dead_bytes_in_live_packs = 0;
  uint64_t kept_young_blobs = 0;  // unreferenced, but younger than min_age
};

struct DatasetSummary {
  std::string name;
  int64_t versions = 0;
  VersionInfo latest;
};

struct ResolvedData {
  VersionInfo version;
  // A file or folder holding exactly the version's bytes: the workspace path when it is
  // unchanged, else a read-only copy under .sluice/datasets/cache/<digest>/.
  std::filesystem::path path;
};

struct RemoteInfo {
  std::string name;
  std::string url;
  bool is_default = false;
};

struct TransferOptions {
  std::string remote;  // empty = the default remote
  // Datasets (or refs) to transfer; empty = every version.
  std::vector<std::string> refs;
  Progress* progress = nullptr;
};

struct TransferReport {
  std::string remote;
  uint64_t versions = 0;               // version records sent or received
  uint64_t packs = 0;                  // packs copied
  uint64_t manifests = 0;              // manifests copied
  uint64_t bytes = 0;                  // bytes copied
  uint64_t already_there = 0;          // objects the other side had
  std::vector<std::string> conflicts;  // versions that differ on the two sides (not copied)
};

struct ImportDvcOptions {
  std::string name;  // required
  std::string message;
  std::string user;
  // The DVC cache; empty = <repo>/.dvc/cache for the repository holding the .dvc file.
  std::filesystem::path cache_dir;
  Progress* progress = nullptr;
};

class DatasetStore {
 public:
  // Applies the module's migrations. `workspace_root` is the folder holding .sluice/.
  static Result<std::unique_ptr<DatasetStore>> Open(storage::Database& database,
                                                    storage::BlobStore& blobs,
                                                    std::filesystem::path workspace_root,
                                                    const Clock& clock, StoreOptions options = {});
  ~DatasetStore();

  // Records the file or folder `path` (relative paths resolve against the current folder) as
  // the next version of options.name, storing only objects the store lacks, and writes the
  // pointer file beside it. When the data equals the latest version nothing is added
  // (unchanged). Errors, none of which records anything: kNotFound for a missing path,
  // kPermissionDenied for a path outside the workspace or an unreadable file or folder,
  // kInvalidArgument for a symlink loop, a bad name or something that is not a file or folder.
  Result<AddResult> Add(const std::filesystem::path& path, const AddOptions& options);

  // The tracked paths (each dataset's latest version, or only `name`'s) against the workspace.
  // Unchanged files are recognized by their stat alone.
  Result<std::vector<PathStatus>> CheckStatus(std::string_view name = "",
                                              Progress* progress = nullptr);

  // "churn", "churn@3", "churn@gold": kNotFound naming what is missing.
  Result<VersionInfo> Get(std::string_view ref);
  // Every version of `name`, newest first.
  Result<std::vector<VersionInfo>> Log(std::string_view name);
  Result<std::vector<DatasetSummary>> List();
  // The manifest of a version (by its digest), checked against the digest.
  Result<Manifest> ReadManifest(std::string_view digest);

  // Writes a version's files, each checked against its digest while it is written: all files
  // are written to temporary siblings first and renamed into place only when every one is
  // complete, so a corrupt object (kDataLoss) changes nothing. A file whose current content no
  // version holds is not overwritten without options.force (kFailedPrecondition listing them).
  Result<CheckoutResult> Checkout(std::string_view ref, const CheckoutOptions& options);
  // The same from a pointer file: the version it names, to the path beside it.
  Result<CheckoutResult> CheckoutPointer(const std::filesystem::path& pointer,
                                         const CheckoutOptions& options);

  // Points `tag` at the version `ref` names. kAlreadyExists when the tag points at another
  // version, unless `force` moves it.
  Status Tag(std::string_view ref, std::string_view tag, bool force);
  Status DeleteTag(std::string_view name, std::string_view tag);

  Result<DiffResult> Diff(std::string_view from_ref, std::string_view to_ref);

  // Records a check of `version` against a suite (record.created_at is set here); kNotFound when
  // the version was removed meanwhile.
  Status RecordValidation(const VersionInfo& version, ValidationRecord record);
  // The checks of version `version` of `name`, newest first.
  Result<std::vector<ValidationRecord>> Validations(std::string_view name, int64_t version);

  // Reads every object of the version `ref` names (of every version when empty) and checks it
  // against its digest. Problems are reported, not returned as errors.
  Result<VerifyReport> Verify(std::string_view ref = "", Progress* progress = nullptr);

  // Removes version `version` of `name` (or every version when nullopt). kFailedPrecondition
  // when a tag points at it, unless `force` (which removes those tags). The bytes stay until gc.
  Status Remove(std::string_view name, std::optional<int64_t> version, bool force);

  // Deletes packs and manifests no version reaches. Safe against concurrent adds: it holds the
  // gc lease, so it waits for running writers and they wait for it.
  Result<GcReport> Gc(const GcOptions& options);

  // A path holding the bytes of `ref`, and the version (whose digest a run records).
  Result<ResolvedData> Resolve(std::string_view ref);

  // The entries `files` would have in a version (digests with this store's chunking), without
  // storing anything.
  Result<std::vector<Entry>> Hash(const std::vector<std::filesystem::path>& files,
                                  Progress* progress = nullptr);

  // Remotes (remote.cc): folders holding objects/ (a blob store of packs and manifests),
  // index/<pack>.idx and versions/<name>/<version>.json.
  Status AddRemote(std::string_view name, std::string_view url, bool make_default);
  Status RemoveRemote(std::string_view name);
  Result<std::vector<RemoteInfo>> ListRemotes();
  // Copies what the remote lacks: packs first, then manifests, then version records, so a
  // record on the remote always has its bytes there. Resumable: a rerun copies only the rest.
  Result<TransferReport> Push(const TransferOptions& options);
  // Copies version records the workspace lacks and the packs that hold their objects.
  Result<TransferReport> Pull(const TransferOptions& options);

  // DVC interoperability (dvc_import.cc): records the output of a DVC 3.x (or 2.x) .dvc file as
  // the next version of options.name, reading the bytes from the DVC cache and checking each
  // file's md5 against the .dvc file and the .dir manifest.
  Result<AddResult> ImportDvc(const std::filesystem::path& dvc_file,
                              const ImportDvcOptions& options);

  const std::filesystem::path& workspace_root() const { return root_; }
  const StoreOptions& options() const { return options_; }

 private:
  struct Impl;
  bool IsWithinRoot(const std::filesystem::path& path) const;
  DatasetStore(std::unique_ptr<Impl> impl, std::filesystem::path root, StoreOptions options);
  std::unique_ptr<Impl> impl_;
  std::filesystem::path root_;
  StoreOptions options_;
};

// For commands that take a data path: nullopt when `argument` names an existing file or folder
// (relative to the current folder), which then wins; else the dataset version it names
// (ParseRef) resolved to a path holding its bytes. kNotFound when it is neither, naming both.
Result<std::optional<ResolvedData>> ResolveDataArgument(DatasetStore& store,
                                                        std::string_view argument);

}  // namespace sluice::datasets
