// Schema inference: a suite describing a table as it is now, for a person to edit and then run on
// every new batch. Per column: its type, not-null (or the observed non-null share, less a margin),
// a numeric or time range widened by a margin, the set of values of a low-cardinality string
// column (else its length range), and uniqueness of id-like columns; for the table: its columns
// and a row-count range. The data it was inferred from always passes it.
//
//   SLUICE_ASSIGN_OR_RETURN(Suite suite, InferSuite(table, {.name = "churn"}));
//   SLUICE_RETURN_IF_ERROR(WriteSuite(suite, "checks.yaml"));
//
// Thread safety: a pure function.
#pragma once

#include <cstddef>
#include <string>

#include "base/status.h"
#include "table/table.h"
#include "validation/suite.h"

namespace sluice::validation {

struct InferOptions {
  std::string name = "inferred";
  // Numeric, time and length ranges grow by this fraction of (max - min) on each side; a range
  // of observed non-negative values never goes below 0.
  double margin = 0.1;
  // Row count range: [rows (1 - m), rows (1 + m)].
  double row_count_margin = 0.5;
  // String columns with at most this many distinct values (and fewer distinct values than half
  // their non-null rows) get expect_column_values_to_be_in_set.
  size_t max_set_size = 20;
  // int64 and string columns whose values are all distinct get expect_column_values_to_be_unique
  // when they have at least this many non-null values.
  size_t min_rows_for_unique = 10;
};

// kInvalidArgument for a table without columns.
Result<Suite> InferSuite(const table::Table& table, const InferOptions& options = {});

}  // namespace sluice::validation
