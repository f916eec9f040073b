// Batch inference: scores a CSV, TSV or JSONL file of any size into a CSV or JSONL file, on all
// cores, in bounded memory, with the output rows in input order (`sluice predict --input`).
//
//   SLUICE_ASSIGN_OR_RETURN(BatchResult r, PredictFile(bundle, *predictor,
//                                                     {.input = "big.csv", .output = "out.csv"}));
//
// Thread safety: PredictFile may run concurrently with itself (on other files); it runs its own
// threads (one reading, on the caller's; one writing; a pool scoring) and joins them before
// returning. PredictionFields is immutable once built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "models/bundle.h"
#include "models/predictor.h"
#include "table/table.h"

namespace sluice::serving {

// What a prediction adds to a row, by task:
//   binary      prediction (the probability of the positive class, classes[1]) and
//               predicted_label (classes[1] when prediction >= threshold, else classes[0])
//   multiclass  prob_<class> for each class in the bundle's order, and predicted_label (the class
//               of the highest probability; the first on ties)
//   regression  prediction
class PredictionFields {
 public:
  PredictionFields(const models::Target& target, double threshold);

  const std::vector<std::string>& names() const { return names_; }

  // The fields of `rows` rows as columns; `scores` is rows x outputs, row-major, as
  // models::Predictor::Predict returns it.
  std::vector<table::Column> Columns(std::span<const double> scores, size_t rows) const;
  // Appends `"name":value` pairs for one row, comma-separated, without braces; `row` holds the
  // row's outputs. Non-finite numbers are written as null.
  void AppendJson(std::span<const double> row, std::string& out) const;

 private:
  size_t Label(std::span<const double> row) const;  // an index into classes_

  models::Task task_;
  std::vector<std::string> classes_;
  double threshold_;
  std::vector<std::string> names_;
  std::vector<std::string> json_keys_;  // "\"name\":", escaped once
};

struct BatchOptions {
  // .csv (comma), .tsv (tab), or .jsonl / .ndjson (one JSON object per line); any case. CSV and
  // TSV need a header row; JSONL objects hold column -> value.
  std::filesystem::path input;
  // .csv, or .jsonl / .ndjson; any case. Written atomically: a temporary file beside it is renamed
  // over it only when every row was scored, so a failed run leaves no (or the old) output file.
  // Its folder must exist. It must not be the input.
  std::filesystem::path output;

  // true: each output row is the input row followed by the prediction fields. From CSV the input
  // values are re-written in the types the model was trained on (numbers as float64: 30 -> 30.0;
  // other columns verbatim, except that null tokens such as NA become empty); JSONL input lines are
  // echoed as they are with the fields appended (JSONL output), or give the model's input columns
  // (CSV output). false: the prediction fields only (rows are still in input order).
  // Either way an input column named like a prediction field is refused.
  bool keep_columns = true;
  // Binary models only: see PredictionFields. In [0, 1].
  double threshold = 0.5;

  // Rows scored together; memory is about (max_chunks_in_flight + 1) chunks.
  size_t rows_per_chunk = 65536;
  // Scoring threads; 0 = ThreadPool::DefaultThreads(). The calling thread reads (parses), and
  // one more thread writes.
  size_t threads = 0;
  // Chunks read but not yet written, at most; 0 = threads + 2.
  size_t max_chunks_in_flight = 0;

  // Called after each chunk is written (on PredictFile's writer thread, one call at a time; and a
  // last time on the calling thread), with the bytes of the input consumed so far and its size. For
  // CSV the count is estimated from the rows read and the average row size of the file's first MiB
  // (CsvChunkReader does not say where it is); it never exceeds the size and reaches it once the
  // whole file is done.
  std::function<void(uint64_t bytes_done, uint64_t total_bytes)> on_progress;
};

struct BatchResult {
  uint64_t rows_read = 0;
  uint64_t rows_written = 0;  // checked equal to rows_read, or the run fails
  uint64_t input_bytes = 0;
  size_t chunks = 0;
  size_t peak_chunks_in_flight = 0;
  std::vector<std::string> columns;  // of the output, in order
};

// Scores options.input into options.output. kInvalidArgument for unsupported extensions, a
// threshold outside [0, 1], options of 0 rows per chunk, input columns that miss a model input or
// clash with a prediction field, and bad data: CSV errors name the line ("in.csv: csv line 17:
// expected 5 fields, got 4"), JSONL errors too ("in.jsonl: jsonl line 9: input 'age': expected a
// number, got \"x\""), and scoring errors the chunk's rows ("in.csv: rows 65537-131072: ...").
// File errors as in base/file_util.h. On any error no output file is created.
Result<BatchResult> PredictFile(const models::Bundle& bundle, const models::Predictor& predictor,
                                const BatchOptions& options);

}  // namespace sluice::serving
