#include "validation/internal/text.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <map>

namespace sluice::validation::internal {
namespace {

using Json = nlohmann::json;

constexpr int64_t kMicrosPerSecond = 1'000'000;

}  // namespace

Json CellJson(const table::Column& column, size_t row) {
  switch (column.type()) {
    case table::Type::kFloat64:
      return column.float64s()[row];
    case table::Type::kInt64:
      return column.int64s()[row];
    case table::Type::kString:
      return column.strings()[row];
    case table::Type::kBool:
      return column.bools()[row] != 0;
    case table::Type::kTimestamp:
      return table::FormatTimestamp(column.int64s()[row]);
  }
  return nullptr;
}

std::string PyFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string PyStr(const table::Column& column, size_t row) {
  switch (column.type()) {
    case table::Type::kFloat64:
      return PyFloat(column.float64s()[row]);
    case table::Type::kInt64:
      return fmt::format("{}", column.int64s()[row]);
    case table::Type::kString:
      return column.strings()[row];
    case table::Type::kBool:
      return column.bools()[row] != 0 ? "True" : "False";
    case table::Type::kTimestamp: {
      // pandas: "2026-01-02 03:04:05", with ".250000" when there is a fraction.
      const int64_t micros = column.int64s()[row];
      std::string iso = table::FormatTimestamp(
          micros - (micros % kMicrosPerSecond + kMicrosPerSecond) % kMicrosPerSecond);
      std::string text = iso.substr(0, 10) + " " + iso.substr(11, 8);
      const int64_t fraction = (micros % kMicrosPerSecond + kMicrosPerSecond) % kMicrosPerSecond;
      if (fraction != 0) text += fmt::format(".{:06}", fraction);
      return text;
    }
  }
  return "";
}

size_t Utf8Length(std::string_view text) {
  size_t length = 0;
  for (char c : text) length += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return length;
}

Result<std::regex> CompileRegex(std::string_view pattern) {
  std::string out;
  auto flags = std::regex::ECMAScript;
  std::map<std::string, int> names;
  int groups = 0;
  size_t i = 0;
  if (pattern.starts_with("(?i)")) {
    flags |= std::regex::icase;
    i = 4;
  }
  bool in_class = false;
  for (; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[i + 1];
      if (!in_class && next == 'A') {
        out += '^';
      } else if (!in_class && next == 'Z') {
        out += '$';
      } else {
        out += c;
        out += next;
      }
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal, as in Python.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == '(') {
      std::string_view rest = pattern.substr(i);
      if (rest.starts_with("(?P<")) {
        const size_t end = rest.find('>');
        if (end == std::string_view::npos) {
          return InvalidArgument("regex '{}': unterminated group name", pattern);
        }
        names[std::string(rest.substr(4, end - 4))] = ++groups;
        out += '(';
        i += end;
        continue;
      }
      if (rest.starts_with("(?P=")) {
        const size_t end = rest.find(')');
        auto it = end == std::string_view::npos ? names.end()
                                                : names.find(std::string(rest.substr(4, end - 4)));
        if (it == names.end()) {
          return InvalidArgument("regex '{}': unknown group name in (?P=...)", pattern);
        }
        out += fmt::format("\\{}", it->second);
        i += end;
        continue;
      }
      if (rest.starts_with("(?<=") || rest.starts_with("(?<!")) {
        return InvalidArgument(
            "regex '{}': lookbehind ({}) is not supported; rewrite it with a group or a "
            "lookahead",
            pattern, rest.substr(0, 4));
      }
      if (rest.starts_with("(?") && !rest.starts_with("(?:") && !rest.starts_with("(?=") &&
          !rest.starts_with("(?!")) {
        return InvalidArgument(
            "regex '{}': the group '{}' is not supported; use (?:...), (?=...), (?!...), "
            "(?P<name>...) or a leading (?i)",
            pattern, rest.substr(0, 3));
      }
      if (!rest.starts_with("(?")) ++groups;
    }
    out += c;
  }
  try {
    return std::regex(out, flags);
  } catch (const std::regex_error& e) {
    return InvalidArgument("regex '{}' does not compile: {}", pattern, e.what());
  }
}

