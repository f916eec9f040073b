#include <fmt/core.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "table/column_values.h"
#include "table/internal/csv_reader.h"
#include "table/random_csv.h"
#include "table/table.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::table {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

CsvOptions Threads(size_t n) {
  CsvOptions options;
  options.threads = n;
  return options;
}

TEST(ParseCsvTest, QuotedFieldsHoldDelimitersLineBreaksAndQuotes) {
  ASSERT_OK_AND_ASSIGN(Table t, ParseCsv("a,b\n"
                                         "\"x,y\",\"he said \"\"hi\"\"\"\n"
                                         "\"line1\nline2\",z\n"
                                         "\"\"\"\",\"crlf\r\ninside\"\n"
                                         "ab\"c,plain\n"));
  EXPECT_THAT(t.ColumnNames(), ElementsAre("a", "b"));
  EXPECT_THAT(t.column(0).strings(), ElementsAre("x,y", "line1\nline2", "\"", "ab\"c"));
  EXPECT_THAT(t.column(1).strings(), ElementsAre("he said \"hi\"", "z", "crlf\r\ninside", "plain"));
}

TEST(ParseCsvTest, LineEndingsBomAndBlankLines) {
  const char* inputs[] = {
      "a,b\n1,2\n3,4\n",
      "a,b\r\n1,2\r\n3,4\r\n",
      "a,b\n1,2\n3,4",
      "a,b\r\n1,2\r\n3,4\r",
      "\xEF\xBB\xBF"
      "a,b\n1,2\n3,4\n",
      "a,b\n1,2\n3,4\n\n\r\n\n",
      "\na,b\n\n1,2\r\n\r\n3,4\n",
  };
  for (const char* input : inputs) {
    ASSERT_OK_AND_ASSIGN(Table t, ParseCsv(input));
    EXPECT_THAT(t.ColumnNames(), ElementsAre("a", "b")) << input;
    EXPECT_THAT(t.column(0).int64s(), ElementsAre(1, 3)) << input;
    EXPECT_THAT(t.column(1).int64s(), ElementsAre(2, 4)) << input;
  }
}

TEST(ParseCsvTest, EmptyFieldsAndTrailingDelimiter) {
  ASSERT_OK_AND_ASSIGN(Table t, ParseCsv("a,b,c\n1,,\n,x,\n"));
  EXPECT_THAT(Values(t.column(0)), ElementsAre("1", "<null>"));
  EXPECT_THAT(Values(t.column(1)), ElementsAre("<null>", "x"));
  EXPECT_THAT(Values(t.column(2)), ElementsAre("<null>", "<null>"));
  EXPECT_EQ(t.column(2).type(), Type::kFloat64);
}

TEST(ParseCsvTest, WrongFieldCountNamesThePhysicalLineOfTheRecord) {
  // The quoted line break puts the bad record on physical line 4.
  EXPECT_THAT(
      ParseCsv("a,b,c,d,e\n1,2,3,4,5\n\"x\ny\",2,3,4,5\n1,2,3,4\n"),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("csv line 5: expected 5 fields, got 4")));
  EXPECT_THAT(
      ParseCsv("a,b\n1,2,3\n"),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("csv line 2: expected 2 fields, got 3")));
  // Blank lines count as lines.
  EXPECT_THAT(
      ParseCsv("a,b\n\n\n1\n"),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("csv line 4: expected 2 fields, got 1")));
}

TEST(ParseCsvTest, QuoteErrorsNameLineAndColumn) {
  EXPECT_THAT(ParseCsv("a,b,c\n1,2,3\n1,2,\"abc\nmore\n"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("csv line 3: unterminated quoted field starting in column 3")));
  EXPECT_THAT(
      ParseCsv("a,b\n\"x\"y,1\n"),
      StatusIs(StatusCode::kInvalidArgument,
               HasSubstr("csv line 2: unexpected 'y' after the closing quote in column 1")));
  EXPECT_THAT(ParseCsv("\"a"), StatusIs(StatusCode::kInvalidArgument,
                                        HasSubstr("csv line 1: unterminated quoted field")));
}

