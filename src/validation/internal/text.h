// Values as Great Expectations sees them through pandas and Python: a cell as JSON, a cell as
// Python's str() (what regexes, lengths and strptime see), Python-flavoured regular expressions on
// std::regex, strptime formats, and the type names be_of_type accepts.
//
// Thread safety: pure functions; a compiled Regex or StrftimeFormat may be used by one thread at a
// time (std::regex matching is const but keeps no state, so sharing is safe in practice; we do
// not rely on it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "table/column.h"

namespace sluice::validation::internal {

// A non-null cell as JSON: numbers, strings, booleans; timestamps as ISO-8601 text.
nlohmann::json CellJson(const table::Column& column, size_t row);

// Python's repr of a float: shortest round trip, ".0" on whole numbers, "nan", "inf", "-inf".
std::string PyFloat(double value);
// A non-null cell as Python's str() of the value pandas holds: floats as PyFloat, bools
// "True"/"False", timestamps "2026-01-02 03:04:05" (pandas' Timestamp), strings unchanged.
std::string PyStr(const table::Column& column, size_t row);
// Characters (Unicode code points) of UTF-8 text.
size_t Utf8Length(std::string_view text);

// Python `re` syntax on ECMAScript std::regex: (?P<name>...) and (?P=name) groups, \A, \Z and a
// leading inline (?i) flag are translated; other Python-only syntax is an error naming the pattern.
Result<std::regex> CompileRegex(std::string_view pattern);
// re.search: a match anywhere in `text`.
bool RegexSearch(const std::regex& regex, std::string_view text);

// Python's datetime.strptime: the whole value must match the format (directives %Y %m %d %H %M
// %S %f %y %b %B %a %A %p %I %j %z %Z %% and literal text; a space matches any run of spaces),
// and the date must exist (no February 30).
class StrftimeFormat {
 public:
  static Result<StrftimeFormat> Compile(std::string_view format);
  bool Matches(std::string_view text) const;

 private:
  std::regex regex_;
  std::vector<char> fields_;  // the directive behind each capture group
};

// json.loads succeeds (NaN and Infinity excepted: std JSON has neither).
bool JsonParseable(std::string_view text);

// The column types a be_of_type name stands for: our names (int64, float64, string, bool,
// timestamp) and the usual numpy/pandas/Python/Spark ones (int, float, str, object, bool_,
// datetime64[ns], IntegerType, ...). nullopt for an unknown name.
std::optional<std::vector<table::Type>> TypesForName(std::string_view name);
// The pandas dtype name of a column type, as be_of_type reports it: float64, int64, object,
// bool, datetime64[ns].
std::string_view PandasDtype(table::Type type);

// ISO-8601 text (table::ParseTimestamp) as microseconds; nullopt when it is not a timestamp.
std::optional<int64_t> TimestampMicros(const nlohmann::json& value);

// A JSON value in messages: strings quoted, lists in brackets, cut to 60 characters.
std::string Show(const nlohmann::json& value);

}  // namespace sluice::validation::internal
