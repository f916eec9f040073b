// Evaluate by name: the names per task, agreement with the individual functions, thresholds,
// argmax, and the errors a caller sees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "stats/stats.h"
#include "testing/status_matchers.h"

namespace sluice::stats {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::UnorderedElementsAre;

using Vec = std::vector<double>;
using Names = std::vector<std::string>;

constexpr double kTol = 1e-12;

TEST(MetricNamesTest, FixedListsPerTask) {
  EXPECT_THAT(MetricNames(Task::kBinary), ElementsAre("auc", "pr_auc", "log_loss", "accuracy",
                                                      "precision", "recall", "f1", "brier", "ece"));
  EXPECT_THAT(MetricNames(Task::kMulticlass), ElementsAre("accuracy", "macro_f1", "macro_precision",
                                                          "macro_recall", "log_loss", "macro_auc"));
  EXPECT_THAT(MetricNames(Task::kRegression), ElementsAre("rmse", "mae", "r2", "mape"));
}

TEST(MetricNamesTest, DirectionOfEveryMetric) {
  const std::map<std::string, bool> expected = {
      {"auc", true},          {"pr_auc", true},    {"accuracy", true}, {"precision", true},
      {"recall", true},       {"f1", true},        {"macro_f1", true}, {"macro_precision", true},
      {"macro_recall", true}, {"macro_auc", true}, {"r2", true},       {"log_loss", false},
      {"brier", false},       {"ece", false},      {"rmse", false},    {"mae", false},
      {"mape", false}};
  for (Task task : {Task::kBinary, Task::kMulticlass, Task::kRegression}) {
    for (std::string_view name : MetricNames(task)) {
      ASSERT_TRUE(expected.count(std::string(name))) << name;
      EXPECT_EQ(HigherIsBetter(name), expected.at(std::string(name))) << name;
      EXPECT_TRUE(IsKnownMetric(name)) << name;
    }
  }
  EXPECT_FALSE(IsKnownMetric("aucc"));
  EXPECT_FALSE(HigherIsBetter("aucc"));
}

const Vec kBinaryY{0, 0, 1, 1, 1, 0, 1, 0};
const Vec kBinaryP{0.1, 0.4, 0.35, 0.8, 0.5, 0.5, 0.9, 0.2};

TEST(EvaluateTest, BinaryAllMetricsMatchTheFunctions) {
  ASSERT_OK_AND_ASSIGN(auto m, Evaluate(Task::kBinary, kBinaryY, kBinaryP, 2, {}));
  EXPECT_THAT(m, UnorderedElementsAre(Key("auc"), Key("pr_auc"), Key("log_loss"), Key("accuracy"),
                                      Key("precision"), Key("recall"), Key("f1"), Key("brier"),
                                      Key("ece")));
  EXPECT_EQ(m["auc"], *RocAuc(kBinaryY, kBinaryP));
  EXPECT_EQ(m["pr_auc"], *PrAuc(kBinaryY, kBinaryP));
  EXPECT_EQ(m["log_loss"], *LogLoss(kBinaryY, kBinaryP));
  EXPECT_EQ(m["brier"], *BrierScore(kBinaryY, kBinaryP));
  EXPECT_EQ(m["ece"], *ExpectedCalibrationError(kBinaryY, kBinaryP));
  // At 0.5 (>=): predicted 1 for 0.8, 0.5, 0.5, 0.9 -> tp 3, fp 1 (0.5 at i=5), fn 1 (0.35).
  EXPECT_NEAR(m["accuracy"], 6.0 / 8.0, kTol);
  EXPECT_NEAR(m["precision"], 3.0 / 4.0, kTol);
  EXPECT_NEAR(m["recall"], 3.0 / 4.0, kTol);
  EXPECT_NEAR(m["f1"], 3.0 / 4.0, kTol);
}

TEST(EvaluateTest, BinaryThresholdAndSubset) {
  // At 0.3: predicted 1 for 0.4, 0.35, 0.8, 0.5, 0.5, 0.9 -> tp 4, fp 2, fn 0.
  ASSERT_OK_AND_ASSIGN(auto m, Evaluate(Task::kBinary, kBinaryY, kBinaryP, 2,
                                        Names{"precision", "recall", "accuracy"}, 0.3));
  EXPECT_THAT(m, UnorderedElementsAre(Key("precision"), Key("recall"), Key("accuracy")));
  EXPECT_NEAR(m["precision"], 4.0 / 6.0, kTol);
  EXPECT_NEAR(m["recall"], 1.0, kTol);
  EXPECT_NEAR(m["accuracy"], 6.0 / 8.0, kTol);
}

TEST(EvaluateTest, MulticlassUsesArgmax) {
  // The sklearn f1_score doc example as one-hot-ish probabilities: y_pred = [0, 2, 1, 0, 0, 1].
  const Vec y{0, 1, 2, 0, 1, 2};
  const Vec probs{0.6, 0.2,  0.2,   //
                  0.1, 0.3,  0.6,   //
                  0.2, 0.7,  0.1,   //
                  0.5, 0.25, 0.25,  //
                  0.4, 0.3,  0.3,   //
                  0.3, 0.4,  0.3};
  ASSERT_OK_AND_ASSIGN(auto m, Evaluate(Task::kMulticlass, y, probs, 3, {}));
  EXPECT_THAT(m, UnorderedElementsAre(Key("accuracy"), Key("macro_f1"), Key("macro_precision"),
                                      Key("macro_recall"), Key("log_loss"), Key("macro_auc")));
  EXPECT_NEAR(m["accuracy"], 2.0 / 6.0, kTol);
  EXPECT_NEAR(m["macro_f1"], 0.8 / 3.0, kTol);
  EXPECT_NEAR(m["macro_precision"], 2.0 / 9.0, kTol);
  EXPECT_NEAR(m["macro_recall"], 1.0 / 3.0, kTol);
  const std::vector<int> yi{0, 1, 2, 0, 1, 2};
  EXPECT_EQ(m["log_loss"], *MulticlassLogLoss(yi, probs, 3));
  EXPECT_EQ(m["macro_auc"], *MacroRocAucOvr(yi, probs, 3));
}

TEST(EvaluateTest, MulticlassWithTwoClassesIsStillMacro) {
  // Predicted [0, 0, 1, 1] for y [0, 1, 1, 1]: class 1 F1 = 4/5 (what binary "f1" would be),
  // class 0 F1 = 2/3; macro_f1 averages both.
  ASSERT_OK_AND_ASSIGN(auto m,
                       Evaluate(Task::kMulticlass, Vec{0, 1, 1, 1},
                                Vec{0.9, 0.1, 0.6, 0.4, 0.2, 0.8, 0.3, 0.7}, 2, Names{"macro_f1"}));
  EXPECT_NEAR(m["macro_f1"], (2.0 / 3.0 + 0.8) / 2, kTol);
}

TEST(EvaluateTest, Regression) {
  ASSERT_OK_AND_ASSIGN(auto m,
                       Evaluate(Task::kRegression, Vec{3, -0.5, 2, 7}, Vec{2.5, 0.0, 2, 8}, 0, {}));
  EXPECT_THAT(m, UnorderedElementsAre(Key("rmse"), Key("mae"), Key("r2"), Key("mape")));
  EXPECT_NEAR(m["rmse"], 0.6123724356957945, kTol);
  EXPECT_NEAR(m["mae"], 0.5, kTol);
  EXPECT_NEAR(m["r2"], 0.9486081370449679, kTol);
  EXPECT_NEAR(m["mape"], 0.3273809523809524, kTol);
}

TEST(EvaluateTest, UnknownNameListsTheValidOnes) {
  EXPECT_THAT(Evaluate(Task::kBinary, kBinaryY, kBinaryP, 2, Names{"auc", "aucc"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "unknown metric 'aucc' for a binary task; valid metrics: auc, pr_auc, "
                       "log_loss, accuracy, precision, recall, f1, brier, ece"));
  EXPECT_THAT(Evaluate(Task::kMulticlass, Vec{0, 1}, Vec{1, 0, 0, 1}, 2, Names{"auc"}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("unknown metric 'auc' for a multiclass task; valid metrics: "
                                 "accuracy, macro_f1")));
  EXPECT_THAT(
      Evaluate(Task::kRegression, Vec{1, 2}, Vec{1, 2}, 0, Names{"f1"}),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("valid metrics: rmse, mae, r2, mape")));
}

TEST(EvaluateTest, ErrorsNameThePredictionAndTheMetric) {
  EXPECT_THAT(Evaluate(Task::kBinary, Vec{0, 1, 1}, Vec{0.1, 0.2}, 2, {}),
              StatusIs(StatusCode::kInvalidArgument, "y_true has 3 values, prediction has 2"));
  EXPECT_THAT(Evaluate(Task::kBinary, Vec{0, 1, 1}, Vec{0.1, 0.2, std::nan("")}, 2, {}),
              StatusIs(StatusCode::kInvalidArgument, "prediction[2] is NaN"));
  EXPECT_THAT(Evaluate(Task::kBinary, Vec{1, 1}, Vec{0.1, 0.2}, 2, Names{"log_loss", "auc"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "metric 'auc': AUC is undefined when y_true has only one class (all 1)"));
  EXPECT_THAT(Evaluate(Task::kBinary, Vec{0, 1}, Vec{0.1, 0.2}, 2, Names{"f1"}, std::nan("")),
              StatusIs(StatusCode::kInvalidArgument, "threshold is NaN"));
  EXPECT_THAT(Evaluate(Task::kMulticlass, Vec{0, 1.5}, Vec{1, 0, 0, 1}, 2, {}),
              StatusIs(StatusCode::kInvalidArgument,
                       "y_true[1] is 1.5; class indices must be integers in [0, 2)"));
  EXPECT_THAT(Evaluate(Task::kMulticlass, Vec{0, 2}, Vec{1, 0, 0, 1}, 2, {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("y_true[1] is 2")));
  EXPECT_THAT(Evaluate(Task::kMulticlass, Vec{0, 1}, Vec{1, 0, 0}, 2, {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("prediction has 3 values")));
  EXPECT_THAT(Evaluate(Task::kMulticlass, Vec{0, 1}, Vec{1, 0}, 1, {}),
              StatusIs(StatusCode::kInvalidArgument, "num_classes must be at least 2, got 1"));
  EXPECT_THAT(Evaluate(Task::kRegression, Vec{0, 1}, Vec{1, INFINITY}, 0, {}),
              StatusIs(StatusCode::kInvalidArgument, "prediction[1] is inf"));
  EXPECT_THAT(Evaluate(Task::kRegression, Vec{1}, Vec{1}, 0, {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("metric 'r2': R2 needs")));
}

TEST(EvaluateTest, DuplicateNamesComputeOnce) {
  ASSERT_OK_AND_ASSIGN(auto m,
                       Evaluate(Task::kRegression, Vec{1, 2}, Vec{1, 3}, 0, Names{"mae", "mae"}));
  EXPECT_EQ(m.size(), 1u);
  EXPECT_DOUBLE_EQ(m["mae"], 0.5);
}

}  // namespace
}  // namespace sluice::stats
