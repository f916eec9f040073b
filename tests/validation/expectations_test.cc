// Each expectation against hand-computed Great Expectations results: the result fields GE's
// pandas engine reports, including the edge cases (empty and all-null columns, mostly, strict and
// open bounds, the cap of 20 on partial lists).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "testing/status_matchers.h"
#include "validation/engine.h"

namespace sluice::validation {
namespace {

using Json = nlohmann::json;
using table::Column;
using table::Table;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Table Make(std::vector<Column> columns) { return Table::Make(std::move(columns)).value(); }

// x: 1 2 3 null 5 6 100 8 9 10 (float64); s: strings; i: int64 with repeats.
Table Sample() {
  return Make({
      Column::Float64("x", {1, 2, 3, kNaN, 5, 6, 100, 8, 9, 10}),
      Column::String("s", {"apple", "banana", "", "avocado", "b", "b", "c", "c", "c", "apple"},
                     {1, 1, 0, 1, 1, 1, 1, 1, 1, 1}),
      Column::Int64("i", {1, 2, 2, 3, 1, 4, 5, 6, 7, 8}),
      Column::Int64("j", {0, 1, 2, 3, 4, 5, 6, 7, 8, 8}),
      Column::Timestamp("t", {0, 1'000'000, 2'000'000, 3'000'000, 4'000'000, 5'000'000, 6'000'000,
                              7'000'000, 8'000'000, 9'000'000}),
  });
}

// Validates one expectation, written in the suite's YAML short form, and returns GE's JSON.
Json Check(const Table& table, const std::string& expectation,
           const std::string& format = "BASIC") {
  Result<Suite> suite = ParseSuite("expectations:\n  - " + expectation + "\n", "test");
  EXPECT_TRUE(suite.ok()) << suite.status().ToString();
  if (!suite.ok()) return Json();
  ValidateOptions options;
  options.result_format = ParseResultFormat(format).value();
  Result<SuiteResult> result = Validate(table, *suite, options);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) return Json();
  return result->results.at(0).ToJson();
}

struct Case {
  const char* expectation;
  bool success;
  const char* result;  // JSON the result must contain, key by key
  const char* format = "BASIC";
};

void ExpectCase(const Table& table, const Case& c) {
  SCOPED_TRACE(c.expectation);
  Json out = Check(table, c.expectation, c.format);
  EXPECT_EQ(out["success"], c.success) << out.dump(2);
  Json want = Json::parse(c.result);
  for (const auto& [key, value] : want.items()) {
    ASSERT_TRUE(out["result"].contains(key)) << key << " missing in " << out["result"].dump(2);
    if (value.is_number_float()) {
      EXPECT_NEAR(out["result"][key].get<double>(), value.get<double>(), 1e-9) << key;
    } else {
      EXPECT_EQ(out["result"][key], value) << key << " in " << out["result"].dump(2);
    }
  }
}

TEST(ExpectationsTest, MapExpectationsReportGreatExpectationsFields) {
  const Case cases[] = {
      {"expect_column_values_to_be_between: {column: x, min_value: 0, max_value: 10}", false,
       R"({"element_count": 10, "unexpected_count": 1, "unexpected_percent": 11.11111111111111,
           "missing_count": 1, "missing_percent": 10.0, "unexpected_percent_total": 10.0,
           "unexpected_percent_nonmissing": 11.11111111111111, "partial_unexpected_list": [100.0]})"},
      // mostly: 8 of 9 non-null rows = 0.889.
      {"expect_column_values_to_be_between: {column: x, min_value: 0, max_value: 10, mostly: 0.88}",
       true, R"({"unexpected_count": 1})"},
      {"expect_column_values_to_be_between: {column: x, min_value: 0, max_value: 10, mostly: 0.9}",
       false, R"({"unexpected_count": 1})"},
      // Strict and open bounds.
      {"expect_column_values_to_be_between: {column: x, min_value: 1, max_value: 10, strict_min: "
       "true}",
       false, R"({"unexpected_count": 2, "partial_unexpected_list": [1.0, 100.0]})"},
      {"expect_column_values_to_be_between: {column: x, max_value: 9}", false,
       R"({"unexpected_count": 2, "partial_unexpected_list": [100.0, 10.0]})"},
      {"expect_column_values_to_be_between: {column: x, max_value: 10, strict_max: true}", false,
       R"({"unexpected_count": 2})"},
      {"expect_column_values_to_be_between: {column: i, min_value: 1.5, max_value: 7.5}", false,
       R"({"unexpected_count": 3, "partial_unexpected_list": [1, 1, 8]})"},
      {"expect_column_values_to_be_between: {column: t, min_value: '1970-01-01T00:00:02Z', "
       "max_value: '1970-01-01T00:00:08Z', strict_max: true}",
       false,
       R"({"unexpected_count": 4, "partial_unexpected_list": ["1970-01-01T00:00:00Z",
           "1970-01-01T00:00:01Z", "1970-01-01T00:00:08Z", "1970-01-01T00:00:09Z"]})"},
      {"expect_column_values_to_be_between: {column: s, min_value: b}", false,
       R"({"unexpected_count": 3, "partial_unexpected_list": ["apple", "avocado", "apple"]})"},
      // The null checks: percentages of all rows, no missing_* fields.
      {"expect_column_values_to_not_be_null: {column: x}", false,
       R"({"element_count": 10, "unexpected_count": 1, "unexpected_percent": 10.0,
           "partial_unexpected_list": [null]})"},
      {"expect_column_values_to_not_be_null: {column: x, mostly: 0.9}", true,
       R"({"unexpected_count": 1})"},
      {"expect_column_values_to_be_null: {column: s}", false,
       R"({"unexpected_count": 9, "unexpected_percent": 90.0})"},
      {"expect_column_values_to_be_in_set: {column: s, value_set: [apple, b, c]}", false,
       R"({"unexpected_count": 2, "partial_unexpected_list": ["banana", "avocado"],
           "missing_count": 1})"},
      {"expect_column_values_to_not_be_in_set: {column: i, value_set: [1, 2.0]}", false,
       R"({"unexpected_count": 4, "partial_unexpected_list": [1, 2, 2, 1]})"},
      {"expect_column_values_to_be_in_set: {column: i, value_set: null}", true,
       R"({"unexpected_count": 0})"},
      {"expect_column_values_to_be_unique: {column: i}", false,
       R"({"unexpected_count": 4, "partial_unexpected_list": [1, 2, 2, 1]})"},
      {"expect_column_values_to_be_unique: {column: s}", false,
       R"({"unexpected_count": 7, "partial_unexpected_list": ["apple", "b", "b", "c", "c", "c",
           "apple"]})"},
      // Regexes match anywhere; non-strings are matched as Python prints them.
      {"expect_column_values_to_match_regex: {column: s, regex: an}", false,
       R"({"unexpected_count": 8, "partial_unexpected_list": ["apple", "avocado", "b", "b", "c",
           "c", "c", "apple"]})"},
      {"expect_column_values_to_match_regex: {column: x, regex: '^\\d\\.0$'}", false,
       R"({"unexpected_count": 2, "partial_unexpected_list": [100.0, 10.0]})"},
      {"expect_column_values_to_not_match_regex: {column: s, regex: '^a'}", false,
       R"({"unexpected_count": 3})"},
      {"expect_column_values_to_match_regex_list: {column: s, regex_list: ['^a', 'e$']}", false,
       R"({"unexpected_count": 6})"},
      {"expect_column_values_to_match_regex_list: {column: s, regex_list: ['^a', 'e$'], "
       "match_on: all}",
       false, R"({"unexpected_count": 7})"},
      {"expect_column_values_to_not_match_regex_list: {column: s, regex_list: ['^b$', '^c$']}",
       false, R"({"unexpected_count": 5})"},
      {"expect_column_value_lengths_to_be_between: {column: s, min_value: 2, max_value: 6}", false,
       R"({"unexpected_count": 6, "partial_unexpected_list": ["avocado", "b", "b", "c", "c",
           "c"]})"},
      {"expect_column_value_lengths_to_equal: {column: s, value: 5}", false,
       R"({"unexpected_count": 7})"},
      {"expect_column_values_to_be_increasing: {column: j}", true, R"({"unexpected_count": 0})"},
      {"expect_column_values_to_be_increasing: {column: j, strictly: true}", false,
       R"({"unexpected_count": 1, "partial_unexpected_list": [8]})"},
      {"expect_column_values_to_be_increasing: {column: x}", false,
       R"({"unexpected_count": 1, "partial_unexpected_list": [8.0]})"},
      {"expect_column_values_to_be_decreasing: {column: i}", false, R"({"unexpected_count": 7})"},
      // mean 16, sample stdev 31.5...: only 100 is beyond 2.
      {"expect_column_value_z_scores_to_be_less_than: {column: x, threshold: 2}", false,
       R"({"unexpected_count": 1, "partial_unexpected_list": [100.0]})"},
      {"expect_column_value_z_scores_to_be_less_than: {column: x, threshold: 2, double_sided: "
       "false, mostly: 0.8}",
       true, R"({"unexpected_count": 1})"},
  };
  const Table table = Sample();
  for (const Case& c : cases) ExpectCase(table, c);
}

