#include "validation/suite.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <set>

#include "base/file_util.h"
#include "base/strings.h"
#include "validation/internal/text.h"
#include "validation/result.h"
#include "validation/row_condition.h"

namespace sluice::validation {
namespace {

using Json = nlohmann::json;
using T = ParamType;

// Keys Great Expectations writes that carry nothing Sluice uses; accepted and dropped.
constexpr std::string_view kIgnoredSuiteKeys[] = {
    "data_asset_type", "ge_cloud_id", "id", "notes", "suite_parameters", "evaluation_parameters"};
constexpr std::string_view kIgnoredExpectationKeys[] = {
    "id", "notes", "rendered_content", "description", "ge_cloud_id", "severity"};
constexpr std::string_view kIgnoredKwargs[] = {"include_config", "parse_strings_as_datetimes",
                                               "allow_cross_type_comparisons", "auto", "batch_id"};

bool Contains(std::span<const std::string_view> list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::string Where(std::string_view source, int line) {
  return line > 0 ? fmt::format("{} line {}", source, line) : std::string(source);
}

// "checks.yaml line 7: expectation 3 (expect_...)"
std::string Prefix(const ExpectationConfig& config, size_t index, std::string_view source) {
  return fmt::format("{}: {}", Where(source, config.line), config.Describe(index));
}

// YAML 1.2 core schema for plain scalars; quoted scalars stay strings.
Json ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const char* digits = begin + (text[0] == '+' ? 1 : 0);
  int64_t integer = 0;
  auto int_result = std::from_chars(digits, end, integer);
  if (int_result.ec == std::errc() && int_result.ptr == end) return integer;
  if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf") {
    return std::numeric_limits<double>::infinity();
  }
  if (text == "-.inf" || text == "-.Inf" || text == "-.INF") {
    return -std::numeric_limits<double>::infinity();
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  // Decimal syntax only: from_chars alone would also take "inf" and "nan".
  if (text.find_first_not_of("+-0123456789.eE") == std::string::npos) {
    double number = 0;
    auto result = std::from_chars(digits, end, number);
    if (result.ec == std::errc() && result.ptr == end) return number;
  }
  return text;
}

Json NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(NodeToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& entry : node) out[entry.first.as<std::string>()] = NodeToJson(entry.second);
      return out;
    }
  }
  return nullptr;
}

std::string TypeOf(const Json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return internal::Show(value);
  if (value.is_string()) return internal::Show(value);
  if (value.is_array()) return "a list";
  return "a map";
}

Status Expected(const ParamSpec& param, const Json& value, std::string_view what = "") {
  return InvalidArgument("{}: expected {}, got {}", param.name,
                         what.empty() ? ParamTypeName(param.type) : what, TypeOf(value));
}

bool IsWhole(const Json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  const double d = value.get<double>();
  return std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15;
}

bool IsFinite(const Json& value) { return value.is_number() && std::isfinite(value.get<double>()); }

Status CheckColumnList(const ParamSpec& param, const Json& value) {
  if (!value.is_array() || value.empty()) return Expected(param, value);
  for (const Json& item : value) {
    if (!item.is_string() || item.get<std::string>().empty()) {
      return InvalidArgument("{}: expected column names, got {}", param.name, TypeOf(item));
    }
  }
  return Status::Ok();
}

