// The metadata database: one interface over SQLite (the embedded default) and, later,
// PostgreSQL. SQL is written once with `?` placeholders in the common subset of both dialects;
// an implementation rewrites placeholders as it needs. Beyond it, SQL may use: WITHOUT ROWID at
// the end of a CREATE TABLE (the row stored in its primary key's B-tree), which other dialects
// drop, their tables being heaps beside a key index either way; BLOB columns (BYTEA), bound as
// storage::Blob; and unhex(text) (decode(text, 'hex')).
//
//   SLUICE_ASSIGN_OR_RETURN(auto db, OpenSqliteDatabase(path));
//   SLUICE_RETURN_IF_ERROR(db->Migrate("tracking", kTrackingMigrations));
//   SLUICE_RETURN_IF_ERROR(db->Write([&](Connection& c) -> Status {
//     return c.Execute("INSERT INTO params(run_uuid, key, value) VALUES (?, ?, ?)", {id, k, v});
//   }));
//
// Thread safety: Database is thread-safe. A callback gets a Connection for its duration only;
// it must not keep it. Concurrent Writes may be group-committed: their callbacks then run one
// after another on one connection, possibly on another caller's thread, so a callback must not
// rely on thread-locals or wait for a thread that is itself inside Write.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/value.h"

namespace sluice::storage {

// Statement parameters: an initializer list at the call site or a vector built up front.
class Params {
 public:
  Params() = default;
  Params(std::initializer_list<Value> values) : values_(values.begin(), values.size()) {}
  Params(const std::vector<Value>& values) : values_(values) {}  // NOLINT: implicit by design
  std::span<const Value> span() const { return values_; }

 private:
  std::span<const Value> values_;
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Runs one statement. Prepared statements are cached per connection by SQL text, so calling
  // this in a loop with the same SQL costs one prepare.
  virtual Status Execute(std::string_view sql, Params params = {}) = 0;

  // Runs one statement and returns every row it yields.
  virtual Result<std::vector<Row>> Query(std::string_view sql, Params params = {}) = 0;

  // Rows inserted, updated or deleted by the last Execute on this connection.
  virtual int64_t ChangedRows() const = 0;
};

// One numbered schema change of one module. Versions start at 1 and never change once released.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // one or more statements
};

class Database {
 public:
  virtual ~Database() = default;

  // Runs `fn` in a write transaction that holds the write lock from its start (SQLite:
  // BEGIN IMMEDIATE), so it never fails half-way for lock upgrade. Commits when `fn` returns
  // OK and rolls back otherwise; when Write returns OK the changes are durable. Waits for other
  // writers (other threads and processes) up to the busy timeout, then returns kUnavailable.
  virtual Status Write(const std::function<Status(Connection&)>& fn) = 0;

  // Runs `fn` in a read transaction: a consistent snapshot, concurrent with writers.
  virtual Status Read(const std::function<Status(Connection&)>& fn) = 0;

  // Applies, in one transaction, the migrations of `module` newer than its recorded version.
  // Safe when several processes open the same database at once. Fails with kFailedPrecondition
  // when the database is newer than this binary knows (a downgrade).
  virtual Status Migrate(std::string_view module, std::span<const Migration> migrations) = 0;

  // The highest applied migration version of `module`; 0 when none is applied.
  virtual Result<int> SchemaVersion(std::string_view module) = 0;

  // "sqlite" or "postgresql": for the few statements whose text must differ.
  virtual std::string_view dialect() const = 0;
};

}  // namespace sluice::storage