TEST(ExpectationsTest, ResultFormatsNestLikeGreatExpectations) {
  const Table table = Sample();
  const std::string e = "expect_column_values_to_be_in_set: {column: s, value_set: [apple]}";
  Json boolean = Check(table, e, "BOOLEAN_ONLY");
  EXPECT_EQ(boolean["success"], false);
  EXPECT_EQ(boolean["result"], Json::object());

  Json basic = Check(table, e, "BASIC");
  EXPECT_FALSE(basic["result"].contains("partial_unexpected_counts"));
  EXPECT_FALSE(basic["result"].contains("unexpected_list"));

  // Top counts by count, then value.
  Json summary = Check(table, e, "SUMMARY");
  EXPECT_EQ(summary["result"]["partial_unexpected_counts"],
            Json::parse(R"([{"value": "c", "count": 3}, {"value": "b", "count": 2},
                            {"value": "avocado", "count": 1}, {"value": "banana", "count": 1}])"));
  EXPECT_EQ(summary["result"]["partial_unexpected_index_list"], Json({1, 3, 4, 5, 6, 7, 8}));
  EXPECT_FALSE(summary["result"].contains("unexpected_index_list"));

  Json complete = Check(table, e, "COMPLETE");
  EXPECT_EQ(complete["result"]["unexpected_list"],
            Json({"banana", "avocado", "b", "b", "c", "c", "c"}));
  EXPECT_EQ(complete["result"]["unexpected_index_list"], Json({1, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(complete["result"]["unexpected_index_query"],
            "df.filter(items=[1,3,4,5,6,7,8], axis=0)");
  EXPECT_EQ(complete["expectation_config"]["expectation_type"],
            "expect_column_values_to_be_in_set");
  EXPECT_EQ(complete["exception_info"]["raised_exception"], false);
}

TEST(ExpectationsTest, PartialListsStopAtTwentyAndCompleteHasAll) {
  std::vector<int64_t> values(50);
  for (int64_t i = 0; i < 50; ++i) values[static_cast<size_t>(i)] = 100 + i;
  const Table table = Make({Column::Int64("v", values)});
  const std::string e = "expect_column_values_to_be_between: {column: v, max_value: 10}";
  Json basic = Check(table, e, "BASIC");
  EXPECT_EQ(basic["result"]["unexpected_count"], 50);
  ASSERT_EQ(basic["result"]["partial_unexpected_list"].size(), 20u);
  EXPECT_EQ(basic["result"]["partial_unexpected_list"][19], 119);
  Json summary = Check(table, e, "SUMMARY");
  EXPECT_EQ(summary["result"]["partial_unexpected_index_list"].size(), 20u);
  EXPECT_EQ(summary["result"]["partial_unexpected_counts"].size(), 20u);
  Json complete = Check(table, e, "COMPLETE");
  EXPECT_EQ(complete["result"]["unexpected_list"].size(), 50u);
  EXPECT_EQ(complete["result"]["unexpected_index_list"][49], 49);
  // A smaller cap on request.
  Result<Suite> suite =
      ParseSuite("expectations:\n  - " + e.substr(0, e.size() - 1) +
                     ", result_format: {result_format: SUMMARY, partial_unexpected_count: 3}}\n",
                 "test");
  ASSERT_OK(suite);
  ASSERT_OK_AND_ASSIGN(SuiteResult r, Validate(table, *suite));
  Json capped = r.results[0].ToJson();
  EXPECT_EQ(capped["result"]["partial_unexpected_list"], Json({100, 101, 102}));
  EXPECT_EQ(capped["result"]["partial_unexpected_index_list"], Json({0, 1, 2}));
}

TEST(ExpectationsTest, EmptyAndAllNullColumnsAreVacuouslyTrue) {
  const Table empty = Make({Column::Float64("x", {}), Column::String("s", {})});
  const Table nulls = Make(
      {Column::Float64("x", {kNaN, kNaN, kNaN}), Column::String("s", {"", "", ""}, {0, 0, 0})});
  const char* map_checks[] = {
      "expect_column_values_to_be_between: {column: x, min_value: 0, max_value: 1}",
      "expect_column_values_to_be_in_set: {column: s, value_set: [a]}",
      "expect_column_values_to_be_unique: {column: x}",
      "expect_column_values_to_match_regex: {column: s, regex: x}",
      "expect_column_value_z_scores_to_be_less_than: {column: x, threshold: 1}",
      "expect_column_values_to_not_be_null: {column: x}",
  };
  for (const char* e : map_checks) {
    Json r = Check(empty, e);
    EXPECT_EQ(r["success"], true) << e;
    EXPECT_EQ(r["result"]["element_count"], 0) << e;
    EXPECT_TRUE(r["result"]["unexpected_percent"].is_null()) << e;
  }
  for (const char* e : map_checks) {
    Json r = Check(nulls, e);
    if (std::string(e).find("not_be_null") != std::string::npos) {
      EXPECT_EQ(r["success"], false) << e;
      EXPECT_EQ(r["result"]["unexpected_percent"], 100.0);
      continue;
    }
    EXPECT_EQ(r["success"], true) << e;
    EXPECT_EQ(r["result"]["missing_count"], 3) << e;
    EXPECT_EQ(r["result"]["missing_percent"], 100.0) << e;
    EXPECT_EQ(r["result"]["unexpected_percent_total"], 0.0) << e;
    EXPECT_TRUE(r["result"]["unexpected_percent"].is_null()) << e;
  }
  // Aggregates have nothing to observe: they fail (pandas' sum of nothing is 0).
  EXPECT_EQ(Check(nulls, "expect_column_mean_to_be_between: {column: x, min_value: 0}")["result"],
            Json::parse(R"({"observed_value": null})"));
  EXPECT_EQ(Check(nulls, "expect_column_sum_to_be_between: {column: x, max_value: 0}")["success"],
            true);
}

TEST(ExpectationsTest, AggregatesObserveOneValue) {
  const Table table =
      Make({Column::Float64("x", {1, 2, 3, 4, kNaN}), Column::Int64("i", {5, 1, 4, 1, 5}),
            Column::String("s", {"a", "b", "b", "c", "c"})});
  const Case cases[] = {
      {"expect_column_min_to_be_between: {column: x, min_value: 1, max_value: 1}", true,
       R"({"observed_value": 1.0})"},
      {"expect_column_min_to_be_between: {column: x, min_value: 1, strict_min: true}", false,
       R"({"observed_value": 1.0})"},
      {"expect_column_max_to_be_between: {column: i, max_value: 5}", true,
       R"({"observed_value": 5})"},
      {"expect_column_mean_to_be_between: {column: x, min_value: 2.5, max_value: 2.5}", true,
       R"({"observed_value": 2.5})"},
      {"expect_column_median_to_be_between: {column: x, min_value: 2.5, max_value: 2.5}", true,
       R"({"observed_value": 2.5})"},
      {"expect_column_median_to_be_between: {column: i, min_value: 4, max_value: 4}", true,
       R"({"observed_value": 4.0})"},
      {"expect_column_stdev_to_be_between: {column: x, min_value: 1.29, max_value: 1.30}", true,
       R"({"observed_value": 1.2909944487358056})"},
      {"expect_column_sum_to_be_between: {column: i, min_value: 16, max_value: 16}", true,
       R"({"observed_value": 16})"},
      // nearest: positions 0.75 -> 1 and 1.5 -> 2 (half to even).
      {"expect_column_quantile_values_to_be_between: {column: x, quantile_ranges: {quantiles: "
       "[0.25, 0.5], value_ranges: [[2, 2], [3, null]]}}",
       true,
       R"({"observed_value": {"quantiles": [0.25, 0.5], "values": [2.0, 3.0]},
           "details": {"success_details": [true, true]}})"},
      {"expect_column_quantile_values_to_be_between: {column: x, quantile_ranges: {quantiles: "
       "[0.5], value_ranges: [[0, 2]]}, allow_relative_error: linear}",
       false,
       R"({"observed_value": {"quantiles": [0.5], "values": [2.5]},
           "details": {"success_details": [false]}})"},
      {"expect_column_unique_value_count_to_be_between: {column: i, min_value: 3, max_value: 3}",
       true, R"({"observed_value": 3})"},
      {"expect_column_proportion_of_unique_values_to_be_between: {column: i, max_value: 0.5}",
       false, R"({"observed_value": 0.6})"},
      {"expect_column_distinct_values_to_be_in_set: {column: s, value_set: [a, b, c, d]}", true,
       R"({"observed_value": ["a", "b", "c"], "details": {"value_counts": [
           {"value": "a", "count": 1}, {"value": "b", "count": 2}, {"value": "c", "count": 2}]}})"},
      {"expect_column_distinct_values_to_contain_set: {column: s, value_set: [a, d]}", false,
       R"({"observed_value": ["a", "b", "c"]})"},
      {"expect_column_distinct_values_to_equal_set: {column: i, value_set: [1, 4, 5.0]}", true,
       R"({"observed_value": [1, 4, 5]})"},
      {"expect_column_most_common_value_to_be_in_set: {column: s, value_set: [b]}", false,
       R"({"observed_value": ["b", "c"]})"},
      {"expect_column_most_common_value_to_be_in_set: {column: s, value_set: [b], ties_okay: "
       "true}",
       true, R"({"observed_value": ["b", "c"]})"},
  };
  for (const Case& c : cases) ExpectCase(table, c);
}

