// Eight processes logging to one workspace database at once lose nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "storage/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tracking/tracking_store.h"

namespace sluice::tracking {
namespace {

constexpr int kProcesses = 8;
constexpr int kRunsPerProcess = 5;
constexpr int kBatchesPerRun = 4;

// Runs in a forked child: its own database handle, as every process has.
int LogFromChild(const std::filesystem::path& db_path, const std::string& experiment_id,
                 int child) {
  auto db = storage::OpenSqliteDatabase(db_path);
  if (!db.ok()) return 10;
  auto store = TrackingStore::Open(**db, SystemClock::Get());
  if (!store.ok()) return 11;
  for (int r = 0; r < kRunsPerProcess; ++r) {
    auto run = (*store)->CreateRun(
        {.experiment_id = experiment_id, .run_name = "child-" + std::to_string(child)});
    if (!run.ok()) return 12;
    const std::string& id = run->info.run_id;
    for (int b = 0; b < kBatchesPerRun; ++b) {
      std::vector<Metric> metrics;
      for (int i = 0; i < 100; ++i) metrics.push_back({"m", double(i), 1000 + b, b * 100 + i});
      if (!(*store)
               ->LogBatch(id, metrics, {{"p" + std::to_string(b), "v"}},
                          {{"child", std::to_string(child)}})
               .ok()) {
        return 13;
      }
    }
  }
  return 0;
}

TEST(TrackingConcurrencyTest, EightProcessesLoseNothing) {
  testing::TempDir dir;
  std::filesystem::path db_path = dir / "sluice.db";
  std::string experiment_id;
  {
    ASSERT_OK_AND_ASSIGN(auto db, storage::OpenSqliteDatabase(db_path));
    ASSERT_OK_AND_ASSIGN(auto store, TrackingStore::Open(*db, SystemClock::Get()));
    ASSERT_OK_AND_ASSIGN(experiment_id, store->CreateExperiment({.name = "shared"}));
  }
  std::vector<pid_t> children;
  for (int c = 0; c < kProcesses; ++c) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(LogFromChild(db_path, experiment_id, c));
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child " << pid << " failed";
  }

  ASSERT_OK_AND_ASSIGN(auto db, storage::OpenSqliteDatabase(db_path));
  ASSERT_OK_AND_ASSIGN(auto store, TrackingStore::Open(*db, SystemClock::Get()));
  ASSERT_OK_AND_ASSIGN(auto page,
                       store->SearchRuns({.experiment_ids = {experiment_id}, .max_results = 1000}));
  ASSERT_EQ(page.items.size(), size_t{kProcesses * kRunsPerProcess});
  for (const tracking::Run& run : page.items) {
    EXPECT_EQ(run.params.size(), size_t{kBatchesPerRun});
    ASSERT_OK_AND_ASSIGN(auto history, store->GetMetricHistory(run.info.run_id, "m", 0, ""));
    EXPECT_EQ(history.items.size(), size_t{kBatchesPerRun * 100});
    ASSERT_EQ(run.metrics.size(), 1u);
    EXPECT_EQ(run.metrics[0].step, kBatchesPerRun * 100 - 1);
  }
}

}  // namespace
}  // namespace sluice::tracking
