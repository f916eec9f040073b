// The fused engine against itself: one pass over a whole suite gives each expectation the result
// it gets alone, whatever the chunking, the thread count or the source (memory or a streamed CSV).
#include "validation/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "validation/internal/csv_pieces.h"

namespace sluice::validation {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;
using table::Column;
using table::Table;

// Numbers equal to 1e-9 relative; everything else exactly.
void ExpectJsonNear(const Json& a, const Json& b, const std::string& path = "") {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    EXPECT_NEAR(x, y, 1e-9 * std::max(1.0, std::fabs(y))) << path;
    return;
  }
  ASSERT_EQ(a.type(), b.type()) << path << ": " << a.dump() << " vs " << b.dump();
  if (a.is_object()) {
    ASSERT_EQ(a.size(), b.size()) << path << ": " << a.dump() << " vs " << b.dump();
    for (const auto& [key, value] : a.items()) {
      ASSERT_TRUE(b.contains(key)) << path << "." << key;
      ExpectJsonNear(value, b[key], path + "." + key);
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.size(), b.size()) << path << ": " << a.dump() << " vs " << b.dump();
    for (size_t i = 0; i < a.size(); ++i) ExpectJsonNear(a[i], b[i], path + fmt::format("[{}]", i));
  } else {
    EXPECT_EQ(a, b) << path;
  }
}

Table RandomTable(size_t rows, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<double> x(rows), y(rows);
  std::vector<int64_t> k(rows), t(rows);
  std::vector<std::string> s(rows);
  std::vector<uint8_t> x_valid(rows), s_valid(rows);
  const char* words[] = {"alpha", "beta", "gamma", "delta", "eps", "zeta1", "eta"};
  for (size_t r = 0; r < rows; ++r) {
    x[r] = static_cast<double>(random() % 2000) / 8.0 - 100;  // exact in binary
    x_valid[r] = random() % 10 != 0;
    y[r] = static_cast<double>(random() % 400) / 4.0;
    k[r] = static_cast<int64_t>(random() % 50);
    t[r] = 1'700'000'000'000'000 + static_cast<int64_t>(r) * 1'000'000;
    s[r] = words[random() % 7];
    s_valid[r] = random() % 7 != 0;
    if (!x_valid[r]) x[r] = std::nan("");
  }
  return Table::Make({Column::Float64("x", x, x_valid), Column::Float64("y", y),
                      Column::Int64("k", k), Column::Timestamp("t", t),
                      Column::String("s", s, s_valid)})
      .value();
}

const char* kSuite = R"(
name: everything
expectations:
  - expect_table_row_count_to_be_between: {min_value: 1}
  - expect_table_columns_to_match_ordered_list: {column_list: [x, y, k, t, s]}
  - expect_column_values_to_not_be_null: {column: x, mostly: 0.8}
  - expect_column_values_to_be_between: {column: x, min_value: -90, max_value: 140}
  - expect_column_values_to_be_between: {column: y, min_value: 0, max_value: 99, strict_max: true}
  - expect_column_values_to_be_between: {column: k, min_value: 3, row_condition: 's == "beta"'}
  - expect_column_values_to_be_in_set: {column: s, value_set: [alpha, beta, gamma, delta]}
  - expect_column_values_to_not_be_in_set: {column: k, value_set: [7, 13]}
  - expect_column_values_to_be_unique: {column: k}
  - expect_column_values_to_match_regex: {column: s, regex: 'a$'}
  - expect_column_value_lengths_to_be_between: {column: s, min_value: 4}
  - expect_column_values_to_be_increasing: {column: t, strictly: true}
  - expect_column_values_to_be_decreasing: {column: y}
  - expect_column_value_z_scores_to_be_less_than: {column: x, threshold: 1.5}
  - expect_column_min_to_be_between: {column: x, min_value: -100}
  - expect_column_max_to_be_between: {column: k, max_value: 40}
  - expect_column_mean_to_be_between: {column: y, min_value: 40, max_value: 60}
  - expect_column_median_to_be_between: {column: x, min_value: 0}
  - expect_column_quantile_values_to_be_between:
      column: x
      quantile_ranges: {quantiles: [0.25, 0.75], value_ranges: [[null, 0], [50, null]]}
  - expect_column_stdev_to_be_between: {column: y, max_value: 30}
  - expect_column_sum_to_be_between: {column: k, min_value: 0}
  - expect_column_quantile_values_to_be_between:
      column: y
      quantile_ranges: {quantiles: [0.1, 0.5, 0.9], value_ranges: [[0, 20], [40, 60], [null, 95]]}
  - expect_column_unique_value_count_to_be_between: {column: s, max_value: 6}
  - expect_column_proportion_of_unique_values_to_be_between: {column: k, max_value: 0.5}
  - expect_column_distinct_values_to_be_in_set: {column: s, value_set: [alpha, beta, gamma]}
  - expect_column_most_common_value_to_be_in_set: {column: s, value_set: [alpha], ties_okay: true}
  - expect_column_kl_divergence_to_be_less_than:
      column: y
      partition_object: {bins: [0, 50, 100], weights: [0.5, 0.5]}
      threshold: 0.1
  - expect_column_pair_values_a_to_be_greater_than_b: {column_A: y, column_B: x}
  - expect_compound_columns_to_be_unique: {column_list: [k, s]}
  - expect_multicolumn_sum_to_equal: {column_list: [x, y], sum_total: 0}
  - expect_column_values_to_be_of_type: {column: t, type_: timestamp}
)";

