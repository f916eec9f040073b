#include "storage/sqlite_database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::storage {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::sluice::testing::TempDir;
using ::testing::HasSubstr;

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = OpenSqliteDatabase(dir_ / "test.db");
    ASSERT_THAT(db, IsOk());
    db_ = std::move(db).value();
  }

  // Runs a query in its own read transaction.
  std::vector<Row> Query(std::string_view sql, const std::vector<Value>& params = {}) {
    std::vector<Row> rows;
    Status status = db_->Read([&](Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(rows, c.Query(sql, params));
      return Status::Ok();
    });
    EXPECT_THAT(status, IsOk());
    return rows;
  }

  Status Exec(std::string_view sql, const std::vector<Value>& params = {}) {
    return db_->Write([&](Connection& c) { return c.Execute(sql, params); });
  }

  int64_t Count(std::string_view table) {
    auto rows = Query(fmt::format("SELECT count(*) FROM {}", table));
    return rows.empty() ? -1 : rows[0][0].AsInt();
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteDatabaseTest, ConnectionsUseWalFullSyncAndForeignKeys) {
  EXPECT_EQ(Query("PRAGMA journal_mode")[0][0], Value("wal"));
  EXPECT_EQ(Query("PRAGMA synchronous")[0][0], Value(2));  // FULL
  EXPECT_EQ(Query("PRAGMA foreign_keys")[0][0], Value(1));
  EXPECT_EQ(db_->dialect(), "sqlite");
}

TEST_F(SqliteDatabaseTest, SynchronousNormalIsAnOption) {
  SqliteOptions options;
  options.synchronous = SqliteOptions::Synchronous::kNormal;
  ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(dir_ / "normal.db", options));
  int64_t synchronous = -1;
  ASSERT_THAT(db->Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows, c.Query("PRAGMA synchronous"));
    synchronous = rows[0][0].AsInt();
    return Status::Ok();
  }),
              IsOk());
  EXPECT_EQ(synchronous, 1);
}

TEST_F(SqliteDatabaseTest, ValuesRoundTripTypedByStorageClass) {
  ASSERT_THAT(Exec("CREATE TABLE v (id INTEGER PRIMARY KEY, x)"),
              IsOk());  // no affinity: stored as given
  const std::string with_nul("a\0b", 3);
  const std::vector<Value> values = {
      Value(),
      Value(int64_t{0}),
      Value(std::numeric_limits<int64_t>::max()),
      Value(std::numeric_limits<int64_t>::min()),
      Value(-1.5),
      Value(1e308),
      Value(std::numeric_limits<double>::denorm_min()),
      Value(""),
      Value("ünïcödé ✓"),
      Value(with_nul),
      Value(true),
  };
  ASSERT_THAT(db_->Write([&](Connection& c) -> Status {
    for (size_t i = 0; i < values.size(); ++i) {
      SLUICE_RETURN_IF_ERROR(
          c.Execute("INSERT INTO v(id, x) VALUES (?, ?)", {static_cast<int64_t>(i), values[i]}));
    }
    return Status::Ok();
  }),
              IsOk());
  auto rows = Query("SELECT x FROM v ORDER BY id");
  ASSERT_EQ(rows.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(rows[i][0], values[i]) << "row " << i;
  }
  EXPECT_EQ(rows[9][0].AsText().size(), 3u);
}

TEST_F(SqliteDatabaseTest, BlobsAreBoundAsBytesAndReadBackAsTheirBytes) {
  ASSERT_THAT(Exec("CREATE TABLE b (k BLOB PRIMARY KEY, t TEXT) WITHOUT ROWID"), IsOk());
  const std::string bytes("\x00\xff\x10" "a", 4);
  ASSERT_THAT(Exec("INSERT INTO b VALUES (?, ?)", {Blob{bytes}, Blob{"text column"}}), IsOk());
  auto row = Query("SELECT k, typeof(k), length(k), typeof(t) FROM b WHERE k = ?", {Blob{bytes}});
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].AsText(), bytes);
  EXPECT_EQ(row[0][1].AsText(), "blob");
  EXPECT_EQ(row[0][2].AsInt(), 4);
  EXPECT_EQ(row[0][3].AsText(), "blob") << "TEXT affinity leaves a BLOB as it is";
  // The same bytes as text are another key.
  EXPECT_TRUE(Query("SELECT k FROM b WHERE k = ?", {bytes}).empty());
}

