#include "serving/inputs.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>

namespace sluice::serving {
namespace {

using Json = nlohmann::json;

std::string InputNames(std::span<const models::InputColumn> inputs) {
  std::vector<std::string_view> names;
  for (const models::InputColumn& input : inputs) names.push_back(input.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// One column of the request, typed by what the model was trained on.
class ColumnBuilder {
 public:
  ColumnBuilder(const models::InputColumn& input, size_t rows) : input_(input) {
    valid_.assign(rows, 0);
    if (IsText()) {
      strings_.resize(rows);
    } else if (input_.type == table::Type::kTimestamp) {
      times_.resize(rows);
    } else {
      numbers_.resize(rows);
    }
  }

  Status Set(size_t row, const Json& value) {
    if (value.is_null()) return Status::Ok();  // missing: the model handles it
    if (IsText()) {
      if (value.is_string()) {
        strings_[row] = value.get<std::string>();
      } else if (value.is_number() || value.is_boolean()) {
        strings_[row] = value.dump();
      } else {
        return Bad(row, "a string", value);
      }
    } else if (input_.type == table::Type::kTimestamp) {
      std::optional<int64_t> micros =
          value.is_string() ? table::ParseTimestamp(value.get<std::string>()) : std::nullopt;
      if (!micros) return Bad(row, "an ISO-8601 time (2026-01-02T03:04:05Z)", value);
      times_[row] = *micros;
    } else if (value.is_number()) {
      numbers_[row] = value.get<double>();
    } else if (value.is_boolean()) {
      numbers_[row] = value.get<bool>() ? 1.0 : 0.0;
    } else {
      return Bad(row, "a number", value);
    }
    valid_[row] = 1;
    return Status::Ok();
  }

  table::Column Finish() {
    if (IsText()) return table::Column::String(input_.name, std::move(strings_), std::move(valid_));
    if (input_.type == table::Type::kTimestamp) {
      return table::Column::Timestamp(input_.name, std::move(times_), std::move(valid_));
    }
    return table::Column::Float64(input_.name, std::move(numbers_), std::move(valid_));
  }

 private:
  bool IsText() const { return input_.type == table::Type::kString; }

  Status Bad(size_t row, std::string_view expected, const Json& value) const {
    std::string shown = value.dump();
    if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
    return InvalidArgument("input '{}' row {}: expected {}, got {}", input_.name, row, expected,
                           shown);
  }

  const models::InputColumn& input_;
  std::vector<double> numbers_;
  std::vector<int64_t> times_;
  std::vector<std::string> strings_;
  std::vector<uint8_t> valid_;
};

// Maps names in a request to the model's inputs: every input named exactly once, nothing else.
Result<std::vector<size_t>> MatchNames(const std::vector<std::string>& names,
                                       std::span<const models::InputColumn> inputs) {
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < inputs.size(); ++i) index.emplace(inputs[i].name, i);
  std::vector<size_t> positions;
  std::vector<bool> seen(inputs.size(), false);
  for (const std::string& name : names) {
    auto it = index.find(name);
    if (it == index.end()) {
      return InvalidArgument("'{}' is not an input of the model; it takes: {}", name,
                             InputNames(inputs));
    }
    if (seen[it->second]) return InvalidArgument("input '{}' is given twice", name);
    seen[it->second] = true;
    positions.push_back(it->second);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!seen[i]) {
      return InvalidArgument("input '{}' is missing; the model takes: {}", inputs[i].name,
                             InputNames(inputs));
    }
  }
  return positions;
}

Result<table::Table> Finish(std::vector<ColumnBuilder>& builders) {
  std::vector<table::Column> columns;
  columns.reserve(builders.size());
  for (ColumnBuilder& b : builders) columns.push_back(b.Finish());
  return table::Table::Make(std::move(columns));
}

std::vector<ColumnBuilder> Builders(std::span<const models::InputColumn> inputs, size_t rows) {
  std::vector<ColumnBuilder> builders;
  builders.reserve(inputs.size());
  for (const models::InputColumn& input : inputs) builders.emplace_back(input, rows);
  return builders;
}

// Rows given as arrays of values in `columns` order (dataframe_split, positional instances).
Result<table::Table> FromRows(const Json& rows, const std::vector<size_t>& columns,
                              std::span<const models::InputColumn> inputs) {
  if (!rows.is_array()) return InvalidArgument("rows must be a list of lists");
  std::vector<ColumnBuilder> builders = Builders(inputs, rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const Json& row = rows[r];
    if (!row.is_array() || row.size() != columns.size()) {
      return InvalidArgument("row {} must be a list of {} values{}", r, columns.size(),
                             row.is_array() ? fmt::format(", got {}", row.size()) : "");
    }
    for (size_t c = 0; c < columns.size(); ++c) {
      SLUICE_RETURN_IF_ERROR(builders[columns[c]].Set(r, row[c]));
    }
  }
  return Finish(builders);
}

// Rows given as objects of column -> value; a column absent from a record is missing there.
Result<table::Table> FromRecords(const Json& records, std::span<const models::InputColumn> inputs) {
  if (!records.is_array()) return InvalidArgument("records must be a list of objects");
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < inputs.size(); ++i) index.emplace(inputs[i].name, i);
  std::vector<ColumnBuilder> builders = Builders(inputs, records.size());
  std::vector<bool> seen(inputs.size(), false);
  for (size_t r = 0; r < records.size(); ++r) {
    const Json& record = records[r];
    if (!record.is_object()) return InvalidArgument("record {} must be an object", r);
    for (const auto& [key, value] : record.items()) {
      auto it = index.find(key);
      if (it == index.end()) {
        return InvalidArgument("'{}' is not an input of the model; it takes: {}", key,
                               InputNames(inputs));
      }
      seen[it->second] = true;
      SLUICE_RETURN_IF_ERROR(builders[it->second].Set(r, value));
    }
  }
  for (size_t i = 0; i < inputs.size() && !records.empty(); ++i) {
    if (!seen[i]) {
      return InvalidArgument("input '{}' is missing; the model takes: {}", inputs[i].name,
                             InputNames(inputs));
    }
  }
  return Finish(builders);
}

// Columns given as an object of column -> list of values (MLflow's "inputs" dict form).
Result<table::Table> FromColumns(const Json& columns, std::span<const models::InputColumn> inputs) {
  std::vector<std::string> names;
  for (const auto& [key, value] : columns.items()) names.push_back(key);
  SLUICE_ASSIGN_OR_RETURN(std::vector<size_t> positions, MatchNames(names, inputs));
  size_t rows = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const Json& values = columns[names[i]];
    size_t n = values.is_array() ? values.size() : 1;
    if (i == 0) rows = n;
    if (n != rows) {
      return InvalidArgument("input '{}' has {} values, '{}' has {}", names[i], n, names[0], rows);
    }
  }
  std::vector<ColumnBuilder> builders = Builders(inputs, rows);
  for (size_t i = 0; i < names.size(); ++i) {
    const Json& values = columns[names[i]];
    for (size_t r = 0; r < rows; ++r) {
      SLUICE_RETURN_IF_ERROR(builders[positions[i]].Set(r, values.is_array() ? values[r] : values));
    }
  }
  return Finish(builders);
}

