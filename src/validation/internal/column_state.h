// The fused engine's unit of work: one block of one column's rows (BlockView), and the aggregates
// every expectation on that column shares (ColumnState): row and null counts always; moments,
// the non-null values (for medians, quantiles and continuous partitions) and distinct value
// counts only when some expectation asks for them. Each is computed once per column however many
// expectations read it.
//
// Thread safety: a ColumnState belongs to one column group, which one thread processes at a time.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "table/column.h"
#include "validation/internal/mapped_array.h"
#include "validation/internal/text.h"

namespace sluice::validation::internal {

// GCC's 128-bit integer, for exact sums of int64 columns (-Wpedantic objects to the bare name).
__extension__ typedef __int128 Int128;

// Rows per block: a block of doubles (32 KiB) and its masks stay in the first-level cache while
// every expectation of the column reads it.
inline constexpr size_t kBlockRows = 4096;

struct BlockView {
  const table::Column* column = nullptr;  // the chunk's column
  table::Type type = table::Type::kFloat64;
  size_t begin = 0;       // first row of the block in the chunk
  size_t n = 0;           // rows in the block
  int64_t first_row = 0;  // index of row `begin` in the whole data (0-based)
  const double* f64 = nullptr;
  const int64_t* i64 = nullptr;  // int64 and timestamp
  const uint8_t* u8 = nullptr;   // bool
  const std::string* str = nullptr;
  // 1 = selected by the row condition and not null (NaN is null); nullptr = every row.
  const uint8_t* present = nullptr;
  // 1 = selected by the row condition; nullptr = every row.
  const uint8_t* selected = nullptr;

  bool IsPresent(size_t i) const { return present == nullptr || present[i] != 0; }
  bool IsSelected(size_t i) const { return selected == nullptr || selected[i] != 0; }
  nlohmann::json Json(size_t i) const { return CellJson(*column, begin + i); }
  std::string Text(size_t i) const {
    return type == table::Type::kString ? str[i] : PyStr(*column, begin + i);
  }
  // Numbers, bools as 0/1, timestamps as microseconds.
  double Number(size_t i) const {
    switch (type) {
      case table::Type::kFloat64:
        return f64[i];
      case table::Type::kInt64:
      case table::Type::kTimestamp:
        return static_cast<double>(i64[i]);
      case table::Type::kBool:
        return u8[i];
      case table::Type::kString:
        break;
    }
    return std::nan("");
  }
};

// Computes `present` for rows [begin, begin + n) of `column` into `scratch` when some row is
// null, NaN or not selected; leaves it nullptr otherwise.
BlockView MakeBlock(const table::Column& column, size_t begin, size_t n, int64_t first_row,
                    const uint8_t* selected, std::vector<uint8_t>& scratch);

struct ColumnNeeds {
  bool moments = false;
  bool values = false;    // the non-null values as doubles (or int64 for int and timestamps)
  bool distinct = false;  // value -> count
  bool profile = false;   // a sample for the report's histogram
};

// A distinct value of a column, in one of four domains (by column type).
struct DistinctCounts {
  std::unordered_map<double, int64_t> f64;
  std::unordered_map<int64_t, int64_t> i64;  // int64, timestamp
  int64_t bools[2] = {0, 0};
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> str;

  size_t size(table::Type type) const;
  // (value, count) sorted by value.
  std::vector<std::pair<nlohmann::json, int64_t>> Sorted(table::Type type) const;
};

class ColumnState {
 public:
  explicit ColumnState(table::Type type) : type_(type), scaling_(type == table::Type::kFloat64) {}

  ColumnNeeds needs;

  void Consume(const BlockView& block);

  table::Type type() const { return type_; }
  int64_t element_count() const { return element_count_; }
  int64_t nonnull_count() const { return nonnull_count_; }

  // Moments of the non-null values (numbers, bools as 0/1, timestamps in microseconds).
  double mean() const { return count_ > 0 ? mean_ : std::nan(""); }
  double stdev_sample() const { return count_ > 1 ? std::sqrt(m2_ / (count_ - 1)) : std::nan(""); }
  double min() const { return count_ > 0 ? min_ : std::nan(""); }
  double max() const { return count_ > 0 ? max_ : std::nan(""); }
  double sum() const { return sum_ + sum_compensation_; }
  // Exact for int64, bool and timestamp columns.
  Int128 int_sum() const { return int_sum_; }
  int64_t int_min() const { return int_min_; }
  int64_t int_max() const { return int_max_; }

  // The non-null values of a float64 or bool column (`needs.values`): how many, those at the
  // given ranks in ascending order (order_statistics.h; NaN for a rank past the end), and all of
  // them, in no particular order.
  size_t value_count() const {
    return !scaling_ ? values_.size() : counted_ ? counted_total_ : scaled_values_.size();
  }
  std::vector<double> ValuesAtRanks(std::span<const size_t> ranks) const;
  void AppendValues(std::vector<double>& out) const;
  // The non-null values of an int64 or timestamp column, in row order.
  MappedArray<int64_t>& int_values() { return int_values_; }
  const DistinctCounts& distinct() const { return distinct_; }
  // At most kProfileSample values (a uniform sample), for the report.
  const std::vector<double>& profile_sample() const { return sample_; }

  static constexpr size_t kProfileSample = 20000;

 private:
  void AddMoments(const BlockView& b);
  void AddValues(const BlockView& b);
  void AddDistinct(const BlockView& b);
  void AddProfile(const BlockView& b);
  void AddFloatValues(const double* x, const uint8_t* present, size_t n);
  bool Rescale(double x);
  void StopScaling();
  void StartCounting();
  bool Count(int32_t k);
  void ListCounted();

  table::Type type_;
  int64_t element_count_ = 0;
  int64_t nonnull_count_ = 0;
  int64_t count_ = 0;
  double mean_ = 0, m2_ = 0;
  double min_ = INFINITY, max_ = -INFINITY;
  double sum_ = 0, sum_compensation_ = 0;  // Neumaier summation of block sums
  Int128 int_sum_ = 0;
  int64_t int_min_ = INT64_MAX, int_max_ = INT64_MIN;
  // A float64 column's values are kept as integers k with value = k / 10^scale_digits_ exactly,
  // while every value so far is one (numbers read from text with a few decimals, mostly): half
  // the memory of doubles, whose first touch costs more than the checks (mapped_array.h); the
  // first value that is not moves them all to values_.
  bool scaling_ = false;
  int scale_digits_ = 0;
  MappedArray<int32_t> scaled_values_;
  // Once kCountAfter scaled values span fewer than kMaxCountedRange integers, they are counted
  // per integer instead (counts_[k - count_base_]) while every value falls in such a range: a
  // column with a few decimals over a modest range (prices, percentages, readings) then costs a
  // counter per possible value instead of 4 bytes per row, whose first touch is most of what
  // keeping them costs. Exact all the same. A value out of range, or needing more decimals, lists
  // the counted values again (scaled_values_, in ascending order) and goes on there.
  static constexpr size_t kCountAfter = 1 << 16;
  static constexpr int64_t kMaxCountedRange = 1 << 20;
  bool count_tried_ = false;
  bool counted_ = false;
  int64_t count_base_ = 0;
  std::vector<uint32_t> counts_;
  size_t counted_total_ = 0;
  MappedArray<double> values_;  // bools as 0/1, and float64 values once scaling_ stops
  MappedArray<int64_t> int_values_;
  DistinctCounts distinct_;
  std::vector<double> sample_;
  int64_t sample_seen_ = 0;
  std::mt19937_64 sample_random_{20240613};
};

}  // namespace sluice::validation::internal
