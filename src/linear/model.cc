#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "linear/linear.h"

namespace sluice::linear {
namespace {

constexpr std::string_view kFormat = "sluice-linear";
constexpr int kVersion = 1;

// Reads an array of finite numbers; `what` names it in errors.
Result<std::vector<double>> ReadNumbers(const nlohmann::json& value, std::string_view what) {
  if (!value.is_array()) return InvalidArgument("{} must be an array of numbers", what);
  std::vector<double> out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const nlohmann::json& v = value[i];
    if (!v.is_number()) return InvalidArgument("{}[{}] must be a number", what, i);
    const double number = v.get<double>();
    if (!std::isfinite(number)) return InvalidArgument("{}[{}] must be finite", what, i);
    out.push_back(number);
  }
  return out;
}

Result<Model> ParseModel(const nlohmann::json& doc) {
  if (!doc.is_object()) return InvalidArgument("expected a JSON object");
  auto field = [&](std::string_view key) -> Result<const nlohmann::json*> {
    auto it = doc.find(key);
    if (it == doc.end()) return InvalidArgument("missing \"{}\"", key);
    return &*it;
  };
  SLUICE_ASSIGN_OR_RETURN(const nlohmann::json* format, field("format"));
  if (!format->is_string() || format->get<std::string>() != kFormat) {
    return InvalidArgument("\"format\" must be \"{}\"", kFormat);
  }
  SLUICE_ASSIGN_OR_RETURN(const nlohmann::json* version, field("version"));
  if (!version->is_number_integer()) return InvalidArgument("\"version\" must be an integer");
  if (version->get<int64_t>() != kVersion) {
    return Unimplemented("version {} is not supported (this build reads version {})",
                         version->dump(), kVersion);
  }

  Model model;
  SLUICE_ASSIGN_OR_RETURN(const nlohmann::json* objective, field("objective"));
  if (!objective->is_string()) return InvalidArgument("\"objective\" must be a string");
  SLUICE_ASSIGN_OR_RETURN(model.objective, ParseObjective(objective->get<std::string>()));

  SLUICE_ASSIGN_OR_RETURN(const nlohmann::json* outputs, field("num_outputs"));
  if (!outputs->is_number_integer()) return InvalidArgument("\"num_outputs\" must be an integer");
  const int64_t k = outputs->get<int64_t>();
  const bool k_fits = model.objective == Objective::kSoftmax ? (k >= 3 && k <= 1'000'000) : k == 1;
  if (!k_fits) {
    return InvalidArgument(
        "\"num_outputs\" = {} does not fit objective \"{}\" (1, or >= 3 for "
        "softmax)",
        k, ObjectiveName(model.objective));
  }
  model.num_outputs = static_cast<int>(k);

  SLUICE_ASSIGN_OR_RETURN(const nlohmann::json* names, field("feature_names"));
  if (!names->is_array()) return InvalidArgument("\"feature_names\" must be an array of strings");
  for (const nlohmann::json& name : *names) {
    if (!name.is_string()) return InvalidArgument("\"feature_names\" must be an array of strings");
    model.feature_names.push_back(name.get<std::string>());
  }
  const size_t d = model.feature_names.size();

  SLUICE_ASSIGN_OR_RETURN(const nlohmann::json* weights, field("weights"));
  if (!weights->is_array() || weights->size() != static_cast<size_t>(k)) {
    return InvalidArgument("\"weights\" must be an array of num_outputs ({}) arrays", k);
  }
  for (size_t c = 0; c < weights->size(); ++c) {
    SLUICE_ASSIGN_OR_RETURN(std::vector<double> row,
                            ReadNumbers((*weights)[c], fmt::format("\"weights\"[{}]", c)));
    if (row.size() != d) {
      return InvalidArgument("\"weights\"[{}] has {} numbers, expected one per feature ({})", c,
                             row.size(), d);
    }
    model.weights.insert(model.weights.end(), row.begin(), row.end());
  }
  SLUICE_ASSIGN_OR_RETURN(const nlohmann::json* intercepts, field("intercepts"));
  SLUICE_ASSIGN_OR_RETURN(model.intercepts, ReadNumbers(*intercepts, "\"intercepts\""));
  if (model.intercepts.size() != static_cast<size_t>(k)) {
    return InvalidArgument("\"intercepts\" has {} numbers, expected num_outputs ({})",
                           model.intercepts.size(), k);
  }
  SLUICE_ASSIGN_OR_RETURN(const nlohmann::json* impute, field("impute_values"));
  SLUICE_ASSIGN_OR_RETURN(model.impute_values, ReadNumbers(*impute, "\"impute_values\""));
  if (model.impute_values.size() != d) {
    return InvalidArgument("\"impute_values\" has {} numbers, expected one per feature ({})",
                           model.impute_values.size(), d);
  }
  return model;
}

}  // namespace

