#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "table/random_csv.h"
#include "table/table.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::table {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Every chunk of the file, each checked to hold 1 to rows_per_chunk rows.
Result<std::vector<Table>> ReadAllChunks(const std::filesystem::path& path,
                                         const CsvOptions& options, size_t rows_per_chunk) {
  SLUICE_ASSIGN_OR_RETURN(CsvChunkReader reader,
                          CsvChunkReader::Open(path, options, rows_per_chunk));
  std::vector<Table> chunks;
  for (;;) {
    SLUICE_ASSIGN_OR_RETURN(std::optional<Table> chunk, reader.Next());
    if (!chunk) break;
    EXPECT_GE(chunk->num_rows(), 1u);
    EXPECT_LE(chunk->num_rows(), rows_per_chunk);
    chunks.push_back(std::move(*chunk));
  }
  return chunks;
}

TEST(CsvChunkReaderTest, ChunksConcatenateToTheWholeFileRead) {
  sluice::testing::TempDir dir;
  RandomCsv csv = MakeRandomCsv(5, 700);
  sluice::testing::WriteFile(dir / "d.csv", csv.text);
  CsvOptions options;
  // Small first chunks cannot see these columns' final types.
  options.types["float"] = Type::kFloat64;
  options.types["str"] = Type::kString;
  ASSERT_OK_AND_ASSIGN(Table whole, ReadCsv(dir / "d.csv", options));
  ASSERT_TRUE(whole.Equals(csv.expected));
  for (size_t rows_per_chunk : {size_t{1}, size_t{7}, size_t{100}, size_t{700}, size_t{10'000}}) {
    ASSERT_OK_AND_ASSIGN(std::vector<Table> chunks,
                         ReadAllChunks(dir / "d.csv", options, rows_per_chunk));
    EXPECT_EQ(chunks.size(), (700 + rows_per_chunk - 1) / rows_per_chunk);
    ASSERT_OK_AND_ASSIGN(Table joined, Concat(chunks));
    EXPECT_TRUE(joined.Equals(whole)) << rows_per_chunk;
  }
}

// Progress: after each chunk, exactly the bytes of the header and the rows returned so far, even
// when reads run ahead and the buffer is compacted.
TEST(CsvChunkReaderTest, BytesConsumedEndsAtTheLastRowReturned) {
  sluice::testing::TempDir dir;
  std::string text = "\xEF\xBB\xBFid,name\n";
  std::vector<uint64_t> row_ends;
  for (int i = 0; i < 200'000; ++i) {
    text += std::to_string(i) + (i % 3 == 0 ? ",\"a\nquoted\"\n" : ",plain\n");
    row_ends.push_back(text.size());
  }
  sluice::testing::WriteFile(dir / "d.csv", text);
  ASSERT_OK_AND_ASSIGN(CsvChunkReader reader, CsvChunkReader::Open(dir / "d.csv", {}, 7'000));
  EXPECT_EQ(reader.bytes_consumed(), std::string("\xEF\xBB\xBFid,name\n").size());
  size_t rows = 0;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(std::optional<Table> chunk, reader.Next());
    if (!chunk) break;
    rows += chunk->num_rows();
    ASSERT_EQ(reader.bytes_consumed(), row_ends[rows - 1]) << rows;
  }
  EXPECT_EQ(rows, row_ends.size());
  EXPECT_EQ(reader.bytes_consumed(), text.size());
}

TEST(CsvChunkReaderTest, QuotedLineBreaksAcrossReadBoundaries) {
  // Several megabytes of long quoted fields, so reads of the file end inside them.
  std::mt19937 rng(1);
  std::string text = "id,text\r\n";
  std::vector<int64_t> ids;
  std::vector<std::string> texts;
  for (int64_t id = 0; text.size() < (size_t{3} << 20); ++id) {
    std::string value(std::uniform_int_distribution<size_t>(1, 9000)(rng), 'x');
    for (size_t i = 0; i < value.size(); i += 1 + rng() % 50) value[i] = "\n\",\r"[rng() % 4];
    value[0] = 'v';
    std::string quoted;
    for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    text += std::to_string(id) + ",\"" + quoted + "\"\r\n";
    ids.push_back(id);
    texts.push_back(value);
  }
  sluice::testing::TempDir dir;
  sluice::testing::WriteFile(dir / "long.csv", text);
  ASSERT_OK_AND_ASSIGN(Table expected,
                       Table::Make({Column::Int64("id", ids), Column::String("text", texts)}));
  for (size_t rows_per_chunk : {size_t{3}, size_t{250}, size_t{100'000}}) {
    ASSERT_OK_AND_ASSIGN(std::vector<Table> chunks,
                         ReadAllChunks(dir / "long.csv", {}, rows_per_chunk));
    ASSERT_OK_AND_ASSIGN(Table joined, Concat(chunks));
    EXPECT_TRUE(joined.Equals(expected)) << rows_per_chunk;
  }
  ASSERT_OK_AND_ASSIGN(Table whole, ReadCsv(dir / "long.csv"));
  EXPECT_TRUE(whole.Equals(expected));
}

TEST(CsvChunkReaderTest, TypesAreFixedByTheFirstChunk) {
  sluice::testing::TempDir dir;
  sluice::testing::WriteFile(dir / "d.csv", "a,b\n1,x\n2,y\n1.5,z\n");
  ASSERT_OK_AND_ASSIGN(CsvChunkReader reader, CsvChunkReader::Open(dir / "d.csv", {}, 2));
  EXPECT_THAT(reader.column_names(), ElementsAre("a", "b"));
  ASSERT_OK_AND_ASSIGN(std::optional<Table> first, reader.Next());
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(first->column(0).int64s(), ElementsAre(1, 2));
  const std::string expected = (dir / "d.csv").string() +
                               ": csv line 4: column 'a': '1.5' is not a valid int64 (the type "
                               "inferred from the first 2 rows); to read it, set "
                               "CsvOptions::types[\"a\"] to float64";
  EXPECT_THAT(reader.Next(), StatusIs(StatusCode::kInvalidArgument, HasSubstr(expected)));
  EXPECT_THAT(reader.Next(), StatusIs(StatusCode::kInvalidArgument, HasSubstr(expected)));

  CsvOptions options;
  options.types["a"] = Type::kFloat64;
  ASSERT_OK_AND_ASSIGN(std::vector<Table> chunks, ReadAllChunks(dir / "d.csv", options, 2));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_THAT(chunks[1].column(0).float64s(), ElementsAre(1.5));
}

// Blank lines after the last record, in a chunk that is not full: they once failed a CHECK.
TEST(CsvChunkReaderTest, BlankLinesAfterTheLastRecord) {
  sluice::testing::TempDir dir;
  for (const char* text : {"a\n1\n\n", "a\r\n1\r\n\r\n\n", "a\n1\n2\n\n\n"}) {
    sluice::testing::WriteFile(dir / "d.csv", text);
    for (size_t rows_per_chunk : {size_t{1}, size_t{5}}) {
      ASSERT_OK_AND_ASSIGN(std::vector<Table> chunks,
                           ReadAllChunks(dir / "d.csv", {}, rows_per_chunk));
      ASSERT_OK_AND_ASSIGN(Table joined, Concat(chunks));
      ASSERT_OK_AND_ASSIGN(Table whole, ParseCsv(text));
      EXPECT_TRUE(joined.Equals(whole)) << text;
    }
    ASSERT_OK_AND_ASSIGN(CsvChunkReader reader, CsvChunkReader::Open(dir / "d.csv", {}, 5));
    ASSERT_OK(reader.Next());
    ASSERT_OK_AND_ASSIGN(std::optional<Table> end, reader.Next());
    EXPECT_FALSE(end.has_value());
    EXPECT_EQ(reader.bytes_consumed(), std::string(text).size());
  }
}

TEST(CsvChunkReaderTest, RecordErrorsNameTheFileLine) {
  sluice::testing::TempDir dir;
  sluice::testing::WriteFile(dir / "d.csv", "a,b\n1,2\n3,4\n5\n");
  ASSERT_OK_AND_ASSIGN(CsvChunkReader reader, CsvChunkReader::Open(dir / "d.csv", {}, 1));
  ASSERT_OK(reader.Next());
  ASSERT_OK(reader.Next());
  EXPECT_THAT(reader.Next(), StatusIs(StatusCode::kInvalidArgument,
                                      HasSubstr("csv line 4: expected 2 fields, got 1")));
}

TEST(CsvChunkReaderTest, EmptyFileHeaderOnlyAndBadArguments) {
  sluice::testing::TempDir dir;
  sluice::testing::WriteFile(dir / "empty.csv", "");
  ASSERT_OK_AND_ASSIGN(CsvChunkReader empty, CsvChunkReader::Open(dir / "empty.csv", {}, 10));
  EXPECT_THAT(empty.column_names(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::optional<Table> none, empty.Next());
  EXPECT_FALSE(none.has_value());

  sluice::testing::WriteFile(dir / "header.csv", "\xEF\xBB\xBFx,y\r\n\r\n");
  ASSERT_OK_AND_ASSIGN(CsvChunkReader header, CsvChunkReader::Open(dir / "header.csv", {}, 10));
  EXPECT_THAT(header.column_names(), ElementsAre("x", "y"));
  ASSERT_OK_AND_ASSIGN(std::optional<Table> nothing, header.Next());
  EXPECT_FALSE(nothing.has_value());

  CsvOptions no_header;
  no_header.header = false;
  sluice::testing::WriteFile(dir / "data.csv", "1,2\n3,4\n");
  ASSERT_OK_AND_ASSIGN(std::vector<Table> chunks, ReadAllChunks(dir / "data.csv", no_header, 1));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_THAT(chunks[0].ColumnNames(), ElementsAre("column_0", "column_1"));

  EXPECT_THAT(CsvChunkReader::Open(dir / "data.csv", {}, 0),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("rows_per_chunk")));
  EXPECT_THAT(CsvChunkReader::Open(dir / "missing.csv", {}, 1),
              StatusIs(StatusCode::kNotFound, HasSubstr("missing.csv")));
  sluice::testing::WriteFile(dir / "dup.csv", "a,a\n");
  EXPECT_THAT(CsvChunkReader::Open(dir / "dup.csv", {}, 1),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("dup.csv: csv line 1: duplicate column name 'a'")));
}

}  // namespace
}  // namespace sluice::table
