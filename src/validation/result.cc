#include "validation/result.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace sluice::validation {
namespace {

using Json = nlohmann::json;

Json Optional(const std::optional<double>& value) { return value ? Json(*value) : Json(nullptr); }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Counter(values).most_common(k) sorted by (-count, value): GE's partial_unexpected_counts. Ties
// in most_common keep first-seen order, as Python's Counter does.
Json ValueCounts(const std::vector<Json>& values, int64_t k) {
  std::vector<std::pair<Json, int64_t>> counts;
  std::map<std::string, size_t> position;
  for (const Json& v : values) {
    const std::string key = v.dump();
    auto [it, inserted] = position.emplace(key, counts.size());
    if (inserted) {
      counts.emplace_back(v, 1);
    } else {
      ++counts[it->second].second;
    }
  }
  std::stable_sort(counts.begin(), counts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (static_cast<int64_t>(counts.size()) > k) counts.resize(static_cast<size_t>(k));
  std::stable_sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  });
  Json out = Json::array();
  for (const auto& [value, count] : counts) out.push_back({{"value", value}, {"count", count}});
  return out;
}

template <typename T>
std::vector<T> Head(const std::vector<T>& items, int64_t k) {
  return std::vector<T>(items.begin(),
                        items.begin() + std::min<int64_t>(k, static_cast<int64_t>(items.size())));
}

}  // namespace

Result<ResultFormat> ParseResultFormat(const Json& value) {
  ResultFormat format;
  Json level = value;
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (key == "result_format") continue;
      if (key == "partial_unexpected_count") {
        if (!item.is_number_integer() || item.get<int64_t>() < 0) {
          return InvalidArgument("partial_unexpected_count must be a whole number >= 0, got {}",
                                 item.dump());
        }
        format.partial_unexpected_count = item.get<int64_t>();
      } else if (key == "exclude_unexpected_values") {
        if (!item.is_boolean()) {
          return InvalidArgument("exclude_unexpected_values must be true or false");
        }
        format.exclude_unexpected_values = item.get<bool>();
      } else if (key == "include_unexpected_rows" || key == "unexpected_index_column_names" ||
                 key == "return_unexpected_index_query") {
        if (item.is_null() || item == false) continue;
        return InvalidArgument("result_format.{} is not supported; remove it", key);
      } else {
        return InvalidArgument(
            "unknown result_format key '{}'; the keys are result_format, "
            "partial_unexpected_count and exclude_unexpected_values",
            key);
      }
    }
    if (!value.contains("result_format")) {
      return InvalidArgument("a result_format map needs the key 'result_format'");
    }
    level = value["result_format"];
  }
  if (!level.is_string()) {
    return InvalidArgument("result_format must be BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE, got {}",
                           level.dump());
  }
  const std::string name = Upper(level.get<std::string>());
  if (name == "BOOLEAN_ONLY") {
    format.level = ResultFormatLevel::kBooleanOnly;
  } else if (name == "BASIC") {
    format.level = ResultFormatLevel::kBasic;
  } else if (name == "SUMMARY") {
    format.level = ResultFormatLevel::kSummary;
  } else if (name == "COMPLETE") {
    format.level = ResultFormatLevel::kComplete;
  } else {
    return InvalidArgument(
        "result_format must be BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE, got '{}'",
        level.get<std::string>());
  }
  return format;
}

std::string_view ResultFormatName(ResultFormatLevel level) {
  switch (level) {
    case ResultFormatLevel::kBooleanOnly:
      return "BOOLEAN_ONLY";
    case ResultFormatLevel::kBasic:
      return "BASIC";
    case ResultFormatLevel::kSummary:
      return "SUMMARY";
    case ResultFormatLevel::kComplete:
      return "COMPLETE";
  }
  return "?";
}

std::optional<double> ExpectationResult::unexpected_percent_total() const {
  if (element_count <= 0) return std::nullopt;
  return static_cast<double>(unexpected_count) / static_cast<double>(element_count) * 100;
}

std::optional<double> ExpectationResult::unexpected_percent() const {
  if (element_count <= 0) return std::nullopt;
  if (!nonnull_count) return unexpected_percent_total();
  if (*nonnull_count <= 0) return std::nullopt;
  return static_cast<double>(unexpected_count) / static_cast<double>(*nonnull_count) * 100;
}

