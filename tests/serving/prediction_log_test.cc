#include "serving/prediction_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::serving {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using testing::StatusIs;

table::Table Inputs(std::vector<double> ages, std::vector<std::string> plans) {
  std::vector<table::Column> columns;
  columns.push_back(table::Column::Float64("age", std::move(ages)));
  columns.push_back(table::Column::String("plan", std::move(plans)));
  return *table::Table::Make(std::move(columns));
}

LoggedPrediction Entry(std::string endpoint, table::Table inputs, std::vector<double> outputs,
                       size_t num_outputs = 1) {
  LoggedPrediction entry;
  entry.endpoint = std::move(endpoint);
  entry.model_version = "3";
  entry.request_id = PredictionLog::NewRequestId();
  entry.time_micros = 1'795'950'000'000'000;  // 2026-11-29T11:00:00Z
  entry.latency_micros = 41;
  entry.inputs = std::move(inputs);
  entry.outputs = std::move(outputs);
  entry.num_outputs = num_outputs;
  return entry;
}

PredictionLogOptions Options(const testing::TempDir& dir) {
  PredictionLogOptions options;
  options.directory = dir / "predictions";
  options.flush_interval = std::chrono::hours(1);  // only Flush and a half-full queue write
  return options;
}

std::filesystem::path DayFile(const testing::TempDir& dir, const std::string& endpoint) {
  return dir / "predictions" / endpoint / "2026-11-29.jsonl";
}

TEST(PredictionLogTest, WritesOneJsonLineARowThatReadsBackAsATable) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, PredictionLog::Open(Options(dir)));
  LoggedPrediction entry = Entry("churn", Inputs({42, 17.5}, {"pro", "free"}), {0.25, 0.75});
  const std::string id = entry.request_id;
  log->Append(std::move(entry));
  ASSERT_OK(log->Flush());

  ASSERT_OK_AND_ASSIGN(table::Table read, table::ReadJsonl(DayFile(dir, "churn")));
  ASSERT_EQ(read.num_rows(), 2u);
  EXPECT_EQ(read.ColumnNames(),
            (std::vector<std::string>{"_request_id", "_time", "_model_version", "_latency_us",
                                      "age", "plan", "_prediction"}));
  ASSERT_OK_AND_ASSIGN(const table::Column* age, read.Get("age"));
  EXPECT_EQ(age->AsDouble(1), 17.5);
  ASSERT_OK_AND_ASSIGN(const table::Column* plan, read.Get("plan"));
  EXPECT_EQ(plan->ValueToString(0), "pro");
  ASSERT_OK_AND_ASSIGN(const table::Column* prediction, read.Get("_prediction"));
  EXPECT_EQ(prediction->AsDouble(1), 0.75);
  ASSERT_OK_AND_ASSIGN(const table::Column* request, read.Get("_request_id"));
  EXPECT_EQ(request->ValueToString(0), id);
  EXPECT_EQ(request->ValueToString(1), id);
  EXPECT_EQ(log->Counters().logged_rows, 2u);
  EXPECT_EQ(log->Counters().queued_rows, 0u);
}

TEST(PredictionLogTest, MultiOutputModelsGetOneFieldPerOutput) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, PredictionLog::Open(Options(dir)));
  log->Append(Entry("iris", Inputs({1}, {"a"}), {0.1, 0.2, 0.7}, 3));
  ASSERT_OK(log->Flush());
  std::string text = testing::ReadFile(DayFile(dir, "iris"));
  EXPECT_THAT(text,
              HasSubstr("\"_prediction_0\":0.1,\"_prediction_1\":0.2,\"_prediction_2\":0.7}"));
}

TEST(PredictionLogTest, AnEntryLargerThanTheQueueIsDroppedAndCounted) {
  testing::TempDir dir;
  PredictionLogOptions options = Options(dir);
  options.max_queued_rows = 1;
  ASSERT_OK_AND_ASSIGN(auto log, PredictionLog::Open(options));
  log->Append(Entry("churn", Inputs({1, 2}, {"a", "b"}), {0, 0}));
  ASSERT_OK(log->Flush());
  EXPECT_EQ(log->Counters().dropped_rows, 2u);
  EXPECT_EQ(log->Counters().logged_rows, 0u);
  EXPECT_FALSE(std::filesystem::exists(DayFile(dir, "churn")));
}

