#include "table/table.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

namespace sluice::table {

Result<Table> Table::Make(std::vector<Column> columns) {
  std::set<std::string_view> names;
  for (const Column& c : columns) {
    if (!names.insert(c.name()).second) {
      return InvalidArgument("duplicate column name '{}'", c.name());
    }
    if (c.size() != columns.front().size()) {
      return InvalidArgument("column '{}' has {} rows, but column '{}' has {}", c.name(), c.size(),
                             columns.front().name(), columns.front().size());
    }
  }
  Table table;
  table.num_rows_ = columns.empty() ? 0 : columns.front().size();
  table.columns_ = std::move(columns);
  return table;
}

const Column* Table::Find(std::string_view name) const {
  for (const Column& c : columns_) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

Result<const Column*> Table::Get(std::string_view name) const {
  if (const Column* c = Find(name)) return c;
  constexpr size_t kShown = 10;
  std::string available;
  for (size_t i = 0; i < columns_.size() && i < kShown; ++i) {
    available += (i == 0 ? "" : ", ") + columns_[i].name();
  }
  if (columns_.size() > kShown) available += fmt::format(" and {} more", columns_.size() - kShown);
  if (columns_.empty()) return NotFound("no column '{}'; the table has no columns", name);
  return NotFound("no column '{}'; available: {}", name, available);
}

std::vector<std::string> Table::ColumnNames() const {
  std::vector<std::string> names;
  names.reserve(columns_.size());
  for (const Column& c : columns_) names.push_back(c.name());
  return names;
}

Table Table::Take(std::span<const size_t> rows) const {
  Table table;
  table.num_rows_ = rows.size();
  table.columns_.reserve(columns_.size());
  for (const Column& c : columns_) table.columns_.push_back(c.Take(rows));
  return table;
}

Result<Table> Table::Select(std::span<const std::string> names) const {
  std::vector<Column> selected;
  selected.reserve(names.size());
  for (const std::string& name : names) {
    SLUICE_ASSIGN_OR_RETURN(const Column* c, Get(name));
    selected.push_back(*c);
  }
  // Make refuses a name given twice. (No names give a table of no columns and so of no rows.)
  return Make(std::move(selected));
}

Status Table::AddColumn(Column c) {
  if (Find(c.name()) != nullptr) return AlreadyExists("column '{}' already exists", c.name());
  if (!columns_.empty() && c.size() != num_rows_) {
    return InvalidArgument("column '{}' has {} rows, but the table has {}", c.name(), c.size(),
                           num_rows_);
  }
  num_rows_ = c.size();
  columns_.push_back(std::move(c));
  return Status::Ok();
}

bool Table::Equals(const Table& other) const {
  if (num_rows_ != other.num_rows_ || columns_.size() != other.columns_.size()) return false;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (!columns_[i].Equals(other.columns_[i])) return false;
  }
  return true;
}

namespace {

template <typename T>
void Append(std::vector<T>& out, std::span<const T> values) {
  out.insert(out.end(), values.begin(), values.end());
}

// Column `i` of every table, one after another.
Column ConcatColumn(std::span<const Table> tables, size_t i) {
  const Column& first = tables.front().column(i);
  size_t rows = 0;
  bool any_null = false;
  for (const Table& t : tables) {
    rows += t.num_rows();
    any_null = any_null || t.column(i).null_count() > 0;
  }
  std::vector<uint8_t> valid;
  if (any_null) {
    valid.reserve(rows);
    for (const Table& t : tables) {
      const Column& c = t.column(i);
      if (c.null_count() == 0) {
        valid.insert(valid.end(), c.size(), 1);
      } else {
        Append(valid, c.validity());
      }
    }
  }
  switch (first.type()) {
    case Type::kFloat64: {
      std::vector<double> values;
      values.reserve(rows);
      for (const Table& t : tables) Append(values, t.column(i).float64s());
      return Column::Float64(first.name(), std::move(values), std::move(valid));
    }
    case Type::kInt64:
    case Type::kTimestamp: {
      std::vector<int64_t> values;
      values.reserve(rows);
      for (const Table& t : tables) Append(values, t.column(i).int64s());
      return first.type() == Type::kInt64
                 ? Column::Int64(first.name(), std::move(values), std::move(valid))
                 : Column::Timestamp(first.name(), std::move(values), std::move(valid));
    }
    case Type::kBool: {
      std::vector<uint8_t> values;
      values.reserve(rows);
      for (const Table& t : tables) Append(values, t.column(i).bools());
      return Column::Bool(first.name(), std::move(values), std::move(valid));
    }
    case Type::kString: {
      std::vector<std::string> values;
      values.reserve(rows);
      for (const Table& t : tables) {
        const std::vector<std::string>& s = t.column(i).strings();
        values.insert(values.end(), s.begin(), s.end());
      }
      return Column::String(first.name(), std::move(values), std::move(valid));
    }
  }
  return Column();
}

}  // namespace

Result<Table> Concat(std::span<const Table> tables) {
  if (tables.empty()) return Table();
  const Table& first = tables.front();
  for (size_t t = 1; t < tables.size(); ++t) {
    const Table& other = tables[t];
    if (other.num_columns() != first.num_columns()) {
      return InvalidArgument("table {} has {} columns, but table 0 has {}", t, other.num_columns(),
                             first.num_columns());
    }
    for (size_t i = 0; i < first.num_columns(); ++i) {
      const Column& a = first.column(i);
      const Column& b = other.column(i);
      if (a.name() != b.name() || a.type() != b.type()) {
        return InvalidArgument("table {} column {} is '{}' ({}), but table 0 has '{}' ({})", t, i,
                               b.name(), TypeName(b.type()), a.name(), TypeName(a.type()));
      }
    }
  }
  std::vector<Column> columns;
  columns.reserve(first.num_columns());
  for (size_t i = 0; i < first.num_columns(); ++i) columns.push_back(ConcatColumn(tables, i));
  return Table::Make(std::move(columns));
}

Result<Table> ReadTable(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".csv") return ReadCsv(path);
  if (extension == ".tsv") {
    CsvOptions options;
    options.delimiter = '\t';
    return ReadCsv(path, options);
  }
  if (extension == ".jsonl" || extension == ".ndjson") return ReadJsonl(path);
  return InvalidArgument(
      "cannot read '{}': unsupported file extension '{}'; supported: .csv, .tsv, .jsonl, .ndjson",
      path.string(), extension);
}

}  // namespace sluice::table
