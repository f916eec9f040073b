// The sinks for tokenized CSV records (csv_tokenizer.h). While types are still to be inferred,
// two passes: pass 1, InferSink, finds each column's narrowest type and null count, or, for a
// column of given type, the first value that does not fit; pass 2, ConvertSink, parses every value
// straight into ColumnBuffers sized for the whole result, so nothing is stored between the passes.
// Once every column's type is known (given, or fixed by an earlier chunk), one pass: TypedSink
// parses each value straight into its typed column, and stops at the first that does not fit;
// PlacedSink does the same at rows reserved in the final columns, so that chunks parsed in
// parallel need no joining.
//
// Thread safety: a sink is used by one thread; ConvertSinks on disjoint rows of the same
// ColumnBuffers may run concurrently.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "table/column.h"
#include "table/internal/csv_number_batch.h"
#include "table/internal/csv_number_field.h"
#include "table/internal/csv_tokenizer.h"
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

  // Values appended one at a time (TypedSink): the rows are those of the type's vector, and
  // `valid` is created at the first null.
  size_t size() const;
  void Reserve(size_t rows);
  void Truncate(size_t rows);
};

// The parts of one column, in order, as one Column (a single part is moved, not copied). The
// parts are emptied, so memory peaks at one column's parts plus its result.
Column JoinColumnBuffers(std::span<ColumnBuffer* const> parts, std::string name);

// Parses every value of records whose column types are all known into ColumnBuffers grown as it
// goes, so a chunk of records is tokenized once. At the first value that does not fit its type it
// finishes that record (whose error, if it is broken, comes first) and stops (ShouldStop).
class TypedSink {
 public:
  // `is_null` must outlive the sink.
  TypedSink(const std::vector<Type>& types, const NullMatcher& is_null);

  // Room for about `rows` rows in every column.
  void Reserve(size_t rows);

  void BeginRecord(uint64_t line) { line_ = line; }
  void Field(size_t column, std::string_view value);
  void EndRecord() { ++rows_; }
  bool ShouldStop() const { return bad_.has_value(); }

  // Forgets the values of a record Tokenize left incomplete (kNeedMore), so that tokenizing can
  // resume at its start.
  void DropPartialRecord();

  size_t rows() const { return rows_; }
  // The first value that did not fit its column's type.
  const std::optional<BadValue>& bad_value() const { return bad_; }
  // One per column, rows() long when bad_value() is nullopt.
  std::vector<ColumnBuffer>& columns() { return columns_; }

 private:
  std::vector<ColumnBuffer> columns_;
  const NullMatcher* is_null_;
  std::optional<BadValue> bad_;
  size_t rows_ = 0;
  uint64_t line_ = 0;
};

// Like TypedSink, but writes each record of a stretch at rows first_row, first_row + 1, ... of
// `columns`, sized by the caller for at most `room` records, so that the stretches of a text
// fill the final columns concurrently and nothing is joined afterwards. Nulls are listed by row
// (ChunkNulls) rather than marked, as stretches cannot share the growing of a mask. A record past
// `room` is not written: overflowed() says so, and the caller parses another way.
class PlacedSink {
 public:
  // `columns` and `is_null` must outlive the sink.
  PlacedSink(std::span<ColumnBuffer> columns, const NullMatcher& is_null, size_t first_row,
             size_t room);

  void BeginRecord(uint64_t line) { line_ = line; }
  void Field(size_t column, std::string_view value);
  void EndRecord() { ++rows_; }
  // The fused path (csv_tokenizer.h), when every column is int64 or float64: records whose
  // fields are all plain numbers (csv_number_field.h), each found and converted in one look. It
  // stops at a record of any other kind, whose row Field then writes again, whole.
  FastRun FastRecords(std::string_view text, size_t pos, size_t stop, size_t max_records,
                      char delimiter);
  bool ShouldStop() const { return bad_.has_value() || overflowed_; }