Status CheckTypeName(const ParamSpec& param, const Json& value) {
  if (!value.is_string()) return Expected(param, value);
  const std::string name = value.get<std::string>();
  if (internal::TypesForName(name)) return Status::Ok();
  static constexpr std::string_view kOurs[] = {
      "int64", "float64", "string",  "bool",   "timestamp", "int",           "float",
      "str",   "object",  "integer", "double", "boolean",   "datetime64[ns]"};
  std::string near = ClosestMatch(name, kOurs);
  return InvalidArgument("{}: unknown type '{}'{}; use int64, float64, string, bool or timestamp",
                         param.name, name,
                         near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
}

bool IsScalar(const Json& value) {
  return value.is_null() || value.is_boolean() || value.is_number() || value.is_string();
}

Status CheckQuantileRanges(const ParamSpec& param, const Json& value) {
  if (!value.is_object() || !value.contains("quantiles") || !value.contains("value_ranges")) {
    return InvalidArgument(
        "{}: expected {{quantiles: [...], value_ranges: [[low, high], ...]}}, got {}", param.name,
        internal::Show(value));
  }
  const Json& quantiles = value["quantiles"];
  const Json& ranges = value["value_ranges"];
  if (!quantiles.is_array() || quantiles.empty()) {
    return InvalidArgument("{}: quantiles must be a non-empty list of numbers in [0, 1]",
                           param.name);
  }
  for (const Json& q : quantiles) {
    if (!IsFinite(q) || q.get<double>() < 0 || q.get<double>() > 1) {
      return InvalidArgument("{}: quantile {} is not a number in [0, 1]", param.name,
                             internal::Show(q));
    }
  }
  if (!ranges.is_array() || ranges.size() != quantiles.size()) {
    return InvalidArgument("{}: value_ranges must have one [low, high] per quantile ({} of them)",
                           param.name, quantiles.size());
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    const Json& r = ranges[i];
    if (!r.is_array() || r.size() != 2 || !(r[0].is_null() || IsFinite(r[0])) ||
        !(r[1].is_null() || IsFinite(r[1]))) {
      return InvalidArgument(
          "{}: value_ranges[{}] must be [low, high] with numbers or null, got {}", param.name, i,
          internal::Show(r));
    }
    if (r[0].is_number() && r[1].is_number() && r[0].get<double>() > r[1].get<double>()) {
      return InvalidArgument("{}: value_ranges[{}] {} has low > high; swap them", param.name, i,
                             internal::Show(r));
    }
  }
  for (const auto& [key, item] : value.items()) {
    if (key != "quantiles" && key != "value_ranges") {
      return InvalidArgument("{}: unknown key '{}'; the keys are quantiles and value_ranges",
                             param.name, key);
    }
  }
  return Status::Ok();
}

Status CheckNumberList(const ParamSpec& param, const Json& list, std::string_view key) {
  if (!list.is_array() || list.empty()) {
    return InvalidArgument("{}: {} must be a non-empty list of numbers", param.name, key);
  }
  for (const Json& item : list) {
    if (!item.is_number() || std::isnan(item.get<double>())) {
      return InvalidArgument("{}: {} must hold numbers, got {}", param.name, key, TypeOf(item));
    }
  }
  return Status::Ok();
}

Status CheckPartition(const ParamSpec& param, const Json& value) {
  if (!value.is_object() || !value.contains("weights")) {
    return InvalidArgument(
        "{}: expected {{values: [...], weights: [...]}} or {{bins: [...], weights: [...]}}, got {}",
        param.name, internal::Show(value));
  }
  const Json& weights = value["weights"];
  SLUICE_RETURN_IF_ERROR(CheckNumberList(param, weights, "weights"));
  double total = 0;
  for (const Json& w : weights) {
    if (w.get<double>() < 0) return InvalidArgument("{}: weights must be >= 0", param.name);
    total += w.get<double>();
  }
  if (value.contains("values")) {
    const Json& values = value["values"];
    if (!values.is_array() || values.size() != weights.size()) {
      return InvalidArgument("{}: values and weights must have the same length", param.name);
    }
    for (const Json& v : values) {
      if (!IsScalar(v) || v.is_null()) {
        return InvalidArgument("{}: values must be numbers, strings or booleans", param.name);
      }
    }
    if (std::fabs(total - 1) > 1e-6) {
      return InvalidArgument("{}: weights sum to {}, not 1", param.name, total);
    }
    return Status::Ok();
  }
  if (!value.contains("bins")) {
    return InvalidArgument("{}: a partition needs values (categorical) or bins (continuous)",
                           param.name);
  }
  const Json& bins = value["bins"];
  SLUICE_RETURN_IF_ERROR(CheckNumberList(param, bins, "bins"));
  if (bins.size() != weights.size() + 1) {
    return InvalidArgument("{}: {} bins need {} weights, got {}", param.name, bins.size(),
                           bins.size() - 1, weights.size());
  }
  for (size_t i = 1; i < bins.size(); ++i) {
    if (!(bins[i - 1].get<double>() < bins[i].get<double>())) {
      return InvalidArgument("{}: bins must be increasing", param.name);
    }
  }
  if (value.contains("tail_weights")) {
    const Json& tails = value["tail_weights"];
    SLUICE_RETURN_IF_ERROR(CheckNumberList(param, tails, "tail_weights"));
    if (tails.size() != 2) {
      return InvalidArgument("{}: tail_weights must be [below, above]", param.name);
    }
    total += tails[0].get<double>() + tails[1].get<double>();
  }
  if (std::fabs(total - 1) > 1e-6) {
    return InvalidArgument("{}: weights (and tail_weights) sum to {}, not 1", param.name, total);
  }
  return Status::Ok();
}

// One parameter's value against its declared type.
Status CheckValue(const ParamSpec& param, const Json& value) {
  if (value.is_null() && !param.required && param.default_json == "null") return Status::Ok();
  switch (param.type) {
    case T::kColumn:
      if (!value.is_string() || value.get<std::string>().empty()) return Expected(param, value);
      return Status::Ok();
    case T::kColumnList:
      return CheckColumnList(param, value);
    case T::kBound:
      if (IsFinite(value) || value.is_string() || value.is_null()) return Status::Ok();
      return Expected(param, value);
    case T::kNumber:
      if (!IsFinite(value)) return Expected(param, value);
      return Status::Ok();
    case T::kNonNegative:
      if (!IsFinite(value) || value.get<double>() < 0) return Expected(param, value);
      return Status::Ok();
    case T::kFraction:
      if (!IsFinite(value) || value.get<double>() < 0 || value.get<double>() > 1) {
        return Expected(param, value);
      }
      return Status::Ok();
    case T::kCount:
      if (!IsWhole(value) || value.get<double>() < 0) return Expected(param, value);
      return Status::Ok();
    case T::kInteger:
      if (!IsWhole(value)) return Expected(param, value);
      return Status::Ok();
    case T::kBool:
      if (!value.is_boolean()) return Expected(param, value);
      return Status::Ok();
    case T::kString:
      if (!value.is_string()) return Expected(param, value);
      return Status::Ok();
    case T::kRegex: {
      if (!value.is_string()) return Expected(param, value);
      Result<std::regex> regex = internal::CompileRegex(value.get<std::string>());
      if (!regex.ok()) return regex.status().WithContext(param.name);
      return Status::Ok();
    }
    case T::kRegexList:
      if (!value.is_array() || value.empty()) return Expected(param, value);
      for (const Json& item : value) {
        if (!item.is_string()) return Expected(param, item, "regular expressions");
        Result<std::regex> regex = internal::CompileRegex(item.get<std::string>());
        if (!regex.ok()) return regex.status().WithContext(param.name);
      }
      return Status::Ok();
    case T::kValueSet:
      if (value.is_null()) return Status::Ok();
      if (!value.is_array()) return Expected(param, value);
      for (const Json& item : value) {
        if (!IsScalar(item) || item.is_null()) {
          return InvalidArgument("{}: values must be numbers, strings or booleans, got {}",
                                 param.name, TypeOf(item));
        }
      }
      return Status::Ok();
    case T::kChoice: {
      std::vector<std::string> choices = SplitList(param.choices, '|');
      if (!value.is_string() ||
          std::find(choices.begin(), choices.end(), value.get<std::string>()) == choices.end()) {
        return InvalidArgument("{}: expected one of {}, got {}", param.name,
                               fmt::join(choices, ", "), TypeOf(value));
      }
      return Status::Ok();
    }
    case T::kTypeName:
      return CheckTypeName(param, value);
    case T::kTypeList:
      if (!value.is_array() || value.empty()) return Expected(param, value);
      for (const Json& item : value) SLUICE_RETURN_IF_ERROR(CheckTypeName(param, item));
      return Status::Ok();
    case T::kQuantileRanges:
      return CheckQuantileRanges(param, value);
    case T::kPartition:
      return CheckPartition(param, value);
    case T::kResultFormat: {
      Result<ResultFormat> format = ParseResultFormat(value);
      if (!format.ok()) return format.status().WithContext(param.name);
      return Status::Ok();
    }
    case T::kStrftime: {
      if (!value.is_string()) return Expected(param, value);
      Result<internal::StrftimeFormat> format =
          internal::StrftimeFormat::Compile(value.get<std::string>());
      if (!format.ok()) return format.status().WithContext(param.name);
      return Status::Ok();
    }
    case T::kCondition: {
      if (!value.is_string()) return Expected(param, value);
      Result<RowCondition> condition = RowCondition::Parse(value.get<std::string>());
      if (!condition.ok()) return condition.status();
      return Status::Ok();
    }
    case T::kInterpolation: {
      if (value.is_boolean() || IsFinite(value)) return Status::Ok();
      static constexpr std::string_view kMethods[] = {"nearest", "linear", "lower", "higher",
                                                      "midpoint"};
      if (value.is_string() && Contains(kMethods, value.get<std::string>())) return Status::Ok();
      return Expected(param, value);
    }
  }
  return Status::Ok();
}

// The rules that tie parameters together.
Status CheckRules(const ExpectationSpec& spec, const ExpectationConfig& config) {
  if (FindParam(spec, "min_value") != nullptr && FindParam(spec, "max_value") != nullptr) {
    const Json low = config.Arg("min_value");
    const Json high = config.Arg("max_value");
    if (low.is_null() && high.is_null()) {
      return InvalidArgument("give min_value, max_value or both (null means no bound)");
    }
    if (!low.is_null() && !high.is_null()) {
      bool greater = false;
      if (low.is_number() && high.is_number()) {
        greater = low.get<double>() > high.get<double>();
      } else if (low.is_string() && high.is_string()) {
        auto a = internal::TimestampMicros(low);
        auto b = internal::TimestampMicros(high);
        greater = a && b ? *a > *b : low.get<std::string>() > high.get<std::string>();
      } else {
        return InvalidArgument(
            "min_value {} and max_value {} must both be numbers, or both text (date-times or "
            "strings)",
            internal::Show(low), internal::Show(high));
      }
      if (greater) {
        return InvalidArgument("min_value {} is greater than max_value {}; swap them",
                               internal::Show(low), internal::Show(high));
      }
    }
  }
  if (spec.type == "expect_column_kl_divergence_to_be_less_than") {
    const Json partition = config.Arg("partition_object");
    const bool categorical = partition.contains("values");
    if (config.Arg("tail_weight_holdout").get<double>() != 0 &&
        partition.contains("tail_weights")) {
      return InvalidArgument(
          "tail_weight_holdout must be 0 when the partition has tail_weights; remove one");
    }
    if (categorical && config.Arg("internal_weight_holdout").get<double>() > 0) {
      return InvalidArgument(
          "internal_weight_holdout applies to continuous partitions (bins) only");
    }
    if (!categorical && !config.Arg("bucketize_data").get<bool>()) {
      return InvalidArgument(
          "a continuous partition (bins) needs bucketize_data: true; give values and weights for "
          "categorical data");
    }
  }
  return Status::Ok();
}

Result<ExpectationConfig> ExpectationFromJson(const Json& item, size_t index, int line,
                                              std::string_view source) {
  ExpectationConfig config;
  config.line = line;
  auto fail = [&](std::string message) {
    return InvalidArgument("{}: expectation {}: {}", Where(source, line), index + 1, message);
  };
  if (!item.is_object()) {
    return fail(
        "expected `- expect_<name>: {<parameters>}` or {expectation_type: ..., kwargs: {...}}");
  }
  const bool long_form = item.contains("expectation_type") || item.contains("type");
  if (long_form) {
    const Json& type = item.contains("expectation_type") ? item["expectation_type"] : item["type"];
    if (!type.is_string()) return fail("expectation_type must be a name");
    config.type = type.get<std::string>();
    for (const auto& [key, value] : item.items()) {
      if (key == "expectation_type" || key == "type") continue;
      if (key == "kwargs") {
        if (!value.is_object()) return fail("kwargs must be a map of parameters");
        config.kwargs = value;
      } else if (key == "meta") {
        if (!value.is_null()) config.meta = value;
      } else if (!Contains(kIgnoredExpectationKeys, key)) {
        return fail(
            fmt::format("unknown key '{}'; the keys are expectation_type, kwargs and meta", key));
      }
    }
  } else {
    if (item.size() != 1) {
      return fail(fmt::format(
          "expected one expectation name as the key, got {} keys; write `- expect_<name>: "
          "{{<parameters>}}`",
          item.size()));
    }
    config.type = item.begin().key();
    const Json& kwargs = item.begin().value();
    if (!kwargs.is_null() && !kwargs.is_object()) {
      return fail(
          fmt::format("the parameters of {} must be a map, got {}", config.type, TypeOf(kwargs)));
    }
    if (kwargs.is_object()) config.kwargs = kwargs;
    if (config.kwargs.contains("meta")) {
      config.meta = config.kwargs["meta"];
      config.kwargs.erase("meta");
    }
  }
  return config;
}

Result<Suite> SuiteFromJson(const Json& root, const std::vector<int>& lines,
                            std::string_view source) {
  Suite suite;
  if (root.is_null()) return suite;
  if (!root.is_object()) {
    return InvalidArgument("{}: expected a map with name and expectations at the top", source);
  }
  static constexpr std::string_view kKeys[] = {"name", "expectation_suite_name", "expectations",
                                               "meta"};
  for (const auto& [key, value] : root.items()) {
    if (key == "name" || key == "expectation_suite_name") {
      if (!value.is_string()) return InvalidArgument("{}: {} must be text", source, key);
      suite.name = value.get<std::string>();
    } else if (key == "meta") {
      if (!value.is_null() && !value.is_object()) {
        return InvalidArgument("{}: meta must be a map", source);
      }
      if (value.is_object()) suite.meta = value;
    } else if (key == "expectations") {
      if (value.is_null()) continue;
      if (!value.is_array()) return InvalidArgument("{}: expectations must be a list", source);
      for (size_t i = 0; i < value.size(); ++i) {
        const int line = i < lines.size() ? lines[i] : 0;
        SLUICE_ASSIGN_OR_RETURN(ExpectationConfig config,
                                ExpectationFromJson(value[i], i, line, source));
        suite.expectations.push_back(std::move(config));
      }
    } else if (!Contains(kIgnoredSuiteKeys, key)) {
      std::string near = ClosestMatch(key, kKeys);
      return InvalidArgument("{}: unknown key '{}'{}; the keys are name, expectations and meta",
                             source, key,
                             near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
    }
  }
  SLUICE_RETURN_IF_ERROR(CheckSuite(suite, source));
  return suite;
}

// A string that a YAML reader would take for another type is quoted.
bool NeedsQuotes(const std::string& text) {
  YAML::Node plain = YAML::Load(text.empty() ? "''" : text);
  if (text.empty()) return true;
  if (!plain.IsScalar() || plain.Scalar() != text) return true;
  return !ScalarToJson(plain).is_string();
}

void EmitJson(YAML::Emitter& out, const Json& value) {
  if (value.is_null()) {
    out << YAML::Null;
  } else if (value.is_boolean()) {
    out << value.get<bool>();
  } else if (value.is_number_integer()) {
    out << value.get<int64_t>();
  } else if (value.is_number()) {
    const double d = value.get<double>();
    if (std::isnan(d)) {
      out << ".nan";
    } else if (std::isinf(d)) {
      out << (d > 0 ? ".inf" : "-.inf");
    } else {
      out << internal::PyFloat(d);
    }
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    bool quote = false;
    try {
      quote = NeedsQuotes(text);
    } catch (const YAML::Exception&) {
      quote = true;
    }
    if (quote) out << YAML::DoubleQuoted;
    out << text;
  } else if (value.is_array()) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const Json& item : value) EmitJson(out, item);
    out << YAML::EndSeq;
  } else {
    out << YAML::Flow << YAML::BeginMap;
    for (const auto& [key, item] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitJson(out, item);
    }
    out << YAML::EndMap;
  }
}

}  // namespace

