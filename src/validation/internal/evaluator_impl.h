// Shared by the evaluator implementations: the row-by-row base class that counts and keeps
// unexpected rows, and the factories of each family.
//
// Thread safety: as evaluators.h.
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

#include "validation/internal/evaluators.h"

namespace sluice::validation::internal {

// Row-by-row expectations: counts the unexpected rows and keeps the first Keep() of them with
// their values.
class MapBase : public Evaluator {
 public:
  MapBase(const ExpectationConfig& config, size_t index, ResultFormat format)
      : Evaluator(config, index, format), keep_(Keep()) {}

 protected:
  bool WantMore() const { return rows_.size() < keep_; }
  void Record(int64_t row, nlohmann::json value) {
    if (!WantMore()) return;
    rows_.push_back(row);
    values_.push_back(std::move(value));
  }

  // Counts the present rows of `b` for which bad(i) holds, then, while more are wanted, records
  // them. The counting loop has no branches, so simple predicates vectorize.
  template <class Bad>
  void Scan(const BlockView& b, Bad bad) {
    size_t count = 0;
    if (b.present == nullptr) {
      for (size_t i = 0; i < b.n; ++i) count += static_cast<size_t>(bad(i));
    } else {
      for (size_t i = 0; i < b.n; ++i) count += b.present[i] & static_cast<uint8_t>(bad(i));
    }
    Tally(b, count, bad);
  }

  // Adds `count` unexpected rows of `b` (counted by a kernel), recording them while more are
  // wanted.
  template <class Bad>
  void Tally(const BlockView& b, size_t count, Bad bad) {
    unexpected_ += static_cast<int64_t>(count);
    if (count == 0 || !WantMore()) return;
    for (size_t i = 0; i < b.n && WantMore(); ++i) {
      if (b.IsPresent(i) && bad(i)) Record(b.first_row + static_cast<int64_t>(i), b.Json(i));
    }
  }

  // GE's map result: vacuously true without rows (or without non-null rows), else the share of
  // expected rows among those considered must reach `mostly`. `nonnull` nullopt: the null
  // expectations, whose share is of all rows.
  ExpectationResult MapResult(int64_t element, std::optional<int64_t> nonnull) const;

  int64_t unexpected_ = 0;
  std::vector<int64_t> rows_;
  std::vector<nlohmann::json> values_;
  size_t keep_;
};

Result<std::unique_ptr<Evaluator>> MakeColumnMapEvaluator(const ExpectationConfig& config,
                                                          size_t index, ResultFormat format,
                                                          const Schema& schema, ColumnState* state);
Result<std::unique_ptr<Evaluator>> MakeAggregateEvaluator(const ExpectationConfig& config,
                                                          size_t index, ResultFormat format,
                                                          const Schema& schema, ColumnState* state);
// Pair, multicolumn and table expectations.
Result<std::unique_ptr<Evaluator>> MakeChunkEvaluator(const ExpectationConfig& config, size_t index,
                                                      ResultFormat format, const Schema& schema);

// "column 'age' (int64)"
std::string ColumnText(const Schema& schema, const std::string& name);

// The values of `set` that can equal a value of a column of `type`, in its domain: numbers (and
// booleans as 0/1) for float64; whole numbers for int64; booleans (and 0/1) for bool; text for
// string; ISO-8601 text as microseconds for timestamp.
struct ValueDomain {
  std::vector<double> f64;
  std::vector<int64_t> i64;
  bool bools[2] = {false, false};
  std::vector<std::string> str;
};
ValueDomain DomainOf(const nlohmann::json& set, table::Type type);

// The bound checks of every *_between expectation: `value` against min_value/max_value with
// strict_min/strict_max. NaN fails whatever the bounds.
bool WithinBounds(double value, const ExpectationConfig& config);
// The same for an exact integer (the min, max or sum of an integer column): integer bounds are
// compared exactly, beyond 2^53 too.
bool WithinBounds(Int128 value, const ExpectationConfig& config);

}  // namespace sluice::validation::internal
