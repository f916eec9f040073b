// Records of plain number fields parsed eight fields at a time, with AVX-512 (VBMI, VBMI2 and
// BMI2, checked at run time): PlacedSink::FastRecords' wide path. A 64-byte window's field ends
// are found with one compare, the first eight fields are gathered into the eight 64-bit lanes of
// one register (each right-aligned, its point squeezed out), checked, and converted together:
// digits to an integer by multiply-adds, to a double by one exact conversion and one division.
// One field at a time, csv_number_field.h spends most of its instructions on bookkeeping that is
// the same for every field; here it is shared by eight.
//
// A field is taken only if it has the shape NumberWindow::Parse takes and at most 8 bytes
// (sign and point included), and its value has the same bits. Records are taken whole: the run
// stops at the first record holding any other field (a null, a longer number, an error), which
// the caller parses the usual way. Values of a record not taken may have been written; the
// caller writes that row again.
//
//   NumberBatchLayout layout({f64.data(), i64.data()}, {true, false});  // once per sink
//   if (NumberBatchesAvailable()) {
//     const NumberBatchRun run = ParseNumberBatches(layout, text, last, max_records, row, ',');
//   }
//
// Thread safety: a layout is read only; runs on different rows may write the same columns from
// different threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::table::internal {

// Where each column's values go, and per starting column what the eight fields in a row of
// records from it are. Made once per sink.
struct NumberBatchLayout {
  NumberBatchLayout() = default;
  // One output per column: its float64 or int64 values (float64[c] says which).
  NumberBatchLayout(std::vector<void*> column_outputs, const std::vector<bool>& float64);

  std::vector<void*> outputs;
  // Per starting column c, over lanes j = 0..7 (fields c, c + 1, ... of a row of records):
  std::vector<uint8_t> float_lanes;  // bit j: lane j's column is float64
  std::vector<uint8_t> last_lanes;   // bit j: lane j's column is the record's last
  // Per starting column c, 9 entries for lanes j = 0..8: lane j's column, and its row less
  // lane 0's.
  std::vector<uint32_t> lane_columns;
  std::vector<uint8_t> lane_rows;
};

struct NumberBatchRun {
  size_t records = 0;         // whole records written
  const char* end = nullptr;  // where the next record starts
  // Whether the run stopped at a record it cannot take, rather than at `last` or max_records.
  bool refused = false;
};

// Whether this CPU has what ParseNumberBatches needs, and batches are not turned off.
bool NumberBatchesAvailable();
// Turns the batches off (or on again where available), for tests and benchmarks to compare
// the paths.
void SetNumberBatchesEnabled(bool enabled);

// Writes the records from `text` (a record start) at rows `row`, row + 1, ..., at most
// `max_records` (the columns must have room for max_records rows from `row`), reading windows of
// 64 bytes that start at or before `last` (so only records starting before last + 64 are taken).
// `delimiter` must pass NumberFieldDelimiter. NumberBatchesAvailable() must be true.
NumberBatchRun ParseNumberBatches(const NumberBatchLayout& layout, const char* text,
                                  const char* last, size_t max_records, size_t row, char delimiter);

}  // namespace sluice::table::internal