TEST(ExpectationsTest, KlDivergenceFollowsScipyEntropy) {
  const Table table =
      Make({Column::String("s", {"a", "a", "b", "c"}), Column::Float64("x", {0.5, 1.5, 1.5, 5})});
  // Observed a 0.5, b 0.25, c 0.25 (not in the partition: gets the holdout 0.1; a and b scale by
  // 0.9). KL = 0.5 ln(0.5/0.45) + 0.25 ln(0.25/0.45) + 0.25 ln(0.25/0.1).
  const double categorical =
      0.5 * std::log(0.5 / 0.45) + 0.25 * std::log(0.25 / 0.45) + 0.25 * std::log(0.25 / 0.1);
  Json r =
      Check(table,
            "expect_column_kl_divergence_to_be_less_than: {column: s, partition_object: "
            "{values: [a, b], weights: [0.5, 0.5]}, threshold: 0.5, tail_weight_holdout: 0.1}");
  EXPECT_NEAR(r["result"]["observed_value"].get<double>(), categorical, 1e-12);
  EXPECT_EQ(r["success"], true);
  EXPECT_EQ(r["result"]["details"]["expected_partition"]["values"], Json({"a", "b", "c"}));
  // Continuous, bins [0, 1, 2]: observed 0.25 and 0.5 inside, 0.25 above; no tail weight
  // expected, so KL is infinite and reported as null.
  Json c = Check(table,
                 "expect_column_kl_divergence_to_be_less_than: {column: x, partition_object: "
                 "{bins: [0, 1, 2], weights: [0.5, 0.5]}, threshold: 1}");
  EXPECT_TRUE(c["result"]["observed_value"].is_null());
  EXPECT_EQ(c["success"], false);
  EXPECT_EQ(c["result"]["details"]["observed_partition"]["tail_weights"], Json({0.0, 0.25}));
  Json held = Check(table,
                    "expect_column_kl_divergence_to_be_less_than: {column: x, partition_object: "
                    "{bins: [0, 1, 2], weights: [0.5, 0.5]}, threshold: 1, tail_weight_holdout: "
                    "0.2}");
  // Expected [0.1, 0.4, 0.4, 0.1], observed [0, 0.25, 0.5, 0.25].
  const double continuous =
      0.25 * std::log(0.25 / 0.4) + 0.5 * std::log(0.5 / 0.4) + 0.25 * std::log(0.25 / 0.1);
  EXPECT_NEAR(held["result"]["observed_value"].get<double>(), continuous, 1e-12);
}

