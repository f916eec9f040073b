// Group commit: concurrent Writes of one process share one transaction and one fsync, yet each
// keeps its own outcome. These tests pin down that nothing of the single-Write contract was lost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::storage {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::sluice::testing::TempDir;
using ::testing::HasSubstr;

using WriteFn = std::function<Status(Connection&)>;

// What one Write of a group saw: its result and the threads involved.
struct Outcome {
  Status status;
  std::exception_ptr exception;
  std::thread::id caller;
  std::thread::id ran_on;  // the thread its callback ran on: the group's leader
};

// Calls Write with each of `writes` from its own thread so that they form one group: a first
// Write holds the leader's seat (its callback waits) until all the others have called Write and
// had time to queue behind it; its group ends and the queued ones are claimed together.
std::vector<Outcome> WriteAsOneGroup(Database& db, const std::vector<WriteFn>& writes) {
  std::atomic<size_t> calling{0};
  std::atomic<bool> blocking{false};
  std::thread blocker([&] {
    EXPECT_THAT(db.Write([&](Connection&) -> Status {
      blocking = true;
      while (calling.load() < writes.size()) std::this_thread::yield();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return Status::Ok();
    }),
                IsOk());
  });
  while (!blocking.load()) std::this_thread::yield();
  std::vector<Outcome> outcomes(writes.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < writes.size(); ++i) {
    threads.emplace_back([&, i] {
      Outcome& outcome = outcomes[i];
      outcome.caller = std::this_thread::get_id();
      calling.fetch_add(1);
      try {
        outcome.status = db.Write([&](Connection& c) {
          outcome.ran_on = std::this_thread::get_id();
          return writes[i](c);
        });
      } catch (...) {
        outcome.exception = std::current_exception();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  blocker.join();
  std::set<std::thread::id> leaders;
  for (const Outcome& outcome : outcomes) leaders.insert(outcome.ran_on);
  EXPECT_EQ(leaders.size(), 1u) << "the writes did not form one group";
  return outcomes;
}

WriteFn Insert(int64_t id) {
  return [id](Connection& c) { return c.Execute("INSERT INTO t(id) VALUES (?)", {id}); };
}

class SqliteGroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, OpenSqliteDatabase(dir_ / "test.db"));
    ASSERT_THAT(db_->Write([](Connection& c) {
      return c.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)");
    }),
                IsOk());
  }

  std::vector<int64_t> Ids() {
    std::vector<int64_t> ids;
    EXPECT_THAT(db_->Read([&](Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(auto rows, c.Query("SELECT id FROM t ORDER BY id"));
      for (const Row& row : rows) ids.push_back(row[0].AsInt());
      return Status::Ok();
    }),
                IsOk());
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteGroupCommitTest, ManyConcurrentWritersAllSucceedAndEveryRowIsThere) {
  constexpr int kThreads = 32;
  constexpr int kWritesPerThread = 100;
  std::vector<Status> failures(kThreads);
  std::atomic<int> ran_elsewhere{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::thread::id caller = std::this_thread::get_id();
      for (int i = 0; i < kWritesPerThread; ++i) {
        Status status = db_->Write([&](Connection& c) {
          if (std::this_thread::get_id() != caller) ran_elsewhere.fetch_add(1);
          return c.Execute("INSERT INTO t(id) VALUES (?)", {t * kWritesPerThread + i});
        });
        if (!status.ok()) {
          failures[t] = status;
          return;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const Status& status : failures) EXPECT_THAT(status, IsOk());
  std::vector<int64_t> ids = Ids();
  ASSERT_EQ(ids.size(), static_cast<size_t>(kThreads * kWritesPerThread));
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], static_cast<int64_t>(i));
  // Callbacks run by another caller's thread are the sign that Writes were grouped.
  EXPECT_GT(ran_elsewhere.load(), 0);
}

TEST_F(SqliteGroupCommitTest, AFailingCallbackRollsBackOnlyItsOwnChanges) {
  std::vector<Outcome> outcomes = WriteAsOneGroup(
      *db_, {Insert(1),
             [](Connection& c) -> Status {
               SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO t(id) VALUES (2)"));
               return InvalidArgument("caller 2 changed its mind");
             },
             Insert(3),
             [](Connection& c) -> Status {
               SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO t(id) VALUES (4)"));
               return c.Execute("INSERT INTO t(id) VALUES (4)");  // fails: duplicate key
             },
             Insert(5)});
  EXPECT_THAT(outcomes[0].status, IsOk());
  EXPECT_THAT(outcomes[1].status,
              StatusIs(StatusCode::kInvalidArgument, "caller 2 changed its mind"));
  EXPECT_THAT(outcomes[2].status, IsOk());
  EXPECT_THAT(outcomes[3].status,
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("UNIQUE constraint failed")));
  EXPECT_THAT(outcomes[4].status, IsOk());
  EXPECT_THAT(Ids(), ::testing::ElementsAre(1, 3, 5));
}

