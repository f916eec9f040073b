#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "testing/status_matchers.h"
#include "validation/engine.h"
#include "validation/infer.h"
#include "validation/skew.h"

namespace sluice::validation {
namespace {

using ::sluice::testing::StatusIs;
using Json = nlohmann::json;
using table::Column;
using table::Table;

Table Make(std::vector<Column> columns) { return Table::Make(std::move(columns)).value(); }

const ExpectationConfig* Find(const Suite& suite, const std::string& type,
                              const std::string& column) {
  for (const ExpectationConfig& e : suite.expectations) {
    if (e.type == type && e.kwargs.value("column", "") == column) return &e;
  }
  return nullptr;
}

Table Customers(size_t rows, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<int64_t> id(rows), age(rows);
  std::vector<double> spend(rows);
  std::vector<std::string> plan(rows), email(rows);
  std::vector<uint8_t> spend_valid(rows);
  std::vector<int64_t> joined(rows);
  const char* plans[] = {"basic", "pro", "team"};
  for (size_t r = 0; r < rows; ++r) {
    id[r] = static_cast<int64_t>(1000 + r);
    age[r] = 18 + static_cast<int64_t>(random() % 60);
    spend[r] = static_cast<double>(random() % 100000) / 100.0;
    spend_valid[r] = random() % 20 != 0;
    plan[r] = plans[random() % 3];
    email[r] = "user" + std::to_string(random() % 100000) + "@example.com";
    joined[r] = 1'600'000'000'000'000 + static_cast<int64_t>(random() % 1'000'000) * 1'000'000;
  }
  return Make({Column::Int64("id", id), Column::Int64("age", age),
               Column::Float64("spend", spend, spend_valid), Column::String("plan", plan),
               Column::String("email", email), Column::Timestamp("joined", joined)});
}

TEST(InferTest, TheDataItCameFromPassesTheInferredSuite) {
  const Table table = Customers(2000, 1);
  ASSERT_OK_AND_ASSIGN(Suite suite, InferSuite(table, {.name = "customers"}));
  EXPECT_EQ(suite.name, "customers");
  ASSERT_OK_AND_ASSIGN(SuiteResult result, Validate(table, suite));
  for (const ExpectationResult& r : result.results) {
    EXPECT_TRUE(r.success) << r.ToJson().dump(2);
  }

  const ExpectationConfig* plan = Find(suite, "expect_column_values_to_be_in_set", "plan");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->kwargs["value_set"], Json({"basic", "pro", "team"}));
  EXPECT_NE(Find(suite, "expect_column_values_to_be_unique", "id"), nullptr);
  EXPECT_EQ(Find(suite, "expect_column_values_to_be_unique", "age"), nullptr);
  EXPECT_NE(Find(suite, "expect_column_value_lengths_to_be_between", "email"), nullptr);
  const ExpectationConfig* age = Find(suite, "expect_column_values_to_be_between", "age");
  ASSERT_NE(age, nullptr);
  // 18..77 widened by 10% of 59 on each side, non-negative.
  EXPECT_EQ(age->kwargs["min_value"], 12);
  EXPECT_EQ(age->kwargs["max_value"], 83);
  EXPECT_EQ(Find(suite, "expect_column_values_to_be_of_type", "joined")->kwargs["type_"],
            "timestamp");
  EXPECT_NE(Find(suite, "expect_column_values_to_not_be_null", "id"), nullptr);
  // spend is 95% present: mostly = 0.95 less the margin, rounded down.
  const ExpectationConfig* spend = Find(suite, "expect_column_values_to_not_be_null", "spend");
  ASSERT_NE(spend, nullptr);
  EXPECT_GT(spend->kwargs["mostly"].get<double>(), 0.8);
  EXPECT_LT(spend->kwargs["mostly"].get<double>(), 0.9);
  const ExpectationConfig& rows = suite.expectations[1];
  EXPECT_EQ(rows.type, "expect_table_row_count_to_be_between");
  EXPECT_EQ(rows.kwargs, Json({{"min_value", 1000}, {"max_value", 3000}}));