// SQLite's own unhex() from 3.41, ours before: the same answers.
TEST_F(SqliteDatabaseTest, UnhexDecodesHexDigitsAndRefusesAnythingElse) {
  auto row = Query(
      "SELECT unhex('00ff7A'), typeof(unhex('00ff7A')), unhex(''), unhex('0g') IS NULL, "
      "unhex('abc') IS NULL, unhex(NULL) IS NULL");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].AsText(), std::string("\x00\xff\x7a", 3));
  EXPECT_EQ(row[0][1].AsText(), "blob");
  EXPECT_EQ(row[0][2].AsText(), "");
  EXPECT_EQ(row[0][3].AsInt(), 1);
  EXPECT_EQ(row[0][4].AsInt(), 1);
  EXPECT_EQ(row[0][5].AsInt(), 1);
}

TEST_F(SqliteDatabaseTest, NanIsStoredAsNull) {
  ASSERT_THAT(Exec("CREATE TABLE m (x REAL)"), IsOk());
  ASSERT_THAT(Exec("INSERT INTO m VALUES (?)", {Value(std::nan(""))}), IsOk());
  EXPECT_TRUE(Query("SELECT x FROM m")[0][0].is_null());
}

TEST_F(SqliteDatabaseTest, ColumnAffinityDecidesTheReturnedType) {
  ASSERT_THAT(Exec("CREATE TABLE a (i INTEGER, r REAL, t TEXT, b BIGINT)"), IsOk());
  ASSERT_THAT(Exec("INSERT INTO a VALUES (?, ?, ?, ?)", {"12", 3, 4.5, 7}), IsOk());
  auto row = Query("SELECT i, r, t, b FROM a")[0];
  EXPECT_EQ(row[0], Value(12));
  EXPECT_EQ(row[1], Value(3.0));
  EXPECT_EQ(row[2], Value("4.5"));
  EXPECT_EQ(row[3], Value(7));
}

TEST_F(SqliteDatabaseTest, ErrorCodesAreMapped) {
  ASSERT_THAT(Exec("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, "
                   "n INTEGER CHECK (n >= 0))"),
              IsOk());
  ASSERT_THAT(Exec("CREATE TABLE child (id INTEGER PRIMARY KEY, "
                   "parent_id INTEGER NOT NULL REFERENCES parent(id))"),
              IsOk());
  ASSERT_THAT(Exec("INSERT INTO parent VALUES (1, 'a', 0)"), IsOk());

  EXPECT_THAT(Exec("INSERT INTO parent VALUES (2, 'a', 0)"),
              StatusIs(StatusCode::kAlreadyExists,
                       "sqlite: UNIQUE constraint failed: parent.name "
                       "[SQL: INSERT INTO parent VALUES (2, 'a', 0)]"));
  EXPECT_THAT(
      Exec("INSERT INTO parent VALUES (1, 'b', 0)"),
      StatusIs(StatusCode::kAlreadyExists, HasSubstr("UNIQUE constraint failed: parent.id")));
  EXPECT_THAT(Exec("INSERT INTO parent VALUES (3, NULL, 0)"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("NOT NULL constraint failed")));
  EXPECT_THAT(Exec("INSERT INTO parent VALUES (3, 'c', -1)"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("CHECK constraint failed")));
  EXPECT_THAT(
      Exec("INSERT INTO child VALUES (1, 99)"),
      StatusIs(StatusCode::kFailedPrecondition, HasSubstr("FOREIGN KEY constraint failed")));
  EXPECT_THAT(Exec("SELEC 1"), StatusIs(StatusCode::kInternal,
                                        "sqlite: near \"SELEC\": syntax error [SQL: SELEC 1]"));
  EXPECT_THAT(Exec("INSERT INTO nope VALUES (1)"),
              StatusIs(StatusCode::kInternal, HasSubstr("no such table: nope")));
}

