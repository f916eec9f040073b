// ReadCsv, ParseCsv and the CSV writer. The parsing itself is in internal/csv_reader.cc.
#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <new>
#include <string>
#include <utility>

#include "base/file_util.h"
#include "table/internal/big_buffer.h"
#include "table/internal/csv_reader.h"
#include "table/table.h"

namespace sluice::table {

void CsvColumnMemory::Recycle(Table table) {
  std::vector<std::optional<Column::Vectors>> kept;
  kept.reserve(table.num_columns());
  std::vector<Column> columns = table.columns();
  table = Table();
  for (Column& column : columns) kept.push_back(Column::Release(std::move(column)));
  std::lock_guard<std::mutex> lock(mu_);
  kept_ = std::move(kept);
}

std::vector<std::optional<Column::Vectors>> CsvColumnMemory::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(kept_, {});
}

Result<Table> ParseCsv(std::string_view text, const CsvOptions& options) {
  try {
    return internal::ParseCsvWithChunkSize(text, options, /*chunk_bytes=*/0);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("out of memory parsing {} bytes of csv", text.size());
  }
}

Result<Table> ReadCsv(const std::filesystem::path& path, const CsvOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(std::string text, internal::ReadWholeFile(path));
  return ParseCsv(text, options).WithContext(path.string());
}

namespace {

constexpr size_t kFlushBytes = size_t{1} << 20;

void AppendField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
}

void AppendValue(std::string& out, const Column& column, size_t row) {
  switch (column.type()) {
    case Type::kFloat64: {
      const size_t begin = out.size();
      fmt::format_to(std::back_inserter(out), "{}", column.float64s()[row]);
      // "1" would read back as int64.
      if (out.find_first_of(".en", begin) == std::string::npos) out += ".0";
      return;
    }
    case Type::kInt64:
      fmt::format_to(std::back_inserter(out), "{}", column.int64s()[row]);
      return;
    case Type::kString:
      AppendField(out, column.strings()[row]);
      return;
    case Type::kBool:
      out += column.bools()[row] != 0 ? "true" : "false";
      return;
    case Type::kTimestamp:
      out += FormatTimestamp(column.int64s()[row]);
      return;
  }
}

// The CSV text of `table` in pieces of about kFlushBytes.
Status EmitCsv(const Table& table, const std::function<Status(std::string_view)>& sink) {
  if (table.num_columns() == 0) return Status::Ok();
  std::string out;
  for (size_t c = 0; c < table.num_columns(); ++c) {
    if (c > 0) out += ',';
    AppendField(out, table.column(c).name());
  }
  out += '\n';
  // A lone empty field would make a blank line, which readers skip.
  const bool single = table.num_columns() == 1;
  for (size_t row = 0; row < table.num_rows(); ++row) {
    for (size_t c = 0; c < table.num_columns(); ++c) {
      if (c > 0) out += ',';
      const Column& column = table.column(c);
      const size_t before = out.size();
      if (!column.IsNull(row)) AppendValue(out, column, row);
      if (single && out.size() == before) out += "\"\"";
    }
    out += '\n';
    if (out.size() >= kFlushBytes) {
      SLUICE_RETURN_IF_ERROR(sink(out));
      out.clear();
    }
  }
  return sink(out);
}

}  // namespace

Status WriteCsv(const Table& table, std::ostream& out) {
  return EmitCsv(table, [&](std::string_view bytes) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Internal("cannot write csv: the output stream failed");
    return Status::Ok();
  });
}

Status WriteCsvFile(const Table& table, const std::filesystem::path& path) {
  std::string text;
  SLUICE_RETURN_IF_ERROR(EmitCsv(table, [&](std::string_view bytes) {
    text += bytes;
    return Status::Ok();
  }));
  return WriteFileAtomically(path, text);
}

}  // namespace sluice::table
