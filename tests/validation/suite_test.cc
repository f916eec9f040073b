#include "validation/suite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "validation/expectations.h"

namespace sluice::validation {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

TEST(SuiteTest, ReadsTheShortAndLongYamlForms) {
  ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite(R"(
name: churn
meta: {owner: data-team}
expectations:
  - expect_table_row_count_to_be_between: {min_value: 1}
  - expect_column_values_to_be_between:
      column: age
      min_value: 0
      max_value: 120.5
      mostly: 0.99
      meta: {notes: ages in years}
  - expectation_type: expect_column_values_to_be_in_set
    kwargs: {column: plan, value_set: [basic, "10", pro]}
  - expect_column_values_to_be_unique: {column: id}
)",
                                               "checks.yaml"));
  EXPECT_EQ(suite.name, "churn");
  EXPECT_EQ(suite.meta, Json({{"owner", "data-team"}}));
  ASSERT_EQ(suite.expectations.size(), 4u);
  const ExpectationConfig& between = suite.expectations[1];
  EXPECT_EQ(between.type, "expect_column_values_to_be_between");
  EXPECT_EQ(between.kwargs,
            Json({{"column", "age"}, {"min_value", 0}, {"max_value", 120.5}, {"mostly", 0.99}}));
  EXPECT_EQ(between.meta, Json({{"notes", "ages in years"}}));
  EXPECT_EQ(between.line, 6);
  // A quoted "10" stays text.
  EXPECT_EQ(suite.expectations[2].kwargs["value_set"], Json({"basic", "10", "pro"}));
  // Defaults come from the declaration.
  EXPECT_EQ(between.Arg("strict_min"), false);
  EXPECT_EQ(suite.expectations[3].Arg("mostly"), 1);
  EXPECT_EQ(suite.expectations[3].Arg("result_format"), "BASIC");
}

TEST(SuiteTest, GreatExpectationsJsonRoundTrips) {
  const std::string ge = R"({
    "expectation_suite_name": "orders.warning",
    "data_asset_type": null,
    "ge_cloud_id": null,
    "meta": {"great_expectations_version": "0.18.8"},
    "expectations": [
      {"expectation_type": "expect_column_values_to_not_be_null",
       "kwargs": {"column": "x", "mostly": 0.95}, "meta": {}},
      {"expectation_type": "expect_column_quantile_values_to_be_between",
       "kwargs": {"column": "x", "quantile_ranges": {"quantiles": [0.5], "value_ranges": [[1, null]]}},
       "meta": {"notes": "median"}},
      {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["x"]}, "id": "abc"}
    ]
  })";
  ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite(ge, "suite.json"));
  EXPECT_EQ(suite.name, "orders.warning");
  ASSERT_EQ(suite.expectations.size(), 3u);
  EXPECT_EQ(suite.expectations[2].type, "expect_table_columns_to_match_set");

  Json written = SuiteToGeJson(suite);
  EXPECT_EQ(written["expectation_suite_name"], "orders.warning");
  EXPECT_EQ(written["expectations"][0],
            Json::parse(R"({"expectation_type": "expect_column_values_to_not_be_null",
                            "kwargs": {"column": "x", "mostly": 0.95}, "meta": {}})"));
  EXPECT_EQ(written["expectations"][1]["meta"], Json({{"notes", "median"}}));
  ASSERT_OK_AND_ASSIGN(Suite again, ParseSuite(written.dump(), "again.json"));
  EXPECT_EQ(SuiteToGeJson(again), written);

  // Through YAML and back: the same suite.
  const std::string yaml = SuiteToYaml(suite);
  ASSERT_OK_AND_ASSIGN(Suite from_yaml, ParseSuite(yaml, "suite.yaml"));
  EXPECT_EQ(SuiteToGeJson(from_yaml), written) << yaml;
}

TEST(SuiteTest, YamlKeepsTypesOfTrickyStrings) {
  Suite suite;
  suite.name = "tricky";
  suite.expectations.push_back(
      {.type = "expect_column_values_to_be_in_set",
       .kwargs = {{"column", "code"},
                  {"value_set",
                   Json::array({"10", "true", "null", "", "a: b", "- x", "#c", 1.5, 3, true})}}});
  ASSERT_OK_AND_ASSIGN(Suite back, ParseSuite(SuiteToYaml(suite), "t.yaml"));
  EXPECT_EQ(back.expectations[0].kwargs, suite.expectations[0].kwargs) << SuiteToYaml(suite);
}

TEST(SuiteTest, WritesByExtension) {
  testing::TempDir dir;
  Suite suite;
  suite.name = "s";
  suite.expectations.push_back({.type = "expect_column_to_exist", .kwargs = {{"column", "a"}}});
  ASSERT_OK(WriteSuite(suite, dir / "s.json"));
  ASSERT_OK(WriteSuite(suite, dir / "s.yaml"));
  EXPECT_EQ(Json::parse(testing::ReadFile(dir / "s.json"))["expectation_suite_name"], "s");
  EXPECT_THAT(testing::ReadFile(dir / "s.yaml"),
              HasSubstr("- expect_column_to_exist: {column: a}"));
  ASSERT_OK_AND_ASSIGN(Suite read, ReadSuite(dir / "s.yaml"));
  EXPECT_EQ(read.expectations[0].kwargs, Json({{"column", "a"}}));
}

