#include "models/features.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

namespace sluice::models {
namespace {

using Json = nlohmann::json;

bool IsNumeric(table::Type type) { return type != table::Type::kString; }

// Categories sort numerically when every value parses as a number, so "2" < "10".
void SortCategories(std::vector<std::string>& values, table::Type type) {
  // Bytes order is already right for bools ("false" < "true") and ISO-8601 timestamps.
  if (type != table::Type::kFloat64 && type != table::Type::kInt64) {
    std::sort(values.begin(), values.end());
    return;
  }
  std::sort(values.begin(), values.end(),
            [](const std::string& a, const std::string& b) { return std::stod(a) < std::stod(b); });
}

std::vector<std::string> DistinctValues(const table::Column& column) {
  std::set<std::string> seen;
  for (size_t row = 0; row < column.size(); ++row) {
    if (!column.IsNull(row)) seen.insert(column.ValueToString(row));
  }
  std::vector<std::string> values(seen.begin(), seen.end());
  SortCategories(values, column.type());
  return values;
}

// The numeric value of a cell as a feature: timestamps in seconds, so that their scale is like
// other features'.
double NumericValue(const table::Column& column, size_t row) {
  if (column.IsNull(row)) return std::numeric_limits<double>::quiet_NaN();
  double value = column.AsDouble(row);
  if (column.type() == table::Type::kTimestamp) value /= 1e6;
  return value;
}

Result<const table::Column*> FindColumn(const table::Table& data, const std::string& name) {
  const table::Column* column = data.Find(name);
  if (column != nullptr) return column;
  std::vector<std::string> names = data.ColumnNames();
  if (names.size() > 10) {
    names.resize(10);
    names.push_back("...");
  }
  return InvalidArgument("column '{}' is missing; the data has: {}", name, fmt::join(names, ", "));
}

}  // namespace

std::string_view EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kNumeric:
      return "numeric";
    case Encoding::kOrdinal:
      return "ordinal";
    case Encoding::kOneHot:
      return "onehot";
  }
  return "?";
}

Result<Encoding> ParseEncoding(std::string_view name) {
  if (name == "numeric") return Encoding::kNumeric;
  if (name == "ordinal") return Encoding::kOrdinal;
  if (name == "onehot") return Encoding::kOneHot;
  return InvalidArgument("unknown encoding '{}'; use numeric, ordinal or onehot", name);
}

Result<FeatureEncoder> FeatureEncoder::Fit(const table::Table& data,
                                           std::span<const std::string> columns,
                                           Encoding categorical) {
  if (columns.empty()) return InvalidArgument("no feature columns: a model needs at least one");
  if (categorical == Encoding::kNumeric) {
    return InvalidArgument("string columns need an ordinal or onehot encoding, not numeric");
  }
  FeatureEncoder encoder;
  std::set<std::string_view> seen;
  for (const std::string& name : columns) {
    if (!seen.insert(name).second)
      return InvalidArgument("feature column '{}' is listed twice", name);
    SLUICE_ASSIGN_OR_RETURN(const table::Column* column, FindColumn(data, name));
    InputColumn input{.name = name, .type = column->type()};
    if (IsNumeric(column->type())) {
      encoder.feature_names_.push_back(name);
    } else {
      input.encoding = categorical;
      input.categories = DistinctValues(*column);
      if (categorical == Encoding::kOrdinal) {
        encoder.feature_names_.push_back(name);
      } else {
        if (input.categories.size() > kMaxOneHotCategories) {
          return InvalidArgument(
              "column '{}' has {} distinct values, too many to one-hot encode (at most {}); "
              "leave it out of the features or encode it as ordinal",
              name, input.categories.size(), kMaxOneHotCategories);
        }
        for (const std::string& category : input.categories) {
          encoder.feature_names_.push_back(fmt::format("{}={}", name, category));
        }
      }
    }
    encoder.inputs_.push_back(std::move(input));
  }
  return encoder;
}

template <typename T>
Result<std::vector<T>> FeatureEncoder::Encode(const table::Table& data) const {
  const size_t rows = data.num_rows();
  const size_t width = num_features();
  std::vector<T> out(rows * width, T{0});
  size_t first_feature = 0;
  for (const InputColumn& input : inputs_) {
    SLUICE_ASSIGN_OR_RETURN(const table::Column* column, FindColumn(data, input.name));
    switch (input.encoding) {
      case Encoding::kNumeric: {
        if (!IsNumeric(column->type())) {
          return InvalidArgument("column '{}' must be numeric ({} in training), got strings",
                                 input.name, table::TypeName(input.type));
        }
        for (size_t row = 0; row < rows; ++row) {
          out[row * width + first_feature] = static_cast<T>(NumericValue(*column, row));
        }
        first_feature += 1;
        break;
      }
      case Encoding::kOrdinal:
      case Encoding::kOneHot: {
        std::unordered_map<std::string, size_t> index;
        for (size_t i = 0; i < input.categories.size(); ++i) index.emplace(input.categories[i], i);
        const bool ordinal = input.encoding == Encoding::kOrdinal;
        for (size_t row = 0; row < rows; ++row) {
          auto it = column->IsNull(row) ? index.end() : index.find(column->ValueToString(row));
          if (ordinal) {
            out[row * width + first_feature] = it == index.end()
                                                   ? std::numeric_limits<T>::quiet_NaN()
                                                   : static_cast<T>(it->second);
          } else if (it != index.end()) {
            out[row * width + first_feature + it->second] = T{1};
          }
        }
        first_feature += ordinal ? 1 : input.categories.size();
        break;
      }
    }
  }
  return out;
}

