#include "tracking/schema.h"

namespace sluice::tracking {
namespace {

// SQL in the subset SQLite and PostgreSQL share. Times are milliseconds since the epoch.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE experiments (
  experiment_id     INTEGER PRIMARY KEY,
  name              TEXT    NOT NULL UNIQUE,
  artifact_location TEXT    NOT NULL,
  lifecycle_stage   TEXT    NOT NULL DEFAULT 'active',
  creation_time     BIGINT  NOT NULL,
  last_update_time  BIGINT  NOT NULL
);
CREATE TABLE experiment_tags (
  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
  key           TEXT    NOT NULL,
  value         TEXT    NOT NULL,
  PRIMARY KEY (experiment_id, key)
);
CREATE TABLE runs (
  run_uuid        TEXT    PRIMARY KEY,
  experiment_id   INTEGER NOT NULL REFERENCES experiments(experiment_id),
  name            TEXT    NOT NULL,
  user_id         TEXT    NOT NULL DEFAULT '',
  status          TEXT    NOT NULL,
  start_time      BIGINT,
  end_time        BIGINT,
  artifact_uri    TEXT    NOT NULL,
  lifecycle_stage TEXT    NOT NULL DEFAULT 'active',
  deleted_time    BIGINT
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time DESC, run_uuid);
CREATE TABLE params (
  run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (run_uuid, key)
);
CREATE INDEX params_by_key ON params (key, value);
CREATE TABLE tags (
  run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (run_uuid, key)
);
CREATE INDEX tags_by_key ON tags (key, value);
-- Every logged point. value is NULL when is_nan = 1 (SQL has no NaN).
CREATE TABLE metrics (
  run_uuid  TEXT    NOT NULL REFERENCES runs(run_uuid),
  key       TEXT    NOT NULL,
  value     DOUBLE PRECISION,
  is_nan    INTEGER NOT NULL DEFAULT 0,
  timestamp BIGINT  NOT NULL,
  step      BIGINT  NOT NULL
);
-- A point logged twice (a client retry) is stored once, as MLflow does.
CREATE UNIQUE INDEX metrics_point ON metrics (run_uuid, key, step, timestamp, value, is_nan);
-- The latest point per (run, key): highest step, then highest timestamp, then highest value.
CREATE TABLE latest_metrics (
  run_uuid  TEXT    NOT NULL REFERENCES runs(run_uuid),
  key       TEXT    NOT NULL,
  value     DOUBLE PRECISION,
  is_nan    INTEGER NOT NULL DEFAULT 0,
  timestamp BIGINT  NOT NULL,
  step      BIGINT  NOT NULL,
  PRIMARY KEY (run_uuid, key)
);
CREATE INDEX latest_metrics_by_key ON latest_metrics (key, value);
CREATE TABLE datasets (
  dataset_uuid  TEXT    PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
  name          TEXT    NOT NULL,
  digest        TEXT    NOT NULL,
  source_type   TEXT    NOT NULL,
  source        TEXT    NOT NULL,
  schema        TEXT,
  profile       TEXT,
  UNIQUE (experiment_id, name, digest)
);
-- A dataset used by a run; context is the input tag mlflow.data.context ('training', ...).
CREATE TABLE run_inputs (
  run_uuid     TEXT NOT NULL REFERENCES runs(run_uuid),
  dataset_uuid TEXT NOT NULL REFERENCES datasets(dataset_uuid),
  PRIMARY KEY (run_uuid, dataset_uuid)
);
CREATE TABLE run_input_tags (
  run_uuid     TEXT NOT NULL,
  dataset_uuid TEXT NOT NULL,
  key          TEXT NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (run_uuid, dataset_uuid, key)
);
-- Files under the mlflow-artifacts root; path is '<experiment_id>/<run_id>/artifacts/<file>'
-- or '<experiment_id>/models/<model_id>/artifacts/<file>'. Bytes live in the blob store.
CREATE TABLE artifacts (
  path         TEXT   PRIMARY KEY,
  digest       TEXT   NOT NULL,
  size_bytes   BIGINT NOT NULL,
  created_time BIGINT NOT NULL
);
-- MLflow 3 logged models.
CREATE TABLE logged_models (
  model_id               TEXT    PRIMARY KEY,
  experiment_id          INTEGER NOT NULL REFERENCES experiments(experiment_id),
  name                   TEXT    NOT NULL,
  artifact_location      TEXT    NOT NULL,
  creation_timestamp     BIGINT  NOT NULL,
  last_updated_timestamp BIGINT  NOT NULL,
  status                 TEXT    NOT NULL,
  status_message         TEXT,
  model_type             TEXT,
  source_run_id          TEXT,
  lifecycle_stage        TEXT    NOT NULL DEFAULT 'active'
);
CREATE TABLE logged_model_tags (
  model_id TEXT NOT NULL REFERENCES logged_models(model_id),
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
);
CREATE TABLE logged_model_params (
  model_id TEXT NOT NULL REFERENCES logged_models(model_id),
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
);
CREATE TABLE run_outputs (
  run_uuid TEXT   NOT NULL REFERENCES runs(run_uuid),
  model_id TEXT   NOT NULL REFERENCES logged_models(model_id),
  step     BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (run_uuid, model_id)
);
)sql";

constexpr storage::Migration kMigrations[] = {
    {1, "experiments, runs, metrics, params, tags, inputs, artifacts, logged models", kV1},
};

}  // namespace

std::span<const storage::Migration> Migrations() { return kMigrations; }

}  // namespace sluice::tracking
