// The fused path for number fields (csv_number_field.h, PlacedSink::FastRecords) and its
// eight-field batches (csv_number_batch.h): a field it takes gets the bits ParseSimpleDecimal and
// ParseSimpleInt64 give, it reads nothing past its reach, and a CSV of numbers parses as the two
// passes of inference (which never take it) parse it, with the batches and without: the same
// values, bit for bit, or the same error word for word.
#include "table/internal/csv_number_field.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "table/internal/csv_number_batch.h"
#include "table/internal/csv_reader.h"
#include "table/internal/value_parse.h"
#include "table/table.h"
#include "testing/guarded_page.h"
#include "testing/status_matchers.h"

namespace sluice::table {
namespace {

using internal::NumberBatchLayout;
using internal::NumberBatchRun;
using internal::NumberField;
using internal::NumberWindow;
using ::sluice::testing::StatusIs;

bool SameDouble(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// While alive, FastRecords parses one field at a time, as on a CPU without the batches.
class NoBatches {
 public:
  NoBatches() { internal::SetNumberBatchesEnabled(false); }
  ~NoBatches() { internal::SetNumberBatchesEnabled(true); }
  NoBatches(const NoBatches&) = delete;
  NoBatches& operator=(const NoBatches&) = delete;
};

// Numbers of the shapes the window splits on (a sign, digits before and after a point, 0 to 17 of
// each), now and then with a byte it must not take.
std::string RandomField(std::mt19937_64& rng) {
  std::string text;
  const uint64_t sign = rng() % 6;
  if (sign == 0) text += '-';
  if (sign == 1) text += '+';
  auto digits = [&](size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const uint64_t kind = rng() % 8;
      text += kind == 0 ? '0' : kind == 1 ? '9' : static_cast<char>('0' + rng() % 10);
    }
  };
  digits(rng() % 9 == 0 ? rng() % 18 : rng() % 8);
  if (rng() % 3 != 0) {
    text += '.';
    digits(rng() % 9 == 0 ? rng() % 18 : rng() % 8);
  }
  if (rng() % 12 == 0 && !text.empty()) {
    static const char kStray[] = {'.', '-', '+', 'e', 'E', ' ', '"', '/', ':', '\0', '\x80'};
    text[rng() % text.size()] = kStray[rng() % sizeof kStray];
  }
  return text;
}

// What the general path makes of a field the window takes.
void ExpectAsSimpleParsers(std::string_view text, const NumberField& field) {
  double expected = 0;
  ASSERT_TRUE(internal::ParseSimpleDecimal(text, &expected)) << "'" << text << "'";
  ASSERT_TRUE(SameDouble(field.Double(), expected)) << text;
  int64_t expected_int = 0;
  ASSERT_EQ(internal::ParseSimpleInt64(text, &expected_int), !field.point) << text;
  if (!field.point) {
    ASSERT_EQ(field.Int64(), expected_int) << text;
  }
}

TEST(NumberWindowTest, TakesWhatTheSimpleParsersTakeWithTheSameBits) {
  std::mt19937_64 rng(23);
  int taken = 0;
  for (int i = 0; i < 300'000; ++i) {
    const std::string field = RandomField(rng);
    // Anywhere in the window, ended by the delimiter, a line break or CRLF.
    const size_t start = rng() % 48;
    const char* ends[] = {",", "\n", "\r\n"};
    const std::string_view end = ends[rng() % 3];
    std::string text(start, 'x');
    text += field;
    text += end;
    text.resize(start + 64 + internal::kNumberWindowReach, '7');
    NumberWindow window;
    window.Load(text.data(), ',');
    // The window's first end is the field's (a stray byte may be one before it, or be '\r').
    const uint32_t found = window.HasEnd() ? window.NextEnd() : 1000;
    const size_t field_end = start + field.size() + (end == "\r\n" ? 1 : 0);
    if (found != field_end) continue;
    NumberField number;
    const bool ok = window.Parse(static_cast<uint32_t>(start), found, &number);
    double simple = 0;
    // Every field of the shape is taken (those 16 bytes or less, which the window has room for).
    const bool shaped = internal::ParseSimpleDecimal(field, &simple) && field.size() <= 16 &&
                        field.find(' ') == std::string::npos;
    ASSERT_EQ(ok, shaped) << "'" << field << "'";
    if (!ok) continue;
    ++taken;
    ExpectAsSimpleParsers(field, number);
    EXPECT_EQ(number.line_end, end != ",") << field;
  }
  EXPECT_GT(taken, 100'000);
}

TEST(NumberWindowTest, EdgeCases) {
  struct Case {
    const char* field;
    bool taken;
  };
  const Case cases[] = {
      {"0", true},
      {"-0", true},
      {"+7", true},
      {".5", true},
      {"5.", true},
      {"-.5", true},
      {"12345678", true},
      {"1234.5678", true},
      {"-12345678", true},
      {"123456789", true},
      {"99999999.99", true},
      {"999999999999999", true},
      {"-9999999.9999999", true},
      {"1234567890123456", false},  // 16 digits: the general parser's
      {"", false},
      {"-", false},
      {".", false},
      {"-.", false},
      {"1e5", false},
      {"1E-5", false},
      {" 1", false},
      {"1 ", false},
      {"1.2.3", false},
      {"--1", false},
      {"1-", false},
      {"+-1", false},
      {"\"1\"", false},
      {"nan", false},
      {"inf", false},
      {"0x10", false},
  };
  for (const Case& c : cases) {
    for (const char* end : {",", "\n", "\r\n"}) {
      std::string text = std::string("ab,") + c.field + end;
      text.resize(64 + internal::kNumberWindowReach, '\n');
      NumberWindow window;
      window.Load(text.data(), ',');
      ASSERT_EQ(window.NextEnd(), 2u);
      const uint32_t field_end = window.NextEnd();
      NumberField number;
      ASSERT_EQ(window.Parse(3, field_end, &number), c.taken) << "'" << c.field << "'" << end;
      if (c.taken) ExpectAsSimpleParsers(c.field, number);
    }
  }
}

using ::sluice::testing::GuardedPage;

TEST(NumberWindowTest, ReadsNothingPastItsReach) {
  GuardedPage guarded;
  ASSERT_TRUE(guarded.ok());
  std::mt19937_64 rng(29);
  for (int i = 0; i < 20'000; ++i) {
    // Fields up to the window's last byte, the reach ending at the guard.
    std::string text;
    while (text.size() < 64) text += RandomField(rng) + (rng() % 4 == 0 ? "\n" : ",");
    text.resize(internal::kNumberWindowReach, '9');
    const std::string_view at_end = guarded.AtEnd(text);
    NumberWindow window;
    window.Load(at_end.data(), ',');
    uint32_t start = 0;
    while (window.HasEnd()) {
      const uint32_t end = window.NextEnd();
      NumberField number;
      (void)window.Parse(start, end, &number);
      start = end + 1;
    }
  }
  // Whole CSVs ending at the guard, by every path into FastRecords.
  for (int i = 0; i < 2'000; ++i) {
    std::string csv = "a,b\n";
    const int rows = static_cast<int>(rng() % 40);
    for (int r = 0; r < rows; ++r) csv += std::to_string(rng() % 1000) + ",1.5\n";
    if (rng() % 2 == 0 && !csv.empty()) csv.pop_back();
    const std::string_view text = guarded.AtEnd(csv);
    CsvOptions options;
    options.types = {{"a", Type::kInt64}, {"b", Type::kFloat64}};
    ASSERT_OK(internal::ParseCsvWithChunkSize(text, options, 1 + rng() % 100).status());
  }
}

// Bit for bit, -0.0 apart from 0.0 (Column::Equals lets them be equal).
::testing::AssertionResult SameBits(const Result<Table>& a, const Result<Table>& b) {
  if (a.ok() != b.ok()) {
    return ::testing::AssertionFailure()
           << "one failed: " << (a.ok() ? b.status().message() : a.status().message());
  }
  if (!a.ok()) {
    if (a.status().message() == b.status().message()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "'" << a.status().message() << "' vs '" << b.status().message() << "'";
  }
  if (!a->Equals(*b)) return ::testing::AssertionFailure() << "the tables differ";
  for (size_t c = 0; c < a->num_columns(); ++c) {
    if (a->column(c).type() != Type::kFloat64) continue;
    const std::span<const double> x = a->column(c).float64s();
    const std::span<const double> y = b->column(c).float64s();
    for (size_t r = 0; r < x.size(); ++r) {
      if (!a->column(c).IsNull(r) && !SameDouble(x[r], y[r])) {
        return ::testing::AssertionFailure() << "column " << c << " row " << r;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// A field for an int64 column (`integer`) or a float64 one: mostly plain numbers, and every kind
// the fused path leaves to the general one.
std::string RandomCsvField(std::mt19937_64& rng, bool integer) {
  switch (rng() % 24) {
    case 0:
      return "";
    case 1:
      return "NA";
    case 2:
      return integer ? "\"-12\"" : "\"2.5\"";
    case 3:
      return integer ? " 7 " : "1e3";
    case 4:
      return integer ? "9223372036854775807" : "-2.5E-3";
    case 5:
      return integer ? "-9223372036854775808" : "12345678901234567890";
    case 6:
      return integer ? "1234567890123456789" : "0.1234567890123456789";
    case 7:
      return integer ? "+00042" : "-0";
    default:
      break;
  }
  std::string field = RandomField(rng);
  if (integer) {
    const size_t point = field.find('.');
    if (point != std::string::npos) field.erase(point);
  }
  // What is left of the strays only where a value may be anything: spaces are trimmed.
  for (char& c : field) {
    if (c != '-' && c != '+' && c != '.' && (c < '0' || c > '9')) c = '5';
  }
  if (field.empty() || field == "-" || field == "+" || field == "." || field == "-." ||
      field == "+." || field.find_first_of("0123456789") == std::string::npos) {
    field = "3";
  }
  if (field.find_first_of("+-", 1) != std::string::npos || field.find('.') != field.rfind('.')) {
    field = "4";
  }
  if (integer && field.size() > 18) field.resize(18);  // past int64: the errors test's
  return field;
}

TEST(FastRecordsTest, NumberCsvsParseAsTheTwoPassesDoBitForBit) {
  std::mt19937_64 rng(31);
  for (int trial = 0; trial < 60; ++trial) {
    SCOPED_TRACE(trial);
    const bool crlf = trial % 3 == 1;
    const char* line_end = crlf ? "\r\n" : "\n";
    std::string csv = std::string("i,f,g,j") + line_end;
    const int rows = 1 + static_cast<int>(rng() % 400);
    for (int r = 0; r < rows; ++r) {
      csv += RandomCsvField(rng, true) + "," + RandomCsvField(rng, false) + "," +
             RandomCsvField(rng, false) + "," + RandomCsvField(rng, true);
      csv += line_end;
      if (rng() % 50 == 0) csv += line_end;  // a blank line
    }
    if (trial % 2 == 0) csv.resize(csv.size() - (crlf ? 2 : 1));  // no line break at the end
    CsvOptions options;
    options.types = {
        {"i", Type::kInt64}, {"f", Type::kFloat64}, {"g", Type::kFloat64}, {"j", Type::kInt64}};
    options.threads = 1 + trial % 3;
    for (size_t chunk_bytes : {size_t{0}, size_t{1} + rng() % 300}) {
      const Result<Table> fused = internal::ParseCsvWithChunkSize(csv, options, chunk_bytes, true);
      const Result<Table> two_pass =
          internal::ParseCsvWithChunkSize(csv, options, chunk_bytes, false);
      ASSERT_OK(fused.status());
      ASSERT_EQ(fused->num_rows(), static_cast<size_t>(rows));
      ASSERT_TRUE(SameBits(fused, two_pass)) << csv;
      NoBatches no_batches;
      ASSERT_TRUE(SameBits(internal::ParseCsvWithChunkSize(csv, options, chunk_bytes), two_pass))
          << csv;
    }
  }
}

TEST(FastRecordsTest, ErrorsNameLineColumnAndValue) {
  std::string csv = "a,b\n";
  for (int r = 0; r < 200; ++r) csv += std::to_string(r) + "," + std::to_string(r) + ".25\n";
  CsvOptions options;
  options.types = {{"a", Type::kInt64}, {"b", Type::kFloat64}};
  struct Case {
    std::string line;
    std::string message;
  };
  const Case cases[] = {
      {"9223372036854775808,1.5",
       "csv line 202: column 'a': '9223372036854775808' is not a valid "
       "int64"},
      {"-99999999999999999999,1.5",
       "csv line 202: column 'a': '-99999999999999999999' is not a valid int64"},
      {"2.5,1.5", "csv line 202: column 'a': '2.5' is not a valid int64"},
      {"1,1.5.5", "csv line 202: column 'b': '1.5.5' is not a valid float64"},
      {"1,1.5,3", "csv line 202: expected 2 fields, got 3"},
      {"1", "csv line 202: expected 2 fields, got 1"},
  };
  for (const Case& c : cases) {
    for (const char* tail : {"\n7,7\n", "", "\r\n"}) {
      const std::string text = csv + c.line + tail;
      for (size_t chunk_bytes : {size_t{0}, size_t{64}}) {
        for (const bool batches : {true, false}) {
          internal::SetNumberBatchesEnabled(batches);
          const Result<Table> fused = internal::ParseCsvWithChunkSize(text, options, chunk_bytes);
          internal::SetNumberBatchesEnabled(true);
          EXPECT_THAT(fused, StatusIs(StatusCode::kInvalidArgument, c.message))
              << c.line << tail << (batches ? "" : " (no batches)");
          EXPECT_TRUE(
              SameBits(fused, internal::ParseCsvWithChunkSize(text, options, chunk_bytes, false)));
        }
      }
    }
  }
}

TEST(FastRecordsTest, NullTokensThatLookLikeNumbersAndOtherDelimiters) {
  std::string csv = "a;b\n";
  for (int r = 0; r < 100; ++r) csv += std::to_string(r % 3 - 1) + ";" + std::to_string(r) + ".5\n";
  CsvOptions options;
  options.delimiter = ';';
  options.types = {{"a", Type::kInt64}, {"b", Type::kFloat64}};
  options.null_values = {"-1", "0.5"};
  ASSERT_OK_AND_ASSIGN(Table t, internal::ParseCsvWithChunkSize(csv, options, 0));
  EXPECT_EQ(t.column(0).null_count(), 34u);  // rows 0, 3, ... 99
  EXPECT_EQ(t.column(1).null_count(), 1u);
  EXPECT_TRUE(SameBits(t, internal::ParseCsvWithChunkSize(csv, options, 0, false)));
  // Delimiters that can be part of a number leave every record to the general path.
  for (char delimiter : {'.', '-', '5', '\t', ' '}) {
    std::string text = std::string("a") + delimiter + "b\n";
    for (int r = 0; r < 100; ++r) text += "12" + std::string(1, delimiter) + "34\n";
    CsvOptions plain;
    plain.delimiter = delimiter;
    plain.types = {{"a", Type::kInt64}, {"b", Type::kInt64}};
    const Result<Table> fused = internal::ParseCsvWithChunkSize(text, plain, 0);
    EXPECT_TRUE(SameBits(fused, internal::ParseCsvWithChunkSize(text, plain, 0, false)))
        << delimiter;
  }
}

// A field for the batches: mostly numbers of 1 to 8 bytes, now and then a longer one (which
// FastRecords takes one field at a time), and at a rate of one in `odd` one that neither takes.
std::string BatchField(std::mt19937_64& rng, bool integer, uint64_t odd) {
  if (odd != 0 && rng() % odd == 0) {
    static const char* const kOdd[] = {"",    "-",  ".",  "-.",    "1.2.3", "--1", "1-2",
                                       "1e5", " 1", "+-", "\"1\"", "1\r2",  "9x",  ".."};
    // A point is odd only in an int64 column.
    if (integer && rng() % 4 == 0) return rng() % 2 == 0 ? "2.5" : "-7.";
    return kOdd[rng() % (sizeof kOdd / sizeof kOdd[0])];
  }
  std::string text;
  const uint64_t sign = rng() % 5;
  if (sign == 0) text += '-';
  if (sign == 1) text += '+';
  const size_t room = rng() % 16 == 0 ? 9 + rng() % 7 : 8 - text.size();
  const size_t length = 1 + rng() % room;
  const size_t point = integer || rng() % 4 == 0 ? std::string::npos : rng() % (length + 1);
  for (size_t i = 0; i < length; ++i) {
    if (i == point) text += '.';
    text += static_cast<char>('0' + rng() % 10);
  }
  if (point == length) text += '.';
  return text;
}

TEST(NumberBatchTest, RecordsParseAsOneFieldAtATimeBitForBit) {
  std::mt19937_64 rng(37);
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE(trial);
    const size_t width = 1 + rng() % 12;
    const bool crlf = rng() % 3 == 0;
    const uint64_t odd = trial % 3 == 0 ? 0 : trial % 3 == 1 ? 1000 : 40;
    CsvOptions options;
    std::vector<bool> integer(width);
    std::string csv;
    for (size_t c = 0; c < width; ++c) {
      integer[c] = rng() % 3 == 0;
      const std::string name = "c" + std::to_string(c);
      csv += (c == 0 ? "" : ",") + name;
      options.types[name] = integer[c] ? Type::kInt64 : Type::kFloat64;
    }
    csv += crlf ? "\r\n" : "\n";
    const size_t rows = 1 + rng() % 3000;
    for (size_t r = 0; r < rows; ++r) {
      // Now and then a record with a field too many or too few.
      size_t fields = width;
      if (odd != 0 && rng() % (4 * odd) == 0) fields = rng() % 2 == 0 ? width + 1 : width - 1;
      for (size_t c = 0; c < fields; ++c) {
        csv += (c == 0 ? "" : ",") + BatchField(rng, integer[c % width], odd);
      }
      csv += crlf ? "\r\n" : "\n";
    }
    if (rng() % 2 == 0) csv.resize(csv.size() - (crlf ? 2 : 1));  // no line break at the end
    options.threads = 1 + trial % 2;
    const size_t chunk_bytes = trial % 4 == 0 ? 0 : 64 + rng() % 5000;
    const Result<Table> batches = internal::ParseCsvWithChunkSize(csv, options, chunk_bytes);
    Result<Table> one_at_a_time = Internal("not parsed");
    {
      NoBatches no_batches;
      one_at_a_time = internal::ParseCsvWithChunkSize(csv, options, chunk_bytes);
    }
    ASSERT_TRUE(SameBits(batches, one_at_a_time));
    ASSERT_TRUE(
        SameBits(batches, internal::ParseCsvWithChunkSize(csv, options, chunk_bytes, false)));
    if (odd == 0) {
      ASSERT_OK(batches.status());
      ASSERT_EQ(batches->num_rows(), rows);
    }
  }
}

// ParseNumberBatches itself: whole records only, stopping at the first it refuses, at `last` and
// short of max_records.
TEST(NumberBatchTest, TakesWholeRecordsAndSaysWhyItStopped) {
  if (!internal::NumberBatchesAvailable()) {
    GTEST_SKIP() << "this CPU lacks AVX-512 VBMI2 or BMI2: FastRecords parses one field at a time "
                    "(RecordsParseAsOneFieldAtATimeBitForBit covers that path)";
  }
  std::vector<double> a(100, 0.0);
  std::vector<int64_t> b(100, 0);
  const NumberBatchLayout layout({a.data(), b.data()}, {true, false});
  std::string text;
  for (int r = 0; r < 30; ++r) text += std::to_string(r) + ".5,-" + std::to_string(r) + "\n";
  const size_t good = text.size();
  text += "1.5,2.5\n";  // a point in the int64 column
  for (int r = 0; r < 20; ++r) text += "7,7\n";
  const char* const last = text.data() + text.size() - 64;

  NumberBatchRun run = internal::ParseNumberBatches(layout, text.data(), last, 100, 0, ',');
  EXPECT_EQ(run.records, 30u);
  EXPECT_EQ(run.end, text.data() + good);
  EXPECT_TRUE(run.refused);
  for (int r = 0; r < 30; ++r) {
    ASSERT_TRUE(SameDouble(a[r], r + 0.5)) << r;
    ASSERT_EQ(b[r], -r) << r;
  }
  // Records go at the rows asked for; a batch is begun only with room for eight more records.
  run = internal::ParseNumberBatches(layout, text.data() + good + 8, last, 7, 50, ',');
  EXPECT_EQ(run.records, 0u);
  EXPECT_FALSE(run.refused);
  run = internal::ParseNumberBatches(layout, text.data() + good + 8, last, 12, 50, ',');
  EXPECT_FALSE(run.refused);
  EXPECT_GE(run.records, 4u);
  EXPECT_LE(run.records, 12u);
  EXPECT_EQ(run.end, text.data() + good + 8 + 4 * run.records);
  EXPECT_EQ(b[50], 7);
  EXPECT_EQ(b[50 + run.records - 1], 7);
  EXPECT_EQ(b[50 + run.records + 4], 0);  // past a record not taken, nothing written
  // Records ended by "\r\n" are taken as well.
  std::string crlf;
  for (int r = 0; r < 30; ++r) crlf += std::to_string(r) + ".25,+" + std::to_string(r) + "\r\n";
  const size_t crlf_records = crlf.size();
  crlf += "x\n" + std::string(64, ' ');
  run = internal::ParseNumberBatches(layout, crlf.data(), crlf.data() + crlf.size() - 64, 100, 0,
                                     ',');
  EXPECT_EQ(run.records, 30u);
  EXPECT_EQ(run.end, crlf.data() + crlf_records);
  EXPECT_TRUE(SameDouble(a[29], 29.25));
  EXPECT_EQ(b[29], 29);
  // No window may start past `last`: the records of the last 64 bytes are left.
  run = internal::ParseNumberBatches(layout, text.data() + good + 8, last, 100, 50, ',');
  EXPECT_FALSE(run.refused);
  EXPECT_LE(run.end, last + 64);
  EXPECT_GT(run.end, last);
}

}  // namespace
}  // namespace sluice::table
