// Training, evaluation, reproduction and tuning end to end on a real workspace (SQLite file and
// blob folder), with real XGBoost and the linear learner.
#include "training/trainer.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <random>

#include "base/clock.h"
#include "base/sha256.h"
#include "datasets/dataset_store.h"
#include "models/predictor.h"
#include "storage/workspace.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "training/evaluate.h"
#include "training/reproduce.h"
#include "training/tune.h"

namespace sluice::training {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::Lt;

// y depends on x1, x2 and the plan; noise keeps the AUC below 1.
std::string ChurnCsv(size_t rows, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const char* plans[] = {"basic", "pro", "team"};
  std::string csv = "x1,x2,plan,noise,churned\n";
  for (size_t i = 0; i < rows; ++i) {
    double x1 = u(gen), x2 = u(gen), noise = u(gen);
    int plan = static_cast<int>(u(gen) * 3);
    double score = x1 + 0.5 * x2 + (plan == 2 ? 0.4 : 0.0) + 0.3 * (u(gen) - 0.5);
    std::string x2_text = i % 17 == 0 ? "" : fmt::format("{:.4f}", x2);  // some missing
    csv += fmt::format("{:.4f},{},{},{:.4f},{}\n", x1, x2_text, plans[plan], noise,
                       score > 0.9 ? "yes" : "no");
  }
  return csv;
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ws = storage::Workspace::Init(dir_.path());
    ASSERT_OK(ws);
    workspace_ = std::move(*ws);
    auto tracking = tracking::TrackingStore::Open(workspace_->database(), clock_);
    ASSERT_OK(tracking);
    tracking_ = std::move(*tracking);
    artifacts_ = std::make_unique<tracking::ArtifactStore>(workspace_->database(),
                                                           workspace_->blobs(), clock_);
    auto registry = registry::RegistryStore::Open(workspace_->database(), *tracking_, clock_);
    ASSERT_OK(registry);
    registry_ = std::move(*registry);
    services_ =
        std::make_unique<Services>(Services{*tracking_, *artifacts_, *registry_, clock_, "tester"});
    testing::WriteFile(dir_ / "churn.csv", ChurnCsv(800, 1));
    testing::WriteFile(dir_ / "holdout.csv", ChurnCsv(400, 2));
  }

  TrainConfig Config(std::initializer_list<std::pair<const char*, std::string>> fields) {
    TrainConfig config;
    EXPECT_OK(config.Set("data", (dir_ / "churn.csv").string()));
    EXPECT_OK(config.Set("target", "churned"));
    EXPECT_OK(config.Set("xgboost.nthread", "1"));
    EXPECT_OK(config.Set("xgboost.num_rounds", "60"));
    for (const auto& [key, value] : fields) EXPECT_OK(config.Set(key, value));
    return config;
  }

  std::string Tag(const tracking::Run& run, std::string_view key) {
    for (const auto& t : run.tags) {
      if (t.key == key) return t.value;
    }
    return "";
  }

  testing::TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<storage::Workspace> workspace_;
  std::unique_ptr<tracking::TrackingStore> tracking_;
  std::unique_ptr<tracking::ArtifactStore> artifacts_;
  std::unique_ptr<registry::RegistryStore> registry_;
  std::unique_ptr<Services> services_;
};

