#include "table/internal/csv_convert.h"

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

}  // namespace sluice::table::internal
