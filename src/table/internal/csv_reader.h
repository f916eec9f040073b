// The CSV reading steps shared by ParseCsv/ReadCsv and CsvChunkReader: option checks, the header,
// type overrides, pass 1 over a stretch of records (or the one typed pass) and its errors, and the
// parallel whole-text parse.
//
// Thread safety: functions work only on their arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "table/internal/csv_convert.h"
#include "table/internal/csv_tokenizer.h"
#include "table/internal/value_parse.h"
#include "table/table.h"

namespace sluice::table::internal {

Status ValidateCsvOptions(const CsvOptions& options);

// Bytes of a UTF-8 byte order mark at the start of `text` (0 or 3).
size_t ByteOrderMarkSize(std::string_view text);

// Column names from the first record: the header's fields, with an empty one named column_<i>; or
// column_0... when options.header is false. kInvalidArgument for a repeated header name.
// `first_line` is 0-based, for messages.
Result<std::vector<std::string>> ColumnNamesFrom(const std::vector<std::string>& first_record,
                                                 uint64_t first_line, const CsvOptions& options);

// Per column, the type options.types gives, if any; kInvalidArgument for a name that is not a
// column.
Result<std::vector<std::optional<Type>>> ResolveTypeOverrides(
    const CsvOptions& options, const std::vector<std::string>& names);

// "csv line 7: column 'age': 'abc' is not a valid int64"; `line` is 0-based.
Status BadValueError(uint64_t line, std::string_view column, std::string_view value, Type type);

// Pass 1 over the records from `begin` (see Tokenize for `params`), or, from ScanTypedRecords, the
// only pass.
struct ChunkScan {
  size_t begin = 0;
  Cursor end;  // line counts from `begin`
  TokenizeStop stop = TokenizeStop::kDone;
  TokenizeError error;
  size_t rows = 0;
  std::vector<std::optional<Type>> types;
  std::vector<size_t> null_counts;
  std::optional<BadValue> bad_value;
  std::vector<ColumnBuffer> columns;  // ScanTypedRecords' values; types and null_counts unused
};
ChunkScan ScanRecords(std::string_view text, TokenizeParams params, size_t begin,
                      const std::vector<std::optional<Type>>& fixed, const NullMatcher& is_null);
// Every column's type known: the records parsed straight into `columns` (TypedSink). A bad value
// ends the scan after its record.
ChunkScan ScanTypedRecords(std::string_view text, TokenizeParams params, size_t begin,
                           const std::vector<Type>& types, const NullMatcher& is_null);

// Whether the scan's first error is its bad value rather than the broken record that ended it.
bool BadValueComesFirst(const ChunkScan& scan);

// The first error of a scan that started `line_base` lines into the file, OK if none: a bad value
// in a whole record comes before the broken record that ended the scan.
Status ScanError(const ChunkScan& scan, uint64_t line_base, const std::vector<std::string>& names);

// ParseCsv with the parse chunk size chosen by the caller (0: from the size and thread count), so
// tests can put chunk boundaries anywhere. When options.types gives every column's type, the
// records are parsed in one pass (ScanTypedRecords) unless `typed_one_pass` is false, which keeps
// the two passes of inference so tests can check the two agree.
Result<Table> ParseCsvWithChunkSize(std::string_view text, const CsvOptions& options,
                                    size_t chunk_bytes, bool typed_one_pass = true);

}  // namespace sluice::table::internal