TEST_F(TrainerTest, XgboostRunRecordsEverythingAndItsBundleScoresLikeTheRun) {
  ASSERT_OK_AND_ASSIGN(TrainResult result,
                       Train(Config({{"exclude", "noise"}, {"register", "churn"}}), *services_));
  EXPECT_EQ(result.task, models::Task::kBinary);  // two string values: auto -> binary
  EXPECT_EQ(result.config.String("split.method"), "stratified");
  EXPECT_EQ(result.train_rows + result.validation_rows + result.test_rows, 800u);
  EXPECT_EQ(result.validation_rows, 160u);
  EXPECT_EQ(result.num_features, 3u);
  EXPECT_THAT(result.metrics.at("validation_auc"), Gt(0.9));
  EXPECT_THAT(result.metrics.at("test_auc"), Gt(0.85));
  EXPECT_EQ(result.importance.size(), 3u);
  EXPECT_EQ(result.importance[0].first, "x1");  // the strongest signal

  ASSERT_OK_AND_ASSIGN(tracking::Run run, tracking_->GetRun(result.run_id));
  EXPECT_EQ(run.info.status, "FINISHED");
  EXPECT_EQ(Tag(run, "sluice.data.sha256"), Sha256::HexOf(testing::ReadFile(dir_ / "churn.csv")));
  EXPECT_EQ(Tag(run, "sluice.model.sha256"), result.model_sha256);
  EXPECT_THAT(Tag(run, "mlflow.log-model.history"), HasSubstr("\"xgboost\""));
  ASSERT_EQ(run.inputs.size(), 1u);
  EXPECT_EQ(run.inputs[0].dataset.digest, result.data_sha256);
  bool has_param = false;
  for (const auto& p : run.params) has_param |= p.key == "xgboost.max_depth" && p.value == "6";
  EXPECT_TRUE(has_param);
  // Per-round curves, one point per round kept or tried.
  ASSERT_OK_AND_ASSIGN(auto curve,
                       tracking_->GetMetricHistory(result.run_id, "validation-logloss", 0, ""));
  EXPECT_GE(curve.items.size(), static_cast<size_t>(result.rounds));

  // The registered version resolves to a bundle whose predictor reproduces the test metric.
  ASSERT_TRUE(result.registered.has_value());
  ASSERT_OK_AND_ASSIGN(models::Bundle bundle, LoadBundle("models:/churn/1", *services_));
  EXPECT_EQ(Sha256::HexOf(bundle.model_bytes), result.model_sha256);
  EXPECT_EQ(bundle.target.classes, (std::vector<std::string>{"no", "yes"}));
  ASSERT_OK_AND_ASSIGN(auto predictor, models::LoadPredictor(bundle));
  ASSERT_OK_AND_ASSIGN(auto example, table::ParseJsonl("{\"x1\": 0.99, \"x2\": 0.99, \"plan\": "
                                                       "\"team\"}\n{\"x1\": 0.01, \"x2\": 0.01, "
                                                       "\"plan\": \"basic\"}\n"));
  ASSERT_OK_AND_ASSIGN(std::vector<double> p, predictor->Predict(example));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_THAT(p[0], Gt(0.8));
  EXPECT_THAT(p[1], Lt(0.2));

  ASSERT_OK_AND_ASSIGN(std::string mlmodel, artifacts_->ReadAll(fmt::format(
                                                "0/{}/artifacts/model/MLmodel", result.run_id)));
  EXPECT_EQ(YAML::Load(mlmodel)["flavors"]["xgboost"]["data"].as<std::string>(), "model.json");
}

TEST_F(TrainerTest, ReproduceRetrainsTheSameModelBytes) {
  ASSERT_OK_AND_ASSIGN(TrainResult original, Train(Config({}), *services_));
  ASSERT_OK_AND_ASSIGN(ReproduceResult again, Reproduce(original.run_id, *services_));
  EXPECT_TRUE(again.identical);
  EXPECT_EQ(again.retrained.model_sha256, original.model_sha256);
  EXPECT_NE(again.retrained.run_id, original.run_id);
  ASSERT_OK_AND_ASSIGN(tracking::Run copy, tracking_->GetRun(again.retrained.run_id));
  EXPECT_EQ(Tag(copy, "sluice.reproduces"), original.run_id);

  // Changed data is refused with both digests, not silently retrained.
  testing::WriteFile(dir_ / "churn.csv", ChurnCsv(800, 3));
  EXPECT_THAT(
      Reproduce(original.run_id, *services_),
      StatusIs(StatusCode::kFailedPrecondition,
               HasSubstr(fmt::format("trained on {} with sha256 {}, but the file now has",
                                     (dir_ / "churn.csv").string(), original.data_sha256))));
}

