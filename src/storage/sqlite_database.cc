#include "storage/sqlite_database.h"

#include <sqlite3.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sluice::storage {
namespace {

using Clock = std::chrono::steady_clock;

// Measured (ext4 on a virtual disk, WAL mode, two runs each):
//   1000 one-row transactions:      FULL 3.9-6.6 s (an fsync of the WAL per commit, ~4-6 ms),
//                                   NORMAL 50-76 ms
//   100 transactions of 1000 rows:  FULL 400-450 ms, NORMAL 135-150 ms
// FULL is the default because "nothing acknowledged is ever lost": callers that log many rows
// (metrics) should batch them into one Write, which makes the fsync cost per row negligible.
// (SqliteBench.SynchronousFullVsNormal in tests/storage measures it again.)

// Statements are cached per connection; dynamic SQL (IN lists of varying length) must not grow
// the cache without bound, so it is dropped wholesale past this size.
constexpr size_t kMaxCachedStatements = 256;

// After a burst of concurrent callers the pool keeps this many connections open and closes the
// rest; each holds a file descriptor and its statement cache.
constexpr size_t kMaxIdleConnections = 32;

// SQL text in error messages: the first ~80 characters on one line.
std::string SqlSnippet(std::string_view sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= 80) {
      out += "...";
      break;
    }
  }
  return out;
}

StatusCode CodeOf(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? StatusCode::kAlreadyExists
                 : StatusCode::kFailedPrecondition;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    default:
      return StatusCode::kInternal;
  }
}

// Reads sqlite3_errmsg, so call it right after the failing call on the same connection.
Status SqliteError(int rc, sqlite3* db, std::string_view sql) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Status(CodeOf(rc), fmt::format("sqlite: {} [SQL: {}]", message, SqlSnippet(sql)));
}

bool IsBusy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Leaves a cached statement ready for its next use and releases any read lock it holds.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

bool OnlyWhitespace(const char* text) {
  for (; *text != '\0'; ++text) {
    if (*text != ' ' && *text != '\n' && *text != '\r' && *text != '\t' && *text != ';') {
      return false;
    }
  }
  return true;
}