Json ExpectationConfig::Arg(std::string_view name) const {
  auto it = kwargs.find(std::string(name));
  if (it != kwargs.end()) return *it;
  const ExpectationSpec* spec = FindExpectation(type);
  SLUICE_CHECK(spec != nullptr);
  const ParamSpec* param = FindParam(*spec, name);
  if (param == nullptr || param->required || param->default_json.empty()) return nullptr;
  return Json::parse(param->default_json);
}

std::string ExpectationConfig::Describe(size_t index) const {
  return fmt::format("expectation {} ({})", index + 1, type);
}

Status CheckExpectation(const ExpectationConfig& config, size_t index, std::string_view source) {
  const ExpectationSpec* spec = FindExpectation(config.type);
  if (spec == nullptr) {
    std::vector<std::string_view> names;
    for (const ExpectationSpec& s : AllExpectations()) names.push_back(s.type);
    std::string near = ClosestMatch(config.type, names);
    return InvalidArgument(
        "{}: expectation {}: unknown expectation '{}'{}; `sluice validate list` shows them all",
        Where(source, config.line), index + 1, config.type,
        near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
  }
  const std::string prefix = Prefix(config, index, source);
  if (!config.kwargs.is_object()) {
    return InvalidArgument("{}: the parameters must be a map", prefix);
  }
  std::vector<const ParamSpec*> params = ParamsOf(*spec);
  for (const auto& [key, value] : config.kwargs.items()) {
    const ParamSpec* param = FindParam(*spec, key);
    if (param == nullptr) {
      if (Contains(kIgnoredKwargs, key)) continue;
      std::vector<std::string_view> names;
      for (const ParamSpec* p : params) names.push_back(p->name);
      std::string near = ClosestMatch(key, names);
      return InvalidArgument("{}: unknown parameter '{}'{}", prefix, key,
                             near.empty() ? fmt::format("; it takes {}", fmt::join(names, ", "))
                                          : fmt::format(" (did you mean '{}'?)", near));
    }
    Status status = CheckValue(*param, value);
    if (!status.ok()) return InvalidArgument("{}: {}", prefix, status.message());
  }
  for (const ParamSpec* param : params) {
    if (param->required && !config.kwargs.contains(std::string(param->name))) {
      return InvalidArgument("{}: missing required parameter '{}' ({})", prefix, param->name,
                             param->help);
    }
  }
  Status rules = CheckRules(*spec, config);
  if (!rules.ok()) return InvalidArgument("{}: {}", prefix, rules.message());
  return Status::Ok();
}

Status CheckSuite(const Suite& suite, std::string_view source) {
  for (size_t i = 0; i < suite.expectations.size(); ++i) {
    SLUICE_RETURN_IF_ERROR(CheckExpectation(suite.expectations[i], i, source));
  }
  return Status::Ok();
}

Result<Json> YamlToJson(std::string_view text, std::string_view source) {
  try {
    return NodeToJson(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("{} line {}: {}", source, e.mark.line + 1, e.msg);
  }
}

Result<Suite> ParseSuite(std::string_view text, std::string_view source) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    Json root;
    try {
      root = Json::parse(text);
    } catch (const Json::parse_error& e) {
      return InvalidArgument("{}: not valid JSON: {}", source, e.what());
    }
    return SuiteFromJson(root, {}, source);
  }
  YAML::Node node;
  try {
    node = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("{} line {}: {}", source, e.mark.line + 1, e.msg);
  }
  std::vector<int> lines;
  if (node.IsMap() && node["expectations"] && node["expectations"].IsSequence()) {
    for (const auto& item : node["expectations"]) lines.push_back(item.Mark().line + 1);
  }
  return SuiteFromJson(NodeToJson(node), lines, source);
}

