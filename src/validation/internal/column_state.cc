#include "validation/internal/column_state.h"

#include <algorithm>

#include "validation/internal/kernels.h"

namespace sluice::validation::internal {
BlockView MakeBlock(const table::Column& column, size_t begin, size_t n, int64_t first_row,
                    const uint8_t* selected, std::vector<uint8_t>& scratch) {
  BlockView b;
  b.column = &column;
  b.type = column.type();
  b.begin = begin;
  b.n = n;
  b.first_row = first_row;
  b.selected = selected;
  switch (b.type) {
    case table::Type::kFloat64:
      b.f64 = column.float64s().data() + begin;
      break;
    case table::Type::kInt64:
    case table::Type::kTimestamp:
      b.i64 = column.int64s().data() + begin;
      break;
    case table::Type::kBool:
      b.u8 = column.bools().data() + begin;
      break;
    case table::Type::kString:
      b.str = column.strings().data() + begin;
      break;
  }
  const uint8_t* valid = column.validity().empty() ? nullptr : column.validity().data() + begin;
  // With a mask to build anyway, NaN is tested while building it; without one, only a NaN
  // makes one necessary.
  if (valid == nullptr && selected == nullptr && (b.f64 == nullptr || !AnyNan(b.f64, n))) {
    return b;
  }
  scratch.resize(std::max(scratch.size(), n));
  FillPresent(scratch.data(), n, valid, selected, b.f64);
  b.present = scratch.data();
  return b;
}

size_t DistinctCounts::size(table::Type type) const {
  switch (type) {
    case table::Type::kFloat64:
      return f64.size();
    case table::Type::kInt64:
    case table::Type::kTimestamp:
      return i64.size();
    case table::Type::kBool:
      return (bools[0] > 0) + (bools[1] > 0);
    case table::Type::kString:
      return str.size();
  }
  return 0;
}

std::vector<std::pair<nlohmann::json, int64_t>> DistinctCounts::Sorted(table::Type type) const {
  std::vector<std::pair<nlohmann::json, int64_t>> out;
  switch (type) {
    case table::Type::kFloat64: {
      std::vector<std::pair<double, int64_t>> items(f64.begin(), f64.end());
      std::sort(items.begin(), items.end());
      for (const auto& [v, c] : items) out.emplace_back(v, c);
      break;
    }
    case table::Type::kInt64:
    case table::Type::kTimestamp: {
      std::vector<std::pair<int64_t, int64_t>> items(i64.begin(), i64.end());
      std::sort(items.begin(), items.end());
      for (const auto& [v, c] : items) {
        out.emplace_back(type == table::Type::kTimestamp ? nlohmann::json(table::FormatTimestamp(v))
                                                         : nlohmann::json(v),
                         c);
      }
      break;
    }
    case table::Type::kBool:
      if (bools[0] > 0) out.emplace_back(false, bools[0]);
      if (bools[1] > 0) out.emplace_back(true, bools[1]);
      break;
    case table::Type::kString: {
      std::vector<std::pair<std::string_view, int64_t>> items(str.begin(), str.end());
      std::sort(items.begin(), items.end());
      for (const auto& [v, c] : items) out.emplace_back(std::string(v), c);
      break;
    }
  }
  return out;
}

void ColumnState::Consume(const BlockView& b) {
  element_count_ += static_cast<int64_t>(b.selected ? CountOnes(b.selected, b.n) : b.n);
  nonnull_count_ += static_cast<int64_t>(b.present ? CountOnes(b.present, b.n) : b.n);
  if (needs.moments) AddMoments(b);
  if (needs.values) AddValues(b);
  if (needs.distinct) AddDistinct(b);
  if (needs.profile) AddProfile(b);
}

void ColumnState::AddMoments(const BlockView& b) {
  BlockMoments m;
  if (b.type == table::Type::kFloat64) {
    m = Moments(b.f64, b.present, b.n);
  } else if (b.type == table::Type::kString) {
    return;
  } else if (b.i64 != nullptr) {
    // Integers and timestamps: exact sum and range, moments in doubles.
    const IntBlockMoments im = IntMoments(b.i64, b.present, b.n);
    if (im.count == 0) return;
    int_sum_ += (static_cast<Int128>(im.hi_sum) << 32) + static_cast<Int128>(im.lo_sum);
    int_min_ = std::min(int_min_, im.min);
    int_max_ = std::max(int_max_, im.max);
    m.count = im.count;
    m.sum = im.mean * static_cast<double>(im.count);
    m.min = static_cast<double>(im.min);
    m.max = static_cast<double>(im.max);
    m.m2 = im.m2;
  } else {
    // Bools, as 0/1.
    for (size_t i = 0; i < b.n; ++i) {
      if (!b.IsPresent(i)) continue;
      const int64_t v = b.u8[i];
      int_sum_ += v;
      int_min_ = std::min(int_min_, v);
      int_max_ = std::max(int_max_, v);
      const double d = static_cast<double>(v);
      ++m.count;
      m.sum += d;
      m.min = std::min(m.min, d);
      m.max = std::max(m.max, d);
    }
    if (m.count > 0) {
      const double mean = m.sum / static_cast<double>(m.count);
      for (size_t i = 0; i < b.n; ++i) {
        if (!b.IsPresent(i)) continue;
        const double d = b.u8[i] - mean;
        m.m2 += d * d;
      }
    }
  }
  if (m.count == 0) return;
  // Neumaier's compensated sum of the block sums.
  const double t = sum_ + m.sum;
  sum_compensation_ +=
      std::fabs(sum_) >= std::fabs(m.sum) ? (sum_ - t) + m.sum : (m.sum - t) + sum_;
  sum_ = t;
  min_ = std::min(min_, m.min);
  max_ = std::max(max_, m.max);
  // Chan et al.'s merge of (count_, mean_, m2_) with the block's.
  const double n_a = static_cast<double>(count_);
  const double n_b = static_cast<double>(m.count);
  const double mean_b = m.sum / n_b;
  const double delta = mean_b - mean_;
  const double total = n_a + n_b;
  mean_ += delta * n_b / total;
  m2_ += m.m2 + delta * delta * n_a * n_b / total;
  count_ += static_cast<int64_t>(m.count);
}

void ColumnState::AddValues(const BlockView& b) {
  if (b.present == nullptr && b.f64 != nullptr) {
    values_.Append(b.f64, b.n);
    return;
  }
  if (b.present == nullptr && b.i64 != nullptr) {
    int_values_.Append(b.i64, b.n);
    return;
  }
  for (size_t i = 0; i < b.n; ++i) {
    if (!b.IsPresent(i)) continue;
    switch (b.type) {
      case table::Type::kFloat64:
        values_.push_back(b.f64[i]);
        break;
      case table::Type::kInt64:
      case table::Type::kTimestamp:
        int_values_.push_back(b.i64[i]);
        break;
      case table::Type::kBool:
        values_.push_back(b.u8[i]);
        break;
      case table::Type::kString:
        break;
    }
  }
}

void ColumnState::AddDistinct(const BlockView& b) {
  for (size_t i = 0; i < b.n; ++i) {
    if (!b.IsPresent(i)) continue;
    switch (b.type) {
      case table::Type::kFloat64:
        // -0.0 and 0.0 are one value, as in pandas.
        ++distinct_.f64[b.f64[i] == 0 ? 0.0 : b.f64[i]];
        break;
      case table::Type::kInt64:
      case table::Type::kTimestamp:
        ++distinct_.i64[b.i64[i]];
        break;
      case table::Type::kBool:
        ++distinct_.bools[b.u8[i] != 0];
        break;
      case table::Type::kString: {
        auto it = distinct_.str.find(std::string_view(b.str[i]));
        if (it == distinct_.str.end()) {
          distinct_.str.emplace(b.str[i], 1);
        } else {
          ++it->second;
        }
        break;
      }
    }
  }
}

void ColumnState::AddProfile(const BlockView& b) {
  if (b.type == table::Type::kString) return;  // the report uses the distinct counts
  for (size_t i = 0; i < b.n; ++i) {
    if (!b.IsPresent(i)) continue;
    const double v = b.Number(i);
    ++sample_seen_;
    if (sample_.size() < kProfileSample) {
      sample_.push_back(v);
    } else {
      // Reservoir sampling: each value seen so far is kept with equal probability.
      std::uniform_int_distribution<int64_t> pick(0, sample_seen_ - 1);
      const int64_t slot = pick(sample_random_);
      if (slot < static_cast<int64_t>(kProfileSample)) sample_[static_cast<size_t>(slot)] = v;
    }
  }
}

}  // namespace sluice::validation::internal
