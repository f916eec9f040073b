// Confusion matrices, classification reports and the multiclass probability metrics. Expected
// values are scikit-learn documentation examples (quoted) or hand computations shown inline;
// the one-vs-rest AUCs were computed exactly with Python fractions over the pairwise definition.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "stats/metrics.h"
#include "testing/status_matchers.h"

namespace sluice::stats {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Ints = std::vector<int>;
using Vec = std::vector<double>;

constexpr double kTol = 1e-12;

TEST(ConfusionTest, SklearnDocExample) {
  // sklearn confusion_matrix docs: y_true = [2, 0, 2, 2, 0, 1], y_pred = [0, 0, 2, 2, 0, 2]
  // -> [[2, 0, 0], [0, 0, 1], [1, 0, 2]].
  ASSERT_OK_AND_ASSIGN(ConfusionMatrix cm,
                       Confusion(Ints{2, 0, 2, 2, 0, 1}, Ints{0, 0, 2, 2, 0, 2}, 3));
  EXPECT_EQ(cm.num_classes, 3);
  EXPECT_THAT(cm.counts, ElementsAre(2, 0, 0, 0, 0, 1, 1, 0, 2));
  EXPECT_EQ(cm.at(2, 0), 1);
  EXPECT_EQ(cm.at(1, 2), 1);
}

TEST(ConfusionDeathTest, AtOutOfRangeIsABug) {
  ConfusionMatrix cm{2, {1, 0, 0, 1}};
  EXPECT_DEATH((void)cm.at(2, 0), "");
}

TEST(ConfusionTest, Errors) {
  EXPECT_THAT(Confusion(Ints{0, 1}, Ints{0, 1}, 1),
              StatusIs(StatusCode::kInvalidArgument, "num_classes must be at least 2, got 1"));
  EXPECT_THAT(Confusion(Ints{0, 1}, Ints{0, 1}, 5000),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("at most 4096")));
  EXPECT_THAT(Confusion(Ints{0, 1, 2}, Ints{0, 1}, 3),
              StatusIs(StatusCode::kInvalidArgument, "y_true has 3 values, y_pred has 2"));
  EXPECT_THAT(Confusion(Ints{}, Ints{}, 3),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("y_true is empty")));
  EXPECT_THAT(
      Confusion(Ints{0, 1, 2}, Ints{0, 1, 3}, 3),
      StatusIs(StatusCode::kInvalidArgument, "y_pred[2] is 3; class indices must be in [0, 3)"));
  EXPECT_THAT(Confusion(Ints{0, -1, 2}, Ints{0, 1, 2}, 3),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("y_true[1] is -1")));
}

TEST(ReportTest, SklearnF1DocExampleMacro) {
  // sklearn f1_score docs: y_true = [0, 1, 2, 0, 1, 2], y_pred = [0, 2, 1, 0, 0, 1]:
  // macro f1 0.26..., per class [0.8, 0, 0]; precision_score macro 0.22..., recall macro 0.33...
  ASSERT_OK_AND_ASSIGN(ConfusionMatrix cm,
                       Confusion(Ints{0, 1, 2, 0, 1, 2}, Ints{0, 2, 1, 0, 0, 1}, 3));
  const ClassificationReport r = Report(cm);
  EXPECT_NEAR(r.accuracy, 2.0 / 6.0, kTol);
  EXPECT_THAT(r.per_class_f1, ElementsAre(0.8, 0.0, 0.0));
  EXPECT_THAT(r.per_class_precision, ElementsAre(2.0 / 3.0, 0.0, 0.0));
  EXPECT_THAT(r.per_class_recall, ElementsAre(1.0, 0.0, 0.0));
  EXPECT_NEAR(r.f1, 0.8 / 3.0, kTol);
  EXPECT_NEAR(r.precision, 2.0 / 9.0, kTol);
  EXPECT_NEAR(r.recall, 1.0 / 3.0, kTol);
  EXPECT_EQ(r.f1, r.macro_f1);
  EXPECT_EQ(r.precision, r.macro_precision);
  EXPECT_EQ(r.recall, r.macro_recall);
}

