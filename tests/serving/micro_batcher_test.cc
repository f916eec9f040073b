#include "serving/micro_batcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "testing/status_matchers.h"

namespace sluice::serving {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

// A logistic model over x1 (numeric) and plan (ordinal): each row's score tells which row it was.
class MicroBatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        table::Table data,
        table::Table::Make({table::Column::Float64("x1", {0, 1, 2}),
                            table::Column::String("plan", {"basic", "pro", "team"})}));
    const std::vector<std::string> inputs = {"x1", "plan"};
    models::Bundle& bundle = model_.bundle;
    ASSERT_OK_AND_ASSIGN(bundle.encoder,
                         models::FeatureEncoder::Fit(data, inputs, models::Encoding::kOrdinal));
    bundle.algorithm = models::Algorithm::kLinear;
    bundle.target = {.column = "churned", .task = models::Task::kBinary, .classes = {"no", "yes"}};
    bundle.model_bytes =
        R"({"format":"sluice-linear","version":1,"objective":"logistic","num_outputs":1,)"
        R"("feature_names":["x1","plan"],"weights":[[0.01,0.5]],"intercepts":[-0.25],)"
        R"("impute_values":[0.0,1.0]})";
    ASSERT_OK_AND_ASSIGN(model_.predictor, models::LoadPredictor(bundle));
  }

  table::Table Rows(double first, size_t n) {
    std::vector<double> x;
    std::vector<std::string> plans;
    for (size_t i = 0; i < n; ++i) {
      x.push_back(first + static_cast<double>(i));
      plans.push_back(i % 2 == 0 ? "pro" : "team");
    }
    return *table::Table::Make(
        {table::Column::Float64("x1", std::move(x)), table::Column::String("plan", plans)});
  }

  ServedModel model_;
};

// Many threads, each with its own rows: every one gets exactly the scores the model gives its
// rows alone, and requests were in fact combined.
TEST_F(MicroBatcherTest, ConcurrentRequestsAreScoredTogetherEachGettingItsOwnScores) {
  ASSERT_OK_AND_ASSIGN(
      auto batcher,
      MicroBatcher::Create({.max_rows = 16, .max_delay = std::chrono::milliseconds(20)}));
  constexpr int kThreads = 8, kRequests = 40;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests; ++i) {
        table::Table rows = Rows(t * 1000 + i * 10, 1 + (i % 3));
        Result<std::vector<double>> expected = model_.predictor->Predict(rows);
        Result<std::vector<double>> got = batcher->Predict(model_, rows);
        if (!got.ok() || *got != *expected) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  MicroBatchCounters c = batcher->Counters();
  EXPECT_EQ(c.requests, uint64_t{kThreads * kRequests});
  EXPECT_LT(c.batches, c.requests);
}

TEST_F(MicroBatcherTest, ABadRequestGetsItsOwnErrorAndDoesNotFailItsBatch) {
  ASSERT_OK_AND_ASSIGN(
      auto batcher, MicroBatcher::Create({.max_rows = 2, .max_delay = std::chrono::seconds(10)}));
  table::Table good = Rows(1, 1);
  table::Table bad = *table::Table::Make({table::Column::Float64("x1", {1.0})});  // no plan
  std::optional<Result<std::vector<double>>> good_scores;
  std::thread first([&] { good_scores = batcher->Predict(model_, good); });
  Result<std::vector<double>> bad_scores = batcher->Predict(model_, bad);
  first.join();
  EXPECT_THAT(bad_scores, StatusIs(StatusCode::kInvalidArgument, HasSubstr("plan")));
  ASSERT_TRUE(good_scores.has_value());
  ASSERT_OK(*good_scores);
  EXPECT_EQ(**good_scores, *model_.predictor->Predict(good));
  EXPECT_EQ(batcher->Counters().batches, 1u);  // the two filled one batch: no 10 s wait
}

TEST_F(MicroBatcherTest, ARequestAsLargeAsABatchIsScoredAtOnce) {
  ASSERT_OK_AND_ASSIGN(
      auto batcher, MicroBatcher::Create({.max_rows = 4, .max_delay = std::chrono::seconds(10)}));
  table::Table rows = Rows(0, 4);
  ASSERT_OK_AND_ASSIGN(std::vector<double> scores, batcher->Predict(model_, rows));
  EXPECT_EQ(scores, *model_.predictor->Predict(rows));
}

TEST_F(MicroBatcherTest, RejectsZeroRows) {
  EXPECT_THAT(MicroBatcher::Create({.max_rows = 0}),
              StatusIs(StatusCode::kInvalidArgument, "micro-batch max rows must be positive"));
}

}  // namespace
}  // namespace sluice::serving