std::optional<double> ExpectationResult::missing_percent() const {
  if (element_count <= 0 || !nonnull_count) return std::nullopt;
  return static_cast<double>(element_count - *nonnull_count) / static_cast<double>(element_count) *
         100;
}

Json ExpectationResult::ToJson() const {
  Json result = Json::object();
  if (raised_exception) {
    // GE leaves the result empty when the expectation raised.
  } else if (format.level == ResultFormatLevel::kBooleanOnly) {
    // success only
  } else if (is_map) {
    const int64_t k = format.partial_unexpected_count;
    result["element_count"] = element_count;
    result["unexpected_count"] = unexpected_count;
    result["unexpected_percent"] = Optional(unexpected_percent());
    if (!format.exclude_unexpected_values) {
      result["partial_unexpected_list"] = Head(unexpected_values, k);
    }
    if (nonnull_count) {
      result["missing_count"] = element_count - *nonnull_count;
      result["missing_percent"] = Optional(missing_percent());
      result["unexpected_percent_total"] = Optional(unexpected_percent_total());
      result["unexpected_percent_nonmissing"] = Optional(unexpected_percent());
    }
    if (format.level >= ResultFormatLevel::kSummary) {
      if (k > 0) {
        // GE counts the values it kept, which outside COMPLETE are the first k.
        const std::vector<Json> kept = format.level == ResultFormatLevel::kComplete
                                           ? unexpected_values
                                           : Head(unexpected_values, k);
        if (!format.exclude_unexpected_values) {
          result["partial_unexpected_counts"] = ValueCounts(kept, k);
        }
        result["partial_unexpected_index_list"] = Head(unexpected_rows, k);
      }
    }
    if (format.level == ResultFormatLevel::kComplete) {
      if (!format.exclude_unexpected_values) result["unexpected_list"] = unexpected_values;
      result["unexpected_index_list"] = unexpected_rows;
      result["unexpected_index_query"] =
          fmt::format("df.filter(items={}, axis=0)", Json(unexpected_rows).dump());
    }
  } else {
    // GE's expect_column_to_exist reports success alone.
    if (config.type != "expect_column_to_exist") result["observed_value"] = observed_value;
    if (!details.is_null()) result["details"] = details;
  }
  Json exception = {{"raised_exception", raised_exception},
                    {"exception_traceback", nullptr},
                    {"exception_message", raised_exception ? Json(exception_message) : Json()}};
  return {{"success", success},
          {"expectation_config",
           {{"expectation_type", config.type}, {"kwargs", config.kwargs}, {"meta", config.meta}}},
          {"result", result},
          {"meta", Json::object()},
          {"exception_info", exception}};
}

SuiteStatistics ComputeStatistics(const std::vector<ExpectationResult>& results) {
  SuiteStatistics s;
  s.evaluated_expectations = static_cast<int64_t>(results.size());
  for (const ExpectationResult& r : results) {
    (r.success ? s.successful_expectations : s.unsuccessful_expectations) += 1;
  }
  if (s.evaluated_expectations > 0) {
    s.success_percent = static_cast<double>(s.successful_expectations) /
                        static_cast<double>(s.evaluated_expectations) * 100;
  }
  return s;
}

Json SuiteResult::ToJson() const {
  Json results_json = Json::array();
  for (const ExpectationResult& r : results) results_json.push_back(r.ToJson());
  return {{"success", success},
          {"results", results_json},
          {"statistics",
           {{"evaluated_expectations", statistics.evaluated_expectations},
            {"successful_expectations", statistics.successful_expectations},
            {"unsuccessful_expectations", statistics.unsuccessful_expectations},
            {"success_percent", Optional(statistics.success_percent)}}},
          {"evaluation_parameters", Json::object()},
          {"meta",
           {{"expectation_suite_name", suite_name},
            {"active_batch_definition", {{"datasource_name", "sluice"}, {"data_asset_name", data}}},
            {"rows", rows},
            {"validation_seconds", seconds}}}};
}

}  // namespace sluice::validation
