// Many writers at once (threads and processes) and crashes mid-write: nothing acknowledged is
// lost, nothing half-written is visible.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <set>
#include <thread>

#include "base/sha256.h"
#include "storage/local_blob_store.h"
#include "storage/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::storage {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::TempDir;

constexpr int kWriters = 8;
constexpr int kRowsPerWriter = 500;
constexpr int kRowsPerTransaction = 5;

// Inserts kRowsPerWriter rows tagged `writer` in small transactions; the first error, if any.
Status InsertRows(Database& db, const std::string& writer) {
  for (int start = 0; start < kRowsPerWriter; start += kRowsPerTransaction) {
    Status status = db.Write([&](Connection& c) -> Status {
      for (int i = start; i < start + kRowsPerTransaction; ++i) {
        SLUICE_RETURN_IF_ERROR(
            c.Execute("INSERT INTO rows(writer, seq) VALUES (?, ?)", {writer, i}));
      }
      return Status::Ok();
    });
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

TEST(StorageConcurrencyTest, EightThreadsAndEightProcessesInsertWithoutErrors) {
  TempDir dir;
  const auto file = dir / "concurrent.db";
  {
    ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(file));
    ASSERT_THAT(db->Write([](Connection& c) {
      return c.Execute(
          "CREATE TABLE rows (writer TEXT NOT NULL, seq INTEGER NOT NULL, "
          "PRIMARY KEY (writer, seq))");
    }),
                IsOk());
  }
  // Fork before any thread starts and while no handle is open: a child inherits neither locks
  // nor SQLite's per-process state. Children wait on a pipe so everyone starts together.
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kWriters; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(go[1]);
      char byte;
      if (read(go[0], &byte, 1) < 0) _exit(4);
      auto db = OpenSqliteDatabase(file);
      if (!db.ok()) _exit(2);
      Status status = InsertRows(**db, fmt::format("process-{}", p));
      if (!status.ok()) {
        fprintf(stderr, "child %d: %s\n", p, status.ToString().c_str());
        _exit(3);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  close(go[0]);
  auto db = OpenSqliteDatabase(file);
  close(go[1]);  // EOF releases the children
  ASSERT_THAT(db, IsOk());

  std::vector<Status> results(kWriters);
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] { results[t] = InsertRows(**db, fmt::format("thread-{}", t)); });
  }
  for (auto& thread : threads) thread.join();
  for (const Status& status : results) EXPECT_THAT(status, IsOk());
  for (pid_t pid : children) {
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
        << "child " << pid << " status " << wstatus;
  }
  ASSERT_THAT((*db)->Read([](Connection& c) -> Status {
    SLUICE_ASSIGN_OR_RETURN(auto total, c.Query("SELECT count(*) FROM rows"));
    EXPECT_EQ(total[0][0], Value(2 * kWriters * kRowsPerWriter));
    SLUICE_ASSIGN_OR_RETURN(
        auto per_writer,
        c.Query("SELECT writer, count(*) FROM rows GROUP BY writer HAVING count(*) = ?",
                {kRowsPerWriter}));
    EXPECT_EQ(per_writer.size(), 2u * kWriters);
    return Status::Ok();
  }),
              IsOk());
}

TEST(StorageConcurrencyTest, ConcurrentWritersOfTheSameBlobStoreItOnce) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, OpenLocalBlobStore(dir.path()));
  const std::string content(300'000, 'z');
  std::vector<std::thread> threads;
  std::vector<Result<BlobInfo>> results(kWriters, Result<BlobInfo>(Internal("not run")));
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] { results[t] = store->Put(content); });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) {
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->digest, Sha256::HexOf(content));
  }
  ASSERT_OK_AND_ASSIGN(auto list, store->List());
  EXPECT_EQ(list.size(), 1u);
  EXPECT_TRUE(std::filesystem::is_empty(dir / "tmp"));
}

