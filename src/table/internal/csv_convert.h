// The two passes over tokenized CSV records (csv_tokenizer.h). Pass 1, InferSink, finds each
// column's narrowest type and null count, or, for a column of given type, the first value that
// does not fit. Pass 2, ConvertSink, parses every value straight into ColumnBuffers sized for the
// whole result, so nothing is stored between the passes and no piece is copied afterwards.
//
// Thread safety: a sink is used by one thread; ConvertSinks on disjoint rows of the same
// ColumnBuffers may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "table/column.h"
#include "table/internal/value_parse.h"

namespace sluice::table::internal {

// A value that does not fit its column's given type.
struct BadValue {
  size_t row = 0;  // records before it, from where the sink started
  size_t column = 0;
  uint64_t line = 0;  // the record's line, as Cursor::line
  std::string value;
  Type type = Type::kString;
};

class InferSink {
 public:
  // fixed[c]: the type column c must have (an override, or fixed by an earlier chunk); both
  // arguments must outlive the sink.
  InferSink(const std::vector<std::optional<Type>>& fixed, const NullMatcher& is_null)
      : fixed_(&fixed), is_null_(&is_null), types_(fixed), nulls_(fixed.size(), 0) {}

  void BeginRecord(uint64_t line) { line_ = line; }
  void Field(size_t column, std::string_view value);
  void EndRecord() { ++rows_; }

  size_t rows() const { return rows_; }
  // Per column: the fixed type, or the narrowest type of the values seen (nullopt: all null).
  const std::vector<std::optional<Type>>& types() const { return types_; }
  const std::vector<size_t>& null_counts() const { return nulls_; }
  // The first value that did not fit a fixed type.
  const std::optional<BadValue>& bad_value() const { return bad_; }

 private:
  const std::vector<std::optional<Type>>* fixed_;
  const NullMatcher* is_null_;
  std::vector<std::optional<Type>> types_;
  std::vector<size_t> nulls_;
  std::optional<BadValue> bad_;
  size_t rows_ = 0;
  uint64_t line_ = 0;
};

// One output column: the vector of its type, and a validity mask when it has nulls.
struct ColumnBuffer {
  Type type = Type::kFloat64;
  std::vector<double> f64;
  std::vector<int64_t> i64;  // int64 and timestamp
  std::vector<uint8_t> u8;   // bool
  std::vector<std::string> str;
  std::vector<uint8_t> valid;  // empty: no nulls

  void Allocate(Type column_type, size_t rows, bool has_nulls);
  Column Finish(std::string name);  // moves the vectors out
};

// Writes each record into `columns` at rows first_row, first_row + 1, ... Every value must fit
// (pass 1 checked); a value that does not is a bug and aborts.
class ConvertSink {
 public:
  ConvertSink(std::span<ColumnBuffer> columns, const NullMatcher& is_null, size_t first_row)
      : columns_(columns), is_null_(&is_null), row_(first_row) {}

  void BeginRecord(uint64_t) {}
  void Field(size_t column, std::string_view value);
  void EndRecord() { ++row_; }

  size_t row() const { return row_; }

 private:
  std::span<ColumnBuffer> columns_;
  const NullMatcher* is_null_;
  size_t row_;
};

// Collects the fields of the records it sees (the header).
struct RecordSink {
  std::vector<std::string> fields;
  uint64_t line = 0;  // where the last record began
  void BeginRecord(uint64_t record_line) { line = record_line; }
  void Field(size_t, std::string_view value) { fields.emplace_back(value); }
  void EndRecord() {}
};

}  // namespace sluice::table::internal
