// What validating data against a suite found: one ExpectationResult per expectation and the
// suite's totals, as plain structs and as Great Expectations' result JSON (an
// ExpectationSuiteValidationResult with one ExpectationValidationResult per expectation), shaped
// by result_format exactly as GE's _format_map_output shapes it.
//
//   SLUICE_ASSIGN_OR_RETURN(SuiteResult result, Validate(table, suite));
//   if (!result.success) PrintJson(result.ToJson());
//
// Thread safety: values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "table/column.h"
#include "validation/suite.h"

namespace sluice::validation {

enum class ResultFormatLevel { kBooleanOnly, kBasic, kSummary, kComplete };

struct ResultFormat {
  ResultFormatLevel level = ResultFormatLevel::kBasic;
  // Length of partial_unexpected_list, partial_unexpected_index_list and of the value counts.
  int64_t partial_unexpected_count = 20;
  bool exclude_unexpected_values = false;
};

// "BOOLEAN_ONLY", "BASIC", "SUMMARY" or "COMPLETE" (any case), or Great Expectations' map
// {"result_format": "SUMMARY", "partial_unexpected_count": 5, "exclude_unexpected_values": false}.
// kInvalidArgument otherwise (include_unexpected_rows and unexpected_index_column_names are not
// supported and say so).
Result<ResultFormat> ParseResultFormat(const nlohmann::json& value);
std::string_view ResultFormatName(ResultFormatLevel level);

struct ExpectationResult {
  ExpectationConfig config;
  size_t index = 0;  // position in the suite
  bool success = false;
  ResultFormat format;

  // An evaluation error reported instead of stopping the run (catch_exceptions: true).
  bool raised_exception = false;
  std::string exception_message;

  // Row-by-row expectations (column map, pair, multicolumn).
  bool is_map = false;
  int64_t element_count = 0;  // rows (those the row_condition selects)
  // Rows the expectation considered (non-null, not ignored). nullopt for the null expectations,
  // whose percentages are of all rows and which report no missing_* fields (GE's semantics).
  std::optional<int64_t> nonnull_count;
  int64_t unexpected_count = 0;
  // The first unexpected values and their 0-based row indexes, in row order: at least
  // partial_unexpected_count of them (20 for BOOLEAN_ONLY), every one for COMPLETE.
  std::vector<nlohmann::json> unexpected_values;
  std::vector<int64_t> unexpected_rows;

  // Aggregate and table expectations; null when there is none.
  nlohmann::json observed_value;
  nlohmann::json details;

  // GE's percentages: unexpected / nonnull * 100 (of all rows for the null expectations), of
  // element_count, and the missing share; nullopt where GE reports None.
  std::optional<double> unexpected_percent() const;
  std::optional<double> unexpected_percent_total() const;
  std::optional<double> missing_percent() const;

  // GE's ExpectationValidationResult: {"success", "expectation_config", "result", "meta",
  // "exception_info"}, "result" holding what `format` asks for.
  nlohmann::json ToJson() const;
};

// Per column, for the report: counts, range, and values to draw a histogram of (every value, or
// an evenly spaced sample of them for large columns). Filled when ValidateOptions asks for it.
struct ColumnProfile {
  std::string name;
  table::Type type = table::Type::kFloat64;
  int64_t count = 0;                                 // rows
  int64_t null_count = 0;                            // nulls and NaN
  std::vector<double> numbers;                       // numeric, bool and timestamp columns
  std::vector<std::pair<std::string, int64_t>> top;  // string columns: most common values
  int64_t distinct = 0;                              // string columns: distinct values seen
};

struct SuiteStatistics {
  int64_t evaluated_expectations = 0;
  int64_t successful_expectations = 0;
  int64_t unsuccessful_expectations = 0;
  std::optional<double> success_percent;  // nullopt when nothing was evaluated
};

struct SuiteResult {
  std::string suite_name;
  std::string data;  // what was validated: a path or a description
  bool success = true;
  std::vector<ExpectationResult> results;
  SuiteStatistics statistics;
  int64_t rows = 0;
  std::vector<std::string> columns;
  std::vector<ColumnProfile> profiles;
  double seconds = 0;

  // GE's ExpectationSuiteValidationResult: {"success", "results", "statistics",
  // "evaluation_parameters", "meta": {"expectation_suite_name", "active_batch_definition", ...}}.
  nlohmann::json ToJson() const;
};

SuiteStatistics ComputeStatistics(const std::vector<ExpectationResult>& results);

}  // namespace sluice::validation
