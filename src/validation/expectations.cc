#include "validation/expectations.h"

#include <fmt/format.h>

namespace sluice::validation {
namespace {

using K = ExpectationKind;
using T = ParamType;

// Constructors of the table's rows, so each reads as a sentence.
constexpr ParamSpec Required(std::string_view name, ParamType type, std::string_view help) {
  return {.name = name, .type = type, .default_json = "", .help = help, .required = true};
}
constexpr ParamSpec Optional(std::string_view name, ParamType type, std::string_view def,
                             std::string_view help) {
  return {.name = name, .type = type, .default_json = def, .help = help};
}
constexpr ParamSpec Choice(std::string_view name, std::string_view def, std::string_view choices,
                           std::string_view help) {
  return {.name = name, .type = T::kChoice, .default_json = def, .help = help, .choices = choices};
}

// The standard parameters, added by ParamsOf.
constexpr ParamSpec kColumn = Required("column", T::kColumn, "The column to check");
constexpr ParamSpec kColumnA = Required("column_A", T::kColumn, "The first column");
constexpr ParamSpec kColumnB = Required("column_B", T::kColumn, "The second column");
constexpr ParamSpec kPairIgnore = Choice("ignore_row_if", "\"both_values_are_missing\"",
                                         "both_values_are_missing|either_value_is_missing|neither",
                                         "Rows left out of the check (and of the percentages)");
constexpr ParamSpec kColumnList = Required("column_list", T::kColumnList, "The columns to check");
constexpr ParamSpec kMultiIgnore = Choice("ignore_row_if", "\"all_values_are_missing\"",
                                          "all_values_are_missing|any_value_is_missing|never",
                                          "Rows left out of the check (and of the percentages)");
constexpr ParamSpec kMostly =
    Optional("mostly", T::kFraction, "1",
             "Success when at least this fraction of the rows considered (the non-null ones; "
             "every row for the null checks) is as expected");
constexpr ParamSpec kRowCondition =
    Optional("row_condition", T::kCondition, "null",
             "Check only the rows where this holds, e.g. 'age > 18 and plan == \"pro\"'");
constexpr ParamSpec kConditionParser = Choice(
    "condition_parser", "null", "pandas|great_expectations|great_expectations__experimental__",
    "Accepted for Great Expectations suites; both syntaxes are understood either way");
constexpr ParamSpec kResultFormat =
    Optional("result_format", T::kResultFormat, "\"BASIC\"",
             "How much to report: BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE (or a map with "
             "result_format and partial_unexpected_count)");
constexpr ParamSpec kCatchExceptions =
    Optional("catch_exceptions", T::kBool, "false",
             "Report an evaluation error (a missing column, a type mismatch) as a failed result "
             "instead of stopping the run");

// Parameters shared by many expectations.
constexpr ParamSpec kMinValue = Optional("min_value", T::kBound, "null", "Lower bound; null: none");
constexpr ParamSpec kMaxValue = Optional("max_value", T::kBound, "null", "Upper bound; null: none");
constexpr ParamSpec kStrictMin =
    Optional("strict_min", T::kBool, "false", "Exclude the lower bound itself");
constexpr ParamSpec kStrictMax =
    Optional("strict_max", T::kBool, "false", "Exclude the upper bound itself");
constexpr ParamSpec kBetween[] = {kMinValue, kMaxValue, kStrictMin, kStrictMax};
constexpr ParamSpec kValueSet[] = {
    Required("value_set", T::kValueSet, "The values; null: any value")};

constexpr ParamSpec kRegex[] = {
    Required("regex", T::kRegex, "Regular expression, searched anywhere in the value")};
constexpr ParamSpec kRegexListAny[] = {
    Required("regex_list", T::kRegexList, "Regular expressions, each searched anywhere"),
    Choice("match_on", "\"any\"", "any|all",
           "any: one pattern must match; all: every pattern must match")};
constexpr ParamSpec kRegexList[] = {
    Required("regex_list", T::kRegexList, "Regular expressions, each searched anywhere")};
constexpr ParamSpec kStrftime[] = {
    Required("strftime_format", T::kStrftime, "Python strptime format, e.g. \"%Y-%m-%d %H:%M\"")};
constexpr ParamSpec kType[] = {Required(
    "type_", T::kTypeName, "int64, float64, string, bool or timestamp (or a pandas/numpy name)")};
constexpr ParamSpec kTypeList[] = {Required("type_list", T::kTypeList, "Type names")};
constexpr ParamSpec kLengthsBetween[] = {
    Optional("min_value", T::kCount, "null", "Shortest length; null: none"),
    Optional("max_value", T::kCount, "null", "Longest length; null: none"), kStrictMin, kStrictMax};
constexpr ParamSpec kLengthEquals[] = {
    Required("value", T::kCount, "The length (characters of the value as text)")};
constexpr ParamSpec kMonotonic[] = {
    Optional("strictly", T::kBool, "false", "Equal neighbors are unexpected too")};
constexpr ParamSpec kZScores[] = {
    Required("threshold", T::kNumber, "z-scores must be below this (strictly)"),
    Optional("double_sided", T::kBool, "true", "Compare |z| with |threshold|")};
constexpr ParamSpec kGreater[] = {
    Optional("or_equal", T::kBool, "false", "A >= B instead of A > B")};
constexpr ParamSpec kSumTotal[] = {Required("sum_total", T::kNumber, "The sum of every row")};
constexpr ParamSpec kQuantiles[] = {
    Required("quantile_ranges", T::kQuantileRanges,
             "{quantiles: [0.25, 0.5], value_ranges: [[1, 3], [2, null]]}; null: open"),
    Optional("allow_relative_error", T::kInterpolation, "false",
             "Quantiles are exact; an interpolation name (nearest, linear, lower, higher, "
             "midpoint) chooses pandas' method, default nearest")};
constexpr ParamSpec kMostCommon[] = {
    Required("value_set", T::kValueSet, "The values the most common one must be among"),
    Optional("ties_okay", T::kBool, "false",
             "With several most common values, one in the set "
             "is enough")};
constexpr ParamSpec kKl[] = {
    Required("partition_object", T::kPartition,
             "Expected distribution: {values, weights} (categorical) or {bins, weights, "
             "tail_weights} (continuous)"),
    Optional("threshold", T::kNonNegative, "null", "Success when KL <= this; null: always"),
    Optional("tail_weight_holdout", T::kFraction, "0",
             "Weight given to values outside the partition"),
    Optional("internal_weight_holdout", T::kFraction, "0",
             "Weight spread over the zero-weight bins (continuous)"),
    Optional("bucketize_data", T::kBool, "true", "Bin numeric data by the partition's bins")};
constexpr ParamSpec kColumnExists[] = {
    kColumn,
    Optional("column_index", T::kCount, "null", "Position the column must have (0-based)")};
constexpr ParamSpec kCountBetween[] = {
    Optional("min_value", T::kCount, "null", "Smallest count; null: none"),
    Optional("max_value", T::kCount, "null", "Largest count; null: none"), kStrictMin, kStrictMax};
constexpr ParamSpec kFractionBetween[] = {
    Optional("min_value", T::kFraction, "null", "Smallest proportion; null: none"),
    Optional("max_value", T::kFraction, "null", "Largest proportion; null: none"), kStrictMin,
    kStrictMax};
constexpr ParamSpec kCountEquals[] = {Required("value", T::kCount, "The count")};
constexpr ParamSpec kOrderedList[] = {
    Required("column_list", T::kColumnList, "Every column, in order")};
constexpr ParamSpec kColumnSet[] = {
    Required("column_set", T::kColumnList, "The columns, in any order"),
    Optional("exact_match", T::kBool, "true", "false: other columns may exist too")};

// An empty parameter list (a span over nothing).
constexpr std::span<const ParamSpec> Own() { return {}; }
template <size_t N>
constexpr std::span<const ParamSpec> Own(const ParamSpec (&params)[N]) {
  return std::span<const ParamSpec>(params, N);
}

// The one declaration of every expectation, in the order of the documentation.
const ExpectationSpec kSpecs[] = {
    // Column map: row by row.
    {"expect_column_values_to_not_be_null", K::kColumnMap, Own(),
     "Values are not null (NaN counts as null). Percentages are of all rows"},
    {"expect_column_values_to_be_null", K::kColumnMap, Own(),
     "Values are null. Percentages are of all rows"},
    {"expect_column_values_to_be_between", K::kColumnMap, Own(kBetween),
     "min_value <= value <= max_value (< with strict_*); numbers, timestamps (ISO-8601 bounds) or "
     "strings"},
    {"expect_column_values_to_be_in_set", K::kColumnMap, Own(kValueSet), "Values are in value_set"},
    {"expect_column_values_to_not_be_in_set", K::kColumnMap, Own(kValueSet),
     "Values are not in value_set"},
    {"expect_column_values_to_be_unique", K::kColumnMap, Own(),
     "No value appears twice; every occurrence of a repeated value is unexpected"},
    {"expect_column_values_to_match_regex", K::kColumnMap, Own(kRegex),
     "The regex matches somewhere in the value (as text)"},
    {"expect_column_values_to_not_match_regex", K::kColumnMap, Own(kRegex),
     "The regex matches nowhere in the value"},
    {"expect_column_values_to_match_regex_list", K::kColumnMap, Own(kRegexListAny),
     "Any (or all, match_on: all) of the regexes match"},
    {"expect_column_values_to_not_match_regex_list", K::kColumnMap, Own(kRegexList),
     "None of the regexes match"},
    {"expect_column_values_to_match_strftime_format", K::kColumnMap, Own(kStrftime),
     "Python's datetime.strptime(value, strftime_format) succeeds"},
    {"expect_column_values_to_be_json_parseable", K::kColumnMap, Own(),
     "The value is a JSON document"},
    {"expect_column_values_to_be_of_type", K::kColumnMap, Own(kType),
     "The column's type is type_ (observed_value: its pandas dtype name)"},
    {"expect_column_values_to_be_in_type_list", K::kColumnMap, Own(kTypeList),
     "The column's type is one of type_list"},
    {"expect_column_value_lengths_to_be_between", K::kColumnMap, Own(kLengthsBetween),
     "The length of the value as text is within the bounds"},
    {"expect_column_value_lengths_to_equal", K::kColumnMap, Own(kLengthEquals),
     "The length of the value as text equals value"},
    {"expect_column_values_to_be_increasing", K::kColumnMap, Own(kMonotonic),
     "Each non-null value is >= the previous non-null one (> with strictly)"},
    {"expect_column_values_to_be_decreasing", K::kColumnMap, Own(kMonotonic),
     "Each non-null value is <= the previous non-null one (< with strictly)"},
    {"expect_column_value_z_scores_to_be_less_than", K::kColumnMap, Own(kZScores),
     "(value - mean) / sample stdev is below threshold; a constant column passes"},
    // Column pairs and multicolumn.
    {"expect_column_pair_values_a_to_be_greater_than_b", K::kColumnPair, Own(kGreater),
     "column_A > column_B in each row"},
    {"expect_column_pair_values_to_be_equal", K::kColumnPair, Own(), "column_A == column_B"},
    {"expect_compound_columns_to_be_unique", K::kMulticolumn, Own(),
     "No two rows have the same values in column_list"},
    {"expect_select_column_values_to_be_unique_within_record", K::kMulticolumn, Own(),
     "No value repeats across the columns of a row"},
    {"expect_multicolumn_sum_to_equal", K::kMulticolumn, Own(kSumTotal),
     "The row's sum over column_list (nulls as 0) equals sum_total"},
    // Column aggregates.
    {"expect_column_min_to_be_between", K::kColumnAggregate, Own(kBetween),
     "The smallest non-null value is within the bounds"},
    {"expect_column_max_to_be_between", K::kColumnAggregate, Own(kBetween),
     "The largest non-null value is within the bounds"},
    {"expect_column_mean_to_be_between", K::kColumnAggregate, Own(kBetween),
     "The mean of the non-null values is within the bounds"},
    {"expect_column_median_to_be_between", K::kColumnAggregate, Own(kBetween),
     "The median (mean of the two middle values for an even count) is within the bounds"},
    {"expect_column_stdev_to_be_between", K::kColumnAggregate, Own(kBetween),
     "The sample standard deviation (n - 1) is within the bounds"},
    {"expect_column_sum_to_be_between", K::kColumnAggregate, Own(kBetween),
     "The sum of the non-null values is within the bounds"},
    {"expect_column_quantile_values_to_be_between", K::kColumnAggregate, Own(kQuantiles),
     "Each quantile (pandas' nearest method) is within its range"},
    {"expect_column_unique_value_count_to_be_between", K::kColumnAggregate, Own(kCountBetween),
     "The number of distinct non-null values is within the bounds"},
    {"expect_column_proportion_of_unique_values_to_be_between", K::kColumnAggregate,
     Own(kFractionBetween), "Distinct values / non-null values is within the bounds"},
    {"expect_column_distinct_values_to_be_in_set", K::kColumnAggregate, Own(kValueSet),
     "Every distinct value is in value_set"},
    {"expect_column_distinct_values_to_contain_set", K::kColumnAggregate, Own(kValueSet),
     "Every value of value_set occurs"},
    {"expect_column_distinct_values_to_equal_set", K::kColumnAggregate, Own(kValueSet),
     "The distinct values are exactly value_set"},
    {"expect_column_most_common_value_to_be_in_set", K::kColumnAggregate, Own(kMostCommon),
     "The most common value is in value_set (a tie fails unless ties_okay)"},
    {"expect_column_kl_divergence_to_be_less_than", K::kColumnAggregate, Own(kKl),
     "KL(observed || partition_object) <= threshold"},
    // Table.
    {"expect_column_to_exist", K::kTable, Own(kColumnExists),
     "The column exists (at column_index when given)"},
    {"expect_table_row_count_to_be_between", K::kTable, Own(kCountBetween),
     "The number of rows is within the bounds"},
    {"expect_table_row_count_to_equal", K::kTable, Own(kCountEquals),
     "The number of rows equals value"},
    {"expect_table_column_count_to_equal", K::kTable, Own(kCountEquals),
     "The number of columns equals value"},
    {"expect_table_column_count_to_be_between", K::kTable, Own(kCountBetween),
     "The number of columns is within the bounds"},
    {"expect_table_columns_to_match_ordered_list", K::kTable, Own(kOrderedList),
     "The columns are exactly column_list, in that order"},
    {"expect_table_columns_to_match_set", K::kTable, Own(kColumnSet),
     "The columns are column_set in any order (a superset with exact_match: false)"},
};

std::string DefaultText(const ParamSpec& p) {
  if (p.required) return "required";
  return fmt::format("default {}", p.default_json);
}

std::string TypeText(const ParamSpec& p) {
  if (p.type == T::kChoice) return std::string(p.choices);
  return std::string(ParamTypeName(p.type));
}

// Markdown tables cannot hold a bare '|'.
std::string MarkdownType(const ParamSpec& p) {
  std::string text = TypeText(p);
  std::string out;
  for (char c : text) out += c == '|' ? std::string(" or ") : std::string(1, c);
  return out;
}

bool IsStandard(const ParamSpec* p) {
  return p == &kMostly || p == &kRowCondition || p == &kConditionParser || p == &kResultFormat ||
         p == &kCatchExceptions;
}

}  // namespace

std::span<const ExpectationSpec> AllExpectations() { return kSpecs; }

const ExpectationSpec* FindExpectation(std::string_view type) {
  for (const ExpectationSpec& spec : kSpecs) {
    if (spec.type == type) return &spec;
  }
  return nullptr;
}

std::vector<const ParamSpec*> ParamsOf(const ExpectationSpec& spec) {
  std::vector<const ParamSpec*> params;
  switch (spec.kind) {
    case K::kColumnMap:
    case K::kColumnAggregate:
      params.push_back(&kColumn);
      break;
    case K::kColumnPair:
      params.push_back(&kColumnA);
      params.push_back(&kColumnB);
      break;
    case K::kMulticolumn:
      params.push_back(&kColumnList);
      break;
    case K::kTable:
      break;
  }
  for (const ParamSpec& own : spec.params) params.push_back(&own);
  if (spec.kind == K::kColumnPair) params.push_back(&kPairIgnore);
  if (spec.kind == K::kMulticolumn) params.push_back(&kMultiIgnore);
  if (IsRowByRow(spec.kind)) params.push_back(&kMostly);
  params.push_back(&kRowCondition);
  params.push_back(&kConditionParser);
  params.push_back(&kResultFormat);
  params.push_back(&kCatchExceptions);
  return params;
}

const ParamSpec* FindParam(const ExpectationSpec& spec, std::string_view name) {
  for (const ParamSpec* param : ParamsOf(spec)) {
    if (param->name == name) return param;
  }
  return nullptr;
}

std::string_view KindName(ExpectationKind kind) {
  switch (kind) {
    case K::kColumnMap:
      return "column map";
    case K::kColumnAggregate:
      return "column aggregate";
    case K::kColumnPair:
      return "column pair map";
    case K::kMulticolumn:
      return "multicolumn map";
    case K::kTable:
      return "table";
  }
  return "?";
}

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case T::kColumn:
      return "column name";
    case T::kColumnList:
      return "list of column names";
    case T::kBound:
      return "number, date-time or string, or null";
    case T::kNumber:
      return "number";
    case T::kNonNegative:
      return "number >= 0";
    case T::kFraction:
      return "number in [0, 1]";
    case T::kCount:
      return "whole number >= 0";
    case T::kInteger:
      return "whole number";
    case T::kBool:
      return "true or false";
    case T::kString:
      return "string";
    case T::kRegex:
      return "regular expression";
    case T::kRegexList:
      return "list of regular expressions";
    case T::kValueSet:
      return "list of values, or null";
    case T::kChoice:
      return "choice";
    case T::kTypeName:
      return "type name";
    case T::kTypeList:
      return "list of type names";
    case T::kQuantileRanges:
      return "{quantiles, value_ranges}";
    case T::kPartition:
      return "partition object";
    case T::kResultFormat:
      return "result format";
    case T::kStrftime:
      return "strftime format";
    case T::kCondition:
      return "row condition";
    case T::kInterpolation:
      return "false, a number or nearest|linear|lower|higher|midpoint";
  }
  return "?";
}

