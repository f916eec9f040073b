#include "training/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sluice::training {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(TrainConfigTest, EveryFieldStartsAtItsDeclaredDefault) {
  TrainConfig config;
  EXPECT_EQ(config.Int("xgboost.max_depth"), 6);
  EXPECT_EQ(config.Double("split.validation"), 0.2);
  EXPECT_EQ(config.String("algorithm"), "xgboost");
  EXPECT_TRUE(config.Bool("linear.standardize"));
  EXPECT_THAT(config.List("features"), IsEmpty());
  std::map<std::string, std::string> params = config.Params();
  EXPECT_EQ(params.size(), TrainConfig::Specs().size());
}

TEST(TrainConfigTest, NestedYamlSetsDottedFields) {
  ASSERT_OK_AND_ASSIGN(TrainConfig config, TrainConfig::FromYaml(R"(
data: churn.csv
target: churned
features: [age, plan]
xgboost:
  max_depth: 8
  learning_rate: 0.05
split:
  method: stratified
tune:
  space:
    xgboost.max_depth: {min: 2, max: 4}
)",
                                                                 "train.yaml"));
  EXPECT_EQ(config.String("data"), "churn.csv");
  EXPECT_EQ(config.Int("xgboost.max_depth"), 8);
  EXPECT_EQ(config.Double("xgboost.learning_rate"), 0.05);
  EXPECT_EQ(config.String("split.method"), "stratified");
  EXPECT_THAT(config.List("features"), ElementsAre("age", "plan"));
  EXPECT_THAT(config.tune_section(), HasSubstr("xgboost.max_depth"));
  EXPECT_OK(config.Validate());
}

TEST(TrainConfigTest, ErrorsNameTheFileLineFieldAndFix) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"xgboost:\n  max_dept: 3\n",
       "train.yaml line 2: unknown field 'xgboost.max_dept' (did you mean 'xgboost.max_depth'?)"},
      {"xgboost:\n  max_depth: -1\n",
       "train.yaml line 2: xgboost.max_depth: -1 is out of range [0, 64]"},
      {"xgboost:\n  learning_rate: 0\n", "xgboost.learning_rate: 0 is out of range (0, 1]"},
      {"xgboost:\n  max_depth: deep\n", "xgboost.max_depth: expected an integer, got 'deep'"},
      {"task: ranking\n", "task: 'ranking' is not one of auto, binary, multiclass, regression"},
      {"linear:\n  standardize: yes\n", "linear.standardize: expected true or false, got 'yes'"},
      {"target: [a, b]\n", "target takes one value, not a list"},
      {"data: [unclosed\n", "train.yaml line 2"},
      {"- a\n- b\n", "train.yaml: expected a map of fields at the top"},
      {"colour: red\n", "unknown field 'colour'; `sluice train --help-config` lists them all"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(TrainConfig::FromYaml(c.yaml, "train.yaml"),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.yaml;
  }
}

TEST(TrainConfigTest, SetTakesTextAndCommaLists) {
  TrainConfig config;
  ASSERT_OK(config.Set("features", "a, b,c"));
  EXPECT_THAT(config.List("features"), ElementsAre("a", "b", "c"));
  ASSERT_OK(config.Set("xgboost.subsample", "0.5"));
  EXPECT_EQ(config.Double("xgboost.subsample"), 0.5);
  EXPECT_THAT(config.Set("xgboost.subsample", "1.5"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("out of range (0, 1]")));
  EXPECT_EQ(config.Double("xgboost.subsample"), 0.5);  // a refused value changes nothing
  EXPECT_THAT(config.Set("xgboost.depth", "3"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown field 'xgboost.depth'")));
}

TEST(TrainConfigTest, ValidateChecksWhatNoSingleFieldCan) {
  TrainConfig config;
  EXPECT_THAT(config.Validate(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("data is required")));
  ASSERT_OK(config.Set("data", "d.csv"));
  EXPECT_THAT(config.Validate(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("target is required")));
  ASSERT_OK(config.Set("target", "y"));
  ASSERT_OK(config.Set("split.validation", "0.5"));
  ASSERT_OK(config.Set("split.test", "0.5"));
  EXPECT_THAT(config.Validate(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("leaves no rows to train on")));
  ASSERT_OK(config.Set("test_data", "t.csv"));  // split.test no longer applies
  EXPECT_OK(config.Validate());
  ASSERT_OK(config.Set("split.method", "time"));
  EXPECT_THAT(config.Validate(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("needs split.time_column")));
}

TEST(TrainConfigTest, ToYamlReadsBackToTheSameConfig) {
  TrainConfig config;
  ASSERT_OK(config.Set("data", "/data/churn file.csv"));
  ASSERT_OK(config.Set("target", "churned"));
  ASSERT_OK(config.Set("features", "age,plan"));
  ASSERT_OK(config.Set("xgboost.learning_rate", "0.03"));
  ASSERT_OK(config.Set("run_name", "a: tricky # name"));
  ASSERT_OK_AND_ASSIGN(TrainConfig back, TrainConfig::FromYaml(config.ToYaml(), "stored"));
  EXPECT_EQ(back.Params(), config.Params());
}

TEST(TrainConfigTest, HelpListsEveryFieldWithItsDefaultAndRange) {
  std::string help = TrainConfig::HelpText();
  for (const ParamSpec& spec : TrainConfig::Specs()) {
    EXPECT_THAT(help, HasSubstr(std::string(spec.key))) << spec.key;
  }
  EXPECT_THAT(help, HasSubstr("xgboost.max_depth              int (default: 6, range [0, 64])"));
  EXPECT_THAT(help, HasSubstr("data                           string (required)"));
}

}  // namespace
}  // namespace sluice::training
