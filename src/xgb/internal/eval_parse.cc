#include "xgb/internal/eval_parse.h"

#include <charconv>
#include <system_error>

namespace sluice::xgb::internal {
namespace {

std::vector<std::string_view> SplitTabs(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t begin = 0;
  while (true) {
    size_t tab = text.find('\t', begin);
    fields.push_back(text.substr(begin, tab - begin));
    if (tab == std::string_view::npos) return fields;
    begin = tab + 1;
  }
}

bool IsRoundField(std::string_view field) {
  if (field.size() < 3 || field.front() != '[' || field.back() != ']') return false;
  for (char c : field.substr(1, field.size() - 2)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// std::from_chars: locale-independent, and takes "nan", "inf" and a leading '-'.
bool ParseValue(std::string_view text, double* value) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<std::vector<EvalValue>> ParseEvalText(std::string_view text,
                                             std::span<const std::string> datasets) {
  auto malformed = [&](std::string_view why) {
    return Internal("unexpected evaluation text from XGBoost '{}': {}", text, why);
  };
  std::vector<std::string_view> fields = SplitTabs(text);
  if (!IsRoundField(fields[0])) return malformed("it does not start with '[<round>]'");

  std::vector<EvalValue> values;
  for (size_t i = 1; i < fields.size(); ++i) {
    std::string_view field = fields[i];
    const std::string* dataset = nullptr;
    for (const std::string& name : datasets) {
      if (field.size() > name.size() && field.starts_with(name) && field[name.size()] == '-' &&
          (dataset == nullptr || name.size() > dataset->size())) {
        dataset = &name;
      }
    }
    if (dataset == nullptr) {
      return malformed(fmt::format("'{}' does not start with an evaluated set's name", field));
    }
    std::string_view rest = field.substr(dataset->size() + 1);
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return malformed(fmt::format("'{}' is not <set>-<metric>:<value>", field));
    }
    EvalValue value{.dataset = *dataset, .metric = std::string(rest.substr(0, colon))};
    if (!ParseValue(rest.substr(colon + 1), &value.value)) {
      return malformed(fmt::format("'{}' has no numeric value", field));
    }
    values.push_back(std::move(value));
  }
  return values;
}

}  // namespace sluice::xgb::internal
