#include "models/features.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "testing/status_matchers.h"

namespace sluice::models {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

table::Table Sample() {
  auto t = table::Table::Make({
      table::Column::Float64("age", {30, 40, 50, 60}, {1, 1, 0, 1}),
      table::Column::String("plan", {"pro", "basic", "pro", "team"}, {1, 1, 1, 0}),
      table::Column::Bool("active", {1, 0, 1, 1}),
      table::Column::Int64("churned", {0, 1, 0, 1}),
  });
  EXPECT_OK(t);
  return *t;
}

std::vector<std::string> Names(std::initializer_list<const char*> names) {
  return std::vector<std::string>(names.begin(), names.end());
}

TEST(FeatureEncoderTest, OrdinalEncodesCategoriesByTheirSortedIndex) {
  table::Table data = Sample();
  std::vector<std::string> columns = Names({"age", "plan", "active"});
  ASSERT_OK_AND_ASSIGN(FeatureEncoder enc, FeatureEncoder::Fit(data, columns, Encoding::kOrdinal));
  EXPECT_THAT(enc.feature_names(), ElementsAre("age", "plan", "active"));
  EXPECT_THAT(enc.inputs()[1].categories, ElementsAre("basic", "pro"));
  ASSERT_OK_AND_ASSIGN(std::vector<double> x, enc.EncodeDouble(data));
  ASSERT_EQ(x.size(), 12u);
  EXPECT_EQ(x[0], 30);
  EXPECT_EQ(x[1], 1);              // pro
  EXPECT_EQ(x[2], 1);              // true
  EXPECT_EQ(x[4], 0);              // basic
  EXPECT_TRUE(std::isnan(x[6]));   // age is null in row 3
  EXPECT_TRUE(std::isnan(x[10]));  // plan is null in row 4
}

TEST(FeatureEncoderTest, OneHotMakesAFeaturePerCategoryAndUnseenValuesAreAllZero) {
  table::Table data = Sample();
  std::vector<std::string> columns = Names({"plan"});
  ASSERT_OK_AND_ASSIGN(FeatureEncoder enc, FeatureEncoder::Fit(data, columns, Encoding::kOneHot));
  EXPECT_THAT(enc.feature_names(), ElementsAre("plan=basic", "plan=pro"));
  auto later = table::Table::Make({table::Column::String("plan", {"pro", "enterprise"})});
  ASSERT_OK(later);
  ASSERT_OK_AND_ASSIGN(std::vector<float> x, enc.EncodeFloat(*later));
  EXPECT_THAT(x, ElementsAre(0.f, 1.f, 0.f, 0.f));
}

TEST(FeatureEncoderTest, EncodingFindsColumnsByNameWhateverTheirOrder) {
  table::Table data = Sample();
  std::vector<std::string> columns = Names({"age", "active"});
  ASSERT_OK_AND_ASSIGN(FeatureEncoder enc, FeatureEncoder::Fit(data, columns, Encoding::kOrdinal));
  auto reordered =
      table::Table::Make({table::Column::Bool("active", {0}), table::Column::String("extra", {"x"}),
                          table::Column::Int64("age", {7})});
  ASSERT_OK(reordered);
  ASSERT_OK_AND_ASSIGN(std::vector<double> x, enc.EncodeDouble(*reordered));
  EXPECT_THAT(x, ElementsAre(7.0, 0.0));
}

TEST(FeatureEncoderTest, ErrorsNameTheColumn) {
  table::Table data = Sample();
  std::vector<std::string> missing = Names({"age", "tenure"});
  EXPECT_THAT(FeatureEncoder::Fit(data, missing, Encoding::kOrdinal),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("column 'tenure' is missing; the data has: age, plan")));
  std::vector<std::string> twice = Names({"age", "age"});
  EXPECT_THAT(FeatureEncoder::Fit(data, twice, Encoding::kOrdinal),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'age' is listed twice")));

  std::vector<std::string> columns = Names({"age"});
  ASSERT_OK_AND_ASSIGN(FeatureEncoder enc, FeatureEncoder::Fit(data, columns, Encoding::kOrdinal));
  auto strings = table::Table::Make({table::Column::String("age", {"old"})});
  ASSERT_OK(strings);
  EXPECT_THAT(enc.EncodeDouble(*strings),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("column 'age' must be numeric (float64 in training)")));
}

TEST(FeatureEncoderTest, OneHotRefusesAnIdColumn) {
  std::vector<std::string> ids;
  for (size_t i = 0; i <= FeatureEncoder::kMaxOneHotCategories; ++i)
    ids.push_back(std::to_string(i) + "x");
  auto data = table::Table::Make({table::Column::String("id", ids)});
  ASSERT_OK(data);
  std::vector<std::string> columns = Names({"id"});
  EXPECT_THAT(FeatureEncoder::Fit(*data, columns, Encoding::kOneHot),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("column 'id' has 1001 distinct values, too many to one-hot")));
  EXPECT_OK(FeatureEncoder::Fit(*data, columns, Encoding::kOrdinal));
}

