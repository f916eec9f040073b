#include "tracking/tracking_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "storage/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::tracking {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class TrackingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::OpenSqliteDatabase(dir_ / "sluice.db");
    ASSERT_OK(db);
    db_ = std::move(*db);
    auto store = TrackingStore::Open(*db_, clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
  }

  std::string NewExperiment(const std::string& name) {
    auto id = store_->CreateExperiment({.name = name});
    EXPECT_OK(id);
    return id.ok() ? *id : "";
  }

  tracking::Run NewRun(const std::string& experiment_id, const std::string& name = "") {
    auto run = store_->CreateRun({.experiment_id = experiment_id, .run_name = name});
    EXPECT_OK(run);
    return run.ok() ? *run : tracking::Run{};
  }

  testing::TempDir dir_;
  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<TrackingStore> store_;
};

TEST_F(TrackingStoreTest, DefaultExperimentExists) {
  ASSERT_OK_AND_ASSIGN(Experiment e, store_->GetExperiment("0"));
  EXPECT_EQ(e.name, "Default");
  EXPECT_EQ(e.artifact_location, "mlflow-artifacts:/0");
  EXPECT_EQ(e.lifecycle_stage, "active");
}

TEST_F(TrackingStoreTest, ReopeningKeepsEverything) {
  std::string id = NewExperiment("churn");
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, TrackingStore::Open(*db_, clock_));
  ASSERT_OK_AND_ASSIGN(Experiment e, store_->GetExperiment(id));
  EXPECT_EQ(e.name, "churn");
}

TEST_F(TrackingStoreTest, CreateExperimentAssignsIdsAndArtifactLocations) {
  EXPECT_EQ(NewExperiment("a"), "1");
  EXPECT_EQ(NewExperiment("b"), "2");
  ASSERT_OK_AND_ASSIGN(Experiment e, store_->GetExperimentByName("b"));
  EXPECT_EQ(e.experiment_id, "2");
  EXPECT_EQ(e.artifact_location, "mlflow-artifacts:/2");
  EXPECT_EQ(e.creation_time, 1'700'000'000'000);
}

