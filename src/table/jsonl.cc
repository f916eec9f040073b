// ReadJsonl and ParseJsonl on nlohmann::json; its exceptions end here.
#include <cstdint>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/file_util.h"
#include "table/internal/csv_reader.h"
#include "table/table.h"

namespace sluice::table {
namespace {

// ordered_json keeps each object's keys in file order, which becomes the column order.
using Json = nlohmann::ordered_json;

// "[json.exception.parse_error.101] parse error at line 1, column 8: syntax error ..." ->
// "column 8: syntax error ...": the line is ours to name.
std::string ParseErrorText(const char* what) {
  std::string_view text(what);
  if (size_t bracket = text.find("] ");
      text.starts_with("[json.exception.") && bracket != std::string_view::npos) {
    text.remove_prefix(bracket + 2);
  }
  constexpr std::string_view kLinePrefix = "parse error at line 1, ";
  if (text.starts_with(kLinePrefix)) text.remove_prefix(kLinePrefix.size());
  return std::string(text);
}

bool IsInt64(const Json& value) {
  return value.is_number_integer() &&
         (!value.is_number_unsigned() ||
          value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
}

Column ToColumn(std::string name, const std::vector<Json>& cells) {
  bool any_bool = false, any_int = false, any_float = false, any_string = false, any_other = false;
  std::vector<uint8_t> valid(cells.size(), 1);
  for (size_t row = 0; row < cells.size(); ++row) {
    const Json& cell = cells[row];
    if (cell.is_null()) {
      valid[row] = 0;
    } else if (cell.is_boolean()) {
      any_bool = true;
    } else if (IsInt64(cell)) {
      any_int = true;
    } else if (cell.is_number()) {
      any_float = true;
    } else if (cell.is_string()) {
      any_string = true;
    } else {
      any_other = true;
    }
  }
  const int kinds = any_bool + (any_int || any_float) + any_string + any_other;
  if (kinds == 0) {
    return Column::Float64(
        std::move(name),
        std::vector<double>(cells.size(), std::numeric_limits<double>::quiet_NaN()),
        std::move(valid));
  }
  if (kinds == 1 && any_bool) {
    std::vector<uint8_t> values(cells.size(), 0);
    for (size_t row = 0; row < cells.size(); ++row) {
      if (valid[row]) values[row] = cells[row].get<bool>() ? 1 : 0;
    }
    return Column::Bool(std::move(name), std::move(values), std::move(valid));
  }
  if (kinds == 1 && any_int && !any_float) {
    std::vector<int64_t> values(cells.size(), 0);
    for (size_t row = 0; row < cells.size(); ++row) {
      if (valid[row]) values[row] = cells[row].get<int64_t>();
    }
    return Column::Int64(std::move(name), std::move(values), std::move(valid));
  }
  if (kinds == 1 && (any_int || any_float)) {
    std::vector<double> values(cells.size(), std::numeric_limits<double>::quiet_NaN());
    for (size_t row = 0; row < cells.size(); ++row) {
      if (valid[row]) values[row] = cells[row].get<double>();
    }
    return Column::Float64(std::move(name), std::move(values), std::move(valid));
  }
  std::vector<std::string> values(cells.size());
  for (size_t row = 0; row < cells.size(); ++row) {
    if (!valid[row]) continue;
    values[row] = cells[row].is_string()
                      ? cells[row].get<std::string>()
                      : cells[row].dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return Column::String(std::move(name), std::move(values), std::move(valid));
}

Result<Table> ParseJsonlUnguarded(std::string_view text) {
  text.remove_prefix(internal::ByteOrderMarkSize(text));
  std::vector<std::string> names;
  std::unordered_map<std::string, size_t> index;
  std::vector<std::vector<Json>> cells;  // per column, per row; short columns end in nulls
  size_t rows = 0;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;

    Json object;
    try {
      object = Json::parse(line);
    } catch (const Json::exception& e) {
      return InvalidArgument("jsonl line {}: {}", line_number, ParseErrorText(e.what()));
    }
    if (!object.is_object()) {
      return InvalidArgument("jsonl line {}: expected a JSON object, got {}", line_number,
                             object.type_name());
    }
    for (auto it = object.begin(); it != object.end(); ++it) {
      auto [slot, added] = index.emplace(it.key(), names.size());
      if (added) {
        names.push_back(it.key());
        cells.emplace_back();
      }
      std::vector<Json>& column = cells[slot->second];
      column.resize(rows);
      column.push_back(std::move(it.value()));
    }
    ++rows;
  }
  std::vector<Column> columns;
  columns.reserve(names.size());
  for (size_t c = 0; c < names.size(); ++c) {
    cells[c].resize(rows);
    columns.push_back(ToColumn(std::move(names[c]), cells[c]));
    cells[c] = {};
  }
  return Table::Make(std::move(columns));
}

}  // namespace

Result<Table> ParseJsonl(std::string_view text) {
  try {
    return ParseJsonlUnguarded(text);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("out of memory parsing {} bytes of jsonl", text.size());
  }
}

Result<Table> ReadJsonl(const std::filesystem::path& path) {
  SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseJsonl(text).WithContext(path.string());
}

}  // namespace sluice::table