TEST(ExpectationsTest, PairAndMulticolumnExpectations) {
  const Table table = Make({
      Column::Int64("a", {3, 2, 5, 0, 7}, {1, 1, 1, 0, 1}),
      Column::Int64("b", {1, 2, 6, 0, 1}, {1, 1, 1, 0, 0}),
      Column::Int64("c", {1, 1, 2, 0, 4}),
  });
  const Case cases[] = {
      // Row 3 has both missing (ignored); row 4 has b missing: unexpected.
      {"expect_column_pair_values_a_to_be_greater_than_b: {column_A: a, column_B: b}", false,
       R"({"element_count": 5, "missing_count": 1, "unexpected_count": 3,
           "partial_unexpected_list": [[2, 2], [5, 6], [7, null]]})"},
      {"expect_column_pair_values_a_to_be_greater_than_b: {column_A: a, column_B: b, or_equal: "
       "true, ignore_row_if: either_value_is_missing}",
       false, R"({"missing_count": 2, "unexpected_count": 1})"},
      {"expect_column_pair_values_to_be_equal: {column_A: a, column_B: b, ignore_row_if: neither}",
       false, R"({"unexpected_count": 4})"},
      {"expect_compound_columns_to_be_unique: {column_list: [b, c]}", true,
       R"({"unexpected_count": 0})"},
      {"expect_compound_columns_to_be_unique: {column_list: [c]}", false,
       R"({"unexpected_count": 2, "partial_unexpected_list": [{"c": 1}, {"c": 1}]})"},
      {"expect_multicolumn_sum_to_equal: {column_list: [a, c], sum_total: 4}", false,
       R"({"unexpected_count": 4})"},
      {"expect_select_column_values_to_be_unique_within_record: {column_list: [b, c]}", false,
       R"({"unexpected_count": 1, "partial_unexpected_list": [{"b": 1, "c": 1}]})"},
  };
  for (const Case& c : cases) ExpectCase(table, c);
}

