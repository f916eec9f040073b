// ColumnState keeps a float64 column's values as scaled integers while it can: whatever the values
// (decimals of any length, values no scale holds, -0.0, nulls, scales that must grow midway), the
// order statistics and the values read back are those of the doubles, bit for bit.
#include "validation/internal/column_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "table/column.h"

namespace sluice::validation::internal {
namespace {

bool SameDouble(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// `column` fed in blocks of `block` rows to a state that computes `needs`.
ColumnState Consumed(const table::Column& column, const ColumnNeeds& needs, size_t block) {
  ColumnState state(column.type());
  state.needs = needs;
  std::vector<uint8_t> scratch;
  for (size_t begin = 0; begin < column.size(); begin += block) {
    const size_t n = std::min(block, column.size() - begin);
    state.Consume(MakeBlock(column, begin, n, static_cast<int64_t>(begin), nullptr, scratch));
  }
  return state;
}

// The values fed in blocks of `block` rows, nulls where `valid` says, keeping the values.
ColumnState Consumed(const std::vector<double>& values, const std::vector<uint8_t>& valid,
                     size_t block) {
  ColumnNeeds needs;
  needs.values = true;
  return Consumed(table::Column::Float64("x", values, valid), needs, block);
}

void ExpectAsDoubles(const std::vector<double>& values, const std::vector<uint8_t>& valid,
                     size_t block) {
  const ColumnState state = Consumed(values, valid, block);
  std::vector<double> present;
  for (size_t i = 0; i < values.size(); ++i) {
    if ((valid.empty() || valid[i] != 0) && !std::isnan(values[i])) present.push_back(values[i]);
  }
  ASSERT_EQ(state.value_count(), present.size());
  // The values read back, in no particular order: the same doubles, bit for bit.
  std::vector<double> back;
  state.AppendValues(back);
  ASSERT_EQ(back.size(), present.size());
  std::vector<double> sorted = present;
  const auto bitwise_less = [](double a, double b) {
    return a < b || (a == b && std::signbit(a) && !std::signbit(b));
  };
  std::sort(back.begin(), back.end(), bitwise_less);
  std::sort(sorted.begin(), sorted.end(), bitwise_less);
  for (size_t i = 0; i < back.size(); ++i) {
    ASSERT_TRUE(SameDouble(back[i], sorted[i])) << i << ": " << back[i] << " " << sorted[i];
  }
  if (present.empty()) return;
  std::vector<size_t> ranks = {0, sorted.size() / 2, sorted.size() - 1, sorted.size() / 3};
  const std::vector<double> at = state.ValuesAtRanks(ranks);
  for (size_t k = 0; k < ranks.size(); ++k) {
    // Equal values may differ only as 0.0 and -0.0 do, as in std::sort.
    EXPECT_EQ(at[k], sorted[ranks[k]]) << ranks[k];
  }
  EXPECT_TRUE(std::isnan(state.ValuesAtRanks(std::vector<size_t>{sorted.size()})[0]));
}

TEST(ColumnStateTest, ScaledValuesReadBackAsTheDoubles) {
  struct Case {
    std::string name;
    std::vector<double> values;
  };
  const Case cases[] = {
      {"three decimals", {76.823, 1.63, -43.686, 0.0, 999.999, 12.5}},
      {"scale grows midway", {1, 2, 1.5, 1.25, -0.125, 3.0625, 7}},
      {"no scale holds one", {1.5, 2.25, 0.1 + 0.2, 4.75}},
      {"past int32 at the scale", {0.001, 5e6, 1.5}},
      {"huge and tiny", {1e300, 1.5, 5e-324}},
      {"negative zero", {1.5, -0.0, 2.5, 0.0}},
      {"infinities", {1.5, INFINITY, -INFINITY, 2.0}},
      {"integers", {3, -7, 2147483647.0, -2147483647.0}},
      {"beyond int32", {2147483648.0, 1}},
      {"nine decimals", {0.123456789, 1.000000001, 2}},
      {"ten decimals", {0.1234567891, 2}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (size_t block : {size_t{1}, size_t{3}, size_t{4096}}) {
      ExpectAsDoubles(c.values, {}, block);
    }
  }
}

TEST(ColumnStateTest, RandomDecimalsWithNullsAndStrays) {
  std::mt19937_64 rng(41);
  for (int trial = 0; trial < 40; ++trial) {
    SCOPED_TRACE(trial);
    const int digits = static_cast<int>(rng() % 7);
    std::vector<double> values(1 + rng() % 20'000);
    std::vector<uint8_t> valid(values.size(), 1);
    for (size_t i = 0; i < values.size(); ++i) {
      // Decimals as the CSV reader parses them: an integer over a power of ten.
      const auto k = static_cast<int64_t>(rng() % 2'000'000) - 1'000'000;
      values[i] = static_cast<double>(k) / std::pow(10.0, digits);
      if (rng() % 50 == 0) valid[i] = 0;
      if (rng() % 100 == 0) values[i] = std::nan("");
    }
    // Now and then a value that needs more decimals, or that no scale holds, anywhere.
    if (trial % 3 == 1) values[rng() % values.size()] = 0.0000001;
    if (trial % 5 == 2) values[rng() % values.size()] = 1.0 / 3;
    ExpectAsDoubles(values, valid, 4096);
  }
}

// Past 65,536 values over a modest range the values are counted per scaled integer; whatever
// comes after (values further out, more decimals, none a scale holds, counts of one value), the
// order statistics stay exact.
TEST(ColumnStateTest, CountedValuesStayExactWhateverFollows) {
  std::mt19937_64 rng(43);
  const int kinds = 6;
  for (int kind = 0; kind < kinds; ++kind) {
    SCOPED_TRACE(kind);
    std::vector<double> values(200'000);
    std::vector<uint8_t> valid(values.size(), 1);
    for (size_t i = 0; i < values.size(); ++i) {
      // Three decimals in [0, 100), as bench/validate_bench's columns.
      values[i] = static_cast<double>(rng() % 100'000) / 1000;
      if (rng() % 40 == 0) valid[i] = 0;
    }
    const size_t late = 150'000 + rng() % 40'000;  // after counting started
    switch (kind) {
      case 0:  // nothing else: counted to the end
        break;
      case 1:  // a value far below the range, then one far above: wider, then past the limit
        values[late] = -5.0;
        values[late + 7] = 1'000'000.5;
        break;
      case 2:  // more decimals
        values[late] = 12.34567;
        break;
      case 3:  // no scale holds it
        values[late] = 1.0 / 3;
        break;
      case 4:  // -0.0, which no integer gives back
        values[late] = -0.0;
        break;
      case 5:  // many equal values
        for (size_t i = late; i < values.size(); ++i) values[i] = 42.5;
        break;
    }
    ExpectAsDoubles(values, valid, 4096);
  }
}

// Distinct integers are counted in a window around each block's first value, and in the map
// beyond it: together, every value's count, the extremes of int64 included.
TEST(ColumnStateTest, DistinctIntegersNearAndFarAreAllCounted) {
  std::mt19937_64 rng(41);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<int64_t> values(20'000);
    std::vector<uint8_t> valid(values.size(), 1);
    for (size_t i = 0; i < values.size(); ++i) {
      switch (rng() % 10) {
        case 0:
          values[i] = static_cast<int64_t>(rng());
          break;
        case 1:
          values[i] = rng() % 2 == 0 ? kMin + static_cast<int64_t>(rng() % 300)
                                     : kMax - static_cast<int64_t>(rng() % 300);
          break;
        case 2:
          valid[i] = 0;
          break;
        default:
          values[i] = trial * 1000 + static_cast<int64_t>(rng() % 400) - 200;
      }
    }
    if (trial % 2 == 0) values[0] = trial % 4 == 0 ? kMin : kMax;  // a window at the edge
    std::unordered_map<int64_t, int64_t> expected;
    for (size_t i = 0; i < values.size(); ++i) {
      if (valid[i] != 0) ++expected[values[i]];
    }
    ColumnNeeds needs;
    needs.distinct = true;
    const ColumnState state = Consumed(table::Column::Int64("x", values, valid), needs, kBlockRows);
    EXPECT_EQ(state.distinct().i64, expected) << trial;
  }
}

}  // namespace
}  // namespace sluice::validation::internal