// The child stores a blob, then a row naming it, and reports the row's id through a pipe only
// after Write returned. It is killed at a random moment; whatever it reported must be there.
void CrashingWriter(const std::filesystem::path& dir, int report_fd, unsigned seed) {
  auto db = OpenSqliteDatabase(dir / "crash.db");
  auto store = OpenLocalBlobStore(dir / "objects");
  if (!db.ok() || !store.ok()) _exit(2);
  std::mt19937 random(seed);
  for (int64_t id = 0;; ++id) {
    std::string content(1 + random() % 200'000, '\0');
    for (char& c : content) c = static_cast<char>(random());
    auto writer = (*store)->NewWriter();
    if (!writer.ok()) _exit(3);
    // Odd chunks so the kill often lands between writes of one blob.
    for (size_t at = 0; at < content.size(); at += 7001) {
      if (!(*writer)->Write(std::string_view(content).substr(at, 7001)).ok()) _exit(3);
    }
    auto blob = (*writer)->Commit();
    if (!blob.ok()) _exit(3);
    Status status = (*db)->Write([&](Connection& c) {
      return c.Execute("INSERT INTO items(id, digest, size) VALUES (?, ?, ?)",
                       {id, blob->digest, blob->size_bytes});
    });
    if (!status.ok()) _exit(4);
    if (write(report_fd, &id, sizeof(id)) != sizeof(id)) _exit(5);
  }
}

// Kills and reaps a child the test did not get to reap itself (an assertion returned early).
class ReapOnExit {
 public:
  explicit ReapOnExit(pid_t pid) : pid_(pid) {}
  ~ReapOnExit() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ReapOnExit(const ReapOnExit&) = delete;
  ReapOnExit& operator=(const ReapOnExit&) = delete;
  void Reaped() { pid_ = 0; }

 private:
  pid_t pid_;
};

TEST(StorageConcurrencyTest, KilledWriterLeavesEveryReportedRowAndNoPartialBlob) {
  std::random_device seeds;
  for (int round = 0; round < 3; ++round) {
    TempDir dir;
    {
      ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(dir / "crash.db"));
      ASSERT_THAT(db->Write([](Connection& c) {
        return c.Execute("CREATE TABLE items (id INTEGER PRIMARY KEY, digest TEXT, size INTEGER)");
      }),
                  IsOk());
    }
    int report[2];
    ASSERT_EQ(pipe(report), 0);
    const unsigned seed = seeds();
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(report[0]);
      CrashingWriter(dir.path(), report[1], seed);
    }
    close(report[1]);
    ReapOnExit reap(pid);
    // Wait for the first committed row so every round checks something, then kill at random.
    std::set<int64_t> reported;
    int64_t id;
    ASSERT_EQ(read(report[0], &id, sizeof(id)), static_cast<ssize_t>(sizeof(id)));
    reported.insert(id);
    std::this_thread::sleep_for(std::chrono::milliseconds(seed % 300));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    reap.Reaped();
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the writer died early with status " << wstatus;

    while (read(report[0], &id, sizeof(id)) == sizeof(id)) reported.insert(id);
    close(report[0]);
    SCOPED_TRACE(fmt::format("seed {}, {} rows reported", seed, reported.size()));

    ASSERT_OK_AND_ASSIGN(auto db, OpenSqliteDatabase(dir / "crash.db"));
    ASSERT_OK_AND_ASSIGN(auto store, OpenLocalBlobStore(dir / "objects"));
    std::vector<Row> rows;
    ASSERT_THAT(db->Read([&](Connection& c) -> Status {
      SLUICE_ASSIGN_OR_RETURN(rows, c.Query("SELECT id, digest, size FROM items ORDER BY id"));
      return Status::Ok();
    }),
                IsOk());
    std::set<int64_t> stored;
    for (const Row& row : rows) {
      stored.insert(row[0].AsInt());
      ASSERT_OK_AND_ASSIGN(bool has, store->Has(row[1].AsText()));
      EXPECT_TRUE(has) << "row " << row[0].AsInt() << " names a missing blob";
    }
    for (int64_t r : reported) EXPECT_TRUE(stored.count(r)) << "reported row " << r << " lost";
    ASSERT_OK_AND_ASSIGN(auto blobs, store->List());
    EXPECT_GE(blobs.size(), reported.size());
    for (const BlobInfo& blob : blobs) {
      ASSERT_OK_AND_ASSIGN(std::string bytes, store->ReadAll(blob.digest));
      EXPECT_EQ(Sha256::HexOf(bytes), blob.digest);
      EXPECT_EQ(bytes.size(), blob.size_bytes);
    }
  }
}

}  // namespace
}  // namespace sluice::storage