// Data given as a dataset version: the bytes of that version are read even after the workspace
// file changed, the run records the version (name, manifest digest, "churn@1") so that `sluice
// data log` finds it, and reproducing reads the same version again.
TEST_F(TrainerTest, DatasetVersionsAreReadByReferenceAndRecordedAsRunInputs) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<datasets::DatasetStore> store,
                       datasets::DatasetStore::Open(workspace_->database(), workspace_->blobs(),
                                                    dir_.path(), clock_));
  services_->datasets = store.get();
  const std::string first_bytes = testing::ReadFile(dir_ / "churn.csv");
  ASSERT_OK_AND_ASSIGN(datasets::AddResult v1,
                       store->Add(dir_ / "churn.csv", {.name = "churn", .user = "tester"}));
  testing::WriteFile(dir_ / "churn.csv", ChurnCsv(600, 4));
  ASSERT_OK_AND_ASSIGN(datasets::AddResult v2,
                       store->Add(dir_ / "churn.csv", {.name = "churn", .user = "tester"}));
  ASSERT_EQ(v2.version.version, 2);

  ASSERT_OK_AND_ASSIGN(TrainResult first, Train(Config({{"data", "churn@1"}}), *services_));
  EXPECT_EQ(first.data_sha256, Sha256::HexOf(first_bytes));
  EXPECT_EQ(first.train_rows + first.validation_rows + first.test_rows, 800u);
  EXPECT_EQ(first.config.String("data"), "churn@1");
  ASSERT_OK_AND_ASSIGN(tracking::Run run, tracking_->GetRun(first.run_id));
  ASSERT_EQ(run.inputs.size(), 1u);
  EXPECT_EQ(run.inputs[0].dataset.name, "churn");
  EXPECT_EQ(run.inputs[0].dataset.digest, v1.version.digest);
  EXPECT_EQ(run.inputs[0].dataset.source_type, "sluice");
  EXPECT_EQ(run.inputs[0].dataset.source, R"({"uri":"churn@1"})");

  // "churn" is the latest version, recorded by its number.
  ASSERT_OK_AND_ASSIGN(TrainResult latest, Train(Config({{"data", "churn"}}), *services_));
  EXPECT_EQ(latest.config.String("data"), "churn@2");
  EXPECT_EQ(latest.train_rows + latest.validation_rows + latest.test_rows, 600u);

  // The workspace file differs from version 1, yet version 1 reproduces.
  ASSERT_OK_AND_ASSIGN(ReproduceResult again, Reproduce(first.run_id, *services_));
  EXPECT_TRUE(again.identical);

  EvaluateRequest request{.model_uri = fmt::format("runs:/{}/model", first.run_id),
                          .data = "churn@2"};
  ASSERT_OK_AND_ASSIGN(EvaluateResult evaluated, Evaluate(request, *services_));
  EXPECT_EQ(evaluated.rows, 600u);
  ASSERT_OK_AND_ASSIGN(tracking::Run evaluation, tracking_->GetRun(evaluated.run_id));
  ASSERT_EQ(evaluation.inputs.size(), 1u);
  EXPECT_EQ(evaluation.inputs[0].dataset.digest, v2.version.digest);

  EXPECT_THAT(Train(Config({{"data", "churn@7"}}), *services_),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("'churn@7' is neither a file nor a dataset version")));
  EXPECT_THAT(Train(Config({{"data", "nothing here.csv"}}), *services_),
              StatusIs(StatusCode::kNotFound, HasSubstr("neither a file nor a dataset version")));
}

// --suite: data that fails the suite is refused before a run exists; data that passes is
// trained on, with the results as an artifact and the suite inside the model bundle.
TEST_F(TrainerTest, SuiteRefusesFailingDataAndTravelsWithTheModel) {
  testing::WriteFile(dir_ / "strict.yaml", R"(name: strict
expectations:
  - expect_column_values_to_be_between: {column: x1, min_value: 0, max_value: 1}
  - expect_column_values_to_not_be_null: {column: x2}
  - expect_column_values_to_be_in_set: {column: plan, value_set: [basic, pro]}
)");
  EXPECT_THAT(
      Train(Config({{"suite", (dir_ / "strict.yaml").string()}}), *services_),
      StatusIs(StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(fmt::format("data {} fails the suite 'strict' ({}): 2 of 3 "
                                           "expectations failed: expectation 2 "
                                           "(expect_column_values_to_not_be_null) on x2: ",
                                           (dir_ / "churn.csv").string(),
                                           (dir_ / "strict.yaml").string())),
                     HasSubstr("expectation 3 (expect_column_values_to_be_in_set) on plan: "),
                     HasSubstr("Nothing was recorded"))));
  ASSERT_OK_AND_ASSIGN(auto runs, tracking_->SearchRuns({.experiment_ids = {"0"}}));
  EXPECT_TRUE(runs.items.empty());

  testing::WriteFile(dir_ / "loose.yaml", R"(name: loose
expectations:
  - expect_column_values_to_be_between: {column: x1, min_value: 0, max_value: 1}
  - expect_column_values_to_not_be_null: {column: x2, mostly: 0.9}
)");
  ASSERT_OK_AND_ASSIGN(TrainResult result,
                       Train(Config({{"suite", (dir_ / "loose.yaml").string()}}), *services_));
  ASSERT_TRUE(result.data_check.has_value());
  EXPECT_TRUE(result.data_check->success);
  EXPECT_EQ(result.data_check->statistics.evaluated_expectations, 2);
  EXPECT_EQ(result.config.String("suite"), (dir_ / "loose.yaml").string());
  ASSERT_OK_AND_ASSIGN(tracking::Run run, tracking_->GetRun(result.run_id));
  EXPECT_EQ(Tag(run, "sluice.data.suite"), "loose");
  ASSERT_OK_AND_ASSIGN(models::Bundle bundle,
                       LoadBundle(fmt::format("runs:/{}/model", result.run_id), *services_));
  EXPECT_THAT(bundle.input_suite, HasSubstr("expect_column_values_to_not_be_null"));
  ASSERT_OK_AND_ASSIGN(std::string stored,
                       artifacts_->ReadAll(*tracking::ArtifactStorePath(run.info.artifact_uri) +
                                           "/" + std::string(kDataCheckArtifact)));
  nlohmann::json check = nlohmann::json::parse(stored);
  EXPECT_EQ(check["suite"], "loose");
  EXPECT_EQ(check["train"]["success"], true);
  EXPECT_EQ(check["train"]["results"].size(), 2u);
}

