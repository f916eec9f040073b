// Every expectation Sluice evaluates, declared once: its name (Great Expectations'
// expectation_type), its kind, and each parameter's type, default or requiredness and help text.
// Checking a suite, the defaults an evaluator reads, `sluice validate list` and
// docs/formats/validation-suite.md all come from this one table, in the manner of XGBoost's
// parameter declarations.
//
//   const ExpectationSpec* spec = FindExpectation("expect_column_values_to_be_between");
//   for (const ParamSpec* param : ParamsOf(*spec)) ...
//
// Thread safety: constant data and pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::validation {

// Great Expectations' families of expectations, which decide the standard parameters and the shape
// of the result.
enum class ExpectationKind {
  kColumnMap,        // row by row over one column: `mostly`, unexpected counts and lists
  kColumnAggregate,  // one observed value of one column
  kColumnPair,       // row by row over two columns
  kMulticolumn,      // row by row over several columns
  kTable,            // the table as a whole: row and column counts, column names
};

enum class ParamType {
  kColumn,          // a column name
  kColumnList,      // a non-empty list of column names
  kBound,           // a number, a date-time or a string to compare with; null = no bound
  kNumber,          // a finite number
  kNonNegative,     // a finite number >= 0
  kFraction,        // a number in [0, 1]
  kCount,           // a whole number >= 0
  kInteger,         // a whole number
  kBool,            // true or false
  kString,          // any text
  kRegex,           // a regular expression (matched anywhere in the value)
  kRegexList,       // a non-empty list of regular expressions
  kValueSet,        // a list of values; null = no restriction
  kChoice,          // one of the words in ParamSpec::choices
  kTypeName,        // a type name: int64, float64, string, bool, timestamp or a pandas/numpy name
  kTypeList,        // a list of type names
  kQuantileRanges,  // {quantiles: [q...], value_ranges: [[low, high]...]}
  kPartition,       // {values, weights} or {bins, weights[, tail_weights]}
  kResultFormat,    // BOOLEAN_ONLY|BASIC|SUMMARY|COMPLETE or {result_format: ..., ...}
  kStrftime,        // a strftime format such as "%Y-%m-%d"
  kCondition,       // a row condition (docs/formats/validation-suite.md)
  kInterpolation,   // false, a relative error (quantiles are exact anyway) or a pandas method
};

struct ParamSpec {
  std::string_view name;
  ParamType type;
  // As JSON: "null", "false", "1", "\"any\"". Unused when required.
  std::string_view default_json;
  std::string_view help;
  bool required = false;
  std::string_view choices = "";  // kChoice: "any|all"
};

struct ExpectationSpec {
  std::string_view type;  // "expect_column_values_to_be_between"
  ExpectationKind kind;
  // The expectation's own parameters; ParamsOf adds the standard ones of its kind.
  std::span<const ParamSpec> params;
  std::string_view help;
};

std::span<const ExpectationSpec> AllExpectations();
// nullptr for an unknown name.
const ExpectationSpec* FindExpectation(std::string_view type);
// Every parameter `spec` takes: the column domain of its kind first (column, column_A/column_B,
// column_list), then its own, then the standard ones (mostly for row-by-row kinds, row_condition,
// condition_parser, result_format, catch_exceptions).
std::vector<const ParamSpec*> ParamsOf(const ExpectationSpec& spec);
const ParamSpec* FindParam(const ExpectationSpec& spec, std::string_view name);

std::string_view KindName(ExpectationKind kind);  // "column map", ...
std::string_view ParamTypeName(ParamType type);   // "number or null", ...
bool IsRowByRow(ExpectationKind kind);            // map, pair and multicolumn kinds

// The table as Markdown: one section per kind, one entry per expectation with its parameters.
std::string ExpectationsMarkdown();
// One line per expectation with its parameters, for `sluice validate list`.
std::string ExpectationsHelpText();

}  // namespace sluice::validation