TEST_F(SqliteGroupCommitTest, AnExceptionReachesOnlyItsOwnCaller) {
  std::vector<Outcome> outcomes =
      WriteAsOneGroup(*db_, {Insert(1),
                             [](Connection& c) -> Status {
                               EXPECT_THAT(c.Execute("INSERT INTO t(id) VALUES (2)"), IsOk());
                               throw std::runtime_error("boom in 2");
                             },
                             Insert(3)});
  EXPECT_FALSE(outcomes[0].exception);
  EXPECT_THAT(outcomes[0].status, IsOk());
  ASSERT_TRUE(outcomes[1].exception);
  EXPECT_THROW(
      {
        try {
          std::rethrow_exception(outcomes[1].exception);
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "boom in 2");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_FALSE(outcomes[2].exception);
  EXPECT_THAT(outcomes[2].status, IsOk());
  EXPECT_THAT(Ids(), ::testing::ElementsAre(1, 3));
  // The callbacks ran on one leader thread, so all but the leader's own ran away from their
  // callers (which member leads depends on scheduling).
  int ran_elsewhere = 0;
  for (const Outcome& outcome : outcomes) ran_elsewhere += outcome.ran_on != outcome.caller;
  EXPECT_GE(ran_elsewhere, 2);
}

TEST_F(SqliteGroupCommitTest, AGroupedCallbackCallingWriteOrReadIsRefusedNotDeadlocked) {
  constexpr int kMembers = 4;
  std::vector<Status> nested_writes(kMembers), nested_reads(kMembers);
  std::vector<WriteFn> writes;
  for (int i = 0; i < kMembers; ++i) {
    writes.push_back([&, i](Connection& c) -> Status {
      nested_writes[i] = db_->Write(Insert(100 + i));
      nested_reads[i] = db_->Read([](Connection&) { return Status::Ok(); });
      return c.Execute("INSERT INTO t(id) VALUES (?)", {i});
    });
  }
  std::vector<Outcome> outcomes = WriteAsOneGroup(*db_, writes);
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_THAT(outcomes[i].status, IsOk());
    EXPECT_THAT(nested_writes[i],
                StatusIs(StatusCode::kFailedPrecondition, HasSubstr("nested transaction: Write")));
    EXPECT_THAT(nested_reads[i],
                StatusIs(StatusCode::kFailedPrecondition, HasSubstr("nested transaction: Read")));
  }
  EXPECT_THAT(Ids(), ::testing::ElementsAre(0, 1, 2, 3));
}

TEST_F(SqliteGroupCommitTest, ADeferredForeignKeyViolationFailsOnlyItsOwnWrite) {
  ASSERT_THAT(db_->Write([](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(
        c.Execute("CREATE TABLE child (id INTEGER PRIMARY KEY, "
                  "parent INTEGER REFERENCES t(id) DEFERRABLE INITIALLY DEFERRED)"));
    return c.Execute("INSERT INTO t(id) VALUES (1)");
  }),
              IsOk());
  auto insert_child = [](int64_t id, int64_t parent) {
    return [id, parent](Connection& c) {
      return c.Execute("INSERT INTO child VALUES (?, ?)", {id, parent});
    };
  };
  std::vector<Outcome> outcomes = WriteAsOneGroup(
      *db_,
      {insert_child(10, 1), insert_child(11, 99),  // no parent 99: alone, its COMMIT would fail
       [](Connection& c) -> Status {
         // Violates, then repairs before returning: fine, as it was without grouping.
         SLUICE_RETURN_IF_ERROR(c.Execute("INSERT INTO child VALUES (12, 2)"));
         return c.Execute("INSERT INTO t(id) VALUES (2)");
       },
       [](Connection& c) -> Status {
         // Immediate constraints turned deferred must not leak into the next Write.
         SLUICE_RETURN_IF_ERROR(c.Execute("PRAGMA defer_foreign_keys=ON"));
         return c.Execute("INSERT INTO child VALUES (13, 1)");
       },
       insert_child(14, 1)});
  EXPECT_THAT(outcomes[0].status, IsOk());
  EXPECT_THAT(outcomes[1].status, StatusIs(StatusCode::kFailedPrecondition,
                                           "sqlite: FOREIGN KEY constraint failed [SQL: COMMIT]"));
  EXPECT_THAT(outcomes[2].status, IsOk());
  EXPECT_THAT(outcomes[3].status, IsOk());
  EXPECT_THAT(outcomes[4].status, IsOk());
  std::vector<Row> children;
  ASSERT_THAT(db_->Read([&](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(children, c.Query("SELECT id FROM child ORDER BY id"));
    return Status::Ok();
  }),
              IsOk());
  ASSERT_EQ(children.size(), 4u);
  EXPECT_EQ(children[0][0], Value(10));
  EXPECT_EQ(children[1][0], Value(12));
  EXPECT_EQ(children[2][0], Value(13));
  EXPECT_EQ(children[3][0], Value(14));
}

TEST_F(SqliteGroupCommitTest, AQueuedWriterGivesUpAfterTheBusyTimeout) {
  SqliteOptions options;
  options.busy_timeout = std::chrono::milliseconds(150);
  ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(dir_ / "test.db", options));
  Status inner;
  const auto start = std::chrono::steady_clock::now();
  // The callback waits for a thread whose Write is queued behind it: without the timeout the
  // two would wait for each other forever.
  ASSERT_THAT(db->Write([&](Connection& c) -> Status {
    std::thread([&] { inner = db->Write(Insert(2)); }).join();
    return c.Execute("INSERT INTO t(id) VALUES (1)");
  }),
              IsOk());
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_THAT(inner, StatusIs(StatusCode::kUnavailable,
                              HasSubstr("is busy: other writers of this process held it longer "
                                        "than the busy timeout (150 ms)")));
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_THAT(Ids(), ::testing::ElementsAre(1));
  // The queue is left clean for the next writer.
  EXPECT_THAT(db->Write(Insert(3)), IsOk());
}