std::vector<Json> ResultsOf(const SuiteResult& r) {
  std::vector<Json> out;
  for (const ExpectationResult& e : r.results) out.push_back(e.ToJson());
  return out;
}

TEST(EngineTest, FusedPassEqualsEachExpectationAlone) {
  const Table table = RandomTable(10'000, 1);
  ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite(kSuite, "suite"));
  ValidateOptions options;
  options.result_format = ResultFormat{.level = ResultFormatLevel::kComplete};
  ASSERT_OK_AND_ASSIGN(SuiteResult fused, Validate(table, suite, options));
  ASSERT_EQ(fused.results.size(), suite.expectations.size());
  EXPECT_EQ(fused.rows, 10'000);
  int failures = 0;
  for (size_t i = 0; i < suite.expectations.size(); ++i) {
    SCOPED_TRACE(suite.expectations[i].type);
    Suite alone;
    alone.expectations = {suite.expectations[i]};
    ASSERT_OK_AND_ASSIGN(SuiteResult single, Validate(table, alone, options));
    ExpectJsonNear(fused.results[i].ToJson(), single.results[0].ToJson());
    failures += !fused.results[i].success;
  }
  // The suite has passing and failing expectations, so the comparison means something.
  EXPECT_GT(failures, 5);
  EXPECT_LT(failures, static_cast<int>(suite.expectations.size()) - 5);
  EXPECT_EQ(fused.statistics.evaluated_expectations, 31);
  EXPECT_EQ(fused.statistics.unsuccessful_expectations, failures);
}

// The min, max and sum of an int64 column are exact; an integer bound is compared exactly too
// (as numpy compares an int64 with a Python int), a float bound as a double (as numpy does). As
// doubles, 2^53 + 1 and 2^53 are equal.
TEST(EngineTest, IntegerStatisticsMeetIntegerBoundsExactly) {
  const Table table = Table::Make({Column::Int64("k", {9007199254740992, 1}),
                                   Column::Int64("one", {9007199254740993, 9007199254740993})})
                          .value();
  ASSERT_OK_AND_ASSIGN(
      Suite suite,
      ParseSuite(
          "expectations:\n"
          "  - expect_column_max_to_be_between: {column: one, max_value: 9007199254740992}\n"
          "  - expect_column_max_to_be_between: {column: one, max_value: 9007199254740992.0}\n"
          "  - expect_column_min_to_be_between: {column: one, min_value: 9007199254740993}\n"
          "  - expect_column_min_to_be_between:\n"
          "      {column: one, min_value: 9007199254740993, strict_min: true}\n"
          "  - expect_column_sum_to_be_between: {column: k, max_value: 9007199254740992}\n"
          "  - expect_column_sum_to_be_between: {column: k, min_value: 9007199254740993,\n"
          "      max_value: 9007199254740993}\n",
          "suite"));
  ASSERT_OK_AND_ASSIGN(SuiteResult r, Validate(table, suite));
  ASSERT_EQ(r.results.size(), 6u);
  EXPECT_FALSE(r.results[0].success);
  EXPECT_TRUE(r.results[1].success);
  EXPECT_TRUE(r.results[2].success);
  EXPECT_FALSE(r.results[3].success);
  EXPECT_FALSE(r.results[4].success);
  EXPECT_TRUE(r.results[5].success);
  EXPECT_EQ(r.results[0].ToJson()["result"]["observed_value"], 9007199254740993);
}

TEST(EngineTest, StreamedCsvInSmallChunksEqualsInMemory) {
  testing::TempDir dir;
  const Table table = RandomTable(3'000, 2);
  ASSERT_OK(table::WriteCsvFile(table, dir / "data.csv"));
  ASSERT_OK_AND_ASSIGN(Table read_back, table::ReadCsv(dir / "data.csv"));
  ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite(kSuite, "suite"));
  ValidateOptions options;
  options.result_format = ResultFormat{.level = ResultFormatLevel::kComplete};
  ASSERT_OK_AND_ASSIGN(SuiteResult whole, Validate(read_back, suite, options));
  // Types fixed up front: a one-row first chunk cannot tell them (a null there reads as float64).
  table::CsvOptions csv;
  for (const Column& c : read_back.columns()) csv.types[c.name()] = c.type();
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}, size_t{5000}}) {
    SCOPED_TRACE(chunk);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<TableSource> source,
                         CsvSource(dir / "data.csv", csv, chunk));
    ASSERT_OK_AND_ASSIGN(SuiteResult streamed, Validate(*source, suite, options));
    EXPECT_EQ(streamed.rows, 3'000);
    EXPECT_EQ(streamed.data, (dir / "data.csv").string());
    ExpectJsonNear(Json(ResultsOf(streamed)), Json(ResultsOf(whole)));
  }
}

