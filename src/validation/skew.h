// Training/serving skew and drift between a reference and a current table, with TFDV's
// comparators (tensorflow_data_validation/anomalies/metrics.cc):
// - categorical columns (strings, bools, and int64 columns named in `categorical`): the
//   L-infinity distance between the two normalized value-count vectors, max over values of
//   |p_ref(v) - p_cur(v)|, reported with the value where it is reached;
// - numeric columns (float64, int64, timestamps): the Jensen-Shannon divergence (log base 2, so
//   in [0, 1]) between the two STANDARD histograms: `bins` equal-width buckets over each table's
//   own [min, max] (a bucket holds its upper bound, the first also its lower), re-bucketed to the
//   union of both boundary sets assuming values spread evenly inside a bucket; a constant column
//   is a point bucket and infinities an extra bucket of their own, as TFDV does.
// A column is an anomaly when its distance exceeds its threshold (TFDV's `>`). Nulls are left out
// of both distributions; a column with values on one side only is an anomaly.
//
//   SLUICE_ASSIGN_OR_RETURN(SkewResult skew, ComputeSkew(train, serving, {.threshold = 0.1}));
//   for (const ColumnSkew& c : skew.columns) if (c.anomaly) ...
//
// Thread safety: a pure function.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "table/table.h"

namespace sluice::validation {

struct SkewOptions {
  double threshold = 0.1;                           // every column's, unless overridden
  std::map<std::string, double> column_thresholds;  // column -> threshold
  int bins = 10;                                    // TFDV's default histogram buckets
  std::vector<std::string> categorical;             // int64 columns compared as categories
  std::vector<std::string> columns;                 // only these (default: every common column)
};

struct ColumnSkew {
  std::string column;
  bool categorical = false;
  std::string metric;           // "l_infinity" or "jensen_shannon_divergence"
  std::optional<double> value;  // nullopt when one side has no values
  double threshold = 0;
  bool anomaly = false;
  int64_t reference_count = 0;  // non-null values
  int64_t current_count = 0;
  std::string max_difference_value;  // categorical: the value with the largest difference
  // The two normalized distributions the distance was computed on (for reports): categorical
  // values, or the aligned bucket boundaries.
  std::vector<std::string> labels;
  std::vector<double> reference, current;
};

struct SkewResult {
  std::vector<ColumnSkew> columns;
  std::vector<std::string> only_in_reference;
  std::vector<std::string> only_in_current;
  std::vector<std::string> type_mismatches;  // "age: int64 vs string"
  bool anomaly = false;                      // any column, or a column set or type difference

  nlohmann::json ToJson() const;
};

// kInvalidArgument for bins outside [1, 1000], a negative threshold, a column in `columns` or
// `column_thresholds` that neither table has, or a `categorical` column that is not int64.
Result<SkewResult> ComputeSkew(const table::Table& reference, const table::Table& current,
                               const SkewOptions& options = {});

// Exposed for tests: TFDV's Jensen-Shannon divergence between two histograms given as
// (low, high, count) buckets.
struct Bucket {
  double low = 0, high = 0, count = 0;
};
Result<double> JensenShannon(std::vector<Bucket> a, std::vector<Bucket> b,
                             std::vector<Bucket>* aligned_a = nullptr,
                             std::vector<Bucket>* aligned_b = nullptr);

}  // namespace sluice::validation