  size_t rows() const { return rows_; }
  const std::optional<BadValue>& bad_value() const { return bad_; }
  bool overflowed() const { return overflowed_; }
  // Per column, the rows (of `columns`) holding nulls, ascending.
  std::vector<std::vector<size_t>>& null_rows() { return null_rows_; }

 private:
  std::span<ColumnBuffer> columns_;
  const NullMatcher* is_null_;
  std::vector<std::vector<size_t>> null_rows_;
  std::optional<BadValue> bad_;
  size_t first_row_;
  size_t room_;
  size_t rows_ = 0;
  uint64_t line_ = 0;
  bool overflowed_ = false;
  // Per column, where FastRecords writes (one of the two), when every column is int64 or float64;
  // else empty, and FastRecords takes nothing. The columns are sized before the sink is made.
  struct NumberColumn {
    bool float64 = false;
    double* f64 = nullptr;
    int64_t* i64 = nullptr;
  };
  std::vector<NumberColumn> number_columns_;
  // The same, for the batches; empty where the CPU has no batches.
  NumberBatchLayout batch_layout_;
  // Records for FastRecords to parse one field at a time before it tries batches again;
  // kNoBatches: never.
  static constexpr size_t kNoBatches = ~size_t{0};
  size_t scalar_records_ = kNoBatches;
};

// A guess at the records in `bytes` of text like `sample`, from the line breaks in its first few
// kilobytes, a little high so that growing is rare: for reserving typed columns.
size_t EstimateRows(std::string_view sample, uint64_t bytes);

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

// Implementation.

// Inline, so that the tokenizer's loop holds the parsing of each value.
inline void TypedSink::Field(size_t column, std::string_view value) {
  if (bad_) return;  // the rest of a bad value's record is only checked for its shape
  ColumnBuffer& out = columns_[column];
  const bool null = (*is_null_)(value);
  if (null) {
    if (out.valid.empty()) {
      // As long as the values are expected to get.
      const size_t capacity =
          std::max({out.f64.capacity(), out.i64.capacity(), out.u8.capacity(), out.str.capacity()});
      out.valid.reserve(std::max(capacity, out.size() + 1));
      out.valid.assign(out.size(), 1);
    }
    out.valid.push_back(0);
  } else if (!out.valid.empty()) {
    out.valid.push_back(1);
  }
  bool ok = true;
  switch (out.type) {
    case Type::kFloat64: {
      double d = std::numeric_limits<double>::quiet_NaN();
      if (!null) ok = ParseSimpleDecimal(value, &d) || ParseFloat64(value, &d);
      out.f64.push_back(d);
      break;
    }
    case Type::kInt64: {
      int64_t i = 0;
      if (!null) ok = ParseSimpleInt64(value, &i) || ParseInt64(value, &i);
      out.i64.push_back(i);
      break;
    }
    case Type::kTimestamp: {
      int64_t i = 0;
      if (!null) ok = ParseTimestampMicros(value, &i);
      out.i64.push_back(i);
      break;
    }
    case Type::kBool: {
      uint8_t b = 0;
      if (!null) ok = ParseBool(value, &b);
      out.u8.push_back(b);
      break;
    }
    case Type::kString:
      if (null) {
        out.str.emplace_back();
      } else {
        out.str.emplace_back(value);
      }
      break;
  }
  if (!ok) bad_ = BadValue{rows_, column, line_, std::string(value), out.type};
}