// OIP data is row-major and may be nested; flattening accepts both forms.
void Flatten(const Json& data, std::vector<const Json*>& out) {
  if (data.is_array()) {
    for (const Json& item : data) Flatten(item, out);
  } else {
    out.push_back(&data);
  }
}

Result<std::vector<int64_t>> Shape(const Json& tensor, const std::string& name) {
  const Json* shape = tensor.contains("shape") ? &tensor["shape"] : nullptr;
  if (shape == nullptr || !shape->is_array() || shape->empty() || shape->size() > 2) {
    return InvalidArgument("input '{}': shape must be [rows] or [rows, columns]", name);
  }
  std::vector<int64_t> dims;
  for (const Json& d : *shape) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) {
      return InvalidArgument("input '{}': shape must hold non-negative integers", name);
    }
    dims.push_back(d.get<int64_t>());
  }
  return dims;
}

bool IsOipDatatype(std::string_view t) {
  for (std::string_view known : {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16",
                                 "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"}) {
    if (t == known) return true;
  }
  return false;
}

}  // namespace

Result<table::Table> DecodeOipRequest(const Json& body,
                                      std::span<const models::InputColumn> inputs) {
  if (!body.is_object() || !body.contains("inputs") || !body["inputs"].is_array() ||
      body["inputs"].empty()) {
    return InvalidArgument(
        "the request needs \"inputs\": a list of tensors, each with name, "
        "shape, datatype and data");
  }
  const Json& tensors = body["inputs"];
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<const Json*> values;
  };
  std::vector<Tensor> parsed;
  for (const Json& tensor : tensors) {
    if (!tensor.is_object() || !tensor.contains("name") || !tensor["name"].is_string()) {
      return InvalidArgument("every input tensor needs a \"name\"");
    }
    Tensor t{.name = tensor["name"].get<std::string>()};
    SLUICE_ASSIGN_OR_RETURN(t.shape, Shape(tensor, t.name));
    const std::string datatype = tensor.value("datatype", "");
    if (!IsOipDatatype(datatype)) {
      return InvalidArgument(
          "input '{}': datatype '{}' is not an Open Inference Protocol type "
          "(BOOL, INT8..INT64, UINT8..UINT64, FP16, FP32, FP64, BYTES)",
          t.name, datatype);
    }
    if (!tensor.contains("data")) return InvalidArgument("input '{}' has no \"data\"", t.name);
    Flatten(tensor["data"], t.values);
    int64_t expected = t.shape[0] * (t.shape.size() == 2 ? t.shape[1] : 1);
    if (static_cast<int64_t>(t.values.size()) != expected) {
      return InvalidArgument("input '{}': shape {} needs {} values, data has {}", t.name,
                             Json(t.shape).dump(), expected, t.values.size());
    }
    parsed.push_back(std::move(t));
  }

  // One [rows, k] tensor whose name is not a column: the model's inputs by position.
  const bool by_position = parsed.size() == 1 && parsed[0].shape.size() == 2 &&
                           parsed[0].shape[1] != 1 &&
                           std::none_of(inputs.begin(), inputs.end(),
                                        [&](const auto& in) { return in.name == parsed[0].name; });
  if (by_position || (parsed.size() == 1 && inputs.size() == 1 && parsed[0].shape.size() == 2)) {
    const Tensor& t = parsed[0];
    const size_t k = t.shape.size() == 2 ? static_cast<size_t>(t.shape[1]) : 1;
    if (k != inputs.size()) {
      return InvalidArgument("input '{}' has {} columns per row; the model takes {} ({})", t.name,
                             k, inputs.size(), InputNames(inputs));
    }
    const size_t rows = static_cast<size_t>(t.shape[0]);
    std::vector<ColumnBuilder> builders = Builders(inputs, rows);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < k; ++c) {
        SLUICE_RETURN_IF_ERROR(builders[c].Set(r, *t.values[r * k + c]));
      }
    }
    return Finish(builders);
  }

  std::vector<std::string> names;
  for (const Tensor& t : parsed) {
    if (t.shape.size() == 2 && t.shape[1] != 1) {
      return InvalidArgument(
          "input '{}' names a column, so its shape must be [rows] or "
          "[rows, 1], not {}",
          t.name, Json(t.shape).dump());
    }
    if (t.shape[0] != parsed[0].shape[0]) {
      return InvalidArgument("input '{}' has {} rows, '{}' has {}", t.name, t.shape[0],
                             parsed[0].name, parsed[0].shape[0]);
    }
    names.push_back(t.name);
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<size_t> positions, MatchNames(names, inputs));
  const size_t rows = static_cast<size_t>(parsed[0].shape[0]);
  std::vector<ColumnBuilder> builders = Builders(inputs, rows);
  for (size_t i = 0; i < parsed.size(); ++i) {
    for (size_t r = 0; r < rows; ++r) {
      SLUICE_RETURN_IF_ERROR(builders[positions[i]].Set(r, *parsed[i].values[r]));
    }
  }
  return Finish(builders);
}