TEST(FeatureEncoderTest, JsonRoundTripEncodesTheSame) {
  table::Table data = Sample();
  std::vector<std::string> columns = Names({"age", "plan", "active"});
  ASSERT_OK_AND_ASSIGN(FeatureEncoder enc, FeatureEncoder::Fit(data, columns, Encoding::kOneHot));
  ASSERT_OK_AND_ASSIGN(FeatureEncoder back, FeatureEncoder::FromJson(enc.ToJson()));
  EXPECT_EQ(back.feature_names(), enc.feature_names());
  ASSERT_OK_AND_ASSIGN(std::vector<double> a, enc.EncodeDouble(data));
  ASSERT_OK_AND_ASSIGN(std::vector<double> b, back.EncodeDouble(data));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) << i;
  }

  nlohmann::json broken = enc.ToJson();
  broken["features"].push_back("surplus");
  EXPECT_THAT(
      FeatureEncoder::FromJson(broken),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("5 features listed, the inputs make 4")));
}

TEST(TargetTest, ClassesSortNumericallyAndLabelByIndex) {
  auto data = table::Table::Make({table::Column::Int64("y", {10, 2, 2, 10, 7})});
  ASSERT_OK(data);
  ASSERT_OK_AND_ASSIGN(Target target, Target::Fit(*data, "y", Task::kMulticlass));
  EXPECT_THAT(target.classes, ElementsAre("2", "7", "10"));
  ASSERT_OK_AND_ASSIGN(std::vector<double> labels, target.Labels(*data));
  EXPECT_THAT(labels, ElementsAre(2.0, 0.0, 0.0, 2.0, 1.0));
}

TEST(TargetTest, BinaryStringTargetsMakeTheLaterValuePositive) {
  auto data = table::Table::Make({table::Column::String("churn", {"yes", "no", "yes"})});
  ASSERT_OK(data);
  ASSERT_OK_AND_ASSIGN(Target target, Target::Fit(*data, "churn", Task::kBinary));
  EXPECT_THAT(target.classes, ElementsAre("no", "yes"));
  ASSERT_OK_AND_ASSIGN(std::vector<double> labels, target.Labels(*data));
  EXPECT_THAT(labels, ElementsAre(1.0, 0.0, 1.0));
}

TEST(TargetTest, ErrorsSayWhatIsWrongAndWhatToDo) {
  auto three = table::Table::Make({table::Column::Int64("y", {0, 1, 2})});
  ASSERT_OK(three);
  EXPECT_THAT(
      Target::Fit(*three, "y", Task::kBinary),
      StatusIs(StatusCode::kInvalidArgument,
               HasSubstr("must have exactly 2 distinct values, has 3; use task multiclass")));
  EXPECT_THAT(Target::Fit(*three, "nope", Task::kBinary),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("target column 'nope' is missing")));
  auto nulls = table::Table::Make({table::Column::Float64("y", {1, 2, 3}, {1, 0, 0})});
  ASSERT_OK(nulls);
  EXPECT_THAT(
      Target::Fit(*nulls, "y", Task::kRegression),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty in 2 rows (first at data row 2)")));
  auto strings = table::Table::Make({table::Column::String("y", {"a", "b"})});
  ASSERT_OK(strings);
  EXPECT_THAT(Target::Fit(*strings, "y", Task::kRegression),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("must be numeric, got string")));

  ASSERT_OK_AND_ASSIGN(Target target, Target::Fit(*strings, "y", Task::kBinary));
  auto unseen = table::Table::Make({table::Column::String("y", {"a", "c"})});
  ASSERT_OK(unseen);
  EXPECT_THAT(target.Labels(*unseen),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("class 'c' at data row 2, unseen in training (classes: a, b)")));
}

TEST(TargetTest, JsonRoundTrip) {
  Target target{.column = "y", .task = Task::kMulticlass, .classes = {"a", "b", "c"}};
  ASSERT_OK_AND_ASSIGN(Target back, Target::FromJson(target.ToJson()));
  EXPECT_EQ(back.column, "y");
  EXPECT_EQ(back.task, Task::kMulticlass);
  EXPECT_EQ(back.classes, target.classes);
  EXPECT_THAT(ParseTask("ranking"), StatusIs(StatusCode::kInvalidArgument,
                                             HasSubstr("use binary, multiclass or regression")));
}

}  // namespace
}  // namespace sluice::models
