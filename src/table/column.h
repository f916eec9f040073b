// A Column is one named, typed, immutable vector of values with optional nulls; Table (table.h)
// is a set of equally long columns. Values live in plain vectors (doubles, int64s, bytes,
// strings), so training code reads them as spans without copying.
//
// Thread safety: a Column is immutable once built; its data is shared (reference counted) between
// copies, so copying, renaming and selecting are O(1), and any number of threads may read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sluice::table {

enum class Type { kFloat64, kInt64, kString, kBool, kTimestamp };

// "float64", "int64", "string", "bool", "timestamp".
std::string_view TypeName(Type type);
// The inverse of TypeName (exact, lowercase); kInvalidArgument naming the valid names otherwise.
Result<Type> ParseTypeName(std::string_view name);

class Column {
 public:
  // Factories. `valid` empty means no nulls; otherwise it has one byte per row, nonzero = present
  // (a size mismatch is a bug and aborts). The value stored at a null row is kept as given; the
  // readers store NaN (float64), 0 (int64, bool, timestamp) or "" (string) there.
  static Column Float64(std::string name, std::vector<double> values,
                        std::vector<uint8_t> valid = {});
  static Column Int64(std::string name, std::vector<int64_t> values,
                      std::vector<uint8_t> valid = {});
  static Column String(std::string name, std::vector<std::string> values,
                       std::vector<uint8_t> valid = {});
  // `values` nonzero = true; stored as 0/1.
  static Column Bool(std::string name, std::vector<uint8_t> values,
                     std::vector<uint8_t> valid = {});
  static Column Timestamp(std::string name, std::vector<int64_t> micros_since_epoch_utc,
                          std::vector<uint8_t> valid = {});

  // An empty float64 column named "".
  Column();

  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  size_t size() const { return data_->size; }

  bool IsNull(size_t row) const { return !data_->valid.empty() && data_->valid[row] == 0; }
  size_t null_count() const { return data_->null_count; }
  // One byte per row, 1 = present; empty when the column has no nulls.
  std::span<const uint8_t> validity() const { return data_->valid; }

  // Typed views; asking for the wrong type is a bug and aborts.
  std::span<const double> float64s() const;  // kFloat64
  std::span<const int64_t> int64s() const;   // kInt64 and kTimestamp (micros since epoch, UTC)
  std::span<const uint8_t> bools() const;    // kBool, 0 or 1
  const std::vector<std::string>& strings() const;  // kString

  // The value as a double: numbers, bool as 0/1, timestamps as micros; NaN when null. Aborts for
  // string columns.
  double AsDouble(size_t row) const;
  // The value as text: "" for null; doubles in shortest round-trip form ("0.1", "1e+20", "nan");
  // bools "true"/"false"; timestamps ISO-8601 UTC, "2026-01-02T03:04:05Z", with a fraction of a
  // second only when nonzero ("2026-01-02T03:04:05.25Z").
  std::string ValueToString(size_t row) const;

  // The rows at the given indexes, in that order (repeats allowed); an index out of range aborts.
  Column Take(std::span<const size_t> rows) const;
  // The same data under another name; O(1).
  Column Renamed(std::string name) const;

  // Same name, type, nulls and values (values at null rows are ignored; NaN equals NaN).
  bool Equals(const Column& other) const;

  // A column's vectors, values and all, for a reader to overwrite (CsvColumnMemory): the vector of
  // its type holds its values, the others are empty.
  struct Vectors {
    std::vector<double> f64;
    std::vector<int64_t> i64;
    std::vector<uint8_t> u8;
    std::vector<std::string> str;
    std::vector<uint8_t> valid;
  };
  // The vectors of `column` when no other copy shares them; nullopt (the column is simply
  // dropped) when one does.
  static std::optional<Vectors> Release(Column column);

 private:
  struct Data {
    std::vector<double> f64;
    std::vector<int64_t> i64;  // int64 and timestamp
    std::vector<uint8_t> u8;   // bool
    std::vector<std::string> str;
    std::vector<uint8_t> valid;  // empty, or one 0/1 byte per row with at least one 0
    size_t null_count = 0;
    size_t size = 0;
  };

  Column(std::string name, Type type, std::shared_ptr<const Data> data)
      : name_(std::move(name)), type_(type), data_(std::move(data)) {}
  static Column Build(std::string name, Type type, Data data, std::vector<uint8_t> valid);

  std::string name_;
  Type type_ = Type::kFloat64;
  std::shared_ptr<const Data> data_;  // never null
};

// Timestamps as text, shared by the readers and writers: ISO-8601 in UTC as described at
// Column::ValueToString.
std::string FormatTimestamp(int64_t micros_since_epoch_utc);
// Accepts "2026-01-02", "2026-01-02T03:04:05", a space instead of 'T', "03:04" without seconds,
// a fraction of a second (digits past microseconds are dropped), and "Z" or an offset
// "+hh:mm" / "-hhmm"; no offset means UTC. Surrounding spaces are ignored. nullopt when `text`
// is not such a timestamp or names an impossible date or time.
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace sluice::table