TEST(ReadCsvTest, ErrorsArePrefixedWithThePath) {
  sluice::testing::TempDir dir;
  const auto path = dir / "data.csv";
  sluice::testing::WriteFile(path, "a,b\n1,2\n3\n");
  EXPECT_THAT(ReadCsv(path),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr(path.string() + ": csv line 3: expected 2 fields, got 1")));
  EXPECT_THAT(ReadCsv(dir / "missing.csv"),
              StatusIs(StatusCode::kNotFound, HasSubstr("missing.csv")));
}

TEST(ParseCsvTest, EmptyInputsAndHeaderOnly) {
  for (const char* input : {"", "\n\n", "\xEF\xBB\xBF", "\r\n"}) {
    ASSERT_OK_AND_ASSIGN(Table t, ParseCsv(input));
    EXPECT_EQ(t.num_columns(), 0u);
    EXPECT_EQ(t.num_rows(), 0u);
  }
  CsvOptions options;
  options.types["b"] = Type::kString;
  ASSERT_OK_AND_ASSIGN(Table t, ParseCsv("a,b\n", options));
  EXPECT_THAT(t.ColumnNames(), ElementsAre("a", "b"));
  EXPECT_EQ(t.num_rows(), 0u);
  EXPECT_EQ(t.column(0).type(), Type::kFloat64);
  EXPECT_EQ(t.column(1).type(), Type::kString);
}

TEST(ParseCsvTest, HeaderNames) {
  CsvOptions no_header;
  no_header.header = false;
  ASSERT_OK_AND_ASSIGN(Table t, ParseCsv("1,x\n2,y\n", no_header));
  EXPECT_THAT(t.ColumnNames(), ElementsAre("column_0", "column_1"));
  EXPECT_THAT(t.column(0).int64s(), ElementsAre(1, 2));

  ASSERT_OK_AND_ASSIGN(Table unnamed, ParseCsv("a,,\"c d\"\n1,2,3\n"));
  EXPECT_THAT(unnamed.ColumnNames(), ElementsAre("a", "column_1", "c d"));

  EXPECT_THAT(ParseCsv("a,b,a\n1,2,3\n"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("csv line 1: duplicate column name 'a' (columns 1 and 3)")));
}

TEST(ParseCsvTest, TabDelimiterAndOptionChecks) {
  CsvOptions tsv;
  tsv.delimiter = '\t';
  ASSERT_OK_AND_ASSIGN(Table t, ParseCsv("a\tb\nx,y\t2\n", tsv));
  EXPECT_THAT(t.column(0).strings(), ElementsAre("x,y"));
  EXPECT_THAT(t.column(1).int64s(), ElementsAre(2));

  CsvOptions quote;
  quote.delimiter = '"';
  EXPECT_THAT(ParseCsv("a\n", quote), StatusIs(StatusCode::kInvalidArgument,
                                               HasSubstr("cannot be a quote or a line break")));
}

TEST(ParseCsvTest, NullValues) {
  ASSERT_OK_AND_ASSIGN(Table t, ParseCsv("s,n\nNA,1\nx,N/A\n\"\",null\nNone,NaN\n"));
  EXPECT_THAT(Values(t.column(0)), ElementsAre("<null>", "x", "<null>", "<null>"));
  EXPECT_THAT(Values(t.column(1)), ElementsAre("1", "<null>", "<null>", "<null>"));
  EXPECT_EQ(t.column(1).type(), Type::kInt64);

  CsvOptions none;
  none.null_values = {"?"};
  ASSERT_OK_AND_ASSIGN(Table u, ParseCsv("s,n\nNA,?\n,1\n", none));
  EXPECT_THAT(Values(u.column(0)), ElementsAre("NA", ""));
  EXPECT_THAT(Values(u.column(1)), ElementsAre("<null>", "1"));
}

struct InferenceCase {
  std::vector<std::string> values;
  Type type;
  std::vector<std::string> shown;  // ValueToString, "<null>" for nulls
};

