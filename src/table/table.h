// The columnar in-memory table every dataset passes through (training, validation, serving, data
// versioning), and its readers and writers: CSV/TSV (RFC 4180, parsed in parallel), JSON Lines,
// and a streaming CSV reader for files larger than memory.
//
//   SLUICE_ASSIGN_OR_RETURN(Table t, ReadTable("data/train.csv"));
//   SLUICE_ASSIGN_OR_RETURN(const Column* label, t.Get("label"));
//   std::span<const double> y = label->float64s();
//
// Thread safety: Table and Column are values with immutable, shared column data; const methods may
// be called from any number of threads. A CsvChunkReader is used by one thread at a time.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "table/column.h"

namespace sluice::table {

class Table {
 public:
  Table() = default;
  // kInvalidArgument for two columns with one name or columns of unequal lengths.
  static Result<Table> Make(std::vector<Column> columns);

  size_t num_rows() const { return num_rows_; }
  size_t num_columns() const { return columns_.size(); }
  const std::vector<Column>& columns() const { return columns_; }
  const Column& column(size_t i) const { return columns_[i]; }

  // nullptr when there is no column of that name.
  const Column* Find(std::string_view name) const;
  // kNotFound naming the column and listing (up to 10 of) the available names.
  Result<const Column*> Get(std::string_view name) const;
  std::vector<std::string> ColumnNames() const;

  // The rows at the given indexes, in that order; an index out of range aborts.
  Table Take(std::span<const size_t> rows) const;
  // The named columns in the given order; kNotFound for an absent name, kInvalidArgument for a
  // name given twice.
  Result<Table> Select(std::span<const std::string> names) const;
  // Appends `c`; kAlreadyExists when the name is taken, kInvalidArgument when its length is not
  // num_rows() (any length is fine for a table without columns).
  Status AddColumn(Column c);

  // Same column names, order, types and values (Column::Equals).
  bool Equals(const Table& other) const;

 private:
  std::vector<Column> columns_;
  size_t num_rows_ = 0;
};

// The rows of `tables` one after another. Every table must have the same column names and types
// in the same order (kInvalidArgument naming the first difference); no tables gives an empty one.
Result<Table> Concat(std::span<const Table> tables);

// Memory given back by a reader that parses a file piece after piece (the validation engine),
// for the next ParseCsv with the same options to write into: a table's columns once nothing
// uses them any more. Memory already touched costs nothing to fill again, while fresh pages are
// faulted in one by one, which on virtual machines can cost more than the parsing.
//
// Thread safety: Recycle and Take may be called from any threads.
class CsvColumnMemory {
 public:
  // Keeps the vectors of `table`'s columns that no other copy shares, dropping any kept before.
  void Recycle(Table table);
  // The vectors kept, by column (empty if none), for ParseCsv.
  std::vector<std::optional<Column::Vectors>> Take();