TEST(ExpectationsTest, PairOfFloatColumns) {
  // Two float64 columns take their own loop; NaN is missing like a null.
  const Table table = Make({
      Column::Float64("a", {3, 2, 5, 0, 7, kNaN, -0.0}, {1, 1, 1, 0, 1, 1, 1}),
      Column::Float64("b", {1, 2, 6, 0, 1, kNaN, 0.0}, {1, 1, 1, 0, 0, 1, 1}),
  });
  const Case cases[] = {
      // Rows 3 and 5 have both missing (ignored); row 4 has b missing: unexpected; -0.0 > 0.0 is
      // false.
      {"expect_column_pair_values_a_to_be_greater_than_b: {column_A: a, column_B: b}", false,
       R"({"element_count": 7, "missing_count": 2, "unexpected_count": 4,
           "partial_unexpected_list": [[2.0, 2.0], [5.0, 6.0], [7.0, null], [-0.0, 0.0]]})"},
      {"expect_column_pair_values_a_to_be_greater_than_b: {column_A: a, column_B: b, or_equal: "
       "true, ignore_row_if: either_value_is_missing}",
       false, R"({"missing_count": 3, "unexpected_count": 1})"},
      {"expect_column_pair_values_to_be_equal: {column_A: a, column_B: b, ignore_row_if: neither}",
       false, R"({"unexpected_count": 5})"},
      {"expect_column_pair_values_to_be_equal: {column_A: a, column_B: b, row_condition: "
       "'a > 1'}",
       false, R"({"element_count": 4, "unexpected_count": 3})"},
  };
  for (const Case& c : cases) ExpectCase(table, c);
}