TEST(ReportTest, BinaryUsesClassOne) {
  // tp = 2 (i = 1, 4), fp = 1 (i = 3), fn = 1 (i = 2): P = R = F1 = 2/3.
  ASSERT_OK_AND_ASSIGN(ConfusionMatrix cm, Confusion(Ints{0, 1, 1, 0, 1}, Ints{0, 1, 0, 1, 1}, 2));
  const ClassificationReport r = Report(cm);
  EXPECT_NEAR(r.precision, 2.0 / 3.0, kTol);
  EXPECT_NEAR(r.recall, 2.0 / 3.0, kTol);
  EXPECT_NEAR(r.f1, 2.0 / 3.0, kTol);
  EXPECT_NEAR(r.accuracy, 3.0 / 5.0, kTol);
  // Class 0: tp 1, fp 1, fn 1 -> 1/2 each; the macro averages differ from the binary ones.
  EXPECT_NEAR(r.macro_f1, (0.5 + 2.0 / 3.0) / 2, kTol);
}

TEST(ReportTest, ZeroDivisionGivesZero) {
  // Class 1 occurs but is never predicted: its precision is 0/0, its recall and F1 0.
  ASSERT_OK_AND_ASSIGN(ConfusionMatrix cm, Confusion(Ints{0, 1, 0}, Ints{0, 0, 0}, 2));
  const ClassificationReport r = Report(cm);
  EXPECT_EQ(r.precision, 0.0);
  EXPECT_EQ(r.recall, 0.0);
  EXPECT_EQ(r.f1, 0.0);
  // Class 0: precision 2/3, recall 1, F1 0.8; macro F1 = (0.8 + 0) / 2.
  EXPECT_NEAR(r.macro_f1, 0.4, kTol);
}

TEST(ReportTest, ClassesAbsentFromBothSidesAreLeftOutOfMacro) {
  // Same data as the f1 example with a fourth class that never occurs: sklearn infers labels
  // {0, 1, 2} from the data, so the macro averages do not change.
  ASSERT_OK_AND_ASSIGN(ConfusionMatrix cm,
                       Confusion(Ints{0, 1, 2, 0, 1, 2}, Ints{0, 2, 1, 0, 0, 1}, 4));
  const ClassificationReport r = Report(cm);
  EXPECT_NEAR(r.macro_f1, 0.8 / 3.0, kTol);
  EXPECT_NEAR(r.macro_precision, 2.0 / 9.0, kTol);
  EXPECT_THAT(r.per_class_f1, ElementsAre(0.8, 0.0, 0.0, 0.0));
  // A class that is only predicted counts (it has a column): here class 3 is predicted once.
  ASSERT_OK_AND_ASSIGN(ConfusionMatrix cm2,
                       Confusion(Ints{0, 1, 2, 0, 1, 2}, Ints{0, 2, 1, 0, 0, 3}, 4));
  EXPECT_EQ(Report(cm2).per_class_f1.size(), 4u);
  // per class f1: class 0 0.8, 1 0, 2 0, 3 0 -> mean over 4 present classes.
  EXPECT_NEAR(Report(cm2).macro_f1, 0.8 / 4.0, kTol);
}

TEST(ReportTest, EmptyMatrixIsAllZeros) {
  const ClassificationReport r = Report(ConfusionMatrix{3, std::vector<int64_t>(9, 0)});
  EXPECT_EQ(r.accuracy, 0.0);
  EXPECT_EQ(r.macro_f1, 0.0);
}

// ---- Probabilities ----

