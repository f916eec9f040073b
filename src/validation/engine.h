// Validates data against a suite in one fused pass. Expectations are grouped by column (and row
// condition); each group reads its column a block of rows at a time, computes the aggregates its
// expectations share once (null mask, moments, values for order statistics, distinct counts —
// each only when something reads it), and lets every expectation of the column see the block
// while it is in cache. Groups run in parallel on a thread pool. Data comes a chunk of rows at a
// time from a TableSource, so a CSV file larger than memory streams through in bounded memory
// while the next chunk is parsed; only expectations that need all of a column's values at once
// (median, quantiles, continuous KL) keep that column's non-null values (8 bytes each), and
// z-scores read the data a second time (rewinding the source) once mean and stdev are known.
//
//   SLUICE_ASSIGN_OR_RETURN(Suite suite, ReadSuite("checks.yaml"));
//   SLUICE_ASSIGN_OR_RETURN(auto source, OpenDataSource("data/new.csv"));
//   SLUICE_ASSIGN_OR_RETURN(SuiteResult result, Validate(*source, suite));
//
// Thread safety: Validate may be called concurrently with different sources.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "table/table.h"
#include "validation/result.h"
#include "validation/suite.h"

namespace sluice::validation {

// Data a chunk of rows at a time. Every chunk has the same columns (names and types).
class TableSource {
 public:
  virtual ~TableSource() = default;
  // The next chunk, or nullopt after the last.
  virtual Result<std::optional<table::Table>> Next() = 0;
  // Column names, known before the first chunk (data with a header and no rows has them too).
  virtual std::vector<std::string> ColumnNames() const = 0;
  // Starts again from the first row (for a second pass).
  virtual Status Rewind() = 0;
  // "data/new.csv", for results and messages.
  virtual std::string Describe() const = 0;
};

// A table already in memory, as one chunk (sharing its columns, no copy).
std::unique_ptr<TableSource> TableSourceOf(table::Table table, std::string description = "table");

// A CSV/TSV file read `rows_per_chunk` rows at a time (table::CsvChunkReader: types fixed by the
// first chunk).
Result<std::unique_ptr<TableSource>> CsvSource(const std::filesystem::path& path,
                                               table::CsvOptions options,
                                               size_t rows_per_chunk = 65536);

// The one place data is opened: .csv/.tsv stream (CsvSource), .jsonl/.ndjson are read whole;
// other extensions are kInvalidArgument naming the supported ones.
Result<std::unique_ptr<TableSource>> OpenDataSource(const std::filesystem::path& path,
                                                    size_t rows_per_chunk = 65536);

struct ValidateOptions {
  // Overrides every expectation's own result_format.
  std::optional<ResultFormat> result_format;
  // 0 = one per core.
  size_t threads = 0;
  // Fill SuiteResult::profiles (every column's counts and a value sample) for the HTML report.
  bool profile_columns = false;
};

// Validates everything `source` yields. The suite is checked first (CheckSuite). Errors name the
// expectation and the fix: a column the data lacks ("expectation 3
// (expect_column_values_to_be_between): no column 'agee' (did you mean 'age'?)"), a column of the
// wrong type, a row condition on a missing column; unless the expectation sets
// catch_exceptions: true, which turns the error into a failed result with exception_info. Data
// errors (a malformed CSV line) are returned as the source reports them.
Result<SuiteResult> Validate(TableSource& source, const Suite& suite,
                             const ValidateOptions& options = {});
Result<SuiteResult> Validate(const table::Table& table, const Suite& suite,
                             const ValidateOptions& options = {});

// Validates a file. CSV/TSV without quotes is read in 8 MiB pieces cut at line ends and parsed
// on every core (types from the first piece); a file with quotes, or whose later pieces do not
// parse with those types, is read again with OpenDataSource (a CsvChunkReader, whose errors name
// the exact line); and when that streamed read meets a value that does not fit the type its first
// chunk suggested, the file is read once more whole, with types inferred from every row.
Result<SuiteResult> ValidateFile(const std::filesystem::path& path, const Suite& suite,
                                 const ValidateOptions& options = {});

}  // namespace sluice::validation