TEST(ParseCsvTest, InfersTypesFromAllValues) {
  const InferenceCase cases[] = {
      {{"true", "False", "TRUE"}, Type::kBool, {"true", "false", "true"}},
      {{"1", "0", "1"}, Type::kInt64, {"1", "0", "1"}},
      {{"1", "-2", "+3", " 4 "}, Type::kInt64, {"1", "-2", "3", "4"}},
      {{"9223372036854775807", "-9223372036854775808"},
       Type::kInt64,
       {"9223372036854775807", "-9223372036854775808"}},
      {{"9223372036854775808"}, Type::kFloat64, {"9.223372036854776e+18"}},
      {{"1", "2.5"}, Type::kFloat64, {"1", "2.5"}},
      {{"1e3", "-inf", "inf", ".5", "+1.5"}, Type::kFloat64, {"1000", "-inf", "inf", "0.5", "1.5"}},
      {{"1e999"}, Type::kFloat64, {"inf"}},
      {{"2026-01-02", "2026-01-02T03:04:05+01:00"},
       Type::kTimestamp,
       {"2026-01-02T00:00:00Z", "2026-01-02T02:04:05Z"}},
      {{"2026-01-02", "5"}, Type::kString, {"2026-01-02", "5"}},
      {{"true", "1"}, Type::kString, {"true", "1"}},
      {{"1.5", "abc"}, Type::kString, {"1.5", "abc"}},
      {{"0x10"}, Type::kString, {"0x10"}},
      {{"2026-02-30"}, Type::kString, {"2026-02-30"}},
      {{" padded "}, Type::kString, {" padded "}},
      {{"", "NA"}, Type::kFloat64, {"<null>", "<null>"}},
      {{"", "7", "NA"}, Type::kInt64, {"<null>", "7", "<null>"}},
  };
  for (const InferenceCase& c : cases) {
    std::string csv = "v,i\n";
    for (size_t i = 0; i < c.values.size(); ++i)
      csv += c.values[i] + "," + std::to_string(i) + "\n";
    ASSERT_OK_AND_ASSIGN(Table t, ParseCsv(csv));
    EXPECT_EQ(TypeName(t.column(0).type()), TypeName(c.type)) << csv;
    EXPECT_THAT(Values(t.column(0)), ElementsAreArray(c.shown)) << csv;
  }
}

TEST(ParseCsvTest, TypeOverrides) {
  CsvOptions options;
  options.types["zip"] = Type::kString;
  options.types["n"] = Type::kFloat64;
  ASSERT_OK_AND_ASSIGN(Table t, ParseCsv("zip,n\n02134,1\n10001,2\n", options));
  EXPECT_THAT(t.column(0).strings(), ElementsAre("02134", "10001"));
  EXPECT_THAT(t.column(1).float64s(), ElementsAre(1.0, 2.0));

  CsvOptions bad;
  bad.types["a"] = Type::kInt64;
  EXPECT_THAT(ParseCsv("a,b\n1,x\n2.5,y\n", bad),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("csv line 3: column 'a': '2.5' is not a valid int64")));

  CsvOptions unknown;
  unknown.types["nope"] = Type::kInt64;
  EXPECT_THAT(ParseCsv("a,b\n1,2\n", unknown),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("a type is given for column 'nope', which the csv does not have; "
                                 "columns: a, b")));
}

TEST(ParseCsvTest, TheFirstErrorInTheFileWinsWhateverTheChunking) {
  CsvOptions options;
  options.types["a"] = Type::kInt64;
  options.threads = 4;
  std::string csv = "a,b\n";
  for (int i = 0; i < 200; ++i) csv += std::to_string(i) + ",x\n";
  csv += "oops,x\n";  // line 202: a bad value
  for (int i = 0; i < 200; ++i) csv += "1,x\n";
  csv += "1,x,extra\n";  // line 403: a broken record
  for (size_t chunk_bytes : {size_t{0}, size_t{1}, size_t{13}, size_t{500}}) {
    EXPECT_THAT(internal::ParseCsvWithChunkSize(csv, options, chunk_bytes),
                StatusIs(StatusCode::kInvalidArgument,
                         HasSubstr("csv line 202: column 'a': 'oops' is not a valid int64")))
        << chunk_bytes;
  }
  options.types.clear();
  for (size_t chunk_bytes : {size_t{0}, size_t{1}, size_t{13}, size_t{500}}) {
    EXPECT_THAT(
        internal::ParseCsvWithChunkSize(csv, options, chunk_bytes),
        StatusIs(StatusCode::kInvalidArgument, HasSubstr("csv line 403: expected 2 fields, got 3")))
        << chunk_bytes;
  }
}