bool RegexSearch(const std::regex& regex, std::string_view text) {
  return std::regex_search(text.begin(), text.end(), regex);
}

namespace {

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<std::string_view, 7> kDays = {"monday", "tuesday",  "wednesday", "thursday",
                                                   "friday", "saturday", "sunday"};

std::string Alternatives(std::span<const std::string_view> names, bool abbreviated) {
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += '|';
    out += abbreviated ? names[i].substr(0, 3) : names[i];
  }
  return out + ")";
}

bool IsLeap(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysIn(int64_t year, int64_t month) {
  constexpr int kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDaysIn[month - 1];
}

}  // namespace

// Each directive becomes Python's own pattern from _strptime.py (one capture group, inner groups
// non-capturing), so the same texts match.
Result<StrftimeFormat> StrftimeFormat::Compile(std::string_view format) {
  StrftimeFormat out;
  std::string pattern;
  std::string expanded;
  // The locale directives, in the C locale.
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '%' && i + 1 < format.size()) {
      const char d = format[i + 1];
      if (d == 'x' || d == 'X' || d == 'c') {
        expanded += d == 'x' ? "%m/%d/%y" : d == 'X' ? "%H:%M:%S" : "%a %b %d %H:%M:%S %Y";
        ++i;
        continue;
      }
      expanded += format[i];
      expanded += d;
      ++i;
      continue;
    }
    expanded += format[i];
  }
  for (size_t i = 0; i < expanded.size(); ++i) {
    const char c = expanded[i];
    if (c == '%') {
      if (i + 1 == expanded.size()) {
        return InvalidArgument("strftime format '{}' ends in a lone '%'", format);
      }
      const char d = expanded[++i];
      std::string group;
      switch (d) {
        case 'd':
          group = "3[01]|[12]\\d|0[1-9]|[1-9]| [1-9]";
          break;
        case 'f':
          group = "[0-9]{1,6}";
          break;
        case 'H':
          group = "2[0-3]|[0-1]\\d|\\d";
          break;
        case 'I':
          group = "1[0-2]|0[1-9]|[1-9]";
          break;
        case 'j':
          group = "36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9]";
          break;
        case 'm':
          group = "1[0-2]|0[1-9]|[1-9]";
          break;
        case 'M':
          group = "[0-5]\\d|\\d";
          break;
        case 'S':
          group = "6[0-1]|[0-5]\\d|\\d";
          break;
        case 'U':
        case 'W':
          group = "5[0-3]|[0-4]\\d|\\d";
          break;
        case 'w':
          group = "[0-6]";
          break;
        case 'u':
          group = "[1-7]";
          break;
        case 'y':
          group = "\\d\\d";
          break;
        case 'Y':
        case 'G':
          group = "\\d\\d\\d\\d";
          break;
        case 'z':
          group = "[+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?|Z";
          break;
        case 'Z':
          group = "utc|gmt";
          break;
        case 'p':
          group = "am|pm";
          break;
        case 'b':
          group = Alternatives(kMonths, true);
          break;
        case 'B':
          group = Alternatives(kMonths, false);
          break;
        case 'a':
          group = Alternatives(kDays, true);
          break;
        case 'A':
          group = Alternatives(kDays, false);
          break;
        case '%':
          pattern += '%';
          continue;
        default:
          return InvalidArgument(
              "strftime format '{}': '%{}' is not a directive strptime knows; see Python's "
              "strftime() and strptime() format codes",
              format, d);
      }
      pattern += "(" + group + ")";
      out.fields_.push_back(d);
      // Month and day names hold their own group inside.
      if (d == 'b' || d == 'B' || d == 'a' || d == 'A') out.fields_.push_back(0);
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n') {
      while (i + 1 < expanded.size() &&
             (expanded[i + 1] == ' ' || expanded[i + 1] == '\t' || expanded[i + 1] == '\n')) {
        ++i;
      }
      pattern += "\\s+";
      continue;
    }
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) pattern += '\\';
    pattern += c;
  }
  out.regex_ = std::regex(pattern, std::regex::ECMAScript | std::regex::icase);
  return out;
}