// Many threads against a small queue: some rows are dropped, but every row is accounted for,
// and every written line is whole.
TEST(PredictionLogTest, EveryRowIsWrittenOrCountedAsDroppedUnderConcurrentLoad) {
  testing::TempDir dir;
  PredictionLogOptions options = Options(dir);
  options.max_queued_rows = 64;
  ASSERT_OK_AND_ASSIGN(auto log, PredictionLog::Open(options));
  constexpr int kThreads = 4, kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) log->Append(Entry("churn", Inputs({1}, {"x"}), {0.5}));
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_OK(log->Flush());
  PredictionLogCounters c = log->Counters();
  EXPECT_EQ(c.logged_rows + c.dropped_rows, uint64_t{kThreads * kPerThread});
  EXPECT_GT(c.logged_rows, 0u);
  ASSERT_OK_AND_ASSIGN(table::Table read, table::ReadJsonl(DayFile(dir, "churn")));
  EXPECT_EQ(read.num_rows(), c.logged_rows);
}

TEST(PredictionLogTest, SampleRateDecidesTheFractionLogged) {
  testing::TempDir dir;
  PredictionLogOptions options = Options(dir);
  options.sample_rate = 0;
  ASSERT_OK_AND_ASSIGN(auto never, PredictionLog::Open(options));
  options.sample_rate = 1;
  ASSERT_OK_AND_ASSIGN(auto always, PredictionLog::Open(options));
  options.sample_rate = 0.25;
  ASSERT_OK_AND_ASSIGN(auto quarter, PredictionLog::Open(options));
  int sampled_never = 0, sampled_always = 0, sampled_quarter = 0;
  for (int i = 0; i < 10000; ++i) {
    sampled_never += never->Sample();
    sampled_always += always->Sample();
    sampled_quarter += quarter->Sample();
  }
  EXPECT_EQ(sampled_never, 0);
  EXPECT_EQ(sampled_always, 10000);
  // Binomial(10000, 0.25): standard deviation ~43; six of them either side.
  EXPECT_GT(sampled_quarter, 2240);
  EXPECT_LT(sampled_quarter, 2760);
}

TEST(PredictionLogTest, ATornLastLineFromACrashIsCutBeforeAppending) {
  testing::TempDir dir;
  std::filesystem::create_directories(DayFile(dir, "churn").parent_path());
  testing::WriteFile(DayFile(dir, "churn"), "{\"age\":1}\n{\"age\":2,\"pl");
  ASSERT_OK_AND_ASSIGN(auto log, PredictionLog::Open(Options(dir)));
  log->Append(Entry("churn", Inputs({3}, {"x"}), {0.5}));
  ASSERT_OK(log->Flush());
  ASSERT_OK_AND_ASSIGN(table::Table read, table::ReadJsonl(DayFile(dir, "churn")));
  ASSERT_EQ(read.num_rows(), 2u);
  ASSERT_OK_AND_ASSIGN(const table::Column* age, read.Get("age"));
  EXPECT_EQ(age->AsDouble(0), 1);
  EXPECT_EQ(age->AsDouble(1), 3);
}

TEST(PredictionLogTest, EndpointNamesCannotLeaveTheLogFolder) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, PredictionLog::Open(Options(dir)));
  log->Append(Entry("../escape", Inputs({1}, {"x"}), {0.5}));
  ASSERT_OK(log->Flush());
  EXPECT_FALSE(std::filesystem::exists(dir / "escape"));
  EXPECT_TRUE(std::filesystem::exists(DayFile(dir, "%2E.%2Fescape")));
}

TEST(PredictionLogTest, AWriteFailureIsReportedByFlushAndCountedAsDropped) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, PredictionLog::Open(Options(dir)));
  testing::WriteFile(dir / "predictions" / "churn", "a file where the folder should be");
  log->Append(Entry("churn", Inputs({1}, {"x"}), {0.5}));
  EXPECT_THAT(log->Flush(), StatusIs(StatusCode::kInternal, HasSubstr("churn")));
  EXPECT_EQ(log->Counters().write_errors, 1u);
  EXPECT_EQ(log->Counters().dropped_rows, 1u);
  EXPECT_OK(log->Flush());  // the error is reported once
}

TEST(PredictionLogTest, RejectsASampleRateOutsideZeroToOne) {
  testing::TempDir dir;
  PredictionLogOptions options = Options(dir);
  options.sample_rate = 1.5;
  EXPECT_THAT(
      PredictionLog::Open(options),
      StatusIs(StatusCode::kInvalidArgument, "prediction log sample rate 1.5 is outside [0, 1]"));
}

TEST(PredictionLogTest, RequestIdsAreUniqueHex) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = PredictionLog::NewRequestId();
    ASSERT_THAT(id, SizeIs(32));
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace sluice::serving
