#include "xgb/internal/eval_parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "testing/status_matchers.h"

namespace sluice::xgb::internal {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Case {
  std::string text;
  std::vector<std::string> datasets;
  std::vector<EvalValue> expected;
};

// EvalValue == treats NaN as unequal to itself; compare NaN by kind.
bool Same(const EvalValue& a, const EvalValue& b) {
  return a.dataset == b.dataset && a.metric == b.metric &&
         (a.value == b.value || (std::isnan(a.value) && std::isnan(b.value)));
}

TEST(ParseEvalTextTest, ParsesXgboostOutput) {
  const std::vector<Case> cases = {
      {"[0]\ttrain-auc:0.912345", {"train"}, {{"train", "auc", 0.912345}}},
      {"[3]\ttrain-auc:0.91\tvalid-auc:0.88",
       {"train", "valid"},
       {{"train", "auc", 0.91}, {"valid", "auc", 0.88}}},
      {"[12]\ttrain-auc:0.9\ttrain-logloss:0.25\tvalid-auc:0.8\tvalid-logloss:0.5",
       {"train", "valid"},
       {{"train", "auc", 0.9},
        {"train", "logloss", 0.25},
        {"valid", "auc", 0.8},
        {"valid", "logloss", 0.5}}},
      {"[1]\tvalid-ndcg@5:0.75\tvalid-ndcg@5-:0.5\tvalid-map@3:1",
       {"valid"},
       {{"valid", "ndcg@5", 0.75}, {"valid", "ndcg@5-", 0.5}, {"valid", "map@3", 1}}},
      {"[2]\ttrain-error@0.7:0.125\ttrain-tweedie-nloglik@1.5:2.5",
       {"train"},
       {{"train", "error@0.7", 0.125}, {"train", "tweedie-nloglik@1.5", 2.5}}},
      {"[4]\tt-auc:nan\tt-rmse:inf\tt-mae:-nan\tt-mphe:-inf\tt-logloss:1e-05",
       {"t"},
       {{"t", "auc", kNan},
        {"t", "rmse", kInf},
        {"t", "mae", kNan},
        {"t", "mphe", -kInf},
        {"t", "logloss", 1e-05}}},
      // A set name that another extends with '-': the longest name wins.
      {"[0]\tvalid-auc:0.5\tvalid-2-auc:0.25",
       {"valid", "valid-2"},
       {{"valid", "auc", 0.5}, {"valid-2", "auc", 0.25}}},
      {"[7]", {}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    ASSERT_OK_AND_ASSIGN(std::vector<EvalValue> values, ParseEvalText(c.text, c.datasets));
    ASSERT_EQ(values.size(), c.expected.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_TRUE(Same(values[i], c.expected[i]))
          << values[i].dataset << "/" << values[i].metric << "=" << values[i].value;
    }
  }
}

TEST(ParseEvalTextTest, RejectsOtherShapes) {
  struct Bad {
    std::string text;
    std::string why;
  };
  const std::vector<Bad> cases = {
      {"", "does not start with '[<round>]'"},
      {"train-auc:0.5", "does not start with '[<round>]'"},
      {"[x]\ttrain-auc:0.5", "does not start with '[<round>]'"},
      {"[0]\ttest-auc:0.5", "'test-auc:0.5' does not start with an evaluated set's name"},
      {"[0]\ttrain-auc", "'train-auc' is not <set>-<metric>:<value>"},
      {"[0]\ttrain-:0.5", "'train-:0.5' is not <set>-<metric>:<value>"},
      {"[0]\ttrain-auc:", "'train-auc:' has no numeric value"},
      {"[0]\ttrain-auc:0.5x", "'train-auc:0.5x' has no numeric value"},
      {"[0]\ttrain-auc:+1", "'train-auc:+1' has no numeric value"},
  };
  const std::vector<std::string> datasets = {"train"};
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(
        ParseEvalText(c.text, datasets),
        StatusIs(StatusCode::kInternal,
                 AllOf(HasSubstr("unexpected evaluation text from XGBoost"), HasSubstr(c.why))));
  }
}

TEST(ParseEvalTextTest, RoundOnlyGivesNothing) {
  ASSERT_OK_AND_ASSIGN(std::vector<EvalValue> values, ParseEvalText("[0]", {}));
  EXPECT_THAT(values, IsEmpty());
  const std::vector<std::string> datasets = {"a"};
  EXPECT_THAT(ParseEvalText("[0]\ta-x:1", datasets).value(), ElementsAre(EvalValue{"a", "x", 1.0}));
}

}  // namespace
}  // namespace sluice::xgb::internal