bool StrftimeFormat::Matches(std::string_view text) const {
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(text.begin(), text.end(), match, regex_,
                         std::regex_constants::match_continuous)) {
    return false;
  }
  if (static_cast<size_t>(match.length(0)) != text.size()) return false;  // "unconverted data"
  int64_t year = 1900, month = 1, day = 1;
  bool julian = false;
  for (size_t i = 0; i < fields_.size(); ++i) {
    const std::string value = match[i + 1].str();
    switch (fields_[i]) {
      case 'Y':
        year = std::stoll(value);
        break;
      case 'y': {
        const int64_t yy = std::stoll(value);
        year = yy < 69 ? 2000 + yy : 1900 + yy;
        break;
      }
      case 'm':
        month = std::stoll(value);
        break;
      case 'd':
        day = std::stoll(value);
        break;
      case 'B':
      case 'b':
        for (size_t m = 0; m < kMonths.size(); ++m) {
          std::string name(fields_[i] == 'b' ? kMonths[m].substr(0, 3) : kMonths[m]);
          std::string lower = value;
          for (char& ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          if (lower == name) month = static_cast<int64_t>(m) + 1;
        }
        break;
      case 'j':
        julian = true;
        if (std::stoll(value) > (IsLeap(year) ? 366 : 365)) return false;
        break;
      default:
        break;
    }
  }
  if (julian) return true;
  return day <= DaysIn(year, month);
}

bool JsonParseable(std::string_view text) { return Json::accept(text); }

std::optional<std::vector<table::Type>> TypesForName(std::string_view name) {
  using table::Type;
  struct Entry {
    std::string_view name;
    Type type;
  };
  static constexpr Entry kNames[] = {
      {"int64", Type::kInt64},
      {"int", Type::kInt64},
      {"int_", Type::kInt64},
      {"Int64", Type::kInt64},
      {"integer", Type::kInt64},
      {"long", Type::kInt64},
      {"IntegerType", Type::kInt64},
      {"LongType", Type::kInt64},
      {"INTEGER", Type::kInt64},
      {"BIGINT", Type::kInt64},
      {"float64", Type::kFloat64},
      {"float", Type::kFloat64},
      {"float_", Type::kFloat64},
      {"Float64", Type::kFloat64},
      {"double", Type::kFloat64},
      {"DoubleType", Type::kFloat64},
      {"FloatType", Type::kFloat64},
      {"FLOAT", Type::kFloat64},
      {"DOUBLE", Type::kFloat64},
      {"string", Type::kString},
      {"str", Type::kString},
      {"str_", Type::kString},
      {"object", Type::kString},
      {"unicode", Type::kString},
      {"StringType", Type::kString},
      {"VARCHAR", Type::kString},
      {"TEXT", Type::kString},
      {"bool", Type::kBool},
      {"bool_", Type::kBool},
      {"boolean", Type::kBool},
      {"BooleanType", Type::kBool},
      {"BOOLEAN", Type::kBool},
      {"timestamp", Type::kTimestamp},
      {"datetime64", Type::kTimestamp},
      {"datetime64[ns]", Type::kTimestamp},
      {"datetime64[us]", Type::kTimestamp},
      {"datetime", Type::kTimestamp},
      {"Timestamp", Type::kTimestamp},
      {"TimestampType", Type::kTimestamp},
      {"TIMESTAMP", Type::kTimestamp},
      {"DATETIME", Type::kTimestamp},
  };
  for (const Entry& entry : kNames) {
    if (entry.name == name) return std::vector<Type>{entry.type};
  }
  return std::nullopt;
}

std::string_view PandasDtype(table::Type type) {
  switch (type) {
    case table::Type::kFloat64:
      return "float64";
    case table::Type::kInt64:
      return "int64";
    case table::Type::kString:
      return "object";
    case table::Type::kBool:
      return "bool";
    case table::Type::kTimestamp:
      return "datetime64[ns]";
  }
  return "?";
}

std::optional<int64_t> TimestampMicros(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  return table::ParseTimestamp(value.get<std::string>());
}

std::string Show(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

}  // namespace sluice::validation::internal