TEST_F(SqliteDatabaseTest, LongSqlIsShortenedToOneLineInErrors) {
  std::string sql = "SELECT\n  " + std::string(200, 'x') + " FROM nowhere";
  Status status = Exec(sql);
  EXPECT_THAT(status, StatusIs(StatusCode::kInternal,
                               HasSubstr("[SQL: SELECT " + std::string(73, 'x') + "...]")));
}

TEST_F(SqliteDatabaseTest, ParameterCountAndStatementCountAreChecked) {
  ASSERT_THAT(Exec("CREATE TABLE t (a, b)"), IsOk());
  EXPECT_THAT(
      Exec("INSERT INTO t VALUES (?, ?)", {1}),
      StatusIs(StatusCode::kInvalidArgument,
               "SQL 'INSERT INTO t VALUES (?, ?)' has 2 parameters but 1 values were given"));
  EXPECT_THAT(Exec("INSERT INTO t VALUES (1, 2); INSERT INTO t VALUES (3, 4)"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("holds more than one statement")));
  EXPECT_THAT(Exec("  "), StatusIs(StatusCode::kInvalidArgument, HasSubstr("holds no statement")));
  EXPECT_THAT(Exec("INSERT INTO t VALUES (1, 2);  "), IsOk());  // a trailing semicolon is fine
  EXPECT_EQ(Count("t"), 1);
}

TEST_F(SqliteDatabaseTest, NotADatabaseIsDataLoss) {
  ::sluice::testing::WriteFile(dir_ / "junk.db", std::string(4096, 'j'));
  EXPECT_THAT(OpenSqliteDatabase(dir_ / "junk.db"),
              StatusIs(StatusCode::kDataLoss, HasSubstr("file is not a database")));
}

TEST_F(SqliteDatabaseTest, MissingFileIsNotFoundWhenNotCreating) {
  SqliteOptions options;
  options.create_if_missing = false;
  EXPECT_THAT(OpenSqliteDatabase(dir_ / "missing.db", options),
              StatusIs(StatusCode::kNotFound,
                       "database '" + (dir_ / "missing.db").string() + "' does not exist"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "missing.db"));
}