Result<Suite> ReadSuite(const std::filesystem::path& path) {
  SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseSuite(text, path.string());
}

std::string SuiteToYaml(const Suite& suite) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value;
  EmitJson(out, suite.name);
  if (!suite.meta.empty()) {
    out << YAML::Key << "meta" << YAML::Value;
    EmitJson(out, suite.meta);
  }
  out << YAML::Key << "expectations" << YAML::Value << YAML::BeginSeq;
  for (const ExpectationConfig& e : suite.expectations) {
    // Parameters in the order of their declaration (column first, min before max), then any
    // others, then meta.
    std::vector<std::string> order;
    if (const ExpectationSpec* spec = FindExpectation(e.type)) {
      for (const ParamSpec* p : ParamsOf(*spec)) {
        if (e.kwargs.contains(std::string(p->name))) order.emplace_back(p->name);
      }
    }
    for (const auto& [key, value] : e.kwargs.items()) {
      if (std::find(order.begin(), order.end(), key) == order.end()) order.push_back(key);
    }
    out << YAML::BeginMap << YAML::Key << e.type << YAML::Value;
    out << YAML::Flow << YAML::BeginMap;
    for (const std::string& key : order) {
      out << YAML::Key << key << YAML::Value;
      EmitJson(out, e.kwargs[key]);
    }
    if (!e.meta.empty()) {
      out << YAML::Key << "meta" << YAML::Value;
      EmitJson(out, e.meta);
    }
    out << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

Json SuiteToGeJson(const Suite& suite) {
  Json expectations = Json::array();
  for (const ExpectationConfig& e : suite.expectations) {
    expectations.push_back({{"expectation_type", e.type}, {"kwargs", e.kwargs}, {"meta", e.meta}});
  }
  return {{"expectation_suite_name", suite.name},
          {"expectations", expectations},
          {"meta", suite.meta},
          {"data_asset_type", nullptr},
          {"ge_cloud_id", nullptr}};
}

Status WriteSuite(const Suite& suite, const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string text =
      ext == ".json" ? SuiteToGeJson(suite).dump(2) + "\n" : SuiteToYaml(suite);
  return WriteFileAtomically(path, text);
}

}  // namespace sluice::validation