TEST_F(TrainerTest, LinearRegressionRecoversALinearTarget) {
  std::string csv = "a,b,y\n";
  for (int i = 0; i < 200; ++i) {
    double a = i * 0.01, b = (i * 37 % 101) * 0.1;
    csv += fmt::format("{},{},{}\n", a, b, 3 + 2 * a - b);
  }
  testing::WriteFile(dir_ / "line.csv", csv);
  ASSERT_OK_AND_ASSIGN(TrainResult result, Train(Config({{"data", (dir_ / "line.csv").string()},
                                                         {"target", "y"},
                                                         {"algorithm", "linear"},
                                                         {"linear.l2", "0"}}),
                                                 *services_));
  EXPECT_EQ(result.task, models::Task::kRegression);
  EXPECT_THAT(result.metrics.at("test_rmse"), Lt(1e-6));
  EXPECT_THAT(result.metrics.at("validation_r2"), Gt(0.999999));
}

TEST_F(TrainerTest, MulticlassXgboostAndLinearBothLearn) {
  std::string csv = "x,y,label\n";
  std::mt19937 gen(5);
  std::normal_distribution<double> noise(0, 0.3);
  for (int i = 0; i < 450; ++i) {
    int c = i % 3;
    csv += fmt::format("{},{},{}\n", c + noise(gen), (c == 1 ? 2 : 0) + noise(gen),
                       c == 0   ? "red"
                       : c == 1 ? "green"
                                : "blue");
  }
  testing::WriteFile(dir_ / "three.csv", csv);
  for (const char* algorithm : {"xgboost", "linear"}) {
    ASSERT_OK_AND_ASSIGN(TrainResult result, Train(Config({{"data", (dir_ / "three.csv").string()},
                                                           {"target", "label"},
                                                           {"algorithm", algorithm}}),
                                                   *services_));
    EXPECT_EQ(result.task, models::Task::kMulticlass);
    EXPECT_THAT(result.metrics.at("test_accuracy"), Gt(0.9)) << algorithm;
  }
}

TEST_F(TrainerTest, BadInputFailsBeforeAnyRunIsCreated) {
  EXPECT_THAT(Train(Config({{"target", "churn"}}), *services_),
              StatusIs(StatusCode::kNotFound, HasSubstr("churn")));
  EXPECT_THAT(
      Train(Config({{"metrics", "auc,rmse"}}), *services_),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("metrics: 'rmse' is not a binary metric")));
  EXPECT_THAT(Train(Config({{"data", (dir_ / "none.csv").string()}}), *services_),
              StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto runs, tracking_->SearchRuns({.experiment_ids = {"0"}}));
  EXPECT_TRUE(runs.items.empty());
}