TEST_F(TrackingStoreTest, ExperimentErrors) {
  NewExperiment("churn");
  EXPECT_THAT(store_->CreateExperiment({.name = "churn"}),
              StatusIs(StatusCode::kAlreadyExists, "experiment 'churn' already exists (id 1)"));
  EXPECT_THAT(store_->CreateExperiment({.name = ""}),
              StatusIs(StatusCode::kInvalidArgument, "experiment name must be a non-empty string"));
  EXPECT_THAT(store_->GetExperiment("42"),
              StatusIs(StatusCode::kNotFound, "experiment '42' does not exist"));
  EXPECT_THAT(store_->GetExperiment("abc"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetExperimentByName("nope"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteExperiment("0"), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(TrackingStoreTest, DeletedExperimentNameStaysTaken) {
  std::string id = NewExperiment("churn");
  ASSERT_OK(store_->DeleteExperiment(id));
  EXPECT_THAT(store_->CreateExperiment({.name = "churn"}),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("deleted state")));
}

TEST_F(TrackingStoreTest, RenameExperiment) {
  std::string a = NewExperiment("a");
  NewExperiment("b");
  ASSERT_OK(store_->RenameExperiment(a, "c"));
  EXPECT_EQ(store_->GetExperiment(a)->name, "c");
  EXPECT_THAT(store_->RenameExperiment(a, "b"), StatusIs(StatusCode::kAlreadyExists));
}

TEST_F(TrackingStoreTest, DeleteAndRestoreExperimentTakesItsRunsAlong) {
  std::string id = NewExperiment("e");
  tracking::Run kept_deleted = NewRun(id);
  ASSERT_OK(store_->DeleteRun(kept_deleted.info.run_id));
  clock_.AdvanceMillis(1000);
  tracking::Run run = NewRun(id);
  clock_.AdvanceMillis(1000);
  ASSERT_OK(store_->DeleteExperiment(id));
  EXPECT_EQ(store_->GetRun(run.info.run_id)->info.lifecycle_stage, "deleted");
  EXPECT_EQ(store_->GetExperiment(id)->lifecycle_stage, "deleted");
  EXPECT_THAT(store_->RestoreExperiment("0"), StatusIs(StatusCode::kNotFound));
  clock_.AdvanceMillis(1000);
  ASSERT_OK(store_->RestoreExperiment(id));
  EXPECT_EQ(store_->GetRun(run.info.run_id)->info.lifecycle_stage, "active");
  // A run deleted on its own before stays deleted.
  EXPECT_EQ(store_->GetRun(kept_deleted.info.run_id)->info.lifecycle_stage, "deleted");
}

TEST_F(TrackingStoreTest, ExperimentTags) {
  std::string id = NewExperiment("e");
  ASSERT_OK(store_->SetExperimentTag(id, {"team", "risk"}));
  ASSERT_OK(store_->SetExperimentTag(id, {"team", "growth"}));
  EXPECT_THAT(store_->GetExperiment(id)->tags, ElementsAre(Tag{"team", "growth"}));
  ASSERT_OK(store_->DeleteExperimentTag(id, "team"));
  EXPECT_THAT(store_->DeleteExperimentTag(id, "team"), StatusIs(StatusCode::kNotFound));
}

TEST_F(TrackingStoreTest, CreateRunDefaults) {
  std::string id = NewExperiment("e");
  ASSERT_OK_AND_ASSIGN(tracking::Run run,
                       store_->CreateRun({.experiment_id = id, .user_id = "ana"}));
  EXPECT_THAT(run.info.run_id, SizeIs(32));
  EXPECT_EQ(run.info.status, "RUNNING");
  EXPECT_EQ(run.info.user_id, "ana");
  EXPECT_EQ(run.info.start_time, 1'700'000'000'000);
  EXPECT_EQ(run.info.artifact_uri, "mlflow-artifacts:/1/" + run.info.run_id + "/artifacts");
  EXPECT_FALSE(run.info.run_name.empty());
  EXPECT_THAT(run.tags, ElementsAre(Tag{"mlflow.runName", run.info.run_name}));
  EXPECT_THAT(store_->CreateRun({.experiment_id = "9"}), StatusIs(StatusCode::kNotFound));
}

TEST_F(TrackingStoreTest, UpdateRunAndRunNameTag) {
  tracking::Run run = NewRun("0", "first");
  ASSERT_OK_AND_ASSIGN(
      RunInfo info,
      store_->UpdateRun(
          {.run_id = run.info.run_id, .status = "FINISHED", .end_time = 5, .run_name = "second"}));
  EXPECT_EQ(info.status, "FINISHED");
  EXPECT_EQ(info.end_time, 5);
  EXPECT_EQ(info.run_name, "second");
  ASSERT_OK(store_->SetTag(run.info.run_id, {"mlflow.runName", "third"}));
  EXPECT_EQ(store_->GetRun(run.info.run_id)->info.run_name, "third");
  EXPECT_THAT(store_->UpdateRun({.run_id = run.info.run_id, .status = "DONE"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'DONE'")));
}

TEST_F(TrackingStoreTest, ParamsAreImmutable) {
  tracking::Run run = NewRun("0");
  const std::string& id = run.info.run_id;
  ASSERT_OK(store_->LogParam(id, {"depth", "6"}));
  EXPECT_OK(store_->LogParam(id, {"depth", "6"}));
  EXPECT_THAT(store_->LogParam(id, {"depth", "7"}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("param 'depth' of run '" + id +
                                 "' was logged with value '6'; attempted new value '7'")));
  // A conflicting batch changes nothing at all.
  EXPECT_THAT(store_->LogBatch(id, {{"m", 1, 1, 0}}, {{"lr", "0.1"}, {"depth", "8"}}, {}),
              StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(tracking::Run after, store_->GetRun(id));
  EXPECT_THAT(after.params, ElementsAre(Param{"depth", "6"}));
  EXPECT_TRUE(after.metrics.empty());
}

TEST_F(TrackingStoreTest, LatestMetricIsHighestStepThenTimestamp) {
  tracking::Run run = NewRun("0");
  const std::string& id = run.info.run_id;
  ASSERT_OK(store_->LogMetric(id, {"loss", 0.5, 100, 2}));
  ASSERT_OK(store_->LogMetric(id, {"loss", 0.9, 200, 1}));  // older step, newer time
  ASSERT_OK(store_->LogMetric(id, {"loss", 0.4, 150, 2}));  // same step, newer time
  ASSERT_OK_AND_ASSIGN(tracking::Run after, store_->GetRun(id));
  ASSERT_THAT(after.metrics, SizeIs(1));
  EXPECT_EQ(after.metrics[0].value, 0.4);
  EXPECT_EQ(after.metrics[0].step, 2);
  ASSERT_OK_AND_ASSIGN(auto history, store_->GetMetricHistory(id, "loss", 0, ""));
  ASSERT_THAT(history.items, SizeIs(3));
  EXPECT_EQ(history.items[0].value, 0.9);
}

TEST_F(TrackingStoreTest, NanAndInfinityAreKept) {
  tracking::Run run = NewRun("0");
  const std::string& id = run.info.run_id;
  double inf = std::numeric_limits<double>::infinity();
  ASSERT_OK(store_->LogBatch(id, {{"a", std::nan(""), 1, 0}, {"b", inf, 1, 0}, {"c", -inf, 1, 0}},
                             {}, {}));
  ASSERT_OK_AND_ASSIGN(tracking::Run after, store_->GetRun(id));
  ASSERT_THAT(after.metrics, SizeIs(3));
  EXPECT_TRUE(std::isnan(after.metrics[0].value));
  EXPECT_EQ(after.metrics[1].value, inf);
  EXPECT_EQ(after.metrics[2].value, -inf);
}

TEST_F(TrackingStoreTest, DuplicatePointsAreStoredOnce) {
  tracking::Run run = NewRun("0");
  ASSERT_OK(store_->LogMetric(run.info.run_id, {"m", 1.5, 10, 1}));
  ASSERT_OK(store_->LogMetric(run.info.run_id, {"m", 1.5, 10, 1}));
  EXPECT_THAT(store_->GetMetricHistory(run.info.run_id, "m", 0, "")->items, SizeIs(1));
}

TEST_F(TrackingStoreTest, MetricHistoryPages) {
  tracking::Run run = NewRun("0");
  std::vector<Metric> points;
  for (int i = 0; i < 25; ++i) points.push_back({"m", double(i), 1000 + i, i});
  ASSERT_OK(store_->LogBatch(run.info.run_id, points, {}, {}));
  std::vector<double> seen;
  std::string token;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, store_->GetMetricHistory(run.info.run_id, "m", 10, token));
    for (const Metric& m : page.items) seen.push_back(m.value);
    token = page.next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_THAT(seen, SizeIs(25));
  for (int i = 0; i < 25; ++i) EXPECT_EQ(seen[i], i);
}

TEST_F(TrackingStoreTest, BatchLimitsAndKeyRules) {
  tracking::Run run = NewRun("0");
  std::vector<Metric> many(1001, Metric{"m", 1, 1, 0});
  EXPECT_THAT(store_->LogBatch(run.info.run_id, many, {}, {}),
              StatusIs(StatusCode::kInvalidArgument,
                       "a batch may hold at most 1000 metrics; got 1001 (split the batch)"));
  EXPECT_THAT(store_->LogMetric(run.info.run_id, {"../x", 1, 1, 0}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'..'")));
  EXPECT_THAT(store_->LogMetric(run.info.run_id, {"a;b", 1, 1, 0}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("invalid metric key 'a;b'")));
  EXPECT_THAT(store_->LogParam(run.info.run_id, {std::string(251, 'k'), "v"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("the limit is 250")));
  EXPECT_THAT(store_->LogParam(run.info.run_id, {"k", std::string(6001, 'v')}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("the limit is 6000")));
}

TEST_F(TrackingStoreTest, DeletedRunRefusesWrites) {
  tracking::Run run = NewRun("0");
  ASSERT_OK(store_->DeleteRun(run.info.run_id));
  ASSERT_OK(store_->DeleteRun(run.info.run_id));  // twice is fine, as in MLflow
  EXPECT_THAT(store_->LogMetric(run.info.run_id, {"m", 1, 1, 0}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("'active' state")));
  ASSERT_OK(store_->RestoreRun(run.info.run_id));
  EXPECT_OK(store_->LogMetric(run.info.run_id, {"m", 1, 1, 0}));
  EXPECT_THAT(store_->LogMetric("nope", {"m", 1, 1, 0}), StatusIs(StatusCode::kNotFound));
}

TEST_F(TrackingStoreTest, DeleteTag) {
  tracking::Run run = NewRun("0");
  ASSERT_OK(store_->SetTag(run.info.run_id, {"k", "v"}));
  ASSERT_OK(store_->DeleteTag(run.info.run_id, "k"));
  EXPECT_THAT(store_->DeleteTag(run.info.run_id, "k"), StatusIs(StatusCode::kNotFound));
}

TEST_F(TrackingStoreTest, InputsAreDedupedPerExperiment) {
  tracking::Run a = NewRun("0");
  tracking::Run b = NewRun("0");
  DatasetInput input{{{"mlflow.data.context", "training"}},
                     {"churn", "abc123", "local", "data/churn.csv", "", ""}};
  ASSERT_OK(store_->LogInputs(a.info.run_id, {input}));
  ASSERT_OK(store_->LogInputs(a.info.run_id, {input}));
  ASSERT_OK(store_->LogInputs(b.info.run_id, {input}));
  ASSERT_OK_AND_ASSIGN(tracking::Run run, store_->GetRun(a.info.run_id));
  ASSERT_THAT(run.inputs, SizeIs(1));
  EXPECT_EQ(run.inputs[0].dataset.digest, "abc123");
  EXPECT_THAT(run.inputs[0].tags, ElementsAre(Tag{"mlflow.data.context", "training"}));
  EXPECT_THAT(store_->LogInputs(a.info.run_id, {{{}, {"", "d", "local", "s", "", ""}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("dataset name")));
}

TEST_F(TrackingStoreTest, SearchRunsFiltersOrdersAndPages) {
  std::string id = NewExperiment("e");
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    clock_.AdvanceMillis(1);
    tracking::Run run = NewRun(id);
    ids.push_back(run.info.run_id);
    if (i % 3 != 0) ASSERT_OK(store_->LogMetric(run.info.run_id, {"auc", i / 30.0, 1, 0}));
  }
  SearchRunsRequest req{.experiment_ids = {id},
                        .filter = "metrics.auc > 0.5",
                        .max_results = 4,
                        .order_by = {"metrics.auc DESC"}};
  std::vector<double> seen;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, store_->SearchRuns(req));
    for (const tracking::Run& run : page.items) seen.push_back(run.metrics.at(0).value);
    req.page_token = page.next_page_token;
  } while (!req.page_token.empty());
  std::vector<double> expected;
  for (int i = 29; i > 15; --i) {
    if (i % 3 != 0) expected.push_back(i / 30.0);
  }
  EXPECT_EQ(seen, expected);
  EXPECT_THAT(store_->SearchRuns({.experiment_ids = {id}, .filter = "metrics.auc >"}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SearchRuns({.experiment_ids = {id}, .max_results = 50001}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("50000")));
}

TEST_F(TrackingStoreTest, SearchExperiments) {
  NewExperiment("churn-a");
  std::string b = NewExperiment("churn-b");
  NewExperiment("other");
  ASSERT_OK(store_->DeleteExperiment(b));
  ASSERT_OK_AND_ASSIGN(auto page, store_->SearchExperiments({.filter = "name LIKE 'churn%'"}));
  ASSERT_THAT(page.items, SizeIs(1));
  EXPECT_EQ(page.items[0].name, "churn-a");
  ASSERT_OK_AND_ASSIGN(page, store_->SearchExperiments({.view_type = "ALL"}));
  EXPECT_THAT(page.items, SizeIs(4));
}

TEST_F(TrackingStoreTest, LogModelAppendsHistory) {
  tracking::Run run = NewRun("0");
  ASSERT_OK(store_->LogModel(run.info.run_id, R"({"artifact_path": "model"})"));
  ASSERT_OK(store_->LogModel(run.info.run_id, R"({"artifact_path": "model2"})"));
  ASSERT_OK_AND_ASSIGN(tracking::Run after, store_->GetRun(run.info.run_id));
  std::string history;
  for (const Tag& t : after.tags) {
    if (t.key == "mlflow.log-model.history") history = t.value;
  }
  EXPECT_EQ(history, R"([{"artifact_path":"model"},{"artifact_path":"model2"}])");
  EXPECT_THAT(store_->LogModel(run.info.run_id, "not json"),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(TrackingStoreTest, LoggedModels) {
  tracking::Run run = NewRun("0");
  ASSERT_OK_AND_ASSIGN(LoggedModel m, store_->CreateLoggedModel({.experiment_id = "0",
                                                                 .name = "model",
                                                                 .source_run_id = run.info.run_id,
                                                                 .params = {{"depth", "6"}}}));
  EXPECT_EQ(m.status, "LOGGED_MODEL_PENDING");
  EXPECT_EQ(m.artifact_location, "mlflow-artifacts:/0/models/" + m.model_id + "/artifacts");
  ASSERT_OK_AND_ASSIGN(m, store_->FinalizeLoggedModel(m.model_id, "LOGGED_MODEL_READY"));
  EXPECT_EQ(m.status, "LOGGED_MODEL_READY");
  ASSERT_OK(store_->LogOutputs(run.info.run_id, {{m.model_id, 3}}));
  ASSERT_OK_AND_ASSIGN(tracking::Run after, store_->GetRun(run.info.run_id));
  ASSERT_THAT(after.outputs, SizeIs(1));
  EXPECT_EQ(after.outputs[0].step, 3);
  ASSERT_OK_AND_ASSIGN(auto page, store_->SearchLoggedModels({"0"}, "", 10, ""));
  EXPECT_THAT(page.items, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(page,
                       store_->SearchLoggedModels(
                           {}, "source_run_id='" + run.info.run_id + "' AND name='model'", 10, ""));
  EXPECT_THAT(page.items, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(page, store_->SearchLoggedModels({}, "name = \"other\"", 10, ""));
  EXPECT_THAT(page.items, SizeIs(0));
  EXPECT_THAT(store_->SearchLoggedModels({}, "metrics.x > 1", 10, ""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'metrics.x > 1'")));
  EXPECT_THAT(store_->SearchLoggedModels({}, "color = 'red'", 10, ""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown attribute 'color'")));
  ASSERT_OK(store_->DeleteLoggedModel(m.model_id));
  EXPECT_THAT(store_->GetLoggedModel(m.model_id), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace sluice::tracking