Result<table::Table> DecodeRecords(const Json& records,
                                   std::span<const models::InputColumn> inputs) {
  return FromRecords(records.is_array() ? records : Json::array({records}), inputs);
}

Result<table::Table> DecodeMlflowRequest(std::string_view body, std::string_view content_type,
                                         std::span<const models::InputColumn> inputs) {
  if (content_type.starts_with("text/csv")) {
    SLUICE_ASSIGN_OR_RETURN(table::Table csv, table::ParseCsv(body));
    std::vector<std::string> names = csv.ColumnNames();
    SLUICE_RETURN_IF_ERROR(MatchNames(names, inputs).status());
    return csv;
  }
  if (!content_type.empty() && !content_type.starts_with("application/json")) {
    return InvalidArgument("content type '{}' is not supported; send application/json or text/csv",
                           content_type);
  }
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return InvalidArgument("the body is not valid JSON");
  constexpr std::string_view kFormats = "dataframe_split, dataframe_records, instances or inputs";
  if (!json.is_object()) return InvalidArgument("the body must be a JSON object with {}", kFormats);
  int formats = 0;
  for (std::string_view key : {"dataframe_split", "dataframe_records", "instances", "inputs"}) {
    formats += json.contains(key) ? 1 : 0;
  }
  if (formats != 1) {
    return InvalidArgument("the body must have exactly one of {}", kFormats);
  }
  if (json.contains("dataframe_split")) {
    const Json& split = json["dataframe_split"];
    if (!split.is_object() || !split.contains("columns") || !split.contains("data")) {
      return InvalidArgument("dataframe_split needs \"columns\" and \"data\"");
    }
    std::vector<std::string> names;
    for (const Json& name : split["columns"]) {
      if (!name.is_string()) return InvalidArgument("dataframe_split columns must be strings");
      names.push_back(name.get<std::string>());
    }
    SLUICE_ASSIGN_OR_RETURN(std::vector<size_t> positions, MatchNames(names, inputs));
    return FromRows(split["data"], positions, inputs);
  }
  if (json.contains("dataframe_records")) return FromRecords(json["dataframe_records"], inputs);
  const Json& instances = json.contains("instances") ? json["instances"] : json["inputs"];
  if (instances.is_object()) return FromColumns(instances, inputs);
  if (!instances.is_array()) return InvalidArgument("instances must be a list");
  if (!instances.empty() && instances[0].is_object()) return FromRecords(instances, inputs);
  std::vector<size_t> positions(inputs.size());
  for (size_t i = 0; i < positions.size(); ++i) positions[i] = i;
  if (!instances.empty() && !instances[0].is_array()) {
    if (inputs.size() != 1) {
      return InvalidArgument(
          "instances of single values need a one-input model; this one "
          "takes {}",
          InputNames(inputs));
    }
    Json rows = Json::array();
    for (const Json& v : instances) rows.push_back(Json::array({v}));
    return FromRows(rows, positions, inputs);
  }
  return FromRows(instances, positions, inputs);
}

}  // namespace sluice::serving