TEST(ExpectationsTest, TableExpectations) {
  const Table table = Sample();
  const Case cases[] = {
      {"expect_table_row_count_to_be_between: {min_value: 10, max_value: 10}", true,
       R"({"observed_value": 10})"},
      {"expect_table_row_count_to_equal: {value: 3, row_condition: 'x > 8'}", true,
       R"({"observed_value": 3})"},
      {"expect_table_column_count_to_equal: {value: 5}", true, R"({"observed_value": 5})"},
      {"expect_table_column_count_to_be_between: {max_value: 4}", false,
       R"({"observed_value": 5})"},
      {"expect_column_to_exist: {column: s, column_index: 1}", true, "{}"},
      {"expect_column_to_exist: {column: nope}", false, "{}"},
      {"expect_table_columns_to_match_ordered_list: {column_list: [x, s, j]}", false,
       R"({"observed_value": ["x", "s", "i", "j", "t"], "details": {"mismatched": [
           {"Expected Column Position": 2, "Expected": "j", "Found": "i"},
           {"Expected Column Position": 3, "Expected": null, "Found": "j"},
           {"Expected Column Position": 4, "Expected": null, "Found": "t"}]}})"},
      {"expect_table_columns_to_match_set: {column_set: [x, s, i, j, t, u]}", false,
       R"({"details": {"mismatched": {"missing": ["u"]}}})"},
      {"expect_table_columns_to_match_set: {column_set: [x, s], exact_match: false}", true,
       R"({"details": {"mismatched": {"unexpected": ["i", "j", "t"]}}})"},
      {"expect_column_values_to_be_of_type: {column: i, type_: int64}", true,
       R"({"observed_value": "int64"})"},
      {"expect_column_values_to_be_in_type_list: {column: s, type_list: [float, int]}", false,
       R"({"observed_value": "object"})"},
  };
  for (const Case& c : cases) ExpectCase(table, c);
}