// 7 samples, 3 classes, with ties inside each column.
const Ints kY{0, 1, 2, 2, 1, 0, 2};
const Vec kProbs{0.5,   0.25,  0.25,  //
                 0.25,  0.5,   0.25,  //
                 0.25,  0.25,  0.5,   //
                 0.5,   0.25,  0.25,  //
                 0.125, 0.625, 0.25,  //
                 0.25,  0.5,   0.25,  //
                 0.25,  0.25,  0.5};

TEST(MulticlassLogLossTest, HandComputed) {
  // -(log .5 + log .5 + log .5 + log .25 + log .625 + log .25 + log .5) / 7 (Python).
  EXPECT_NEAR(*MulticlassLogLoss(kY, kProbs, 3), 0.8593115819607569, kTol);
}

TEST(MulticlassLogLossTest, TwoColumnsMatchBinaryLogLoss) {
  // The sklearn log_loss doc example in its two-column form -> 0.21616...
  ASSERT_OK_AND_ASSIGN(
      double loss, MulticlassLogLoss(Ints{1, 0, 0, 1}, Vec{.1, .9, .9, .1, .8, .2, .35, .65}, 2));
  EXPECT_NEAR(loss, 0.21616187468057912, kTol);
}

TEST(MulticlassLogLossTest, Clipped) {
  EXPECT_NEAR(*MulticlassLogLoss(Ints{0}, Vec{0.0, 1.0}, 2), 34.538776394910684, 1e-9);
}

TEST(MacroRocAucOvrTest, HandComputedWithTies) {
  // Per class (Python fractions, pairwise): 7/10, 19/20, 5/6 -> mean 149/180.
  EXPECT_NEAR(*MacroRocAucOvr(kY, kProbs, 3), 149.0 / 180.0, kTol);
}

TEST(MacroRocAucOvrTest, TwoClassesEqualBinaryAuc) {
  const Ints y{0, 0, 1, 1};
  const Vec p1{0.1, 0.4, 0.35, 0.8};
  Vec probs;
  for (double p : p1) {
    probs.push_back(1 - p);
    probs.push_back(p);
  }
  EXPECT_NEAR(*MacroRocAucOvr(y, probs, 2), 0.75, kTol);
}

TEST(MulticlassProbabilityTest, Errors) {
  EXPECT_THAT(MacroRocAucOvr(Ints{0, 1, 0}, Vec{0.5, 0.5, 0.0, 0.5, 0.5, 0.0, 0.0, 1.0, 0.0}, 3),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("AUC is undefined for class 2: it does not occur in y_true")));
  EXPECT_THAT(MulticlassLogLoss(Ints{0, 1}, Vec{0.5, 0.5, 0.5}, 2),
              StatusIs(StatusCode::kInvalidArgument,
                       "probs has 3 values, expected 4 (2 samples x 2 classes)"));
  EXPECT_THAT(MulticlassLogLoss(Ints{0, 1}, Vec{0.5, 0.5, 0.5, 0.4}, 2),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("probs row 1 sums to 0.9, not 1")));
  EXPECT_THAT(
      MulticlassLogLoss(Ints{0, 1}, Vec{2.0, -1.0, 0.5, 0.5}, 2),
      StatusIs(StatusCode::kInvalidArgument, "probs[0] is 2; probabilities must be in [0, 1]"));
  EXPECT_THAT(MulticlassLogLoss(Ints{0, 1}, Vec{0.5, 0.5, std::nan(""), 0.5}, 2),
              StatusIs(StatusCode::kInvalidArgument, "probs[2] is NaN"));
  EXPECT_THAT(MacroRocAucOvr(Ints{0, 3}, Vec{0.5, 0.5, 0.5, 0.5}, 2),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("y_true[1] is 3")));
  EXPECT_THAT(MacroRocAucOvr(Ints{0, 1}, Vec{1.0, 1.0}, 1),
              StatusIs(StatusCode::kInvalidArgument, "num_classes must be at least 2, got 1"));
  EXPECT_THAT(MulticlassLogLoss(Ints{}, Vec{}, 2),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("y_true is empty")));
}

}  // namespace
}  // namespace sluice::stats