Result<std::vector<float>> FeatureEncoder::EncodeFloat(const table::Table& data) const {
  return Encode<float>(data);
}

Result<std::vector<double>> FeatureEncoder::EncodeDouble(const table::Table& data) const {
  return Encode<double>(data);
}

Json FeatureEncoder::ToJson() const {
  Json inputs = Json::array();
  for (const InputColumn& input : inputs_) {
    Json one = {{"name", input.name},
                {"type", table::TypeName(input.type)},
                {"encoding", EncodingName(input.encoding)}};
    if (input.encoding != Encoding::kNumeric) one["categories"] = input.categories;
    inputs.push_back(std::move(one));
  }
  return Json{{"inputs", std::move(inputs)}, {"features", feature_names_}};
}

Result<FeatureEncoder> FeatureEncoder::FromJson(const Json& json) {
  FeatureEncoder encoder;
  try {
    for (const Json& one : json.at("inputs")) {
      InputColumn input{.name = one.at("name").get<std::string>()};
      SLUICE_ASSIGN_OR_RETURN(input.type, table::ParseTypeName(one.at("type").get<std::string>()));
      SLUICE_ASSIGN_OR_RETURN(input.encoding, ParseEncoding(one.at("encoding").get<std::string>()));
      if (input.encoding != Encoding::kNumeric) {
        input.categories = one.at("categories").get<std::vector<std::string>>();
      }
      encoder.inputs_.push_back(std::move(input));
    }
    encoder.feature_names_ = json.at("features").get<std::vector<std::string>>();
  } catch (const Json::exception& e) {
    return InvalidArgument("feature encoding: {}", e.what());
  }
  size_t expected = 0;
  for (const InputColumn& input : encoder.inputs_) {
    expected += input.encoding == Encoding::kOneHot ? input.categories.size() : 1;
  }
  if (expected != encoder.feature_names_.size()) {
    return InvalidArgument("feature encoding: {} features listed, the inputs make {}",
                           encoder.feature_names_.size(), expected);
  }
  return encoder;
}

Result<Target> Target::Fit(const table::Table& data, std::string_view column_name, Task task) {
  const table::Column* column = data.Find(column_name);
  if (column == nullptr) {
    return InvalidArgument("target column '{}' is missing", column_name);
  }
  if (column->null_count() > 0) {
    size_t first = 0;
    while (!column->IsNull(first)) ++first;
    return InvalidArgument(
        "target column '{}' is empty in {} rows (first at data row {}); drop those rows first",
        column_name, column->null_count(), first + 1);
  }
  Target target{.column = std::string(column_name), .task = task};
  if (task == Task::kRegression) {
    if (!IsNumeric(column->type())) {
      return InvalidArgument("regression target '{}' must be numeric, got {}", column_name,
                             table::TypeName(column->type()));
    }
    return target;
  }
  target.classes = DistinctValues(*column);
  if (task == Task::kBinary && target.classes.size() != 2) {
    return InvalidArgument("binary target '{}' must have exactly 2 distinct values, has {}{}",
                           column_name, target.classes.size(),
                           target.classes.size() > 2 ? "; use task multiclass" : "");
  }
  if (task == Task::kMulticlass && target.classes.size() < 3) {
    return InvalidArgument("multiclass target '{}' must have at least 3 distinct values, has {}{}",
                           column_name, target.classes.size(),
                           target.classes.size() == 2 ? "; use task binary" : "");
  }
  return target;
}

Result<std::vector<double>> Target::Labels(const table::Table& data) const {
  const table::Column* col = data.Find(column);
  if (col == nullptr) return InvalidArgument("target column '{}' is missing", column);
  std::vector<double> labels(col->size());
  if (task == Task::kRegression) {
    if (!IsNumeric(col->type())) {
      return InvalidArgument("regression target '{}' must be numeric, got {}", column,
                             table::TypeName(col->type()));
    }
    for (size_t row = 0; row < col->size(); ++row) {
      if (col->IsNull(row)) {
        return InvalidArgument("target column '{}' is empty at data row {}", column, row + 1);
      }
      labels[row] = NumericValue(*col, row);
    }
    return labels;
  }
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < classes.size(); ++i) index.emplace(classes[i], i);
  for (size_t row = 0; row < col->size(); ++row) {
    if (col->IsNull(row)) {
      return InvalidArgument("target column '{}' is empty at data row {}", column, row + 1);
    }
    std::string value = col->ValueToString(row);
    auto it = index.find(value);
    if (it == index.end()) {
      return InvalidArgument(
          "target column '{}' has class '{}' at data row {}, unseen in training "
          "(classes: {})",
          column, value, row + 1, fmt::join(classes, ", "));
    }
    labels[row] = static_cast<double>(it->second);
  }
  return labels;
}

Json Target::ToJson() const {
  Json json = {{"column", column}, {"task", TaskName(task)}};
  if (task != Task::kRegression) json["classes"] = classes;
  return json;
}

Result<Target> Target::FromJson(const Json& json) {
  Target target;
  try {
    target.column = json.at("column").get<std::string>();
    SLUICE_ASSIGN_OR_RETURN(target.task, ParseTask(json.at("task").get<std::string>()));
    if (target.task != Task::kRegression) {
      target.classes = json.at("classes").get<std::vector<std::string>>();
    }
  } catch (const Json::exception& e) {
    return InvalidArgument("target: {}", e.what());
  }
  return target;
}

}  // namespace sluice::models