TEST(ExpectationsTest, TextFormatsAndJson) {
  const Table table = Make({
      Column::String("d", {"2024-02-29", "2023-02-29", "2024-13-01", "2024-1-5 "}),
      Column::String("j", {"{\"a\": 1}", "[1, 2]", "{bad", "\"text\""}),
  });
  ExpectCase(table, {"expect_column_values_to_match_strftime_format: {column: d, "
                     "strftime_format: '%Y-%m-%d'}",
                     false,
                     R"({"unexpected_count": 3, "partial_unexpected_list": ["2023-02-29",
                         "2024-13-01", "2024-1-5 "]})"});
  ExpectCase(table, {"expect_column_values_to_be_json_parseable: {column: j}", false,
                     R"({"unexpected_count": 1, "partial_unexpected_list": ["{bad"]})"});
}

TEST(ExpectationsTest, RowConditionFiltersFirst) {
  const Table table = Sample();
  // Rows where i >= 5: x is 100, 8, 9, 10 (rows 6..9).
  ExpectCase(table, {"expect_column_values_to_be_between: {column: x, max_value: 10, "
                     "row_condition: 'i >= 5'}",
                     false,
                     R"({"element_count": 4, "unexpected_count": 1, "missing_count": 0,
                         "partial_unexpected_list": [100.0]})",
                     "SUMMARY"});
  Json r = Check(table,
                 "expect_column_values_to_be_between: {column: x, max_value: 10, row_condition: "
                 "'i >= 5'}",
                 "SUMMARY");
  EXPECT_EQ(r["result"]["partial_unexpected_index_list"], Json({6}));
  ExpectCase(table, {"expect_column_mean_to_be_between: {column: x, min_value: 5, max_value: 6, "
                     "row_condition: 's == \"b\"'}",
                     true, R"({"observed_value": 5.5})"});
}

}  // namespace
}  // namespace sluice::validation

namespace sluice::validation {
namespace {

TEST(ExpectationsTest, UniquenessAcrossManySortedRuns) {
  // 200,000 distinct values but for three repeats far apart: rows 5 and 150,000 hold 7, rows
  // 70,000, 80,000 and 199,999 hold -1.
  std::vector<int64_t> v(200'000);
  for (int64_t i = 0; i < 200'000; ++i) v[static_cast<size_t>(i)] = 1'000'000 - i;
  v[5] = 7;
  v[150'000] = 7;
  v[70'000] = v[80'000] = v[199'999] = -1;
  std::vector<double> d(v.begin(), v.end());
  const Table table = Make({Column::Int64("i", v), Column::Float64("d", d)});
  for (const char* column : {"i", "d"}) {
    Json r =
        Check(table, std::string("expect_column_values_to_be_unique: {column: ") + column + "}",
              "SUMMARY");
    EXPECT_EQ(r["result"]["unexpected_count"], 5) << column;
    EXPECT_EQ(r["result"]["partial_unexpected_index_list"],
              Json({5, 70'000, 80'000, 150'000, 199'999}))
        << column;
    EXPECT_EQ(r["result"]["partial_unexpected_list"][0], 7) << column;
  }
  // Data that arrives sorted skips the merge: repeats are neighbours.
  std::vector<int64_t> sorted(200'000);
  for (int64_t i = 0; i < 200'000; ++i) sorted[static_cast<size_t>(i)] = i;
  sorted[101] = 100;
  sorted[150'001] = 150'000;
  Json r = Check(Make({Column::Int64("i", sorted)}),
                 "expect_column_values_to_be_unique: {column: i}", "SUMMARY");
  EXPECT_EQ(r["result"]["unexpected_count"], 4);
  EXPECT_EQ(r["result"]["partial_unexpected_index_list"], Json({100, 101, 150'000, 150'001}));
}

}  // namespace
}  // namespace sluice::validation