  // Another batch from the same process passes; a broken one does not.
  ASSERT_OK_AND_ASSIGN(SuiteResult other, Validate(Customers(1500, 2), suite));
  EXPECT_TRUE(other.success) << other.ToJson().dump(2);
  Table broken =
      Make({Column::Int64("id", {1, 1}), Column::Int64("age", {-3, 30}),
            Column::Float64("spend", {1, 2}), Column::String("plan", {"gold", "pro"}),
            Column::String("email", {"a@b.c", "x"}), Column::Timestamp("joined", {0, 0})});
  ASSERT_OK_AND_ASSIGN(SuiteResult bad, Validate(broken, suite));
  EXPECT_FALSE(bad.success);
  EXPECT_GE(bad.statistics.unsuccessful_expectations, 5);
}

TEST(InferTest, ConstantAndEmptyColumns) {
  const Table table =
      Make({Column::Float64("zero", {0, 0, 0}), Column::Float64("none", {0, 0, 0}, {0, 0, 0}),
            Column::Float64("f", {0.125, 0.5, 0.875})});
  ASSERT_OK_AND_ASSIGN(Suite suite, InferSuite(table));
  const ExpectationConfig* zero = Find(suite, "expect_column_values_to_be_between", "zero");
  ASSERT_NE(zero, nullptr);
  EXPECT_EQ(zero->kwargs["min_value"], 0.0);
  EXPECT_EQ(zero->kwargs["max_value"], 1.0);
  EXPECT_EQ(Find(suite, "expect_column_values_to_not_be_null", "none"), nullptr);
  const ExpectationConfig* f = Find(suite, "expect_column_values_to_be_between", "f");
  EXPECT_EQ(f->kwargs["min_value"], 0.05);
  EXPECT_EQ(f->kwargs["max_value"], 0.95);
  ASSERT_OK_AND_ASSIGN(SuiteResult result, Validate(table, suite));
  EXPECT_TRUE(result.success);
  EXPECT_THAT(InferSuite(Table()), StatusIs(StatusCode::kInvalidArgument));
}

double Kl2(std::vector<double> p, std::vector<double> q) {
  double out = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] > 0 && q[i] > 0) out += p[i] * std::log2(p[i] / q[i]);
  }
  return out;
}

double Jsd(std::vector<double> p, std::vector<double> q) {
  std::vector<double> m(p.size());
  for (size_t i = 0; i < p.size(); ++i) m[i] = (p[i] + q[i]) / 2;
  return (Kl2(p, m) + Kl2(q, m)) / 2;
}

TEST(SkewTest, LInfinityOnCategoriesNamesTheValue) {
  const Table ref = Make({Column::String("s", {"a", "a", "b", "c"})});
  const Table cur = Make({Column::String("s", {"a", "b", "b", "b", "", ""}, {1, 1, 1, 1, 0, 0})});
  ASSERT_OK_AND_ASSIGN(SkewResult skew, ComputeSkew(ref, cur, {.threshold = 0.4}));
  ASSERT_EQ(skew.columns.size(), 1u);
  const ColumnSkew& s = skew.columns[0];
  EXPECT_TRUE(s.categorical);
  EXPECT_EQ(s.metric, "l_infinity");
  EXPECT_DOUBLE_EQ(*s.value, 0.5);  // b: 0.25 vs 0.75
  EXPECT_EQ(s.max_difference_value, "b");
  EXPECT_EQ(s.current_count, 4);
  EXPECT_TRUE(s.anomaly);
  EXPECT_TRUE(skew.anomaly);
  // Ties go to the last value in order, as in TFDV.
  ASSERT_OK_AND_ASSIGN(SkewResult tie, ComputeSkew(Make({Column::String("s", {"a", "b"})}),
                                                   Make({Column::String("s", {"b", "c"})})));
  EXPECT_DOUBLE_EQ(*tie.columns[0].value, 0.5);
  EXPECT_EQ(tie.columns[0].max_difference_value, "c");
  // Per-column thresholds.
  ASSERT_OK_AND_ASSIGN(
      SkewResult lenient,
      ComputeSkew(ref, cur, {.threshold = 0.1, .column_thresholds = {{"s", 0.5}}}));
  EXPECT_FALSE(lenient.columns[0].anomaly);
  EXPECT_EQ(lenient.columns[0].threshold, 0.5);
}