bool IsRowByRow(ExpectationKind kind) {
  return kind == K::kColumnMap || kind == K::kColumnPair || kind == K::kMulticolumn;
}

std::string ExpectationsMarkdown() {
  std::string out = "### Parameters every expectation takes\n\n";
  out += "| parameter | type | default | meaning |\n|---|---|---|---|\n";
  for (const ParamSpec* p :
       {&kMostly, &kRowCondition, &kConditionParser, &kResultFormat, &kCatchExceptions}) {
    out += fmt::format("| `{}` | {} | {} | {}{} |\n", p->name, MarkdownType(*p), DefaultText(*p),
                       p->help, p == &kMostly ? " (row-by-row kinds only)" : "");
  }
  out += "\n";
  const ExpectationKind kinds[] = {K::kColumnMap, K::kColumnPair, K::kMulticolumn,
                                   K::kColumnAggregate, K::kTable};
  for (ExpectationKind kind : kinds) {
    std::string title(KindName(kind));
    title[0] = static_cast<char>(title[0] - 'a' + 'A');
    out += fmt::format("### {} expectations\n\n", title);
    for (const ExpectationSpec& spec : kSpecs) {
      if (spec.kind != kind) continue;
      out += fmt::format("#### `{}`\n\n{}.\n\n", spec.type, spec.help);
      out += "| parameter | type | default | meaning |\n|---|---|---|---|\n";
      for (const ParamSpec* p : ParamsOf(spec)) {
        if (IsStandard(p)) continue;
        out += fmt::format("| `{}` | {} | {} | {} |\n", p->name, MarkdownType(*p), DefaultText(*p),
                           p->help);
      }
      out += "\n";
    }
  }
  return out;
}

std::string ExpectationsHelpText() {
  std::string out;
  for (const ExpectationSpec& spec : kSpecs) {
    out += fmt::format("{} ({})\n    {}\n", spec.type, KindName(spec.kind), spec.help);
    for (const ParamSpec& p : spec.params) {
      out += fmt::format("    {:<24} {} ({})\n", p.name, TypeText(p), DefaultText(p));
    }
  }
  out +=
      "Every expectation also takes row_condition, result_format and catch_exceptions; "
      "row-by-row ones take mostly.\n";
  return out;
}

}  // namespace sluice::validation
