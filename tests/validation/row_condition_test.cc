#include "validation/row_condition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "testing/status_matchers.h"

namespace sluice::validation {
namespace {

using ::sluice::testing::StatusIs;
using table::Column;

table::Table Data() {
  return table::Table::Make({Column::Int64("age", {10, 20, 30, 40}, {1, 1, 1, 0}),
                             Column::String("plan", {"pro", "basic", "pro", "team"}, {1, 1, 0, 1}),
                             Column::Float64("monthly fee", {9.5, -1, std::nan(""), 20}),
                             Column::Bool("active", {1, 0, 1, 1}),
                             Column::Timestamp("at", {0, 86'400'000'000, 2 * 86'400'000'000, 0})})
      .value();
}

std::vector<uint8_t> Rows(std::string_view text) {
  Result<RowCondition> condition = RowCondition::Parse(text);
  EXPECT_TRUE(condition.ok()) << condition.status().ToString();
  if (!condition.ok()) return {};
  Result<std::vector<uint8_t>> rows = condition->Evaluate(Data());
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? *rows : std::vector<uint8_t>{};
}

TEST(RowConditionTest, PandasAndGreatExpectationsSyntax) {
  struct Case {
    const char* text;
    std::vector<uint8_t> rows;
  };
  const Case cases[] = {
      {"age > 15", {0, 1, 1, 0}},   // null never compares true
      {"age != 20", {1, 0, 1, 1}},  // ... except with !=
      {"15 < age", {0, 1, 1, 0}},
      {"plan == \"pro\"", {1, 0, 0, 0}},
      {"plan == 'pro' or age >= 30", {1, 0, 1, 0}},
      {"plan == 'pro' | age >= 30 & active == true", {1, 0, 1, 0}},
      {"not (plan == 'pro') and age.notnull()", {0, 1, 1, 0}},
      {"~age.isnull()", {1, 1, 1, 0}},
      {"plan is null", {0, 0, 1, 0}},
      {"plan is not None", {1, 1, 0, 1}},
      {"plan in ['pro', \"team\"]", {1, 0, 0, 1}},
      {"plan not in ['pro']", {0, 1, 1, 1}},
      {"`monthly fee` >= -1", {1, 1, 0, 1}},
      {"col(\"monthly fee\") < 0", {0, 1, 0, 0}},
      {"col(\"age\") > 10 AND col(\"age\") < 40", {0, 1, 1, 0}},
      {"at >= '1970-01-02'", {0, 1, 1, 0}},
      {"age > `monthly fee`", {1, 1, 0, 0}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Rows(c.text), c.rows) << c.text;
  }
  ASSERT_OK_AND_ASSIGN(RowCondition both, RowCondition::Parse("a > 1 and b == 'x' or a < 0"));
  EXPECT_EQ(both.columns(), (std::vector<std::string>{"a", "b"}));
}

TEST(RowConditionTest, ErrorsSayWhereAndWhat) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "row_condition '': expected a condition at the end"},
      {"age >",
       "row_condition 'age >': expected a value (a number, quoted text, true or false) "
       "at the end"},
      {"age > 5 and", "row_condition 'age > 5 and': expected a condition at the end"},
      {"age = 5", "row_condition 'age = 5': unexpected '=' at character 5"},
      {"(age > 5", "row_condition '(age > 5': expected ')' at the end"},
      {"plan == 'pro", "row_condition 'plan == 'pro': unclosed ' starting at character 9"},
      {"5 > 3",
       "row_condition '5 > 3': a comparison needs a column on one side at character 1, "
       "found '5'"},
      {"age.size()",
       "row_condition 'age.size()': expected isnull(), notnull(), isna() or "
       "notna() at character 5, found 'size'"},
      {"age in [1, ",
       "row_condition 'age in [1, ': expected a value (a number, quoted text, true "
       "or false) at the end"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(RowCondition::Parse(c.text),
                StatusIs(StatusCode::kInvalidArgument, ::testing::Eq(c.message)))
        << c.text;
  }
  ASSERT_OK_AND_ASSIGN(RowCondition typo, RowCondition::Parse("pln == 'pro'"));
  EXPECT_THAT(typo.Evaluate(Data()),
              StatusIs(StatusCode::kNotFound,
                       ::testing::Eq("row_condition 'pln == 'pro'': no column 'pln' (did you mean "
                                     "'plan'?)")));
  ASSERT_OK_AND_ASSIGN(RowCondition mixed, RowCondition::Parse("plan > 3"));
  EXPECT_THAT(mixed.Evaluate(Data()),
              StatusIs(StatusCode::kInvalidArgument,
                       ::testing::Eq("row_condition 'plan > 3': cannot compare string column "
                                     "'plan' > 3")));
}

}  // namespace
}  // namespace sluice::validation