TEST(ParseCsvTest, ChunkGuessesInsideQuotedFieldsAreCorrected) {
  // The quoted fields hold text that looks like records of the right width, so a chunk that
  // guesses its start inside one parses cleanly and must be re-parsed.
  std::string csv = "a,b\n";
  for (int i = 0; i < 50; ++i) {
    csv += std::to_string(i) + ",\"1,2\n3,4\n5,6\n\"\n";
  }
  ASSERT_OK_AND_ASSIGN(Table whole, internal::ParseCsvWithChunkSize(csv, Threads(1), 0));
  ASSERT_EQ(whole.num_rows(), 50u);
  EXPECT_EQ(whole.column(1).strings()[7], "1,2\n3,4\n5,6\n");
  for (size_t chunk_bytes = 1; chunk_bytes < 40; ++chunk_bytes) {
    ASSERT_OK_AND_ASSIGN(Table t, internal::ParseCsvWithChunkSize(csv, Threads(3), chunk_bytes));
    EXPECT_TRUE(t.Equals(whole)) << chunk_bytes;
  }
}

TEST(ParseCsvTest, RandomCsvParsesTheSameOnAnyThreadsAndChunking) {
  RandomCsv csv = MakeRandomCsv(7, 2000);
  ASSERT_OK_AND_ASSIGN(Table one, ParseCsv(csv.text, Threads(1)));
  EXPECT_TRUE(one.Equals(csv.expected));
  for (size_t chunk_bytes : {size_t{1}, size_t{7}, size_t{64}, size_t{1000}, size_t{50'000}}) {
    for (size_t threads : {size_t{1}, size_t{4}}) {
      ASSERT_OK_AND_ASSIGN(
          Table t, internal::ParseCsvWithChunkSize(csv.text, Threads(threads), chunk_bytes));
      EXPECT_TRUE(t.Equals(csv.expected)) << chunk_bytes << " bytes, " << threads << " threads";
    }
  }
}

TEST(WriteCsvTest, QuotesWhereNeededAndWritesNullsEmpty) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ASSERT_OK_AND_ASSIGN(
      Table t,
      Table::Make(
          {Column::String("na,me", {"plain", "a,b", "say \"hi\"", "two\nlines"}, {1, 1, 1, 1}),
           Column::Float64("f", {1.0, 0.1, nan, -0.0}, {1, 1, 0, 1}),
           Column::Int64("i", {1, -2, 3, 4}, {1, 1, 1, 0}), Column::Bool("b", {1, 0, 1, 0}),
           Column::Timestamp("t", {0, 1767323045500000, 0, 0}, {1, 1, 0, 0})}));
  std::ostringstream out;
  ASSERT_OK(WriteCsv(t, out));
  EXPECT_EQ(out.str(),
            "\"na,me\",f,i,b,t\n"
            "plain,1.0,1,true,1970-01-01T00:00:00Z\n"
            "\"a,b\",0.1,-2,false,2026-01-02T03:04:05.5Z\n"
            "\"say \"\"hi\"\"\",,3,true,\n"
            "\"two\nlines\",-0.0,,false,\n");
}

TEST(WriteCsvTest, RoundTripsThroughParseCsv) {
  RandomCsv csv = MakeRandomCsv(11, 500);
  std::ostringstream out;
  ASSERT_OK(WriteCsv(csv.expected, out));
  ASSERT_OK_AND_ASSIGN(Table back, ParseCsv(out.str()));
  EXPECT_TRUE(back.Equals(csv.expected));

  // A lone column of nulls would be blank lines, which readers skip.
  ASSERT_OK_AND_ASSIGN(Table single, Table::Make({Column::Int64("x", {1, 0, 3}, {1, 0, 1})}));
  std::ostringstream single_out;
  ASSERT_OK(WriteCsv(single, single_out));
  EXPECT_EQ(single_out.str(), "x\n1\n\"\"\n3\n");
  ASSERT_OK_AND_ASSIGN(Table single_back, ParseCsv(single_out.str()));
  EXPECT_TRUE(single_back.Equals(single));
}

TEST(WriteCsvTest, WriteCsvFileThenReadCsv) {
  sluice::testing::TempDir dir;
  RandomCsv csv = MakeRandomCsv(3, 100);
  ASSERT_OK(WriteCsvFile(csv.expected, dir / "out.csv"));
  ASSERT_OK_AND_ASSIGN(Table back, ReadCsv(dir / "out.csv"));
  EXPECT_TRUE(back.Equals(csv.expected));
  EXPECT_THAT(WriteCsvFile(csv.expected, dir / "no" / "such" / "out.csv"),
              StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace sluice::table
