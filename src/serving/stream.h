// Streaming inference over NDJSON (`sluice predict --stream`): one JSON object per input line,
// one JSON object per output line, in order, flushed as soon as the lines that have arrived are
// scored, in memory bounded by a batch of lines.
//
//   SLUICE_RETURN_IF_ERROR(PredictStream(bundle, *predictor, std::cin, std::cout, {}));
//
// Thread safety: PredictStream uses only its arguments; the predictor may be shared with other
// threads. One stream is read and written by one call at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>

#include "base/status.h"
#include "models/bundle.h"
#include "models/predictor.h"

namespace sluice::serving {

struct StreamOptions {
  // Binary models: the probability from which predicted_label is the positive class.
  double threshold = 0.5;
  // Lines scored together at most. A batch holds only lines already buffered: reading never
  // waits for more input while an answer is due, so a request/response client is answered at once.
  size_t max_batch_lines = 1024;
  // A longer line is answered with an error (and not held in memory).
  size_t max_line_bytes = size_t{16} << 20;
};

struct StreamStats {
  uint64_t lines = 0;        // non-blank input lines
  uint64_t predictions = 0;  // answered with a prediction
  uint64_t errors = 0;       // answered with an error
  uint64_t batches = 0;      // flushes
};

// Reads `in` to its end. Each non-blank line is a JSON object of column -> value with exactly the
// model's inputs, plus optionally "id" (any JSON value; echoed back first, unless the model has
// an input named "id"). Each is answered by one line on `out`, in input order:
//   {"id":7,"prediction":0.83,"predicted_label":"yes"}      (fields as in PredictionFields)
//   {"id":8,"error":"input 'age': expected a number, got \"x\"","line":2}
// A line that is not JSON, not an object, or misses, adds or mistypes an input gets the error
// form (with its 1-based line number, and its id when one could be read) and the stream goes on.
// Blank lines are skipped (and counted in line numbers); CRLF endings are accepted. `out` is
// flushed after each batch.
// Returns OK at the end of `in`; kInvalidArgument for a threshold outside [0, 1]; kInternal when
// reading `in` or writing `out` fails. `stats`, when given, is filled in as the stream goes.
Status PredictStream(const models::Bundle& bundle, const models::Predictor& predictor,
                     std::istream& in, std::ostream& out, const StreamOptions& options = {},
                     StreamStats* stats = nullptr);

}  // namespace sluice::serving
