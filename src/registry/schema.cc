#include "registry/schema.h"

namespace sluice::registry {
namespace {

// SQL in the subset SQLite and PostgreSQL share. Times are milliseconds since the epoch.
// Ids of audit entries and events are assigned as MAX + 1 inside the write transaction (writes
// are serialized), so neither AUTOINCREMENT nor SERIAL is needed.
constexpr std::string_view kV1 = R"sql(
-- last_version only grows, so a deleted version's number is never given out again.
CREATE TABLE registered_models (
  name                   TEXT   PRIMARY KEY,
  model_uid              TEXT   NOT NULL UNIQUE,
  creation_timestamp     BIGINT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  description            TEXT   NOT NULL DEFAULT '',
  last_version           BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE registered_model_tags (
  name  TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (name, key)
);
CREATE TABLE model_versions (
  name                   TEXT    NOT NULL,
  version                INTEGER NOT NULL,
  creation_timestamp     BIGINT  NOT NULL,
  last_updated_timestamp BIGINT  NOT NULL,
  user_id                TEXT    NOT NULL DEFAULT '',
  current_stage          TEXT    NOT NULL DEFAULT 'None',
  description            TEXT    NOT NULL DEFAULT '',
  source                 TEXT    NOT NULL,
  run_id                 TEXT    NOT NULL DEFAULT '',
  status                 TEXT    NOT NULL DEFAULT 'READY',
  status_message         TEXT    NOT NULL DEFAULT '',
  run_link               TEXT    NOT NULL DEFAULT '',
  model_id               TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (name, version)
);
CREATE INDEX model_versions_by_run ON model_versions (run_id);
CREATE TABLE model_version_tags (
  name    TEXT    NOT NULL,
  version INTEGER NOT NULL,
  key     TEXT    NOT NULL,
  value   TEXT    NOT NULL,
  PRIMARY KEY (name, version, key)
);
CREATE TABLE registered_model_aliases (
  name    TEXT    NOT NULL,
  alias   TEXT    NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (name, alias)
);
-- Append-only. before/after are JSON objects ('' when there was none). alias is set on entries
-- that move an alias, so rollback finds the last move with one indexed query.
CREATE TABLE registry_audit (
  id        BIGINT PRIMARY KEY,
  model_uid TEXT   NOT NULL,
  time    BIGINT NOT NULL,
  actor   TEXT   NOT NULL,
  action  TEXT   NOT NULL,
  name    TEXT   NOT NULL,
  version TEXT   NOT NULL DEFAULT '',
  alias   TEXT   NOT NULL DEFAULT '',
  before  TEXT   NOT NULL DEFAULT '',
  after   TEXT   NOT NULL DEFAULT '',
  reason  TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX registry_audit_by_model ON registry_audit (model_uid, id);
CREATE INDEX registry_audit_by_name ON registry_audit (name, id);
CREATE INDEX registry_audit_by_alias ON registry_audit (model_uid, alias, id);
CREATE TABLE registry_events (
  sequence BIGINT PRIMARY KEY,
  time     BIGINT NOT NULL,
  type     TEXT   NOT NULL,
  name     TEXT   NOT NULL,
  version  TEXT   NOT NULL DEFAULT '',
  alias    TEXT   NOT NULL DEFAULT '',
  stage    TEXT   NOT NULL DEFAULT ''
);
)sql";

constexpr storage::Migration kMigrations[] = {
    {1, "registry tables", kV1},
};

}  // namespace

std::span<const storage::Migration> Migrations() { return kMigrations; }

}  // namespace sluice::registry