 private:
  std::mutex mu_;
  std::vector<std::optional<Column::Vectors>> kept_;  // guarded by mu_
};

struct CsvOptions {
  // Any single byte except '"', '\r' and '\n'.
  char delimiter = ',';
  // false: every record is data and the columns are named column_0, column_1, ...
  bool header = true;
  // Threads parsing and converting; 0 = ThreadPool::DefaultThreads().
  size_t threads = 0;
  // A field equal to one of these (quoted or not) is null.
  std::vector<std::string> null_values = {"", "NA", "N/A", "null", "NULL", "None", "nan", "NaN"};
  // Column name -> type, for columns whose type should not be inferred. A value that does not fit
  // is an error naming its line, column and value ("csv line 9: column 'zip': 'n/a' is not a
  // valid int64"); a name that is not a column is an error too.
  std::map<std::string, Type> types;
  // Memory to parse into when every column's type is given in `types`; nullptr: fresh memory.
  std::shared_ptr<CsvColumnMemory> column_memory;
};

// Reads a CSV file. Semantics (shared by ParseCsv and CsvChunkReader):
// - RFC 4180: a field may be quoted, and then holds delimiters, line breaks and doubled quotes
//   ("" for "); a quote inside an unquoted field is an ordinary character. Records end in LF or
//   CRLF, the last one with or without. A UTF-8 byte order mark is skipped. Blank lines are
//   skipped wherever they are.
// - Every record must have as many fields as the first (the header): otherwise
//   "csv line 17: expected 5 fields, got 4", where the line is the 1-based physical line the
//   record starts on. An unclosed quote: "csv line 3: unterminated quoted field starting in
//   column 2" (column numbers are 1-based). Text after a closing quote other than a delimiter or
//   line end is an error too. ReadCsv prefixes the path: "data.csv: csv line 17: ...".
// - Each column's type is inferred from all its non-null values: bool (true/false, any case; not
//   0/1), else int64 (optional sign, fits 64 bits), else float64 (decimal, exponent, inf, nan),
//   else timestamp (see ParseTimestamp), else string. int64 mixed with float64 is float64; any
//   other mix is string. Spaces around numbers, bools and timestamps are ignored; strings are kept
//   verbatim. A column with no non-null value is float64, all null.
// - An empty file gives a table with no columns; a header alone gives its columns with no rows,
//   float64 unless `types` says otherwise. An empty header field is named column_<index>; a
//   repeated header name is an error.
// Parsing runs on `options.threads` threads; the result, and the error reported (the first in the
// file), do not depend on the thread count. Memory: the file's bytes plus the result.
Result<Table> ReadCsv(const std::filesystem::path& path, const CsvOptions& options = {});
Result<Table> ParseCsv(std::string_view text, const CsvOptions& options = {});

// One JSON object per line; blank lines are skipped. The columns are the union of the keys, in
// the order first seen; a missing key is null. Column types: all integers (fitting int64) ->
// int64; numbers with any non-integer -> float64; bools -> bool; strings -> string; nulls do not
// count; any other mix, and nested objects and arrays, -> string, non-strings as their JSON text.
// Errors name the line: "jsonl line 3: expected a JSON object, got array".
Result<Table> ReadJsonl(const std::filesystem::path& path);
Result<Table> ParseJsonl(std::string_view text);

// By extension: .csv (comma), .tsv (tab), .jsonl and .ndjson, any case; other extensions are
// kInvalidArgument naming the supported ones.
Result<Table> ReadTable(const std::filesystem::path& path);

// A header and one line per row (LF endings). Fields holding the delimiter, a quote or a line
// break are quoted (RFC 4180). Nulls are written empty ("" in a one-column table, where an empty
// line would be skipped), so nulls and empty strings, and strings equal to a null token, read
// back as null. Floats always show a decimal point or exponent
// ("1.0", "1e+20") so they read back as float64; timestamps as ISO-8601 UTC.
Status WriteCsv(const Table& table, std::ostream& out);
// Writes the file atomically (base/file_util.h WriteFileAtomically): readers see the old or the
// new file in full.
Status WriteCsvFile(const Table& table, const std::filesystem::path& path);

// Reads a CSV file of any size a chunk of rows at a time, in memory bounded by the chunk (plus one
// record). Types are inferred from the first chunk (or taken from CsvOptions::types) and then
// fixed: a later value that does not fit is an error naming its line and column and suggesting a
// type override. Parses on the calling thread (CsvOptions::threads is not used).
//
//   SLUICE_ASSIGN_OR_RETURN(CsvChunkReader reader, CsvChunkReader::Open(path, {}, 100'000));
//   for (;;) {
//     SLUICE_ASSIGN_OR_RETURN(std::optional<Table> chunk, reader.Next());
//     if (!chunk) break;
//     ...
//   }
class CsvChunkReader {
 public:
  // Opens `path` and reads its header. kInvalidArgument for rows_per_chunk 0 or bad options;
  // file errors as in ReadFileToString.
  static Result<CsvChunkReader> Open(const std::filesystem::path& path, CsvOptions options,
                                     size_t rows_per_chunk);
  CsvChunkReader(CsvChunkReader&&) noexcept;
  CsvChunkReader& operator=(CsvChunkReader&&) noexcept;
  ~CsvChunkReader();

  // The next 1 to rows_per_chunk rows, or nullopt once the file is exhausted. After an error
  // every further call returns that error.
  Result<std::optional<Table>> Next();

  // From the header (or column_<i> from the first record when there is none); empty for an empty
  // file.
  const std::vector<std::string>& column_names() const;

  // Bytes of the file taken by the header and the rows returned so far (the file's size once
  // Next has returned nullopt): exact progress for a file read front to back.
  uint64_t bytes_consumed() const;

 private:
  struct State;
  explicit CsvChunkReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Whether `status` is CsvChunkReader's error for a value that does not fit the type it inferred
// from the first chunk: no fault of the data, which reads whole with types inferred from every
// row (ReadCsvFile) or with CsvOptions::types set.
bool IsInferredTypeMismatch(const Status& status);

}  // namespace sluice::table