// One sqlite3 handle with its statement cache. Used by one thread at a time (the pool hands it
// out to one caller), hence no locking here.
class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::filesystem::path file) : db_(db), file_(std::move(file)) {}
  ~SqliteConnection() override {
    cache_.clear();  // statements must be finalized before the handle closes
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  static Result<std::unique_ptr<SqliteConnection>> Open(const std::filesystem::path& file,
                                                        const SqliteOptions& options) {
    sqlite3* raw = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
      sqlite3_close_v2(raw);
      std::error_code ec;
      if (!options.create_if_missing && !std::filesystem::exists(file, ec)) {
        return NotFound("database '{}' does not exist", file.string());
      }
      return Status(CodeOf(rc),
                    fmt::format("cannot open database '{}': {}", file.string(), message));
    }
    auto connection = std::make_unique<SqliteConnection>(raw, file);
    SLUICE_RETURN_IF_ERROR(connection->Configure(options).WithContext(
        fmt::format("opening database '{}'", file.string())));
    return connection;
  }

  Status Execute(std::string_view sql, Params params) override {
    SLUICE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    ResetOnExit reset(stmt);
    SLUICE_RETURN_IF_ERROR(Bind(stmt, sql, params));
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) continue;
      if (rc == SQLITE_DONE) break;
      return SqliteError(rc, db_, sql);
    }
    changed_rows_ = sqlite3_changes64(db_);
    return Status::Ok();
  }

  Result<std::vector<Row>> Query(std::string_view sql, Params params) override {
    SLUICE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    ResetOnExit reset(stmt);
    SLUICE_RETURN_IF_ERROR(Bind(stmt, sql, params));
    std::vector<Row> rows;
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return SqliteError(rc, db_, sql);
      // Counted after the step: a step may re-prepare the statement after a schema change,
      // and "SELECT *" then has a new column count.
      const int columns = sqlite3_column_count(stmt);
      Row& row = rows.emplace_back();
      row.reserve(static_cast<size_t>(columns));
      for (int i = 0; i < columns; ++i) row.push_back(ColumnValue(stmt, i));
    }
    return rows;
  }

  int64_t ChangedRows() const override { return changed_rows_; }

  // Runs a script of one or more statements (a migration); not cached, since it runs once.
  Status ExecuteScript(std::string_view script) {
    std::string text(script);
    const char* next = text.c_str();
    while (!OnlyWhitespace(next)) {
      sqlite3_stmt* raw = nullptr;
      const char* tail = nullptr;
      int rc = sqlite3_prepare_v2(db_, next, -1, &raw, &tail);
      if (rc != SQLITE_OK) return SqliteError(rc, db_, next);
      StatementPtr stmt(raw);
      if (stmt == nullptr) break;  // only comments left
      for (;;) {
        rc = sqlite3_step(stmt.get());
        if (rc == SQLITE_ROW) continue;
        if (rc == SQLITE_DONE) break;
        return SqliteError(rc, db_, next);
      }
      next = tail;
    }
    return Status::Ok();
  }

  // BEGIN IMMEDIATE takes the write lock up front. sqlite3_busy_timeout already waits inside
  // SQLite, but some busy cases (WAL recovery by another process, a snapshot race) return
  // SQLITE_BUSY without calling the busy handler, so we retry until our own deadline.
  Status Begin(bool write, std::chrono::milliseconds busy_timeout) {
    const char* sql = write ? "BEGIN IMMEDIATE" : "BEGIN";
    const Clock::time_point deadline = Clock::now() + busy_timeout;
    std::minstd_rand jitter(static_cast<unsigned>(reinterpret_cast<uintptr_t>(this)));
    for (;;) {
      int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) return Status::Ok();
      if (!IsBusy(rc)) return SqliteError(rc, db_, sql);
      if (Clock::now() >= deadline) {
        return Unavailable(
            "database '{}' is busy: another writer held its lock longer than the busy timeout "
            "({} ms); retry, or raise the busy timeout",
            file_.string(), busy_timeout.count());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1 + jitter() % 10));
    }
  }

  Status Commit() {
    int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::Ok() : SqliteError(rc, db_, "COMMIT");
  }

  // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) roll the transaction back by themselves;
  // a second ROLLBACK would only add a confusing error.
  void Rollback() {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  // A connection still inside a transaction (a failed ROLLBACK) must not go back to the pool.
  bool Idle() const { return sqlite3_get_autocommit(db_) != 0; }

 private:
  Status Configure(const SqliteOptions& options) {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
    // Switching to WAL needs an exclusive lock once per file; when several processes create the
    // database at the same moment it can report busy without waiting.
    const Clock::time_point deadline = Clock::now() + options.busy_timeout;
    for (;;) {
      auto rows = Query("PRAGMA journal_mode=WAL", {});
      if (rows.ok()) {
        std::string mode = rows->empty() ? "" : (*rows)[0][0].AsText();
        if (mode != "wal") {
          return FailedPrecondition(
              "SQLite refused WAL mode (journal_mode is '{}'): put the "
              "database on a local filesystem",
              mode);
        }
        break;
      }
      if (rows.status().code() != StatusCode::kUnavailable || Clock::now() >= deadline) {
        return rows.status();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const char* synchronous =
        options.synchronous == SqliteOptions::Synchronous::kFull ? "FULL" : "NORMAL";
    SLUICE_RETURN_IF_ERROR(Execute(fmt::format("PRAGMA synchronous={}", synchronous), {}));
    SLUICE_RETURN_IF_ERROR(Execute("PRAGMA foreign_keys=ON", {}));
    SLUICE_RETURN_IF_ERROR(Execute("PRAGMA case_sensitive_like=ON", {}));
    // These pragmas run once per connection; keep them out of the statement cache.
    cache_.clear();
    return Status::Ok();
  }

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second.get();
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    if (rc != SQLITE_OK) return SqliteError(rc, db_, sql);
    StatementPtr stmt(raw);
    if (stmt == nullptr) {
      return InvalidArgument("SQL '{}' holds no statement", SqlSnippet(sql));
    }
    std::string_view rest(tail, static_cast<size_t>(sql.data() + sql.size() - tail));
    if (!OnlyWhitespace(std::string(rest).c_str())) {
      return InvalidArgument(
          "SQL '{}' holds more than one statement: Execute and Query run one; split it",
          SqlSnippet(sql));
    }
    if (cache_.size() >= kMaxCachedStatements) cache_.clear();
    sqlite3_stmt* result = stmt.get();
    cache_.emplace(std::string(sql), std::move(stmt));
    return result;
  }

  Status Bind(sqlite3_stmt* stmt, std::string_view sql, Params params) {
    const std::span<const Value> values = params.span();
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<size_t>(expected) != values.size()) {
      return InvalidArgument("SQL '{}' has {} parameters but {} values were given", SqlSnippet(sql),
                             expected, values.size());
    }
    for (int i = 0; i < expected; ++i) {
      const Value& value = values[static_cast<size_t>(i)];
      int rc = SQLITE_OK;
      if (value.is_int()) {
        rc = sqlite3_bind_int64(stmt, i + 1, value.AsInt());
      } else if (value.is_double()) {
        rc = sqlite3_bind_double(stmt, i + 1, value.AsDouble());
      } else if (value.is_text()) {
        const std::string& text = value.AsText();
        rc = sqlite3_bind_text64(stmt, i + 1, text.data(), text.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, i + 1);
      }
      if (rc != SQLITE_OK) return SqliteError(rc, db_, sql);
    }
    return Status::Ok();
  }

  static Value ColumnValue(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return Value(static_cast<int64_t>(sqlite3_column_int64(stmt, i)));
      case SQLITE_FLOAT:
        return Value(sqlite3_column_double(stmt, i));
      case SQLITE_TEXT: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        return Value(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, i))));
      }
      case SQLITE_BLOB: {
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        size_t size = static_cast<size_t>(sqlite3_column_bytes(stmt, i));
        return Value(size == 0 ? std::string() : std::string(bytes, size));
      }
      default:
        return Value();
    }
  }

  sqlite3* db_;
  std::filesystem::path file_;
  std::unordered_map<std::string, StatementPtr, StringHash, std::equal_to<>> cache_;
  int64_t changed_rows_ = 0;
};