TEST_F(SqliteDatabaseTest, BusyWriterTimesOutAsUnavailable) {
  SqliteOptions options;
  options.busy_timeout = std::chrono::milliseconds(100);
  ASSERT_OK_AND_ASSIGN(auto other, OpenSqliteDatabase(dir_ / "test.db", options));
  Status inner;
  auto start = std::chrono::steady_clock::now();
  ASSERT_THAT(db_->Write([&](Connection&) -> Status {
    inner = other->Write([](Connection&) { return Status::Ok(); });
    return Status::Ok();
  }),
              IsOk());
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_THAT(inner, StatusIs(StatusCode::kUnavailable,
                              HasSubstr("is busy: another writer held its lock longer than the "
                                        "busy timeout (100 ms)")));
  EXPECT_GE(waited, std::chrono::milliseconds(100));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST_F(SqliteDatabaseTest, LikeIsCaseSensitiveOnEveryConnection) {
  ASSERT_THAT(Exec("CREATE TABLE names (n TEXT)"), IsOk());
  ASSERT_THAT(Exec("INSERT INTO names VALUES ('Alpha'), ('alpha'), ('ALPHA')"), IsOk());
  EXPECT_EQ(Query("SELECT count(*) FROM names WHERE n LIKE 'al%'")[0][0], Value(1));
  EXPECT_EQ(Query("SELECT count(*) FROM names WHERE n LIKE 'A%'")[0][0], Value(2));
  // A second, concurrent reader gets a second pooled connection, configured the same way.
  int64_t from_second = -1;
  ASSERT_THAT(db_->Read([&](Connection&) -> Status {
    std::thread([&] {
      EXPECT_THAT(db_->Read([&](Connection& c) -> Status {
        SLUICE_ASSIGN_OR_RETURN(auto rows,
                                c.Query("SELECT count(*) FROM names WHERE n LIKE ?", {"AL%"}));
        from_second = rows[0][0].AsInt();
        return Status::Ok();
      }),
                  IsOk());
    }).join();
    return Status::Ok();
  }),
              IsOk());
  EXPECT_EQ(from_second, 1);
}

TEST_F(SqliteDatabaseTest, FailedWriteRollsBackEverything) {
  ASSERT_THAT(Exec("CREATE TABLE t (a INTEGER UNIQUE)"), IsOk());
  Status status = db_->Write([](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO t VALUES (1)"));
    SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO t VALUES (2)"));
    return InvalidArgument("caller changed its mind");
  });
  EXPECT_THAT(status, StatusIs(StatusCode::kInvalidArgument, "caller changed its mind"));
  EXPECT_EQ(Count("t"), 0);

  status = db_->Write([](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO t VALUES (1)"));
    return c.Execute("INSERT INTO t VALUES (1)");
  });
  EXPECT_THAT(status, StatusIs(StatusCode::kAlreadyExists));
  EXPECT_EQ(Count("t"), 0);

  EXPECT_THROW(db_->Write([](Connection& c) -> Status {
    EXPECT_THAT(c.Execute("INSERT INTO t VALUES (1)"), IsOk());
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(Count("t"), 0);
  // The connection went back to the pool in a usable state.
  EXPECT_THAT(Exec("INSERT INTO t VALUES (5)"), IsOk());
  EXPECT_EQ(Count("t"), 1);
}

TEST_F(SqliteDatabaseTest, NestedTransactionIsRefusedNotDeadlocked) {
  ASSERT_THAT(Exec("CREATE TABLE t (a)"), IsOk());
  Status nested_write, nested_read, write_in_read;
  ASSERT_THAT(db_->Write([&](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO t VALUES (1)"));
    nested_write =
        db_->Write([](Connection& inner) { return inner.Execute("INSERT INTO t VALUES (2)"); });
    nested_read = db_->Read([](Connection&) { return Status::Ok(); });
    return Status::Ok();
  }),
              IsOk());
  ASSERT_THAT(db_->Read([&](Connection&) -> Status {
    write_in_read = db_->Write([](Connection&) { return Status::Ok(); });
    return Status::Ok();
  }),
              IsOk());
  const std::string expected =
      "nested transaction: Write called inside another Write or Read of "
      "database '" +
      (dir_ / "test.db").string() +
      "' on the same thread; use the Connection of the outer callback";
  EXPECT_THAT(nested_write, StatusIs(StatusCode::kFailedPrecondition, expected));
  EXPECT_THAT(nested_read,
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("nested transaction: Read")));
  EXPECT_THAT(write_in_read, StatusIs(StatusCode::kFailedPrecondition, expected));
  EXPECT_EQ(Count("t"), 1);
}

TEST_F(SqliteDatabaseTest, ChangedRowsCountsTheLastExecute) {
  ASSERT_THAT(Exec("CREATE TABLE t (a)"), IsOk());
  ASSERT_THAT(db_->Write([](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO t VALUES (1), (2), (3)"));
    EXPECT_EQ(c.ChangedRows(), 3);
    SLUICE_RETURN_IF_ERROR(c.Execute("UPDATE t SET a = a + 1 WHERE a >= ?", {2}));
    EXPECT_EQ(c.ChangedRows(), 2);
    SLUICE_RETURN_IF_ERROR(c.Execute("DELETE FROM t WHERE a = ?", {100}));
    EXPECT_EQ(c.ChangedRows(), 0);
    return Status::Ok();
  }),
              IsOk());
}

TEST_F(SqliteDatabaseTest, CachedStatementsSurviveManyCallsAndSchemaChanges) {
  ASSERT_THAT(Exec("CREATE TABLE t (a)"), IsOk());
  ASSERT_THAT(db_->Write([](Connection& c) -> Status {
    for (int i = 0; i < 1000; ++i)
      SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO t VALUES (?)", {i}));
    return Status::Ok();
  }),
              IsOk());
  EXPECT_EQ(Count("t"), 1000);
  // A cached "SELECT *" re-prepares itself after the table gains a column.
  EXPECT_EQ(Query("SELECT * FROM t LIMIT 1")[0].size(), 1u);
  ASSERT_THAT(Exec("ALTER TABLE t ADD COLUMN b"), IsOk());
  EXPECT_EQ(Query("SELECT * FROM t LIMIT 1")[0].size(), 2u);
  // Many distinct statements do not grow the cache without bound (nor break anything).
  for (int i = 0; i < 600; ++i) EXPECT_EQ(Query(fmt::format("SELECT {}", i))[0][0], Value(i));
}

TEST_F(SqliteDatabaseTest, ReadIsASnapshotConcurrentWithWriters) {
  ASSERT_THAT(Exec("CREATE TABLE t (a)"), IsOk());
  ASSERT_THAT(Exec("INSERT INTO t VALUES (1)"), IsOk());
  ASSERT_THAT(db_->Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto before, c.Query("SELECT count(*) FROM t"));
    std::thread([&] { EXPECT_THAT(Exec("INSERT INTO t VALUES (2)"), IsOk()); }).join();
    SLUICE_ASSIGN_OR_RETURN(auto after, c.Query("SELECT count(*) FROM t"));
    EXPECT_EQ(before[0][0], Value(1));
    EXPECT_EQ(after[0][0], Value(1));  // same snapshot
    return Status::Ok();
  }),
              IsOk());
  EXPECT_EQ(Count("t"), 2);
}

