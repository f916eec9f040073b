// One evaluator per expectation of a suite. Column expectations read blocks of their column
// (ConsumeBlock) and the column's shared aggregates (ColumnState); pair, multicolumn and table
// expectations read whole chunks (ConsumeChunk). Finish turns what they gathered into Great
// Expectations' result. The engine (engine.cc) decides who reads what, in which thread.
//
// Thread safety: an evaluator is fed by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "table/table.h"
#include "validation/expectations.h"
#include "validation/internal/column_state.h"
#include "validation/result.h"
#include "validation/suite.h"

namespace sluice::validation::internal {

// The data's columns, from its first chunk (or its header when it has no rows).
struct Schema {
  std::vector<std::string> names;
  std::vector<table::Type> types;

  // Index of `name`, or -1.
  int Find(const std::string& name) const;
};

struct ChunkView {
  const table::Table* table = nullptr;
  const uint8_t* selected = nullptr;  // per row, 1 = selected by the row condition; nullptr = all
  int64_t first_row = 0;              // index of the chunk's first row in the whole data
};

class Evaluator {
 public:
  Evaluator(const ExpectationConfig& config, size_t index, ResultFormat format)
      : config_(config), index_(index), format_(format) {}
  virtual ~Evaluator() = default;

  // Column kinds: one block of the column, after the ColumnState has consumed it.
  virtual void ConsumeBlock(const BlockView&) {}
  // Pair, multicolumn and table kinds: one chunk.
  virtual Status ConsumeChunk(const ChunkView&) { return Status::Ok(); }
  // Expectations that need a statistic of the whole column before judging a row (z-scores) see
  // every block again after the first pass.
  virtual bool NeedsSecondPass() const { return false; }
  virtual void SecondPassBlock(const BlockView&) {}
  virtual Result<ExpectationResult> Finish(const Schema& schema) = 0;

  size_t index() const { return index_; }
  const ExpectationConfig& config() const { return config_; }

 protected:
  ExpectationResult NewResult() const;
  // At least this many unexpected rows are kept: partial_unexpected_count (and 20 for the
  // report), every one for COMPLETE.
  size_t Keep() const;

  const ExpectationConfig config_;
  const size_t index_;
  const ResultFormat format_;
};

// Builds the evaluator of suite expectation `index`. `state` is the shared state of its column
// (and row condition) for column kinds, nullptr otherwise; the evaluator declares there which
// aggregates it reads. kInvalidArgument, naming the expectation and the fix, when the column's
// type does not suit the expectation ("min_value is text but column 'age' is int64").
Result<std::unique_ptr<Evaluator>> MakeEvaluator(const ExpectationConfig& config, size_t index,
                                                 ResultFormat format, const Schema& schema,
                                                 ColumnState* state);

// An evaluator standing for an expectation that could not be evaluated, reported as a failed
// result with exception_info (catch_exceptions: true).
std::unique_ptr<Evaluator> MakeFailure(const ExpectationConfig& config, size_t index,
                                       ResultFormat format, std::string message);

}  // namespace sluice::validation::internal