std::string_view ObjectiveName(Objective objective) {
  switch (objective) {
    case Objective::kSquaredError:
      return "squared_error";
    case Objective::kLogistic:
      return "logistic";
    case Objective::kSoftmax:
      return "softmax";
  }
  return "unknown";
}

Result<Objective> ParseObjective(std::string_view name) {
  for (Objective o : {Objective::kSquaredError, Objective::kLogistic, Objective::kSoftmax}) {
    if (name == ObjectiveName(o)) return o;
  }
  return InvalidArgument("unknown objective '{}' (expected squared_error, logistic or softmax)",
                         name);
}

void Model::PredictMarginRow(std::span<const double> row, std::span<double> out) const {
  const size_t d = num_features();
  const size_t k = static_cast<size_t>(num_outputs);
  SLUICE_CHECK(row.size() == d && out.size() == k);
  SLUICE_CHECK(weights.size() == k * d && intercepts.size() == k && impute_values.size() == d);
  for (size_t c = 0; c < k; ++c) {
    double m = intercepts[c];
    const double* w = weights.data() + c * d;
    for (size_t j = 0; j < d; ++j) m += w[j] * (std::isnan(row[j]) ? impute_values[j] : row[j]);
    out[c] = m;
  }
}

void Model::PredictRow(std::span<const double> row, std::span<double> out) const {
  PredictMarginRow(row, out);
  switch (objective) {
    case Objective::kSquaredError:
      break;
    case Objective::kLogistic: {
      const double m = out[0];
      out[0] = m >= 0 ? 1.0 / (1.0 + std::exp(-m)) : std::exp(m) / (1.0 + std::exp(m));
      break;
    }
    case Objective::kSoftmax: {
      const double top = *std::max_element(out.begin(), out.end());
      double sum = 0;
      for (double& v : out) {
        v = std::exp(v - top);
        sum += v;
      }
      for (double& v : out) v /= sum;
      break;
    }
  }
}

std::vector<double> Model::Predict(std::span<const double> rows_major, size_t rows) const {
  const size_t d = num_features();
  const size_t k = static_cast<size_t>(num_outputs);
  SLUICE_CHECK(rows_major.size() == rows * d);
  std::vector<double> out(rows * k);
  for (size_t i = 0; i < rows; ++i) {
    PredictRow(rows_major.subspan(i * d, d), std::span<double>(out).subspan(i * k, k));
  }
  return out;
}

std::string Model::ToJson() const {
  // ordered_json keeps the documented key order; nlohmann prints doubles shortest round-trip.
  const size_t d = num_features();
  SLUICE_CHECK(weights.size() == static_cast<size_t>(num_outputs) * d);
  nlohmann::ordered_json doc;
  doc["format"] = kFormat;
  doc["version"] = kVersion;
  doc["objective"] = ObjectiveName(objective);
  doc["num_outputs"] = num_outputs;
  doc["feature_names"] = feature_names;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (size_t c = 0; c < static_cast<size_t>(num_outputs); ++c) {
    rows.push_back(std::vector<double>(weights.begin() + static_cast<std::ptrdiff_t>(c * d),
                                       weights.begin() + static_cast<std::ptrdiff_t>((c + 1) * d)));
  }
  doc["weights"] = std::move(rows);
  doc["intercepts"] = intercepts;
  doc["impute_values"] = impute_values;
  // Invalid UTF-8 in a feature name becomes U+FFFD rather than an exception.
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<Model> Model::FromJson(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("linear model: not valid JSON");
  try {
    return ParseModel(doc).WithContext("linear model");
  } catch (const nlohmann::json::exception& e) {  // a number out of range for get<>
    return InvalidArgument("linear model: {}", e.what());
  }
}

}  // namespace sluice::linear