// --- migrations ---

constexpr Migration kV1[] = {
    {1, "create runs",
     "CREATE TABLE runs (id TEXT PRIMARY KEY, name TEXT);"
     "CREATE INDEX runs_name ON runs(name);"},
    {2, "seed", "INSERT INTO runs VALUES ('r1', 'first')"},
};
constexpr Migration kV2[] = {
    kV1[0],
    kV1[1],
    {3, "add status", "-- a comment first\nALTER TABLE runs ADD COLUMN status TEXT DEFAULT 'ok';"},
};

TEST_F(SqliteDatabaseTest, MigrateAppliesInOrderAndRecordsEach) {
  ASSERT_OK_AND_ASSIGN(int fresh, db_->SchemaVersion("tracking"));
  EXPECT_EQ(fresh, 0);
  ASSERT_THAT(db_->Migrate("tracking", kV1), IsOk());
  ASSERT_OK_AND_ASSIGN(int version, db_->SchemaVersion("tracking"));
  EXPECT_EQ(version, 2);
  EXPECT_EQ(Count("runs"), 1);
  auto rows = Query("SELECT module, version, name FROM schema_migrations ORDER BY version");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (Row{"tracking", 1, "create runs"}));
  EXPECT_EQ(rows[1], (Row{"tracking", 2, "seed"}));
  EXPECT_GT(Query("SELECT applied_time FROM schema_migrations")[0][0].AsInt(), 1'600'000'000'000);
  ASSERT_OK_AND_ASSIGN(int other, db_->SchemaVersion("registry"));
  EXPECT_EQ(other, 0);
}

TEST_F(SqliteDatabaseTest, MigrateIsIdempotentAcrossReopens) {
  ASSERT_THAT(db_->Migrate("tracking", kV1), IsOk());
  db_.reset();
  ASSERT_OK_AND_ASSIGN(db_, OpenSqliteDatabase(dir_ / "test.db"));
  ASSERT_THAT(db_->Migrate("tracking", kV1), IsOk());  // the seed INSERT would fail on a second run
  EXPECT_EQ(Count("runs"), 1);
  ASSERT_THAT(db_->Migrate("tracking", kV2), IsOk());  // only version 3 is new
  ASSERT_OK_AND_ASSIGN(int version, db_->SchemaVersion("tracking"));
  EXPECT_EQ(version, 3);
  EXPECT_EQ(Query("SELECT status FROM runs")[0][0], Value("ok"));
}

TEST_F(SqliteDatabaseTest, MigrateRefusesADowngrade) {
  ASSERT_THAT(db_->Migrate("tracking", kV2), IsOk());
  EXPECT_THAT(db_->Migrate("tracking", kV1),
              StatusIs(StatusCode::kFailedPrecondition,
                       "migrating module 'tracking': database '" + (dir_ / "test.db").string() +
                           "' has schema version 3 of module 'tracking', but this sluice knows "
                           "only up to version 2: upgrade sluice to open it"));
}

