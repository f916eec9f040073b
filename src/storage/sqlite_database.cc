#include "storage/sqlite_database.h"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/hex.h"

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

// The most Writes one group commit takes, so that one transaction (its undo state, the time the
// write lock is held, the WAL it appends) stays bounded however many callers are waiting.
constexpr size_t kMaxGroupSize = 256;

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

  Status Commit() { return Run("COMMIT"); }

  // Runs fixed, parameterless SQL (transaction control) outside the statement cache, leaving
  // ChangedRows alone.
  Status Run(const char* sql) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::Ok() : SqliteError(rc, db_, sql);
  }

  // True when deferred foreign key violations are outstanding, i.e. a COMMIT now would fail.
  bool DeferredForeignKeyViolations() {
    int current = 0;
    int highwater = 0;
    sqlite3_db_status(db_, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highwater, 0);
    return current != 0;
  }

  // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) roll the transaction back by themselves;
  // a second ROLLBACK would only add a confusing error.
  void Rollback() {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  // A connection still inside a transaction (a failed ROLLBACK) must not go back to the pool.
  bool Idle() const { return sqlite3_get_autocommit(db_) != 0; }

 private:
  // unhex(X) as SQLite 3.41 defines it: the bytes that the hex digits X spell (either case),
  // NULL when X is NULL or holds anything else or an odd number of digits.
  static void Unhex(sqlite3_context* context, int, sqlite3_value** args) {
    if (sqlite3_value_type(args[0]) == SQLITE_NULL) return sqlite3_result_null(context);
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(args[0]));
    const int size = sqlite3_value_bytes(args[0]);
    std::string bytes(static_cast<size_t>(size / 2), '\0');
    if (text == nullptr || size % 2 != 0 ||
        !HexToBytes(std::string_view(text, static_cast<size_t>(size)), bytes.data())) {
      return sqlite3_result_null(context);
    }
    sqlite3_result_blob64(context, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  }

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
    if (sqlite3_libversion_number() < 3041000) {
      // SQLite's unhex(), which migrations use, came in 3.41; Debian 12 has 3.40.
      const int rc = sqlite3_create_function_v2(
          db_, "unhex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr, &Unhex,
          nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return SqliteError(rc, db_, "unhex");
    }
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
        // Not copied: the values outlive the statement's use, as every caller's ResetOnExit
        // clears the bindings before returning. (A stat cache of 100,000 files is megabytes.)
        const std::string& text = value.AsText();
        rc = sqlite3_bind_text64(stmt, i + 1, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
      } else if (value.is_blob()) {
        const std::string& bytes = value.AsText();
        rc = sqlite3_bind_blob64(stmt, i + 1, bytes.data(), bytes.size(), SQLITE_STATIC);
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

  // Group commit. Concurrent Writes queue up; the caller at the front of the queue becomes the
  // leader, claims everything queued (up to kMaxGroupSize) and runs the callbacks one after the
  // other in one transaction, each inside its own savepoint, then commits once: one fsync for
  // the whole group instead of one per Write. Callers that queued while a group ran form the
  // next group, whose leader is woken when this one ends, so leadership rotates in FIFO order
  // and a lone writer leads at once, without waiting for company.
  Status Write(const std::function<Status(Connection&)>& fn) override {
    if (TransactionMark::Active(this)) return NestedTransaction("Write");
    auto request = std::make_shared<WriteRequest>(fn);
    std::unique_lock lock(write_mu_);
    queue_.push_back(request);
    // Waiting in the queue is waiting for other writers, so the busy timeout bounds it as it
    // bounds waiting for another process's lock. It also breaks the cycle of a callback that
    // waits for a thread whose own Write is queued behind it.
    const Clock::time_point deadline = Clock::now() + options_.busy_timeout;
    bool timed_out = false;
    while (request->state != WriteRequest::State::kDone && !CanLead(*request)) {
      if (!timed_out) {
        timed_out = request->wakeup.wait_until(lock, deadline) == std::cv_status::timeout;
        continue;
      }
      if (request->state == WriteRequest::State::kRunning) {
        // Its callback has started: only the leader can tell how it ends.
        request->wakeup.wait(lock);
        continue;
      }
      if (request->state == WriteRequest::State::kQueued) {
        queue_.erase(std::find(queue_.begin(), queue_.end(), request));
      } else {
        request->state = WriteRequest::State::kAbandoned;  // claimed: the leader will skip it
      }
      return Unavailable(
          "database '{}' is busy: other writers of this process held it longer than the busy "
          "timeout ({} ms); retry, or raise the busy timeout",
          file_.string(), options_.busy_timeout.count());
    }
    if (request->state != WriteRequest::State::kDone) Lead(lock);
    Status status = std::move(request->status);
    std::exception_ptr exception = request->exception;
    lock.unlock();
    if (exception) std::rethrow_exception(exception);
    return status;
  }

  Status Read(const std::function<Status(Connection&)>& fn) override { return ReadTransaction(fn); }

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

  // One caller's Write, shared by the caller and the leader of its group: a caller that gives
  // up leaves the leader holding a live object, not a dangling pointer.
  struct WriteRequest {
    enum class State {
      kQueued,     // in queue_, waiting for a leader
      kClaimed,    // in a group, its callback not started
      kRunning,    // the leader runs or ran its callback; the outcome is the leader's to set
      kDone,       // status and exception are final
      kAbandoned,  // the caller timed out while claimed; the leader must not run it
    };
    explicit WriteRequest(const std::function<Status(Connection&)>& f) : fn(f) {}
    // Valid while the caller waits, that is until kDone or kAbandoned.
    const std::function<Status(Connection&)>& fn;
    State state = State::kQueued;  // guarded by write_mu_
    // Written by the leader while kRunning (the caller does not read them then), read by the
    // caller after kDone: write_mu_ orders the two.
    Status status;
    std::exception_ptr exception;
    std::condition_variable wakeup;  // signalled under write_mu_
  };

  Status NestedTransaction(std::string_view what) const {
    return FailedPrecondition(
        "nested transaction: {} called inside another Write or Read of database '{}' on the "
        "same thread; use the Connection of the outer callback",
        what, file_.string());
  }

  bool CanLead(const WriteRequest& request) const {  // requires write_mu_
    return request.state == WriteRequest::State::kQueued && !leader_active_ &&
           queue_.front().get() == &request;
  }

  // Claims the queued requests, runs them as one group with write_mu_ released, then hands out
  // the outcomes and wakes the next leader. Called with `lock` held on write_mu_ and returns
  // with it held.
  void Lead(std::unique_lock<std::mutex>& lock) {
    leader_active_ = true;
    std::vector<std::shared_ptr<WriteRequest>> group;
    while (!queue_.empty() && group.size() < kMaxGroupSize) {
      queue_.front()->state = WriteRequest::State::kClaimed;
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    Status not_run;
    std::exception_ptr failure;
    try {
      not_run = RunGroup(group);
    } catch (...) {
      // Not from a callback (those are caught per request): the group's fate is unknown, so
      // every member gets the exception rather than a false OK or a wait that never ends.
      failure = std::current_exception();
    }
    lock.lock();
    for (const std::shared_ptr<WriteRequest>& member : group) {
      if (member->state == WriteRequest::State::kAbandoned) continue;
      if (failure) {
        member->exception = failure;
      } else if (member->state == WriteRequest::State::kClaimed) {
        member->status = not_run;
      }
      member->state = WriteRequest::State::kDone;
      member->wakeup.notify_one();
    }
    leader_active_ = false;
    if (!queue_.empty()) queue_.front()->wakeup.notify_one();
  }

  // Moves a claimed request to kRunning; false when its caller gave up waiting.
  bool Start(WriteRequest& request) {
    std::lock_guard lock(write_mu_);
    if (request.state != WriteRequest::State::kClaimed) return false;
    request.state = WriteRequest::State::kRunning;
    return true;
  }

  // Runs the callbacks of `group` in one transaction, or in more only when a callback's failure
  // ends the transaction under the others (SQLITE_FULL, SQLITE_IOERR, ...). Sets the outcome of
  // every request it runs; returns the outcome of those it could not run.
  Status RunGroup(std::span<const std::shared_ptr<WriteRequest>> group) {
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection, Acquire());
    // The callbacks of other callers run on this thread too: one of them calling Write or Read
    // on this database must be refused, not wait for the lock this thread holds.
    TransactionMark mark(this);
    Status not_run;
    size_t next = 0;
    while (next < group.size()) {
      not_run = connection->Begin(/*write=*/true, options_.busy_timeout);
      if (!not_run.ok()) break;
      std::vector<WriteRequest*> ran;
      Status lost;  // why the transaction ended before its COMMIT
      for (; next < group.size() && lost.ok(); ++next) {
        WriteRequest& request = *group[next];
        if (!Start(request)) continue;
        lost = RunInSavepoint(*connection, request);
        ran.push_back(&request);
      }
      Status outcome = lost.ok() ? connection->Commit()
                                 : Unavailable(
                                       "rolled back with the other Writes of its group commit "
                                       "after one of them failed ({}); retry",
                                       lost.ToString());
      if (!outcome.ok()) {
        connection->Rollback();
        // A request that failed on its own keeps its own, more telling, error.
        for (WriteRequest* request : ran) {
          if (request->status.ok() && !request->exception) request->status = outcome;
        }
      }
    }
    Release(std::move(connection));
    return not_run;
  }

  // Runs one request's callback inside its own savepoint, so that its failure undoes only its
  // own changes and leaves the earlier members of the group intact. Returns OK while the
  // transaction is still open, otherwise why it is lost.
  static Status RunInSavepoint(SqliteConnection& connection, WriteRequest& request) {
    if (Status status = connection.Run("SAVEPOINT sluice_write"); !status.ok()) {
      request.status = status;
      return connection.Idle() ? status : Status::Ok();
    }
    try {
      request.status = request.fn(connection);
    } catch (...) {
      request.exception = std::current_exception();
    }
    bool ok = request.status.ok() && !request.exception;
    if (connection.Idle()) {
      // SQLite rolled the transaction back by itself, or the callback ran COMMIT or ROLLBACK.
      if (ok) {
        request.status = FailedPrecondition(
            "the Write callback ended the transaction itself; return an error to roll back");
      }
      return request.status.ok() ? Internal("a Write callback threw after its transaction ended")
                                 : request.status;
    }
    // Run alone, this request would fail at its COMMIT; in a group it must fail here, or its
    // violation would fail everyone's COMMIT.
    if (ok && connection.DeferredForeignKeyViolations()) {
      request.status = Status(StatusCode::kFailedPrecondition,
                              "sqlite: FOREIGN KEY constraint failed [SQL: COMMIT]");
      ok = false;
    }
    // PRAGMA defer_foreign_keys lasts until the transaction ends; it must not carry over to
    // the next request of the group.
    Status status = connection.Run("PRAGMA defer_foreign_keys=OFF");
    if (status.ok() && ok) {
      status = connection.Run("RELEASE sluice_write");
      if (!status.ok()) request.status = status;
    } else if (status.ok()) {
      status = connection.Run("ROLLBACK TO sluice_write");
      if (status.ok()) status = connection.Run("RELEASE sluice_write");
    }
    if (!status.ok() && request.status.ok() && !request.exception) request.status = status;
    // Changes that cannot be undone alone take the whole transaction with them.
    return status;
  }

  // Reads are not grouped: they take no lock, so each runs at once on its own connection.
  Status ReadTransaction(const std::function<Status(Connection&)>& fn) {
    if (TransactionMark::Active(this)) return NestedTransaction("Read");
    TransactionMark mark(this);
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection, Acquire());
    Status status = connection->Begin(/*write=*/false, options_.busy_timeout);
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

  std::mutex write_mu_;
  std::deque<std::shared_ptr<WriteRequest>> queue_;  // guarded by write_mu_; not yet claimed
  bool leader_active_ = false;                       // guarded by write_mu_
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::filesystem::path& file,
                                                     SqliteOptions options) {
  auto database = std::make_unique<SqliteDatabase>(file, options);
  SLUICE_RETURN_IF_ERROR(database->Init());
  return std::unique_ptr<Database>(std::move(database));
}

}  // namespace sluice::storage
