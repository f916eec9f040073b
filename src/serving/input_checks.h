// Requests checked against the expectation suite the model's training data passed (the bundle's
// input_suite, from `sluice train --suite`). Only the row-by-row expectations on columns the
// model reads apply: a request holds a few rows, not a dataset, so row counts, means and column
// sets say nothing about it, and `mostly` is dropped (each row either passes or not).
// Violations are counted per expectation for /metrics; whether a violating request is still
// answered is the caller's choice (`sluice serve --check-inputs count|reject`).
//
// Thread safety: Check may be called from many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "models/bundle.h"
#include "table/table.h"
#include "validation/suite.h"

namespace sluice::serving {

// What a server does with a request that breaks its model's input expectations.
enum class InputCheckMode {
  kOff,     // no checks
  kCount,   // answer it, and count the violations in /metrics
  kReject,  // answer 400 naming the expectations it breaks (and count them)
};
// "off", "count", "reject"; kInvalidArgument naming the three otherwise.
Result<InputCheckMode> ParseInputCheckMode(std::string_view text);

class InputChecks {
 public:
  // nullptr when the bundle has no suite or none of its expectations applies to single rows;
  // kInvalidArgument when the stored suite does not parse.
  static Result<std::unique_ptr<InputChecks>> FromBundle(const models::Bundle& bundle);

  struct Failure {
    size_t expectation = 0;  // index into expectations()
    int64_t rows = 0;        // rows of the request that break it
  };
  // The expectations `inputs` breaks (empty when every row passes), also added to the counters.
  Result<std::vector<Failure>> Check(const table::Table& inputs) const;

  struct Expectation {
    size_t suite_index = 0;  // position in the bundle's suite, from 0
    std::string type;
    std::string columns;  // "age", or "a, b"
  };
  const std::vector<Expectation>& expectations() const { return expectations_; }
  const std::string& suite_name() const { return suite_.name; }
  // Rows checked, and rows that broke expectation i, since the model was loaded.
  uint64_t checked_rows() const { return checked_rows_.load(std::memory_order_relaxed); }
  uint64_t failed_rows(size_t i) const { return failed_rows_[i].load(std::memory_order_relaxed); }

  // "expect_column_values_to_be_between on age: 1 row; ...", for a 400 answer.
  std::string Describe(const std::vector<Failure>& failures) const;

 private:
  InputChecks(validation::Suite suite, std::vector<Expectation> expectations);

  validation::Suite suite_;
  std::vector<Expectation> expectations_;
  mutable std::atomic<uint64_t> checked_rows_{0};
  std::unique_ptr<std::atomic<uint64_t>[]> failed_rows_;
};

}  // namespace sluice::serving