TEST(SkewTest, JensenShannonOnHistogramsMatchesHandComputation) {
  // Same boundaries [0, 1.5, 3]: reference counts [2, 2], current [3, 1].
  const Table ref = Make({Column::Float64("x", {0, 1, 2, 3})});
  const Table cur = Make({Column::Float64("x", {0, 0, 0, 3})});
  ASSERT_OK_AND_ASSIGN(SkewResult skew, ComputeSkew(ref, cur, {.bins = 2}));
  EXPECT_EQ(skew.columns[0].metric, "jensen_shannon_divergence");
  EXPECT_NEAR(*skew.columns[0].value, Jsd({0.5, 0.5}, {0.75, 0.25}), 1e-12);
  EXPECT_FALSE(skew.columns[0].anomaly);  // 0.049 <= 0.1

  // One bucket each, [0, 2] and [1, 3]: re-bucketed to [0, 1], [1, 2], [2, 3] as
  // [0.5, 0.5, 0] and [0, 0.5, 0.5]: JSD 0.5.
  ASSERT_OK_AND_ASSIGN(SkewResult shifted,
                       ComputeSkew(Make({Column::Float64("x", {0, 2})}),
                                   Make({Column::Float64("x", {1, 3})}), {.bins = 1}));
  EXPECT_NEAR(*shifted.columns[0].value, 0.5, 1e-12);
  EXPECT_EQ(shifted.columns[0].labels.size(), 3u);

  // A constant reference is a point mass the current data never hits: JSD 1.
  ASSERT_OK_AND_ASSIGN(SkewResult point,
                       ComputeSkew(Make({Column::Int64("x", {5, 5, 5})}),
                                   Make({Column::Int64("x", {5, 5, 6, 6})}), {.bins = 1}));
  EXPECT_NEAR(*point.columns[0].value, 1.0, 1e-12);
  // Identical data: 0.
  ASSERT_OK_AND_ASSIGN(SkewResult same, ComputeSkew(ref, ref));
  EXPECT_NEAR(*same.columns[0].value, 0.0, 1e-12);
}

TEST(SkewTest, ColumnsAndTypesThatDifferAreAnomalies) {
  const Table ref = Make({Column::Int64("a", {1, 2}), Column::String("b", {"x", "y"}),
                          Column::Float64("only_ref", {1, 2})});
  const Table cur = Make({Column::String("a", {"1", "2"}), Column::String("b", {"x", "y"}),
                          Column::Float64("only_cur", {1, 2})});
  ASSERT_OK_AND_ASSIGN(SkewResult skew, ComputeSkew(ref, cur));
  EXPECT_TRUE(skew.anomaly);
  EXPECT_EQ(skew.type_mismatches, std::vector<std::string>{"a: int64 vs string"});
  EXPECT_EQ(skew.only_in_reference, std::vector<std::string>{"only_ref"});
  EXPECT_EQ(skew.only_in_current, std::vector<std::string>{"only_cur"});
  ASSERT_EQ(skew.columns.size(), 1u);
  EXPECT_EQ(*skew.columns[0].value, 0.0);
  // int64 compared as categories on request.
  ASSERT_OK_AND_ASSIGN(SkewResult as_category, ComputeSkew(ref, ref, {.categorical = {"a"}}));
  EXPECT_TRUE(as_category.columns[0].categorical);
  EXPECT_THAT(ComputeSkew(ref, cur, {.categorical = {"b"}}),
              StatusIs(StatusCode::kInvalidArgument,
                       ::testing::Eq("categorical: column 'b' is string; only int64 columns can be "
                                     "treated as categories (strings and bools already are)")));
  EXPECT_THAT(ComputeSkew(ref, cur, {.column_thresholds = {{"bb", 0.2}}}),
              StatusIs(StatusCode::kNotFound,
                       ::testing::Eq("thresholds: no column 'bb' in either table (did you mean "
                                     "'b'?)")));
  Json json = skew.ToJson();
  EXPECT_EQ(json["columns"][0]["kind"], "categorical");
  EXPECT_EQ(json["anomaly"], true);
}

}  // namespace
}  // namespace sluice::validation