TEST(EngineTest, CsvPiecesParsedOnEveryCoreEqualTheWholeFile) {
  testing::TempDir dir;
  const Table table = RandomTable(3'000, 7);
  ASSERT_OK(table::WriteCsvFile(table, dir / "data.csv"));
  ASSERT_OK_AND_ASSIGN(Table read_back, table::ReadCsv(dir / "data.csv"));
  ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite(kSuite, "suite"));
  ValidateOptions options;
  options.result_format = ResultFormat{.level = ResultFormatLevel::kComplete};
  ASSERT_OK_AND_ASSIGN(SuiteResult whole, Validate(read_back, suite, options));
  // Pieces of a few dozen lines, of more, and the whole file.
  for (size_t piece : {size_t{4096}, size_t{50'000}, size_t{1} << 20}) {
    SCOPED_TRACE(piece);
    ASSERT_OK_AND_ASSIGN(auto source, internal::CsvPieceSource::Open(dir / "data.csv", ',', piece));
    ASSERT_OK_AND_ASSIGN(SuiteResult pieces, Validate(*source, suite, options));
    EXPECT_EQ(source->fallback(), "");
    EXPECT_EQ(pieces.rows, 3'000);
    ExpectJsonNear(Json(ResultsOf(pieces)), Json(ResultsOf(whole)));
  }
  // CRLF line ends and blank lines, cut anywhere.
  testing::WriteFile(dir / "crlf.csv", "a,b\r\n\r\n1,x\r\n\r\n2,y\r\n3,\r\n\n4,z");
  ASSERT_OK_AND_ASSIGN(Suite count,
                       ParseSuite("expectations:\n"
                                  "  - expect_table_row_count_to_equal: {value: 4}\n"
                                  "  - expect_column_values_to_be_in_set: {column: b, value_set: "
                                  "[x, y, z]}\n"
                                  "  - expect_column_sum_to_be_between: {column: a, min_value: 10, "
                                  "max_value: 10}\n",
                                  "suite"));
  for (size_t piece : {size_t{1}, size_t{5}, size_t{100}}) {
    ASSERT_OK_AND_ASSIGN(auto source, internal::CsvPieceSource::Open(dir / "crlf.csv", ',', piece));
    ASSERT_OK_AND_ASSIGN(SuiteResult r, Validate(*source, count));
    EXPECT_TRUE(r.success) << piece << r.ToJson().dump(2);
  }
}

// Uniqueness keeps nothing while values increase; where they stop, it collects the rows before
// from the chunk at hand and, for earlier chunks, in a second pass. Repeats placed in the first
// block, in a later block of the first chunk, and in later chunks all count the same streamed.
TEST(EngineTest, UniqueOfIncreasingValuesThatStopIncreasingStreamsLikeInMemory) {
  testing::TempDir dir;
  for (size_t repeat_at : {size_t{3}, size_t{5'000}, size_t{9'999}}) {
    SCOPED_TRACE(repeat_at);
    std::vector<int64_t> ids(10'000);
    std::vector<std::string> kinds(ids.size());
    for (size_t r = 0; r < ids.size(); ++r) {
      ids[r] = static_cast<int64_t>(r) * 3;
      kinds[r] = r % 3 == 0 ? "a" : "b";
    }
    ids[repeat_at] = ids[repeat_at / 2];  // one repeat of an earlier value
    const Table table =
        Table::Make({Column::Int64("id", ids), Column::String("kind", kinds)}).value();
    ASSERT_OK(table::WriteCsvFile(table, dir / "ids.csv"));
    ASSERT_OK_AND_ASSIGN(Suite suite,
                         ParseSuite("expectations:\n"
                                    "  - expect_column_values_to_be_unique: {column: id}\n"
                                    "  - expect_column_values_to_be_unique:\n"
                                    "      {column: id, row_condition: 'kind == \"a\"'}\n",
                                    "suite"));
    ValidateOptions options;
    options.result_format = ResultFormat{.level = ResultFormatLevel::kComplete};
    ASSERT_OK_AND_ASSIGN(SuiteResult whole, Validate(table, suite, options));
    EXPECT_EQ(whole.results[0].ToJson()["result"]["unexpected_count"], 2);
    table::CsvOptions csv;
    csv.types = {{"id", table::Type::kInt64}, {"kind", table::Type::kString}};
    for (size_t chunk : {size_t{1}, size_t{1000}, size_t{6000}}) {
      SCOPED_TRACE(chunk);
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<TableSource> source,
                           CsvSource(dir / "ids.csv", csv, chunk));
      ASSERT_OK_AND_ASSIGN(SuiteResult streamed, Validate(*source, suite, options));
      ExpectJsonNear(Json(ResultsOf(streamed)), Json(ResultsOf(whole)));
    }
  }
}

TEST(EngineTest, QuotesAndLateTypeChangesLeaveTheFastPath) {
  testing::TempDir dir;
  std::string csv = "id,note\n";
  for (int i = 0; i < 2'000; ++i) csv += std::to_string(i) + ",plain\n";
  testing::WriteFile(dir / "quoted.csv", csv + "2000,\"with, comma\"\n");
  // A quoted line break where a piece is cut: the piece ends inside the quotes.
  testing::WriteFile(dir / "spanning.csv", csv + "2000,\"" + std::string(1024, 'x') + "\n" +
                                               std::string(1024, 'y') + "\"\n");
  testing::WriteFile(dir / "quoted_first.csv",
                     "id,note\n0,\"first\"\n" + csv.substr(16) + "2000,plain\n");
  testing::WriteFile(dir / "late.csv", csv + "2.5,late\n");
  ASSERT_OK_AND_ASSIGN(Suite suite,
                       ParseSuite("expectations:\n"
                                  "  - expect_table_row_count_to_equal: {value: 2001}\n"
                                  "  - expect_column_max_to_be_between: {column: id, max_value: "
                                  "2000}\n",
                                  "suite"));
  // Quotes within a later piece parse there; one across a cut leaves the piece's quote open, an
  // error that falls back; quotes in the first piece, whose errors are the file's, fall back at
  // once.
  ASSERT_OK_AND_ASSIGN(auto quoted, internal::CsvPieceSource::Open(dir / "quoted.csv", ',', 1024));
  ASSERT_OK_AND_ASSIGN(SuiteResult in_piece, Validate(*quoted, suite));
  EXPECT_TRUE(in_piece.success) << in_piece.ToJson().dump(2);
  EXPECT_EQ(quoted->fallback(), "");
  ASSERT_OK_AND_ASSIGN(auto spanning,
                       internal::CsvPieceSource::Open(dir / "spanning.csv", ',', 1024));
  EXPECT_THAT(Validate(*spanning, suite), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(spanning->fallback(), HasSubstr("unterminated quoted field"));
  ASSERT_OK_AND_ASSIGN(auto quoted_first,
                       internal::CsvPieceSource::Open(dir / "quoted_first.csv", ',', 1024));
  EXPECT_THAT(Validate(*quoted_first, suite), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(quoted_first->fallback(), "the file has quoted fields");
  ASSERT_OK_AND_ASSIGN(auto late, internal::CsvPieceSource::Open(dir / "late.csv", ',', 1024));
  // A first part without a value in some column cannot tell that column's type.
  testing::WriteFile(dir / "sparse.csv", "a,b\n1,\n" + std::string(2'000, '\n') + "2,x\n");
  ASSERT_OK_AND_ASSIGN(auto sparse, internal::CsvPieceSource::Open(dir / "sparse.csv", ',', 64));
  EXPECT_THAT(Validate(*sparse, suite), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(sparse->fallback(), "column 'b' has no values in the first part");
  EXPECT_THAT(Validate(*late, suite), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(late->fallback(), HasSubstr("does not parse with the first part's types"));
  // ValidateFile takes the slower roads and gets the answer.
  for (const char* name : {"quoted.csv", "spanning.csv", "quoted_first.csv", "late.csv"}) {
    ASSERT_OK_AND_ASSIGN(SuiteResult r, ValidateFile(dir / name, suite));
    EXPECT_TRUE(r.success) << name << r.ToJson().dump(2);
  }
  // A change past the first chunk of the reader it falls back to (for the quotes): read whole
  // instead.
  std::string many = "id,note\n0,\"quoted\"\n";
  for (int i = 1; i < 70'000; ++i) many += std::to_string(i) + ",plain\n";
  testing::WriteFile(dir / "late_chunk.csv", many + "2.5,late\n");
  ASSERT_OK_AND_ASSIGN(Suite whole,
                       ParseSuite("expectations:\n"
                                  "  - expect_table_row_count_to_equal: {value: 70001}\n"
                                  "  - expect_column_max_to_be_between: {column: id, max_value: "
                                  "69999}\n",
                                  "suite"));
  ASSERT_OK_AND_ASSIGN(SuiteResult r, ValidateFile(dir / "late_chunk.csv", whole));
  EXPECT_TRUE(r.success) << r.ToJson().dump(2);
}

TEST(EngineTest, ThreadCountDoesNotChangeResults) {
  const Table table = RandomTable(20'000, 3);
  ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite(kSuite, "suite"));
  ValidateOptions one, many;
  one.threads = 1;
  many.threads = 4;
  ASSERT_OK_AND_ASSIGN(SuiteResult a, Validate(table, suite, one));
  ASSERT_OK_AND_ASSIGN(SuiteResult b, Validate(table, suite, many));
  EXPECT_EQ(Json(ResultsOf(a)), Json(ResultsOf(b)));
}

TEST(EngineTest, MissingColumnsAndWrongTypesAreErrorsNamingTheExpectation) {
  const Table table = RandomTable(10, 4);
  struct Case {
    const char* yaml;
    StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {"expectations:\n  - expect_column_to_exist: {column: s}\n"
       "  - expect_column_values_to_be_between: {column: kk, min_value: 0}\n",
       StatusCode::kNotFound,
       "expectation 2 (expect_column_values_to_be_between): no column 'kk' (did you mean 'k'?)"},
      {"expectations:\n  - expect_column_values_to_be_between: {column: s, min_value: 0}\n",
       StatusCode::kInvalidArgument,
       "expectation 1 (expect_column_values_to_be_between): min_value is 0 but column 's' "
       "(string) is string; give text bounds, or check the column's type"},
      {"expectations:\n  - expect_column_mean_to_be_between: {column: s, min_value: 0}\n",
       StatusCode::kInvalidArgument,
       "expectation 1 (expect_column_mean_to_be_between): column 's' (string) is not a numeric "
       "column; this expectation needs a numeric column"},
      {"expectations:\n  - expect_column_values_to_be_null: {column: x, row_condition: 'z > "
       "1'}\n",
       StatusCode::kNotFound,
       "expectation 1 (expect_column_values_to_be_null): row_condition 'z > 1': no column 'z' "
       "(did you mean 'x'?)"},
      {"expectations:\n  - expect_column_values_to_be_null: {column: x, row_condition: 's > "
       "1'}\n",
       StatusCode::kInvalidArgument,
       "expectation 1 (expect_column_values_to_be_null): row_condition 's > 1': cannot compare "
       "string column 's' > 1"},
      {"expectations:\n  - expect_column_pair_values_to_be_equal: {column_A: s, column_B: k}\n",
       StatusCode::kInvalidArgument,
       "expectation 1 (expect_column_pair_values_to_be_equal): column 's' (string) and column 'k' "
       "(int64) cannot be compared; compare columns of one kind"},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite(c.yaml, "suite"));
    EXPECT_THAT(Validate(table, suite), StatusIs(c.code, ::testing::Eq(c.message))) << c.yaml;
  }
}

TEST(EngineTest, CatchExceptionsTurnsErrorsIntoFailedResults) {
  const Table table = RandomTable(10, 5);
  ASSERT_OK_AND_ASSIGN(Suite suite,
                       ParseSuite("expectations:\n"
                                  "  - expect_column_values_to_be_between: {column: kk, min_value: "
                                  "0, catch_exceptions: true}\n"
                                  "  - expect_column_values_to_be_between: {column: k, min_value: "
                                  "0}\n",
                                  "suite"));
  ASSERT_OK_AND_ASSIGN(SuiteResult result, Validate(table, suite));
  ASSERT_EQ(result.results.size(), 2u);
  Json failed = result.results[0].ToJson();
  EXPECT_EQ(failed["success"], false);
  EXPECT_EQ(failed["exception_info"]["raised_exception"], true);
  EXPECT_EQ(failed["exception_info"]["exception_message"], "no column 'kk' (did you mean 'k'?)");
  EXPECT_EQ(result.results[1].success, true);
  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.statistics.success_percent, 50.0);
  Json suite_json = result.ToJson();
  EXPECT_EQ(suite_json["statistics"]["unsuccessful_expectations"], 1);
  EXPECT_EQ(suite_json["results"].size(), 2u);
}

TEST(EngineTest, DataWithNoRowsHasItsColumnsFromTheHeader) {
  testing::TempDir dir;
  testing::WriteFile(dir / "empty.csv", "a,b\n");
  ASSERT_OK_AND_ASSIGN(Suite suite,
                       ParseSuite("expectations:\n"
                                  "  - expect_table_row_count_to_equal: {value: 0}\n"
                                  "  - expect_column_values_to_not_be_null: {column: b}\n"
                                  "  - expect_table_columns_to_match_set: {column_set: [a, b]}\n",
                                  "suite"));
  ASSERT_OK_AND_ASSIGN(SuiteResult result, ValidateFile(dir / "empty.csv", suite));
  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.rows, 0);
}

TEST(EngineTest, ALateValueOfAnotherTypeFallsBackToReadingTheWholeFile) {
  testing::TempDir dir;
  std::string csv = "v\n";
  for (int i = 0; i < 70'000; ++i) csv += std::to_string(i % 100) + "\n";
  csv += "2.5\n";  // int64 from the first chunk, float64 over the whole file
  testing::WriteFile(dir / "late.csv", csv);
  ASSERT_OK_AND_ASSIGN(
      Suite suite,
      ParseSuite("expectations:\n  - expect_column_max_to_be_between: {column: v, max_value: 99}\n",
                 "suite"));
  ASSERT_OK_AND_ASSIGN(SuiteResult result, ValidateFile(dir / "late.csv", suite));
  EXPECT_EQ(result.rows, 70'001);
  EXPECT_EQ(result.results[0].observed_value, 99.0);
}

TEST(EngineTest, BadDataIsReportedWithItsLine) {
  testing::TempDir dir;
  testing::WriteFile(dir / "bad.csv", "a,b\n1,2\n3\n");
  ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite("expectations: []\n", "suite"));
  EXPECT_THAT(ValidateFile(dir / "bad.csv", suite),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("bad.csv: csv line 3: expected 2 fields, got 1")));
  EXPECT_THAT(ValidateFile(dir / "data.parquet", suite),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("use a .csv, .tsv, .jsonl")));
}

TEST(EngineTest, ProfilesDescribeEveryColumn) {
  const Table table = RandomTable(1000, 6);
  ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite("expectations: []\n", "suite"));
  ValidateOptions options;
  options.profile_columns = true;
  ASSERT_OK_AND_ASSIGN(SuiteResult result, Validate(table, suite, options));
  ASSERT_EQ(result.profiles.size(), 5u);
  EXPECT_EQ(result.profiles[0].name, "x");
  EXPECT_EQ(result.profiles[0].count, 1000);
  EXPECT_EQ(result.profiles[0].null_count + static_cast<int64_t>(result.profiles[0].numbers.size()),
            1000);
  EXPECT_EQ(result.profiles[4].type, table::Type::kString);
  EXPECT_EQ(result.profiles[4].distinct, 7);
  EXPECT_EQ(result.profiles[4].top.size(), 7u);
}

}  // namespace
}  // namespace sluice::validation