// Fills the file size limit (RLIMIT_FSIZE) so that the group's COMMIT cannot append to the WAL:
// a real I/O failure, in a child process so that the limit touches nothing else. Each Write is
// small enough to fit alone; together they do not.
TEST(SqliteGroupCommitFailureTest, AFailedCommitFailsEveryWriteOfTheGroup) {
  TempDir dir;
  const auto file = dir / "full.db";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto fail = [](const std::string& message) {
      fprintf(stderr, "child: %s\n", message.c_str());
      _exit(1);
    };
    auto db = OpenSqliteDatabase(file);
    if (!db.ok()) fail(db.status().ToString());
    Status status = (*db)->Write([](Connection& c) {
      return c.Execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)");
    });
    if (!status.ok()) fail(status.ToString());
    std::error_code ec;
    uintmax_t largest = std::max(std::filesystem::file_size(file, ec),
                                 std::filesystem::file_size(dir / "full.db-wal", ec));
    signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead of killing us
    rlimit limit{};
    getrlimit(RLIMIT_FSIZE, &limit);
    const rlim_t unlimited = limit.rlim_cur;
    limit.rlim_cur = largest + 100'000;
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) fail("setrlimit");

    constexpr int kMembers = 6;
    std::vector<WriteFn> writes;
    for (int i = 0; i < kMembers; ++i) {
      writes.push_back([i](Connection& c) {
        return c.Execute("INSERT INTO blobs VALUES (?, zeroblob(40000))", {i});
      });
    }
    std::vector<Outcome> outcomes = WriteAsOneGroup(**db, writes);
    if (::testing::Test::HasFailure()) fail("the writes did not form one group");
    for (int i = 0; i < kMembers; ++i) {
      if (outcomes[i].status.message().find("[SQL: COMMIT]") == std::string::npos ||
          outcomes[i].status != outcomes[0].status) {
        fail(fmt::format("write {}: {} (first: {})", i, outcomes[i].status.ToString(),
                         outcomes[0].status.ToString()));
      }
    }
    fprintf(stderr, "child: every write failed with: %s\n", outcomes[0].status.ToString().c_str());
    limit.rlim_cur = unlimited;
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) fail("setrlimit");
    // Nothing of the group is visible, and the database takes writes again.
    status = (*db)->Write([](Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(auto rows, c.Query("SELECT count(*) FROM blobs"));
      if (rows[0][0] != Value(0))
        return Internal("{} rows of the failed group", rows[0][0].AsInt());
      return c.Execute("INSERT INTO blobs VALUES (100, zeroblob(40000))");
    });
    if (!status.ok()) fail(status.ToString());
    _exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "child status " << wstatus;
}

