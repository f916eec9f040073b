// The one-pass typed CSV path (every column's type known: CsvOptions::types for all columns, or a
// CsvChunkReader after its first chunk) and the fast scanners and parsers under it. The typed path
// must give exactly what the two passes of inference give with the same types: the same table, or
// the same error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "table/column_values.h"
#include "table/internal/csv_reader.h"
#include "table/internal/csv_tokenizer.h"
#include "table/internal/value_parse.h"
#include "table/random_csv.h"
#include "table/table.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::table {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Both paths of ParseCsv with every type given: one pass (typed) and two (inference's).
struct BothPaths {
  Result<Table> typed;
  Result<Table> two_pass;
};

BothPaths ParseBoth(std::string_view text, const CsvOptions& options, size_t chunk_bytes = 0) {
  return {internal::ParseCsvWithChunkSize(text, options, chunk_bytes, /*typed_one_pass=*/true),
          internal::ParseCsvWithChunkSize(text, options, chunk_bytes, /*typed_one_pass=*/false)};
}

// The same table, or the same error word for word.
::testing::AssertionResult SameOutcome(const Result<Table>& a, const Result<Table>& b) {
  if (a.ok() != b.ok()) {
    return ::testing::AssertionFailure()
           << "one failed: " << (a.ok() ? b.status().message() : a.status().message());
  }
  if (!a.ok()) {
    if (a.status().code() == b.status().code() && a.status().message() == b.status().message()) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "'" << a.status().message() << "' vs '" << b.status().message() << "'";
  }
  if (a->Equals(*b)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "the tables differ";
}

CsvOptions Typed(std::vector<std::pair<std::string, Type>> types, size_t threads = 1) {
  CsvOptions options;
  options.threads = threads;
  for (auto& [name, type] : types) options.types[name] = type;
  return options;
}

TEST(FindFieldEndTest, MatchesAByteByByteScan) {
  std::mt19937 rng(1);
  const std::string alphabet = std::string("ab,\t\n\r\" ") + "\xff\x80\x01";
  for (int i = 0; i < 20'000; ++i) {
    std::string text;
    for (size_t n = rng() % 70; n > 0; --n) text += alphabet[rng() % alphabet.size()];
    const size_t pos = text.empty() ? 0 : rng() % (text.size() + 1);
    for (char delimiter : {',', '\t', '\xff'}) {
      size_t expected = pos;
      while (expected < text.size() && text[expected] != delimiter && text[expected] != '\n') {
        ++expected;
      }
      ASSERT_EQ(internal::FindFieldEnd(text.data(), pos, text.size(), delimiter), expected) << text;
      ASSERT_EQ(
          internal::tokenizer_detail::FindFieldEndWords(text.data(), pos, text.size(), delimiter),
          expected)
          << text;
    }
  }
}

// Bitwise, so that -0.0 and 0.0 differ.
bool SameDouble(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(ParseSimpleTest, AgreesWithFromChars) {
  std::mt19937 rng(2);
  const std::string alphabet = "+-.0123456789";
  int simple_decimals = 0;
  int simple_ints = 0;
  for (int i = 0; i < 300'000; ++i) {
    std::string text;
    for (size_t n = rng() % 20; n > 0; --n) text += alphabet[rng() % alphabet.size()];
    // The general parsers' reading: a '+' is dropped once, then from_chars.
    std::string_view general = text;
    if (!general.empty() && general.front() == '+') general.remove_prefix(1);
    const char* end = general.data() + general.size();

    double d = 0;
    if (internal::ParseSimpleDecimal(text, &d)) {
      ++simple_decimals;
      double expected = 0;
      auto [ptr, ec] = std::from_chars(general.data(), end, expected);
      ASSERT_TRUE(ec == std::errc() && ptr == end) << text;
      ASSERT_TRUE(SameDouble(d, expected)) << text;
      double general_value = 0;
      ASSERT_TRUE(internal::ParseFloat64(text, &general_value));
      ASSERT_TRUE(SameDouble(general_value, expected)) << text;
    }
    int64_t n = 0;
    if (internal::ParseSimpleInt64(text, &n)) {
      ++simple_ints;
      int64_t expected = 0;
      ASSERT_TRUE(internal::ParseInt64(text, &expected)) << text;
      ASSERT_EQ(n, expected) << text;
    }
  }
  EXPECT_GT(simple_decimals, 10'000);
  EXPECT_GT(simple_ints, 1'000);

  double d = 0;
  EXPECT_TRUE(internal::ParseSimpleDecimal("-0.0", &d));
  EXPECT_TRUE(std::signbit(d));
  EXPECT_TRUE(internal::ParseSimpleDecimal("999999999999999", &d));  // 15 digits
  EXPECT_EQ(d, 999999999999999.0);
  // Past the fast path, for the general parser.
  for (const char* text : {"", "+", "-", ".", "1e3", " 1", "1 ", "inf", "nan", "1234567890123456",
                           "0.0000000000000001", "+-1", "1.2.3", "0x1"}) {
    EXPECT_FALSE(internal::ParseSimpleDecimal(text, &d)) << text;
  }
  int64_t i = 0;
  for (const char* text : {"", "+", "-", " 1", "1.0", "1234567890123456789", "12a"}) {
    EXPECT_FALSE(internal::ParseSimpleInt64(text, &i)) << text;
  }
  EXPECT_TRUE(internal::ParseSimpleInt64("-123456789012345678", &i));
  EXPECT_EQ(i, -123456789012345678);
}

TEST(NullMatcherTest, FirstByteFilterKeepsEveryToken) {
  internal::NullMatcher is_null({"", "NA", "nan", "-", "\xff"});
  for (const char* text : {"", "NA", "nan", "-", "\xff"}) EXPECT_TRUE(is_null(text)) << text;
  for (const char* text : {"1", "-1", "Na", "nA", "NAN", "x", "\xfe", "0.5"}) {
    EXPECT_FALSE(is_null(text)) << text;
  }
}

TEST(TypedParseCsvTest, EveryTypeQuotedNullAndCrlf) {
  const std::string csv =
      "i,f,b,s,t\r\n"
      "1,1.5,true,plain,2026-01-02\r\n"
      "\"-7\",\"2.25\",\"FALSE\",\"a,b\",\"2026-01-02T03:04:05Z\"\r\n"
      ",,,,\r\n"
      "\"\",\"\",\"\",\"\",\"\"\r\n"
      "NA,NaN,null,None,N/A\r\n"
      " 42 ,1e3,True,\"say \"\"hi\"\"\",2026-01-02 03:04:05.25+01:00\r\n"
      "+9223372036854775807,-inf,false,\"two\r\nlines\",2026-01-02\r\n"
      "-9223372036854775808,.5,TRUE, spaced ,2026-01-02";
  const CsvOptions options = Typed({{"i", Type::kInt64},
                                    {"f", Type::kFloat64},
                                    {"b", Type::kBool},
                                    {"s", Type::kString},
                                    {"t", Type::kTimestamp}});
  for (size_t chunk_bytes : {size_t{0}, size_t{1}, size_t{40}}) {
    BothPaths both = ParseBoth(csv, options, chunk_bytes);
    ASSERT_OK(both.typed.status());
    EXPECT_TRUE(SameOutcome(both.typed, both.two_pass));
    const Table& t = *both.typed;
    EXPECT_THAT(Values(t.column(0)), ElementsAre("1", "-7", "<null>", "<null>", "<null>", "42",
                                                 "9223372036854775807", "-9223372036854775808"));
    EXPECT_THAT(Values(t.column(1)),
                ElementsAre("1.5", "2.25", "<null>", "<null>", "<null>", "1000", "-inf", "0.5"));
    EXPECT_THAT(Values(t.column(2)), ElementsAre("true", "false", "<null>", "<null>", "<null>",
                                                 "true", "false", "true"));
    EXPECT_THAT(Values(t.column(3)), ElementsAre("plain", "a,b", "<null>", "<null>", "<null>",
                                                 "say \"hi\"", "two\r\nlines", " spaced "));
    EXPECT_THAT(
        Values(t.column(4)),
        ElementsAre("2026-01-02T00:00:00Z", "2026-01-02T03:04:05Z", "<null>", "<null>", "<null>",
                    "2026-01-02T02:04:05.25Z", "2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z"));
    EXPECT_TRUE(std::isnan(t.column(1).float64s()[2]));  // nulls store NaN, as ReadCsv's
  }
}

TEST(TypedParseCsvTest, ValuesThatDoNotFitNameLineColumnAndValue) {
  struct Case {
    std::string csv;
    Type type;  // of column a; b is a string unless b_type says otherwise
    std::string error;
    Type b_type = Type::kString;
  };
  const Case cases[] = {
      {"a,b\n1,x\n2.5,y\n", Type::kInt64, "csv line 3: column 'a': '2.5' is not a valid int64"},
      {"a,b\n9223372036854775808,x\n", Type::kInt64,
       "csv line 2: column 'a': '9223372036854775808' is not a valid int64"},
      {"a,b\n1.5,x\n\"1,5\",y\n", Type::kFloat64,
       "csv line 3: column 'a': '1,5' is not a valid float64"},
      {"a,b\ntrue,x\n1,y\n", Type::kBool, "csv line 3: column 'a': '1' is not a valid bool"},
      {"a,b\n2026-02-30,x\n", Type::kTimestamp,
       "csv line 2: column 'a': '2026-02-30' is not a valid timestamp"},
      // The first bad value in the file, whatever its column.
      {"a,b\n1,2\n3,x\n\"y\",4\n", Type::kInt64, "csv line 3: column 'b': 'x' is not a valid int64",
       Type::kInt64},
      // A bad value in a broken record: the record's error.
      {"a,b\n1,2\nx,2,3\n", Type::kInt64, "csv line 3: expected 2 fields, got 3"},
      {"a,b\n1,2\nx,\"2\n", Type::kInt64,
       "csv line 3: unterminated quoted field starting in column 2"},
      // A bad value before a broken record: the value's.
      {"a,b\nx,2\n1\n", Type::kInt64, "csv line 2: column 'a': 'x' is not a valid int64"},
      {"a,b\n1,2\n\"3\"x,4\n", Type::kInt64,
       "csv line 3: unexpected 'x' after the closing quote in column 1"},
  };
  for (const Case& c : cases) {
    const CsvOptions options = Typed({{"a", c.type}, {"b", c.b_type}});
    for (size_t chunk_bytes : {size_t{0}, size_t{1}, size_t{9}}) {
      BothPaths both = ParseBoth(c.csv, options, chunk_bytes);
      EXPECT_THAT(both.typed, StatusIs(StatusCode::kInvalidArgument, c.error)) << c.csv;
      EXPECT_TRUE(SameOutcome(both.typed, both.two_pass)) << c.csv;
    }
  }
}

TEST(TypedParseCsvTest, EmptyHeaderOnlyAndBlankLines) {
  const CsvOptions options = Typed({{"a", Type::kInt64}, {"b", Type::kString}});
  for (const char* csv : {"a,b\n", "a,b", "a,b\r\n\r\n\n", "\n\na,b\n\n"}) {
    BothPaths both = ParseBoth(csv, options);
    ASSERT_OK(both.typed.status());
    EXPECT_EQ(both.typed->num_rows(), 0u) << csv;
    EXPECT_TRUE(SameOutcome(both.typed, both.two_pass)) << csv;
  }
  BothPaths both = ParseBoth("a,b\n\n1,x\r\n\r\n\n2,y\n\n", options);
  ASSERT_OK(both.typed.status());
  EXPECT_THAT(both.typed->column(0).int64s(), ElementsAre(1, 2));
  EXPECT_TRUE(SameOutcome(both.typed, both.two_pass));
}

// A random CSV with random column types, and what it holds: quoting, nulls of every spelling,
// CRLF, blank lines, spaces around values, and, at random, values that do not fit their column
// and broken records.
struct TypedCsv {
  std::string text;
  std::vector<std::string> names;
  std::vector<Type> types;
};

TypedCsv MakeTypedCsv(uint32_t seed, size_t rows, double bad_value_chance,
                      double broken_record_chance) {
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  auto any = [&](std::initializer_list<const char*> choices) {
    return std::string(choices.begin()[pick(choices.size())]);
  };
  TypedCsv csv;
  const size_t num_columns = 1 + pick(6);
  const Type kTypes[] = {Type::kInt64, Type::kFloat64, Type::kBool, Type::kString,
                         Type::kTimestamp};
  std::string header;
  for (size_t c = 0; c < num_columns; ++c) {
    csv.names.push_back("c" + std::to_string(c));
    csv.types.push_back(kTypes[pick(5)]);
    header += (c == 0 ? "" : ",") + csv.names.back();
  }
  csv.text = header + (chance(0.5) ? "\r\n" : "\n");
  const std::string alphabet[] = {"a", "b", ",", "\"", "\n", "\r\n", " ", "é", "7", "."};
  auto value = [&](Type type) -> std::string {
    if (chance(0.1)) return any({"", "NA", "null", "NaN", "None", "N/A", "nan"});
    switch (type) {
      case Type::kInt64:
        if (chance(0.2)) {
          return any({"0", "-0", "+17", " 42 ", "007", "9223372036854775807",
                      "-9223372036854775808", "123456789012345678", "-1234567890123456789"});
        }
        return std::to_string(static_cast<int64_t>(rng()) - (int64_t{1} << 31));
      case Type::kFloat64:
        if (chance(0.3)) {
          return any({"1e3", ".5", "5.", "-0", "inf", "-inf", "1e999", " 2.5 ", "+1.5",
                      "123456789012345678.5", "0.1", "1E-5", "7", "-12"});
        }
        return fmt::format("{}", std::ldexp(static_cast<double>(rng()) - (1u << 31),
                                            static_cast<int>(pick(60)) - 40));
      case Type::kBool:
        return any({"true", "false", "TRUE", "False", " true "});
      case Type::kTimestamp:
        return any({"2026-01-02", "2026-01-02T03:04:05Z", "2026-01-02 03:04:05.25+01:00",
                    "1999-12-31T23:59", " 2026-01-02 "});
      case Type::kString: {
        std::string s = "s";
        for (size_t n = pick(8); n > 0; --n) s += alphabet[pick(std::size(alphabet))];
        return s;
      }
    }
    return "";
  };
  auto bad = [&](Type type) -> std::string {
    switch (type) {
      case Type::kInt64:
        return any({"1.5", "x", "9223372036854775808", "1e3", "true"});
      case Type::kFloat64:
        return any({"x", "1.5.5", "0x10", "true", "2026-01-02"});
      case Type::kBool:
        return any({"1", "yes", "t", "2"});
      case Type::kTimestamp:
        return any({"2026-02-30", "2026-01-02T25:00", "5", "x"});
      case Type::kString:
        return "still a string";
    }
    return "";
  };
  for (size_t r = 0; r < rows; ++r) {
    size_t width = num_columns;
    if (chance(broken_record_chance)) width = chance(0.5) ? width + 1 : width - 1;
    std::string line;
    for (size_t c = 0; c < width; ++c) {
      const Type type = c < num_columns ? csv.types[c] : Type::kString;
      std::string v = chance(bad_value_chance) ? bad(type) : value(type);
      if (v.find_first_of(",\"\r\n") != std::string::npos || chance(0.15)) {
        std::string quoted = "\"";
        for (char ch : v) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        v = quoted + "\"";
      }
      line += (c == 0 ? "" : ",") + v;
    }
    if (width == 1 && line.empty()) line = "\"\"";  // not a blank line
    csv.text += line;
    if (r + 1 < rows || chance(0.7)) csv.text += chance(0.3) ? "\r\n" : "\n";
    if (chance(0.02)) csv.text += chance(0.5) ? "\n" : "\r\n";
  }
  if (chance(0.05)) csv.text += "\"unterminated";
  return csv;
}

TEST(TypedParseCsvTest, RandomCsvsParseAsTheTwoPassesDo) {
  int failures = 0;
  int successes = 0;
  for (uint32_t seed = 0; seed < 300; ++seed) {
    const bool clean = seed % 3 == 0;
    TypedCsv csv = MakeTypedCsv(seed, 1 + seed % 97, clean ? 0 : 0.01, clean ? 0 : 0.005);
    CsvOptions options;
    for (size_t c = 0; c < csv.names.size(); ++c) options.types[csv.names[c]] = csv.types[c];
    for (size_t threads : {size_t{1}, size_t{3}}) {
      options.threads = threads;
      for (size_t chunk_bytes : {size_t{0}, size_t{1}, size_t{37}, size_t{500}}) {
        BothPaths both = ParseBoth(csv.text, options, chunk_bytes);
        ASSERT_TRUE(SameOutcome(both.typed, both.two_pass))
            << "seed " << seed << ", " << threads << " threads, chunks of " << chunk_bytes;
        (both.typed.ok() ? successes : failures) += 1;
      }
    }
  }
  // Both outcomes are exercised.
  EXPECT_GT(successes, 500);
  EXPECT_GT(failures, 500);
}

// Parsing into the memory of earlier tables (CsvColumnMemory, as validation's piece reader does)
// gives what fresh memory gives, whatever those tables held: other types, more or fewer rows,
// nulls where there are none now, longer strings.
TEST(TypedParseCsvTest, RecycledColumnMemoryParsesAsFreshMemory) {
  auto memory = std::make_shared<CsvColumnMemory>();
  int successes = 0;
  for (uint32_t seed = 0; seed < 200; ++seed) {
    const bool clean = seed % 3 == 0;
    TypedCsv csv = MakeTypedCsv(seed, 1 + seed % 97, clean ? 0 : 0.01, clean ? 0 : 0.005);
    CsvOptions options;
    for (size_t c = 0; c < csv.names.size(); ++c) options.types[csv.names[c]] = csv.types[c];
    options.threads = 1 + seed % 3;
    const size_t chunk_bytes = seed % 2 == 0 ? 0 : 37;
    const Result<Table> fresh = internal::ParseCsvWithChunkSize(csv.text, options, chunk_bytes);
    options.column_memory = memory;
    // Twice: into the last table's memory, then into this one's.
    for (int pass = 0; pass < 2; ++pass) {
      Result<Table> reused = internal::ParseCsvWithChunkSize(csv.text, options, chunk_bytes);
      ASSERT_TRUE(SameOutcome(reused, fresh)) << "seed " << seed << ", pass " << pass;
      if (!reused.ok()) break;
      ++successes;
      memory->Recycle(std::move(reused).value());
    }
  }
  EXPECT_GT(successes, 100);
}

// Every chunk of a file, joined, or the reader's first error.
Result<Table> ReadChunked(const std::filesystem::path& path, const CsvOptions& options,
                          size_t rows_per_chunk, std::vector<Type>* first_chunk_types = nullptr) {
  SLUICE_ASSIGN_OR_RETURN(CsvChunkReader reader,
                          CsvChunkReader::Open(path, options, rows_per_chunk));
  std::vector<Table> chunks;
  for (;;) {
    SLUICE_ASSIGN_OR_RETURN(std::optional<Table> chunk, reader.Next());
    if (!chunk) break;
    if (chunks.empty() && first_chunk_types != nullptr) {
      for (const Column& column : chunk->columns()) first_chunk_types->push_back(column.type());
    }
    chunks.push_back(std::move(*chunk));
  }
  if (chunks.empty()) {
    std::string header;
    for (const std::string& name : reader.column_names()) {
      header += (header.empty() ? "" : ",") + name;
    }
    return ParseCsv(header, options);
  }
  return Concat(chunks);
}

TEST(TypedChunkReaderTest, RandomCsvsReadAsTheTwoPassesDo) {
  sluice::testing::TempDir dir;
  int failures = 0;
  for (uint32_t seed = 0; seed < 150; ++seed) {
    const bool clean = seed % 3 == 0;
    TypedCsv csv = MakeTypedCsv(seed, 1 + seed % 97, clean ? 0 : 0.01, clean ? 0 : 0.005);
    const auto path = dir / ("d" + std::to_string(seed) + ".csv");
    sluice::testing::WriteFile(path, csv.text);
    CsvOptions given;
    for (size_t c = 0; c < csv.names.size(); ++c) given.types[csv.names[c]] = csv.types[c];
    for (size_t rows_per_chunk : {size_t{1}, size_t{5}, size_t{64}}) {
      // Every type given: the typed pass from the first chunk on.
      Result<Table> expected =
          internal::ParseCsvWithChunkSize(csv.text, given, 0, /*typed_one_pass=*/false);
      Result<Table> chunked = ReadChunked(path, given, rows_per_chunk);
      if (expected.ok()) {
        ASSERT_OK(chunked.status());
        EXPECT_TRUE(chunked->Equals(*expected)) << seed;
      } else {
        ++failures;
        EXPECT_THAT(chunked, StatusIs(expected.status().code(),
                                      path.string() + ": " + expected.status().message()))
            << seed << " " << rows_per_chunk;
      }

      // Types inferred from the first chunk, then fixed: as if they had been given, but a value
      // that does not fit says how to read it.
      std::vector<Type> inferred;
      Result<Table> read = ReadChunked(path, {}, rows_per_chunk, &inferred);
      if (inferred.empty()) continue;  // the first chunk failed, or there were no rows
      CsvOptions fixed;
      for (size_t c = 0; c < csv.names.size(); ++c) fixed.types[csv.names[c]] = inferred[c];
      Result<Table> as_fixed =
          internal::ParseCsvWithChunkSize(csv.text, fixed, 0, /*typed_one_pass=*/false);
      if (as_fixed.ok()) {
        ASSERT_OK(read.status());
        EXPECT_TRUE(read->Equals(*as_fixed)) << seed;
      } else {
        ASSERT_FALSE(read.ok()) << seed;
        EXPECT_THAT(read.status().message(),
                    ::testing::StartsWith(path.string() + ": " + as_fixed.status().message()))
            << seed;
      }
    }
  }
  EXPECT_GT(failures, 50);
}

// Records split by the reader's 1 MiB reads, anywhere in a record or a CRLF: the reader resumes
// at the record a read cut short.
TEST(TypedChunkReaderTest, ResumesRecordsCutByReads) {
  sluice::testing::TempDir dir;
  for (uint32_t seed : {21u, 22u, 23u}) {
    RandomCsv csv = MakeRandomCsv(seed, 40'000);
    ASSERT_GT(csv.text.size(), size_t{2} << 20);
    sluice::testing::WriteFile(dir / "big.csv", csv.text);
    CsvOptions options;
    options.types["float"] = Type::kFloat64;
    options.types["str"] = Type::kString;
    for (size_t rows_per_chunk : {size_t{999}, size_t{15'000}, size_t{100'000}}) {
      ASSERT_OK_AND_ASSIGN(Table joined, ReadChunked(dir / "big.csv", options, rows_per_chunk));
      EXPECT_TRUE(joined.Equals(csv.expected)) << seed << " " << rows_per_chunk;
    }
  }
}

TEST(TypedChunkReaderTest, LaterValueThatDoesNotFitSaysHowToReadIt) {
  sluice::testing::TempDir dir;
  sluice::testing::WriteFile(dir / "d.csv", "a,b,c\n1,x,\n2,y,\n3,z,true\n");
  ASSERT_OK_AND_ASSIGN(CsvChunkReader reader, CsvChunkReader::Open(dir / "d.csv", {}, 2));
  ASSERT_OK(reader.Next());
  EXPECT_THAT(reader.Next(),
              StatusIs(StatusCode::kInvalidArgument,
                       (dir / "d.csv").string() +
                           ": csv line 4: column 'c': 'true' is not a valid float64 (the type "
                           "inferred from the first 2 rows); to read it, set "
                           "CsvOptions::types[\"c\"] to string"));
  // A given type is the user's: no advice.
  CsvOptions options;
  options.types["a"] = Type::kBool;
  EXPECT_THAT(
      ReadChunked(dir / "d.csv", options, 2),
      StatusIs(StatusCode::kInvalidArgument,
               (dir / "d.csv").string() + ": csv line 2: column 'a': '1' is not a valid bool"));
}

}  // namespace
}  // namespace sluice::table