TEST(SuiteTest, ErrorsNameTheExpectationTheFieldAndTheFix) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"expectations:\n  - expect_column_values_to_be_betwen: {column: a, min_value: 1}\n",
       "checks.yaml line 2: expectation 1: unknown expectation "
       "'expect_column_values_to_be_betwen' (did you mean 'expect_column_values_to_be_between'?); "
       "`sluice validate list` shows them all"},
      {"expectations:\n  - expect_column_to_exist: {column: a}\n"
       "  - expect_column_values_to_be_between: {column: a, max_val: 3}\n",
       "checks.yaml line 3: expectation 2 (expect_column_values_to_be_between): unknown parameter "
       "'max_val' (did you mean 'max_value'?)"},
      {"expectations:\n  - expect_column_values_to_be_between: {min_value: 1}\n",
       "checks.yaml line 2: expectation 1 (expect_column_values_to_be_between): missing required "
       "parameter 'column' (The column to check)"},
      {"expectations:\n  - expect_column_values_to_be_between: {column: a, min_value: [1]}\n",
       "checks.yaml line 2: expectation 1 (expect_column_values_to_be_between): min_value: "
       "expected number, date-time or string, or null, got a list"},
      {"expectations:\n  - expect_column_values_to_be_between: {column: a, min_value: 10, "
       "max_value: 5}\n",
       "checks.yaml line 2: expectation 1 (expect_column_values_to_be_between): min_value 10 is "
       "greater than max_value 5; swap them"},
      {"expectations:\n  - expect_column_mean_to_be_between: {column: a}\n",
       "checks.yaml line 2: expectation 1 (expect_column_mean_to_be_between): give min_value, "
       "max_value or both (null means no bound)"},
      {"expectations:\n  - expect_column_values_to_not_be_null: {column: a, mostly: 1.5}\n",
       "checks.yaml line 2: expectation 1 (expect_column_values_to_not_be_null): mostly: expected "
       "number in [0, 1], got 1.5"},
      {"expectations:\n  - expect_column_values_to_match_regex: {column: a, regex: '(?<=x)y'}\n",
       "checks.yaml line 2: expectation 1 (expect_column_values_to_match_regex): regex: regex "
       "'(?<=x)y': lookbehind ((?<=) is not supported; rewrite it with a group or a lookahead"},
      {"expectations:\n  - expect_column_values_to_be_of_type: {column: a, type_: integr}\n",
       "checks.yaml line 2: expectation 1 (expect_column_values_to_be_of_type): type_: unknown "
       "type 'integr' (did you mean 'integer'?); use int64, float64, string, bool or timestamp"},
      {"expectations:\n  - expect_column_values_to_be_null: {column: a, row_condition: 'a >> "
       "1'}\n",
       "checks.yaml line 2: expectation 1 (expect_column_values_to_be_null): row_condition 'a >> "
       "1': expected a value (a number, quoted text, true or false) at character 4, found '>'"},
      {"expectations:\n  - expect_column_values_to_be_null: {column: a, result_format: FULL}\n",
       "checks.yaml line 2: expectation 1 (expect_column_values_to_be_null): result_format: "
       "result_format must be BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE, got 'FULL'"},
      {"expectations:\n  - expect_column_quantile_values_to_be_between: {column: a, "
       "quantile_ranges: {quantiles: [0.1, 0.9], value_ranges: [[1, 2]]}}\n",
       "checks.yaml line 2: expectation 1 (expect_column_quantile_values_to_be_between): "
       "quantile_ranges: value_ranges must have one [low, high] per quantile (2 of them)"},
      {"expectations:\n  - expect_column_values_to_match_regex_list: {column: a, regex_list: "
       "[x], match_on: some}\n",
       "checks.yaml line 2: expectation 1 (expect_column_values_to_match_regex_list): match_on: "
       "expected one of any, all, got \"some\""},
      {"expectations:\n  - expect_column_values_to_be_null: {column: a}\n    extra: 1\n",
       "checks.yaml line 2: expectation 1: expected one expectation name as the key, got 2 keys; "
       "write `- expect_<name>: {<parameters>}`"},
      {"expectation: []\n",
       "checks.yaml: unknown key 'expectation' (did you mean 'expectations'?); the keys are name, "
       "expectations and meta"},
      {"expectations:\n  - [a\n", "checks.yaml line 3: end of sequence flow not found"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseSuite(c.yaml, "checks.yaml"),
                StatusIs(StatusCode::kInvalidArgument, ::testing::Eq(c.message)))
        << c.yaml;
  }
  EXPECT_THAT(ParseSuite("{\"expectations\": [}", "s.json"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("s.json: not valid JSON:")));
}

TEST(SuiteTest, EveryExpectationIsDocumentedWithItsParameters) {
  const std::string markdown = ExpectationsMarkdown();
  for (const ExpectationSpec& spec : AllExpectations()) {
    EXPECT_THAT(markdown, HasSubstr("#### `" + std::string(spec.type) + "`"));
    for (const ParamSpec* p : ParamsOf(spec)) {
      EXPECT_FALSE(p->help.empty()) << spec.type << " " << p->name;
      EXPECT_NE(FindParam(spec, p->name), nullptr);
    }
  }
  EXPECT_GE(AllExpectations().size(), 45u);
}

}  // namespace
}  // namespace sluice::validation