// Several processes, each with several threads: groups of different processes contend for the
// file's write lock through BEGIN IMMEDIATE and its busy retry.
TEST(SqliteGroupCommitMultiProcessTest, GroupsOfSeveralProcessesAllCommit) {
  constexpr int kProcesses = 4;
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 50;
  TempDir dir;
  const auto file = dir / "shared.db";
  {
    ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(file));
    ASSERT_THAT(db->Write([](Connection& c) {
      return c.Execute("CREATE TABLE t (process INTEGER, thread INTEGER, seq INTEGER)");
    }),
                IsOk());
  }
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto db = OpenSqliteDatabase(file);
      if (!db.ok()) _exit(2);
      std::atomic<int> failed{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < kWritesPerThread; ++i) {
            Status status = (*db)->Write([&](Connection& c) {
              return c.Execute("INSERT INTO t VALUES (?, ?, ?)", {p, t, i});
            });
            if (!status.ok()) {
              fprintf(stderr, "process %d thread %d: %s\n", p, t, status.ToString().c_str());
              failed.fetch_add(1);
            }
          }
        });
      }
      for (auto& thread : threads) thread.join();
      _exit(failed.load() == 0 ? 0 : 3);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "child status " << wstatus;
  }
  ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(file));
  ASSERT_THAT(db->Read([](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto rows,
                            c.Query("SELECT count(DISTINCT process * 1000000 + thread * 1000 + "
                                    "seq) FROM t"));
    EXPECT_EQ(rows[0][0], Value(kProcesses * kThreads * kWritesPerThread));
    return Status::Ok();
  }),
              IsOk());
}

// Not run by default; prints throughput of one-row Writes from concurrent threads:
//   storage_tests --gtest_also_run_disabled_tests --gtest_filter='*GroupCommitThroughput*'
TEST(SqliteBench, DISABLED_GroupCommitThroughput) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kDuration = std::chrono::seconds(2);
  for (int threads : {1, 4, 16, 64}) {
    TempDir dir;
    ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(dir / "bench.db"));
    ASSERT_THAT(db->Write([](Connection& c) {
      return c.Execute("CREATE TABLE m (thread INTEGER, seq INTEGER, value REAL)");
    }),
                IsOk());
    std::atomic<int64_t> writes{0};
    std::atomic<int> failures{0};
    const Clock::time_point end = Clock::now() + kDuration;
    const Clock::time_point start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int64_t seq = 0; Clock::now() < end; ++seq) {
          Status status = db->Write([&](Connection& c) {
            return c.Execute("INSERT INTO m VALUES (?, ?, ?)", {t, seq, 0.5});
          });
          if (status.ok()) {
            writes.fetch_add(1);
          } else {
            failures.fetch_add(1);
          }
        }
      });
    }
    for (auto& worker : workers) worker.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(failures.load(), 0);
    printf("%2d threads: %6.0f acknowledged Writes/s, %6.0f rows/s\n", threads,
           static_cast<double>(writes.load()) / seconds,
           static_cast<double>(writes.load()) / seconds);
  }
}

// The target workload of the tracking server: 10,000 runs, each one create-run Write and one
// log-batch Write of 10 metrics, from 16 concurrent clients.
TEST(SqliteBench, DISABLED_GroupCommitTenThousandRuns) {
  constexpr int kClients = 16;
  constexpr int kRuns = 10'000;
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(dir / "bench.db"));
  ASSERT_THAT(db->Write([](Connection& c) -> Status {
    SLUICE_RETURN_IF_ERROR(c.Execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT)"));
    return c.Execute(
        "CREATE TABLE metrics (run INTEGER REFERENCES runs(id), key TEXT, value REAL, "
        "step INTEGER)");
  }),
              IsOk());
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&] {
      for (int run = next.fetch_add(1); run < kRuns; run = next.fetch_add(1)) {
        Status status = db->Write([&](Connection& c) {
          return c.Execute("INSERT INTO runs VALUES (?, ?)", {run, "run"});
        });
        if (status.ok()) {
          status = db->Write([&](Connection& c) -> Status {
            for (int step = 0; step < 10; ++step) {
              SLUICE_RETURN_IF_ERROR(
                  c.Execute("INSERT INTO metrics VALUES (?, ?, ?, ?)", {run, "loss", 0.1, step}));
            }
            return Status::Ok();
          });
        }
        if (!status.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& client : clients) client.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures.load(), 0);
  printf("%d runs (create + log batch of 10) from %d clients: %.2f s, %.0f Writes/s\n", kRuns,
         kClients, seconds, 2 * kRuns / seconds);
}

}  // namespace
}  // namespace sluice::storage
