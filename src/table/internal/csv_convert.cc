#include "table/internal/csv_convert.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>

#include "table/internal/big_buffer.h"

namespace sluice::table::internal {
namespace {

bool Fits(Type type, std::string_view value) {
  double d;
  int64_t i;
  uint8_t b;
  switch (type) {
    case Type::kFloat64:
      return LooksDecimal(value) || ParseFloat64(value, &d);
    case Type::kInt64:
      return ParseInt64(value, &i);
    case Type::kTimestamp:
      return ParseTimestampMicros(value, &i);
    case Type::kBool:
      return ParseBool(value, &b);
    case Type::kString:
      return true;
  }
  return false;
}

}  // namespace

void InferSink::Field(size_t column, std::string_view value) {
  if ((*is_null_)(value)) {
    ++nulls_[column];
    return;
  }
  std::optional<Type>& type = types_[column];
  if ((*fixed_)[column]) {
    if (!bad_ && !Fits(*type, value))
      bad_ = BadValue{rows_, column, line_, std::string(value), *type};
    return;
  }
  // Widening keeps every earlier value fitting (JoinTypes), so one pass suffices.
  if (!type) {
    type = ClassifyValue(value);
  } else if (!Fits(*type, value)) {
    type = JoinTypes(*type, ClassifyValue(value));
  }
}

void ColumnBuffer::Allocate(Type column_type, size_t rows, bool has_nulls) {
  type = column_type;
  switch (type) {
    case Type::kFloat64:
      ResizeFresh(f64, rows);
      break;
    case Type::kInt64:
    case Type::kTimestamp:
      ResizeFresh(i64, rows);
      break;
    case Type::kBool:
      ResizeFresh(u8, rows);
      break;
    case Type::kString:
      ResizeFresh(str, rows);
      break;
  }
  if (has_nulls) ResizeFresh(valid, rows, uint8_t{1});
}

Column ColumnBuffer::Finish(std::string name) {
  switch (type) {
    case Type::kFloat64:
      return Column::Float64(std::move(name), std::move(f64), std::move(valid));
    case Type::kInt64:
      return Column::Int64(std::move(name), std::move(i64), std::move(valid));
    case Type::kTimestamp:
      return Column::Timestamp(std::move(name), std::move(i64), std::move(valid));
    case Type::kBool:
      return Column::Bool(std::move(name), std::move(u8), std::move(valid));
    case Type::kString:
      return Column::String(std::move(name), std::move(str), std::move(valid));
  }
  return Column();
}

void ConvertSink::Field(size_t column, std::string_view value) {
  ColumnBuffer& out = columns_[column];
  if ((*is_null_)(value)) {
    SLUICE_CHECK(!out.valid.empty());  // pass 1 counted this null
    out.valid[row_] = 0;
    if (out.type == Type::kFloat64) out.f64[row_] = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  bool ok = true;
  switch (out.type) {
    case Type::kFloat64:
      ok = ParseFloat64(value, &out.f64[row_]);
      break;
    case Type::kInt64:
      ok = ParseInt64(value, &out.i64[row_]);
      break;
    case Type::kTimestamp:
      ok = ParseTimestampMicros(value, &out.i64[row_]);
      break;
    case Type::kBool:
      ok = ParseBool(value, &out.u8[row_]);
      break;
    case Type::kString:
      out.str[row_].assign(value);
      break;
  }
  SLUICE_CHECK(ok);  // pass 1 found the type that fits every value
}

size_t ColumnBuffer::size() const {
  switch (type) {
    case Type::kFloat64:
      return f64.size();
    case Type::kInt64:
    case Type::kTimestamp:
      return i64.size();
    case Type::kBool:
      return u8.size();
    case Type::kString:
      return str.size();
  }
  return 0;
}

namespace {

// Room for `rows` in `v`, advised onto huge pages: first touching fresh memory otherwise costs
// more than parsing the values written to it (big_buffer.h).
template <typename T>
void ReserveFresh(std::vector<T>& v, size_t rows) {
  if (rows <= v.capacity()) return;
  v.reserve(rows);
  AdviseHugePages(v.data() + v.size(), (v.capacity() - v.size()) * sizeof(T));
}

}  // namespace

void ColumnBuffer::Reserve(size_t rows) {
  switch (type) {
    case Type::kFloat64:
      ReserveFresh(f64, rows);
      break;
    case Type::kInt64:
    case Type::kTimestamp:
      ReserveFresh(i64, rows);
      break;
    case Type::kBool:
      ReserveFresh(u8, rows);
      break;
    case Type::kString:
      ReserveFresh(str, rows);
      break;
  }
}

void ColumnBuffer::Truncate(size_t rows) {
  if (f64.size() > rows) f64.resize(rows);
  if (i64.size() > rows) i64.resize(rows);
  if (u8.size() > rows) u8.resize(rows);
  if (str.size() > rows) str.resize(rows);
  if (valid.size() > rows) valid.resize(rows);
}

namespace {

// Appends the values of `from` to `to` and frees them.
template <typename T>
void MoveOnto(std::vector<T>& from, std::vector<T>& to) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  std::vector<T>().swap(from);
}

}  // namespace

Column JoinColumnBuffers(std::span<ColumnBuffer* const> parts, std::string name) {
  SLUICE_CHECK(!parts.empty());
  if (parts.size() == 1) return parts[0]->Finish(std::move(name));
  const Type type = parts[0]->type;
  size_t rows = 0;
  bool has_nulls = false;
  for (const ColumnBuffer* part : parts) {
    SLUICE_CHECK(part->type == type);
    rows += part->size();
    has_nulls = has_nulls || !part->valid.empty();
  }
  // Reserved, not resized: each value is written once, by the copy.
  ColumnBuffer joined;
  joined.type = type;
  joined.Reserve(rows);
  if (has_nulls) ReserveFresh(joined.valid, rows);
  for (ColumnBuffer* part : parts) {
    if (has_nulls) {
      if (part->valid.empty()) {
        joined.valid.insert(joined.valid.end(), part->size(), uint8_t{1});
      } else {
        MoveOnto(part->valid, joined.valid);
      }
    }
    MoveOnto(part->f64, joined.f64);
    MoveOnto(part->i64, joined.i64);
    MoveOnto(part->u8, joined.u8);
    MoveOnto(part->str, joined.str);
  }
  return joined.Finish(std::move(name));
}

TypedSink::TypedSink(const std::vector<Type>& types, const NullMatcher& is_null)
    : columns_(types.size()), is_null_(&is_null) {
  for (size_t c = 0; c < types.size(); ++c) columns_[c].type = types[c];
}

void TypedSink::Reserve(size_t rows) {
  for (ColumnBuffer& column : columns_) column.Reserve(rows);
}

void TypedSink::DropPartialRecord() {
  for (ColumnBuffer& column : columns_) column.Truncate(rows_);
  if (bad_ && bad_->row >= rows_) bad_.reset();
}

PlacedSink::PlacedSink(std::span<ColumnBuffer> columns, const NullMatcher& is_null,
                       size_t first_row, size_t room)
    : columns_(columns),
      is_null_(&is_null),
      null_rows_(columns.size()),
      first_row_(first_row),
      room_(room) {
  const bool numbers_only = !is_null.MayMatchNumbers() &&
                            std::all_of(columns.begin(), columns.end(), [](const ColumnBuffer& b) {
                              return b.type == Type::kInt64 || b.type == Type::kFloat64;
                            });
  if (!numbers_only) return;
  for (ColumnBuffer& b : columns) {
    number_columns_.push_back({b.type == Type::kFloat64, b.f64.data(), b.i64.data()});
  }
  if (!NumberBatchesAvailable()) return;
  std::vector<void*> outputs;
  std::vector<bool> float64;
  for (const NumberColumn& column : number_columns_) {
    outputs.push_back(column.float64 ? static_cast<void*>(column.f64)
                                     : static_cast<void*>(column.i64));
    float64.push_back(column.float64);
  }
  batch_layout_ = NumberBatchLayout(std::move(outputs), float64);
  scalar_records_ = 0;
}

size_t EstimateRows(std::string_view sample, uint64_t bytes) {
  constexpr size_t kSampleBytes = 8192;
  sample = sample.substr(0, kSampleBytes);
  const auto breaks = static_cast<size_t>(std::count(sample.begin(), sample.end(), '\n'));
  if (breaks == 0) return 16;
  const double per_byte = static_cast<double>(breaks) / static_cast<double>(sample.size());
  return static_cast<size_t>(per_byte * static_cast<double>(bytes) * 1.05) + 16;
}

}  // namespace sluice::table::internal