TEST_F(SqliteDatabaseTest, FailedMigrationAppliesNothing) {
  constexpr Migration kBroken[] = {
      {1, "good", "CREATE TABLE good (a)"},
      {2, "bad", "CREATE TABLE bad (a); INSERT INTO missing VALUES (1)"},
  };
  EXPECT_THAT(db_->Migrate("m", kBroken),
              StatusIs(StatusCode::kInternal,
                       HasSubstr("migrating module 'm': migration 2 'bad' of module 'm': sqlite: "
                                 "no such table: missing")));
  ASSERT_OK_AND_ASSIGN(int version, db_->SchemaVersion("m"));
  EXPECT_EQ(version, 0);
  EXPECT_TRUE(Query("SELECT name FROM sqlite_master WHERE name IN ('good', 'bad')").empty());
}

TEST_F(SqliteDatabaseTest, MigrationVersionsMustIncrease) {
  constexpr Migration kUnordered[] = {{2, "b", "SELECT 1"}, {1, "a", "SELECT 1"}};
  EXPECT_THAT(db_->Migrate("m", kUnordered),
              StatusIs(StatusCode::kInvalidArgument,
                       "migrations of module 'm' must have increasing versions from 1; version 1 "
                       "('a') follows 2"));
}

// Forked children open the database themselves: a SQLite handle must not cross fork().
TEST(SqliteMultiProcessTest, ConcurrentMigrationsFromSeveralProcessesApplyOnce) {
  TempDir dir;
  const auto file = dir / "shared.db";
  constexpr int kProcesses = 6;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto db = OpenSqliteDatabase(file);
      if (!db.ok()) _exit(2);
      Status status = (*db)->Migrate("tracking", kV2);
      if (!status.ok()) {
        fprintf(stderr, "child: %s\n", status.ToString().c_str());
        _exit(3);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "child " << pid;
  }
  ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(file));
  ASSERT_THAT(db->Read([](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto migrations, c.Query("SELECT count(*) FROM schema_migrations"));
    EXPECT_EQ(migrations[0][0], Value(3));
    SLUICE_ASSIGN_OR_RETURN(auto runs, c.Query("SELECT count(*) FROM runs"));
    EXPECT_EQ(runs[0][0], Value(1));
    return Status::Ok();
  }),
              IsOk());
}

// Not run by default; prints the cost of synchronous=FULL against NORMAL:
//   storage_tests --gtest_also_run_disabled_tests --gtest_filter='*SynchronousFullVsNormal*'
TEST(SqliteBench, DISABLED_SynchronousFullVsNormal) {
  for (auto mode : {SqliteOptions::Synchronous::kFull, SqliteOptions::Synchronous::kNormal}) {
    TempDir dir;
    SqliteOptions options;
    options.synchronous = mode;
    ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(dir / "bench.db", options));
    ASSERT_THAT(db->Write([](Connection& c) {
      return c.Execute("CREATE TABLE m (run TEXT, key TEXT, value REAL, step INTEGER)");
    }),
                IsOk());
    auto insert_rows = [&](int rows) {
      return db->Write([&](Connection& c) -> Status {
        for (int i = 0; i < rows; ++i) {
          SLUICE_RETURN_IF_ERROR(
              c.Execute("INSERT INTO m VALUES (?, ?, ?, ?)", {"run", "loss", 0.5 * i, i}));
        }
        return Status::Ok();
      });
    };
    auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < 1000; ++t) ASSERT_THAT(insert_rows(1), IsOk());
    auto single = std::chrono::steady_clock::now() - start;
    start = std::chrono::steady_clock::now();
    for (int t = 0; t < 100; ++t) ASSERT_THAT(insert_rows(1000), IsOk());
    auto batched = std::chrono::steady_clock::now() - start;
    using ms = std::chrono::milliseconds;
    printf(
        "synchronous=%s: 1000 one-row transactions %lld ms; 100 transactions of 1000 rows %lld "
        "ms\n",
        mode == SqliteOptions::Synchronous::kFull ? "FULL" : "NORMAL",
        static_cast<long long>(std::chrono::duration_cast<ms>(single).count()),
        static_cast<long long>(std::chrono::duration_cast<ms>(batched).count()));
  }
}

}  // namespace
}  // namespace sluice::storage