TEST_F(TrainerTest, EvaluationGatesPassAndFailAndTagTheVersion) {
  ASSERT_OK(Train(Config({{"register", "churn"}}), *services_).status());
  ASSERT_OK(
      Train(
          Config({{"register", "churn"}, {"xgboost.num_rounds", "1"}, {"xgboost.max_depth", "1"}}),
          *services_)
          .status());
  ASSERT_OK_AND_ASSIGN(std::vector<Gate> gates, ParseGates(R"(
gates:
  - metric: auc
    min: 0.9
  - metric: auc
    min_delta: 0
)",
                                                           "gates.yaml"));
  EvaluateRequest request{.model_uri = "models:/churn/1",
                          .data = (dir_ / "holdout.csv").string(),
                          .baseline_uri = "models:/churn/2",
                          .gates = gates};
  ASSERT_OK_AND_ASSIGN(EvaluateResult good, Evaluate(request, *services_));
  EXPECT_TRUE(good.passed);
  EXPECT_EQ(good.rows, 400u);
  EXPECT_THAT(good.metrics.at("auc"), Gt(good.baseline_metrics.at("auc")));
  ASSERT_OK_AND_ASSIGN(registry::ModelVersion v1, registry_->GetModelVersion("churn", "1"));
  EXPECT_THAT(v1.tags, Contains(registry::Tag{"sluice.gate", "passed"}));

  std::swap(request.model_uri, request.baseline_uri);  // the weak model against the strong one
  ASSERT_OK_AND_ASSIGN(EvaluateResult bad, Evaluate(request, *services_));
  EXPECT_FALSE(bad.passed);
  EXPECT_FALSE(bad.gates[1].passed);
  EXPECT_THAT(bad.gates[1].detail, HasSubstr("vs baseline"));
  ASSERT_OK_AND_ASSIGN(registry::ModelVersion v2, registry_->GetModelVersion("churn", "2"));
  EXPECT_THAT(v2.tags, Contains(registry::Tag{"sluice.gate", "failed"}));

  request.baseline_uri = "";
  EXPECT_THAT(Evaluate(request, *services_),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("pass --baseline")));
}

TEST(GateParseTest, ErrorsNameTheLineAndTheFix) {
  EXPECT_THAT(
      ParseGates("gates:\n  - metric: auc\n", "g.yaml"),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("g.yaml line 2: gate on auc has no bound")));
  EXPECT_THAT(ParseGates("gates:\n  - metric: auc\n    minimum: 3\n", "g.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown gate key 'minimum'")));
  EXPECT_THAT(ParseGates("gates:\n  - {metric: auc, min: 0.1, min_delta: 0}\n", "g.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("mixes absolute and delta")));
  EXPECT_THAT(ParseGates("{}", "g.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected `gates:`")));
}

TEST_F(TrainerTest, TuneRunsChildTrialsAndRegistersTheBest) {
  TrainConfig base = Config({{"register", "churn"}, {"xgboost.num_rounds", "20"}});
  ASSERT_OK_AND_ASSIGN(TuneSpec spec, ParseTuneSpec(R"(
trials: 3
space:
  xgboost.max_depth: {min: 1, max: 4}
  xgboost.learning_rate: {min: 0.05, max: 0.5, log: true}
  xgboost.tree_method: [hist, approx]
)",
                                                    "train.yaml"));
  ASSERT_OK_AND_ASSIGN(TuneResult result, Tune(base, spec, *services_));
  ASSERT_EQ(result.trials.size(), 3u);
  EXPECT_EQ(result.metric, "validation_auc");
  ASSERT_TRUE(result.best.has_value());
  for (const Trial& trial : result.trials) {
    ASSERT_TRUE(trial.score.has_value()) << trial.error;
    EXPECT_LE(*trial.score, *result.trials[*result.best].score);
    ASSERT_OK_AND_ASSIGN(tracking::Run child, tracking_->GetRun(trial.run_id));
    EXPECT_EQ(Tag(child, "mlflow.parentRunId"), result.parent_run_id);
    int64_t depth = std::stoll(trial.values.at("xgboost.max_depth"));
    EXPECT_TRUE(depth >= 1 && depth <= 4);
  }
  ASSERT_TRUE(result.registered.has_value());
  EXPECT_EQ(result.registered->run_id, result.trials[*result.best].run_id);
  ASSERT_OK_AND_ASSIGN(tracking::Run parent, tracking_->GetRun(result.parent_run_id));
  EXPECT_EQ(Tag(parent, "sluice.tune.best_run"), result.trials[*result.best].run_id);

  EXPECT_THAT(ParseTuneSpec("space:\n  xgboost.tree_method: {min: 1, max: 2}\n", "t.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("is not numeric")));
  EXPECT_THAT(ParseTuneSpec("space:\n  xgboost.max_depth: {min: 1, max: 99}\n", "t.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("out of range [0, 64]")));
  EXPECT_THAT(ParseTuneSpec("", "t.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("no `tune:` section")));
}

}  // namespace
}  // namespace sluice::training
