#include "datasets/schema.h"

namespace sluice::datasets {
namespace {

// SQL in the subset SQLite and PostgreSQL share. Times are milliseconds since the epoch.
// (tracking already owns a table named `datasets`: the MLflow dataset inputs of runs.)
constexpr std::string_view kV1 = R"sql(
-- last_version only grows, so a removed version's number is never given out again.
CREATE TABLE versioned_datasets (
  name         TEXT   PRIMARY KEY,
  created_at   BIGINT NOT NULL,
  last_version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE dataset_versions (
  name         TEXT   NOT NULL REFERENCES versioned_datasets(name),
  version      BIGINT NOT NULL,
  digest       TEXT   NOT NULL,
  kind         TEXT   NOT NULL,
  path         TEXT   NOT NULL,
  size_bytes   BIGINT NOT NULL,
  file_count   BIGINT NOT NULL,
  stored_bytes BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  created_by   TEXT   NOT NULL,
  message      TEXT   NOT NULL DEFAULT '',
  source       TEXT   NOT NULL DEFAULT '',
  table_info   TEXT,
  changes      TEXT,
  chunking     TEXT   NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE INDEX dataset_versions_by_digest ON dataset_versions (digest);
CREATE TABLE dataset_tags (
  name       TEXT   NOT NULL,
  tag        TEXT   NOT NULL,
  version    BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (name, tag),
  FOREIGN KEY (name, version) REFERENCES dataset_versions(name, version)
);
-- Packs are blobs holding many objects (whole small files and chunks of large ones). id is
-- assigned as MAX + 1 inside the write transaction (writes are serialized); objects refer to it
-- rather than to the 64-character digest, which keeps the object index small.
CREATE TABLE dataset_packs (
  id           BIGINT PRIMARY KEY,
  digest       TEXT   NOT NULL UNIQUE,
  size_bytes   BIGINT NOT NULL,
  object_count BIGINT NOT NULL,
  created_at   BIGINT NOT NULL
);
-- Where each stored object is: one location per digest. Version 3 rebuilds this table.
CREATE TABLE dataset_objects (
  digest      TEXT   PRIMARY KEY,
  pack_id     BIGINT NOT NULL REFERENCES dataset_packs(id),
  pack_offset BIGINT NOT NULL,
  size_bytes  BIGINT NOT NULL
);
CREATE INDEX dataset_objects_by_pack ON dataset_objects (pack_id);
-- The stat cache of one tracked path: (device, inode, size, mtime_ns, ctime_ns) -> digest for
-- each file under it, as compact text (docs/formats/dataset-manifest.md), one row per root so
-- a status of 100,000 files reads one row. Since the caches became files in .sluice/stat-cache/
-- (datasets/internal/stat_cache.h), rows here are only read, for workspaces of earlier versions.
CREATE TABLE dataset_stat_cache (
  root       TEXT   PRIMARY KEY,
  entries    TEXT   NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE dataset_remotes (
  name       TEXT    PRIMARY KEY,
  url        TEXT    NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT  NOT NULL
);
-- Writers (add, import, pull) and gc exclude each other through these leases.
CREATE TABLE dataset_leases (
  id         TEXT   PRIMARY KEY,
  kind       TEXT   NOT NULL,
  host       TEXT   NOT NULL,
  pid        BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  command    TEXT   NOT NULL
);
)sql";

// `sluice validate run NAME@N` records each check of a version; `result` is Great Expectations'
// validation result (JSON), small since unexpected lists are capped. Ids are MAX + 1 inside the
// write transaction, as in the registry.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE dataset_validations (
  id           BIGINT  PRIMARY KEY,
  name         TEXT    NOT NULL,
  version      BIGINT  NOT NULL,
  suite        TEXT    NOT NULL,
  success      INTEGER NOT NULL,
  evaluated    BIGINT  NOT NULL,
  failed       BIGINT  NOT NULL,
  rows_checked BIGINT  NOT NULL,
  created_at   BIGINT  NOT NULL,
  created_by   TEXT    NOT NULL,
  result       TEXT    NOT NULL,
  FOREIGN KEY (name, version) REFERENCES dataset_versions(name, version)
);
CREATE INDEX dataset_validations_by_version ON dataset_validations (name, version);
)sql";

// The object index as one B-tree keyed by the raw digest. Version 1's table was three B-trees:
// the rowid table, its key on the hex digest, and an index by pack whose entries land at random
// places when a version's objects go in digest order. Measured on 100,000 new objects: 0.31-0.45
// s to insert with version 1, 0.14-0.18 s keyed by hex text, 0.08-0.10 s by the raw 32 bytes.
// Without the index by pack, a foreign key on pack_id would scan the whole table for each pack
// row gc deletes, so gc keeps objects and packs consistent itself (one transaction deletes a
// pack's objects, then the pack). Every digest was written as 64 hex digits; one that is not
// would decode to NULL and is left out.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE dataset_objects_v3 (
  digest      BLOB   PRIMARY KEY,
  pack_id     BIGINT NOT NULL,
  pack_offset BIGINT NOT NULL,
  size_bytes  BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO dataset_objects_v3 (digest, pack_id, pack_offset, size_bytes)
  SELECT unhex(digest), pack_id, pack_offset, size_bytes FROM dataset_objects
  WHERE unhex(digest) IS NOT NULL ORDER BY digest;
DROP TABLE dataset_objects;
ALTER TABLE dataset_objects_v3 RENAME TO dataset_objects;
)sql";

constexpr storage::Migration kMigrations[] = {
    {1, "versioned datasets, versions, tags, packs, objects, stat cache, remotes, leases", kV1},
    {2, "validation results of dataset versions", kV2},
    {3, "the object index as one B-tree keyed by the raw digest", kV3},
};

}  // namespace

std::span<const storage::Migration> Migrations() { return kMigrations; }

}  // namespace sluice::datasets
