#include "table/column.h"

#include <fmt/core.h>

#include <cmath>
#include <limits>
#include <utility>

namespace sluice::table {

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kFloat64:
      return "float64";
    case Type::kInt64:
      return "int64";
    case Type::kString:
      return "string";
    case Type::kBool:
      return "bool";
    case Type::kTimestamp:
      return "timestamp";
  }
  return "unknown";
}

Result<Type> ParseTypeName(std::string_view name) {
  for (Type type : {Type::kFloat64, Type::kInt64, Type::kString, Type::kBool, Type::kTimestamp}) {
    if (name == TypeName(type)) return type;
  }
  return InvalidArgument("unknown type '{}'; valid types: float64, int64, string, bool, timestamp",
                         name);
}

Column::Column() : data_(std::make_shared<const Data>()) {}

Column Column::Build(std::string name, Type type, Data data, std::vector<uint8_t> valid) {
  SLUICE_CHECK(valid.empty() || valid.size() == data.size);
  size_t nulls = 0;
  for (uint8_t& v : valid) {
    v = v != 0 ? 1 : 0;
    nulls += 1 - v;
  }
  // A mask without nulls is dropped, so "no nulls" has one representation.
  if (nulls == 0) valid.clear();
  data.valid = std::move(valid);
  data.null_count = nulls;
  return Column(std::move(name), type, std::make_shared<const Data>(std::move(data)));
}

Column Column::Float64(std::string name, std::vector<double> values, std::vector<uint8_t> valid) {
  Data data;
  data.size = values.size();
  data.f64 = std::move(values);
  return Build(std::move(name), Type::kFloat64, std::move(data), std::move(valid));
}

Column Column::Int64(std::string name, std::vector<int64_t> values, std::vector<uint8_t> valid) {
  Data data;
  data.size = values.size();
  data.i64 = std::move(values);
  return Build(std::move(name), Type::kInt64, std::move(data), std::move(valid));
}

Column Column::String(std::string name, std::vector<std::string> values,
                      std::vector<uint8_t> valid) {
  Data data;
  data.size = values.size();
  data.str = std::move(values);
  return Build(std::move(name), Type::kString, std::move(data), std::move(valid));
}

Column Column::Bool(std::string name, std::vector<uint8_t> values, std::vector<uint8_t> valid) {
  for (uint8_t& v : values) v = v != 0 ? 1 : 0;
  Data data;
  data.size = values.size();
  data.u8 = std::move(values);
  return Build(std::move(name), Type::kBool, std::move(data), std::move(valid));
}

Column Column::Timestamp(std::string name, std::vector<int64_t> micros_since_epoch_utc,
                         std::vector<uint8_t> valid) {
  Data data;
  data.size = micros_since_epoch_utc.size();
  data.i64 = std::move(micros_since_epoch_utc);
  return Build(std::move(name), Type::kTimestamp, std::move(data), std::move(valid));
}

std::span<const double> Column::float64s() const {
  SLUICE_CHECK(type_ == Type::kFloat64);
  return data_->f64;
}

std::span<const int64_t> Column::int64s() const {
  SLUICE_CHECK(type_ == Type::kInt64 || type_ == Type::kTimestamp);
  return data_->i64;
}

std::span<const uint8_t> Column::bools() const {
  SLUICE_CHECK(type_ == Type::kBool);
  return data_->u8;
}

const std::vector<std::string>& Column::strings() const {
  SLUICE_CHECK(type_ == Type::kString);
  return data_->str;
}

double Column::AsDouble(size_t row) const {
  SLUICE_CHECK(type_ != Type::kString);
  SLUICE_CHECK(row < size());
  if (IsNull(row)) return std::numeric_limits<double>::quiet_NaN();
  switch (type_) {
    case Type::kFloat64:
      return data_->f64[row];
    case Type::kInt64:
    case Type::kTimestamp:
      return static_cast<double>(data_->i64[row]);
    case Type::kBool:
      return data_->u8[row];
    case Type::kString:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::string Column::ValueToString(size_t row) const {
  SLUICE_CHECK(row < size());
  if (IsNull(row)) return "";
  switch (type_) {
    case Type::kFloat64:
      return fmt::format("{}", data_->f64[row]);
    case Type::kInt64:
      return fmt::format("{}", data_->i64[row]);
    case Type::kString:
      return data_->str[row];
    case Type::kBool:
      return data_->u8[row] != 0 ? "true" : "false";
    case Type::kTimestamp:
      return FormatTimestamp(data_->i64[row]);
  }
  return "";
}

namespace {

template <typename T>
std::vector<T> Gather(const std::vector<T>& values, std::span<const size_t> rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (size_t row : rows) {
    SLUICE_CHECK(row < values.size());
    out.push_back(values[row]);
  }
  return out;
}

}  // namespace

Column Column::Take(std::span<const size_t> rows) const {
  Data data;
  data.size = rows.size();
  switch (type_) {
    case Type::kFloat64:
      data.f64 = Gather(data_->f64, rows);
      break;
    case Type::kInt64:
    case Type::kTimestamp:
      data.i64 = Gather(data_->i64, rows);
      break;
    case Type::kString:
      data.str = Gather(data_->str, rows);
      break;
    case Type::kBool:
      data.u8 = Gather(data_->u8, rows);
      break;
  }
  std::vector<uint8_t> valid;
  if (!data_->valid.empty()) valid = Gather(data_->valid, rows);
  return Build(name_, type_, std::move(data), std::move(valid));
}

Column Column::Renamed(std::string name) const { return Column(std::move(name), type_, data_); }

std::optional<Column::Vectors> Column::Release(Column column) {
  // The last owner may take the data: it was created non-const (Build), and no other copy can
  // appear, as copies are only made from copies.
  if (column.data_.use_count() != 1) return std::nullopt;
  Data& data = const_cast<Data&>(*column.data_);
  return Vectors{std::move(data.f64), std::move(data.i64), std::move(data.u8), std::move(data.str),
                 std::move(data.valid)};
}

bool Column::Equals(const Column& other) const {
  if (name_ != other.name_ || type_ != other.type_ || size() != other.size() ||
      data_->valid != other.data_->valid) {
    return false;
  }
  if (data_ == other.data_) return true;
  for (size_t row = 0; row < size(); ++row) {
    if (IsNull(row)) continue;
    switch (type_) {
      case Type::kFloat64: {
        const double a = data_->f64[row], b = other.data_->f64[row];
        if (!(a == b || (std::isnan(a) && std::isnan(b)))) return false;
        break;
      }
      case Type::kInt64:
      case Type::kTimestamp:
        if (data_->i64[row] != other.data_->i64[row]) return false;
        break;
      case Type::kString:
        if (data_->str[row] != other.data_->str[row]) return false;
        break;
      case Type::kBool:
        if (data_->u8[row] != other.data_->u8[row]) return false;
        break;
    }
  }
  return true;
}

}  // namespace sluice::table
