// Requests checked against the suite the training data passed: which expectations apply to
// single requests, the rows each request breaks, and the counters /metrics reads.
#include "serving/input_checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sluice::serving {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

models::Bundle BundleWithSuite(std::string suite) {
  auto data = table::Table::Make(
      {table::Column::Float64("age", {30, 40}), table::Column::String("plan", {"pro", "basic"})});
  EXPECT_OK(data);
  auto encoder = models::FeatureEncoder::Fit(*data, data->ColumnNames(), models::Encoding::kOneHot);
  EXPECT_OK(encoder);
  models::Bundle bundle;
  bundle.encoder = *encoder;
  bundle.input_suite = std::move(suite);
  return bundle;
}

constexpr const char* kSuite = R"(name: churn
expectations:
  - expect_table_row_count_to_be_between: {min_value: 1000}
  - expect_column_values_to_be_between: {column: age, min_value: 18, max_value: 120, mostly: 0.5}
  - expect_column_mean_to_be_between: {column: age, min_value: 30, max_value: 50}
  - expect_column_values_to_be_in_set: {column: plan, value_set: [basic, pro, team]}
  - expect_column_values_to_not_be_null: {column: churned}
  - expect_column_values_to_not_be_null: {column: age}
)";

TEST(InputChecksTest, KeepsTheRowByRowExpectationsOnTheModelsInputs) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<InputChecks> checks,
                       InputChecks::FromBundle(BundleWithSuite(kSuite)));
  ASSERT_NE(checks, nullptr);
  // Not the row count, not the mean, not the target column.
  ASSERT_EQ(checks->expectations().size(), 3u);
  EXPECT_EQ(checks->expectations()[0].type, "expect_column_values_to_be_between");
  EXPECT_EQ(checks->expectations()[0].columns, "age");
  EXPECT_EQ(checks->expectations()[0].suite_index, 1u);
  EXPECT_EQ(checks->expectations()[2].suite_index, 5u);
  EXPECT_EQ(checks->expectations()[1].columns, "plan");
  EXPECT_EQ(checks->expectations()[2].type, "expect_column_values_to_not_be_null");
}

TEST(InputChecksTest, CountsTheRowsEachRequestBreaks) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<InputChecks> checks,
                       InputChecks::FromBundle(BundleWithSuite(kSuite)));
  ASSERT_OK_AND_ASSIGN(auto good,
                       table::Table::Make({table::Column::Float64("age", {25, 60}),
                                           table::Column::String("plan", {"pro", "team"})}));
  ASSERT_OK_AND_ASSIGN(auto passed, checks->Check(good));
  EXPECT_TRUE(passed.empty());

  // age 7 breaks the range (mostly is dropped: one bad row of three fails), age null breaks the
  // null check, "gold" breaks the set.
  ASSERT_OK_AND_ASSIGN(
      auto bad, table::Table::Make({table::Column::Float64("age", {7, 33, 0}, {1, 1, 0}),
                                    table::Column::String("plan", {"gold", "pro", "basic"})}));
  ASSERT_OK_AND_ASSIGN(auto failures, checks->Check(bad));
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[0].expectation, 0u);
  EXPECT_EQ(failures[0].rows, 1);
  EXPECT_EQ(failures[1].rows, 1);
  EXPECT_EQ(failures[2].rows, 1);
  EXPECT_EQ(checks->Describe(failures),
            "expect_column_values_to_be_between on age: 1 row; expect_column_values_to_be_in_set "
            "on plan: 1 row; expect_column_values_to_not_be_null on age: 1 row");
  EXPECT_EQ(checks->checked_rows(), 5u);
  EXPECT_EQ(checks->failed_rows(0), 1u);
  EXPECT_EQ(checks->failed_rows(1), 1u);
  EXPECT_EQ(checks->failed_rows(2), 1u);
}

TEST(InputChecksTest, NoSuiteOrNothingApplicableMeansNoChecks) {
  ASSERT_OK_AND_ASSIGN(auto none, InputChecks::FromBundle(BundleWithSuite("")));
  EXPECT_EQ(none, nullptr);
  ASSERT_OK_AND_ASSIGN(
      auto table_only,
      InputChecks::FromBundle(BundleWithSuite(
          "expectations:\n  - expect_table_row_count_to_be_between: {min_value: 1}\n")));
  EXPECT_EQ(table_only, nullptr);
  EXPECT_THAT(InputChecks::FromBundle(BundleWithSuite("expectations: [[[")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("input_suite.yaml")));
}

}  // namespace
}  // namespace sluice::serving