inline FastRun PlacedSink::FastRecords(std::string_view text, size_t pos, size_t stop,
                                       size_t max_records, char delimiter) {
  FastRun run{0, pos};
  if (number_columns_.empty() || !NumberFieldDelimiter(delimiter) ||
      text.size() < kNumberWindowReach) {
    return run;
  }
  // A window is loaded only where it and the reads past it fit in the text.
  const char* const last_window = text.data() + (text.size() - kNumberWindowReach);
  const char* field = text.data() + pos;
  if (field > last_window) return run;
  if (rows_ >= room_) return run;
  max_records = std::min(max_records, room_ - rows_);
  const NumberColumn* const columns = number_columns_.data();
  const size_t width = number_columns_.size();
  NumberWindow window;
  window.Load(field, delimiter);
  // Eight fields at a time where the CPU can (csv_number_batch.h), up to 64 bytes before the
  // end of what may be read; one at a time for a record the batches refuse and the records
  // after the last window.
  const size_t batch_limit = std::min(stop, text.size());
  const char* const last_batch =
      batch_limit >= 64 + pos ? text.data() + (batch_limit - 64) : nullptr;
  while (run.records < max_records && run.end < stop) {
    if (scalar_records_ == 0 && last_batch != nullptr) {
      const NumberBatchRun batch =
          ParseNumberBatches(batch_layout_, field, last_batch, max_records - run.records,
                             first_row_ + rows_, delimiter);
      rows_ += batch.records;
      run.records += batch.records;
      field = batch.end;
      run.end = static_cast<size_t>(field - text.data());
      // A record refused at once is likely followed by more like it: try again later.
      scalar_records_ = !batch.refused ? kNoBatches : batch.records == 0 ? 16 : 1;
      if (run.records == max_records || run.end >= stop || field > last_window) return run;
      window.Load(field, delimiter);
    }
    const size_t row = first_row_ + rows_;
    for (size_t c = 0; c < width; ++c) {
      if (!window.HasEnd()) {
        // The field ends past the window: the next window starts with it.
        if (field > last_window) return run;
        window.Load(field, delimiter);
        if (!window.HasEnd()) return run;
      }
      const auto start = static_cast<uint32_t>(field - window.base());
      const uint32_t end = window.NextEnd();
      NumberField number;
      if (!window.Parse(start, end, &number) || number.line_end != (c + 1 == width)) return run;
      if (columns[c].float64) {
        columns[c].f64[row] = number.Double();
      } else {
        if (number.point) return run;
        columns[c].i64[row] = number.Int64();
      }
      field = window.base() + end + 1;
    }
    ++rows_;
    ++run.records;
    run.end = static_cast<size_t>(field - text.data());
    if (scalar_records_ != kNoBatches) --scalar_records_;
  }
  return run;
}

// The values of a stretch go where PlacedSink is told; each column is parsed as in TypedSink.
inline void PlacedSink::Field(size_t column, std::string_view value) {
  if (bad_ || overflowed_) return;
  if (rows_ >= room_) {
    overflowed_ = true;
    return;
  }
  ColumnBuffer& out = columns_[column];
  const size_t row = first_row_ + rows_;
  const bool null = (*is_null_)(value);
  if (null) null_rows_[column].push_back(row);
  bool ok = true;
  switch (out.type) {
    case Type::kFloat64: {
      double d = std::numeric_limits<double>::quiet_NaN();
      if (!null) ok = ParseSimpleDecimal(value, &d) || ParseFloat64(value, &d);
      out.f64[row] = d;
      break;
    }
    case Type::kInt64: {
      int64_t i = 0;
      if (!null) ok = ParseSimpleInt64(value, &i) || ParseInt64(value, &i);
      out.i64[row] = i;
      break;
    }
    case Type::kTimestamp: {
      int64_t i = 0;
      if (!null) ok = ParseTimestampMicros(value, &i);
      out.i64[row] = i;
      break;
    }
    case Type::kBool: {
      uint8_t b = 0;
      if (!null) ok = ParseBool(value, &b);
      out.u8[row] = b;
      break;
    }
    case Type::kString:
      if (null) {
        out.str[row].clear();
      } else {
        out.str[row].assign(value);
      }
      break;
  }
  if (!ok) bad_ = BadValue{rows_, column, line_, std::string(value), out.type};
}

}  // namespace sluice::table::internal