// The databases this thread is inside a transaction of; a second Write on the same one would
// wait forever for the lock its own thread holds.
thread_local std::vector<const void*> active_transactions;

class TransactionMark {
 public:
  explicit TransactionMark(const void* db) : db_(db) { active_transactions.push_back(db); }
  ~TransactionMark() {
    auto it = std::find(active_transactions.rbegin(), active_transactions.rend(), db_);
    if (it != active_transactions.rend()) active_transactions.erase(std::next(it).base());
  }
  TransactionMark(const TransactionMark&) = delete;
  TransactionMark& operator=(const TransactionMark&) = delete;
  static bool Active(const void* db) {
    return std::find(active_transactions.begin(), active_transactions.end(), db) !=
           active_transactions.end();
  }

 private:
  const void* db_;
};

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, "
    "applied_time BIGINT NOT NULL, PRIMARY KEY (module, version))";

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::filesystem::path file, SqliteOptions options)
      : file_(std::move(file)), options_(options) {}

  Status Init() {
    SLUICE_ASSIGN_OR_RETURN(auto connection, SqliteConnection::Open(file_, options_));
    // A file that is not a database opens fine and fails at the first read; find out now.
    SLUICE_RETURN_IF_ERROR(connection->Query("SELECT count(*) FROM sqlite_master", {})
                               .status()
                               .WithContext(fmt::format("opening database '{}'", file_.string())));
    idle_.push_back(std::move(connection));
    return Status::Ok();
  }

  Status Write(const std::function<Status(Connection&)>& fn) override {
    return Transaction(/*write=*/true, fn);
  }

  Status Read(const std::function<Status(Connection&)>& fn) override {
    return Transaction(/*write=*/false, fn);
  }

  Status Migrate(std::string_view module, std::span<const Migration> migrations) override {
    int previous = 0;
    for (const Migration& m : migrations) {
      if (m.version <= previous) {
        return InvalidArgument(
            "migrations of module '{}' must have increasing versions from 1; version {} ('{}') "
            "follows {}",
            module, m.version, m.name, previous);
      }
      previous = m.version;
    }
    const int latest = previous;
    // One write transaction: a second process opening at the same moment waits for the lock,
    // then sees the migrations applied and has nothing left to do.
    return Write([&](Connection& c) -> Status {
             auto& connection = static_cast<SqliteConnection&>(c);
             SLUICE_RETURN_IF_ERROR(connection.Execute(kCreateMigrationsTable, {}));
             SLUICE_ASSIGN_OR_RETURN(int current, VersionOf(connection, module));
             if (current > latest) {
               return FailedPrecondition(
                   "database '{}' has schema version {} of module '{}', but this sluice knows "
                   "only up to version {}: upgrade sluice to open it",
                   file_.string(), current, module, latest);
             }
             const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
             for (const Migration& m : migrations) {
               if (m.version <= current) continue;
               SLUICE_RETURN_IF_ERROR(connection.ExecuteScript(m.sql).WithContext(
                   fmt::format("migration {} '{}' of module '{}'", m.version, m.name, module)));
               SLUICE_RETURN_IF_ERROR(connection.Execute(
                   "INSERT INTO schema_migrations(module, version, name, applied_time) "
                   "VALUES (?, ?, ?, ?)",
                   {module, m.version, m.name, now_ms}));
             }
             return Status::Ok();
           })
        .WithContext(fmt::format("migrating module '{}'", module));
  }

  Result<int> SchemaVersion(std::string_view module) override {
    int version = 0;
    SLUICE_RETURN_IF_ERROR(Read([&](Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(
          auto tables, c.Query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                               {"schema_migrations"}));
      if (tables.empty()) return Status::Ok();
      SLUICE_ASSIGN_OR_RETURN(version, VersionOf(c, module));
      return Status::Ok();
    }));
    return version;
  }

  std::string_view dialect() const override { return "sqlite"; }

 private:
  static Result<int> VersionOf(Connection& c, std::string_view module) {
    SLUICE_ASSIGN_OR_RETURN(
        auto rows,
        c.Query("SELECT max(version) FROM schema_migrations WHERE module = ?", {module}));
    return rows.empty() ? 0 : static_cast<int>(rows[0][0].AsInt());
  }

  Status Transaction(bool write, const std::function<Status(Connection&)>& fn) {
    if (TransactionMark::Active(this)) {
      return FailedPrecondition(
          "nested transaction: {} called inside another Write or Read of database '{}' on the "
          "same thread; use the Connection of the outer callback",
          write ? "Write" : "Read", file_.string());
    }
    TransactionMark mark(this);
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection, Acquire());
    Status status = connection->Begin(write, options_.busy_timeout);
    if (status.ok()) {
      try {
        status = fn(*connection);
      } catch (...) {
        connection->Rollback();
        Release(std::move(connection));
        throw;
      }
      if (status.ok()) status = connection->Commit();
      if (!status.ok()) connection->Rollback();
    }
    Release(std::move(connection));
    return status;
  }

  Result<std::unique_ptr<SqliteConnection>> Acquire() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<SqliteConnection> connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
      }
    }
    // Opening takes milliseconds and may wait on the busy timeout; do it outside the lock.
    return SqliteConnection::Open(file_, options_);
  }

  void Release(std::unique_ptr<SqliteConnection> connection) {
    if (!connection->Idle()) return;  // closed: its transaction state is unknown
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(connection));
  }

  const std::filesystem::path file_;
  const SqliteOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::filesystem::path& file,
                                                     SqliteOptions options) {
  auto database = std::make_unique<SqliteDatabase>(file, options);
  SLUICE_RETURN_IF_ERROR(database->Init());
  return std::unique_ptr<Database>(std::move(database));
}

}  // namespace sluice::storage
