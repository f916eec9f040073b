#include "validation/internal/column_state.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "validation/internal/kernels.h"
#include "validation/internal/order_statistics.h"

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

namespace {

constexpr int kMaxScaleDigits = 9;
constexpr double kScales[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

// k with x == k / 10^digits exactly (so the division gives x back, bit for bit), if an int32 k.
inline bool Scale(double x, int digits, int32_t* k) {
  const double scaled = x * kScales[digits];
  if (!(std::fabs(scaled) < 2147483647.0)) return false;  // NaN and infinities too
  // Rounded half away from zero (truncating scaled +- 1/2): a wrong k fails the check below.
  const auto rounded = static_cast<int32_t>(scaled + (scaled < 0 ? -0.5 : 0.5));
  if (static_cast<double>(rounded) / kScales[digits] != x) return false;
  if (x == 0 && std::signbit(x)) return false;  // -0.0 would come back as 0.0
  *k = rounded;
  return true;
}

}  // namespace

void ColumnState::AddFloatValues(const double* x, const uint8_t* present, size_t n) {
  size_t i = 0;
  while (scaling_ && i < n) {
    if (counted_) {
      for (; i < n; ++i) {
        if (present != nullptr && present[i] == 0) continue;
        int32_t k = 0;
        if (!Scale(x[i], scale_digits_, &k) || !Count(k)) break;
      }
      if (i == n) return;
      ListCounted();  // x[i] goes the list's way below
    }
    int32_t* out = scaled_values_.RoomFor(n - i);
    size_t kept = 0;
    for (; i < n; ++i) {
      if (present != nullptr && present[i] == 0) continue;
      if (!Scale(x[i], scale_digits_, &out[kept])) break;
      ++kept;
    }
    scaled_values_.Added(kept);
    if (i < n) {
      if (!Rescale(x[i])) StopScaling();
    } else if (!count_tried_ && scaled_values_.size() >= kCountAfter) {
      StartCounting();
    }
  }
  if (i == n) return;
  if (present == nullptr) {
    values_.Append(x + i, n - i);
    return;
  }
  for (; i < n; ++i) {
    if (present[i] != 0) values_.push_back(x[i]);
  }
}

void ColumnState::StartCounting() {
  count_tried_ = true;
  const auto [low, high] = std::minmax_element(scaled_values_.begin(), scaled_values_.end());
  if (int64_t{*high} - *low >= kMaxCountedRange) return;
  count_base_ = *low;
  counts_.assign(static_cast<size_t>(int64_t{*high} - *low + 1), 0);
  for (int32_t k : scaled_values_) ++counts_[static_cast<size_t>(k - count_base_)];
  counted_total_ = scaled_values_.size();
  scaled_values_ = MappedArray<int32_t>();
  counted_ = true;
}

bool ColumnState::Count(int32_t k) {
  const int64_t at = int64_t{k} - count_base_;
  if (at >= 0 && at < static_cast<int64_t>(counts_.size())) {
    uint32_t& count = counts_[static_cast<size_t>(at)];
    if (count == UINT32_MAX) return false;  // full: listed from here on
    ++count;
    ++counted_total_;
    return true;
  }
  const int64_t low = std::min<int64_t>(count_base_, k);
  const int64_t high = std::max<int64_t>(count_base_ + static_cast<int64_t>(counts_.size()), k + 1);
  if (high - low > kMaxCountedRange) return false;
  // Room to spare on the side that grew, so that a range widening bit by bit is laid out again
  // only a few times.
  const int64_t spare = std::min<int64_t>((high - low) / 2, kMaxCountedRange - (high - low));
  const int64_t new_low = k < count_base_ ? std::max<int64_t>(low - spare, INT32_MIN) : low;
  const int64_t new_high =
      k < count_base_ ? high : std::min<int64_t>(high + spare, INT64_C(1) << 31);
  std::vector<uint32_t> grown(static_cast<size_t>(new_high - new_low), 0);
  std::copy(counts_.begin(), counts_.end(), grown.begin() + (count_base_ - new_low));
  counts_ = std::move(grown);
  count_base_ = new_low;
  ++counts_[static_cast<size_t>(k - count_base_)];
  ++counted_total_;
  return true;
}

void ColumnState::ListCounted() {
  int32_t* out = scaled_values_.RoomFor(counted_total_);
  size_t n = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    const auto k = static_cast<int32_t>(count_base_ + static_cast<int64_t>(i));
    for (uint32_t c = counts_[i]; c > 0; --c) out[n++] = k;
  }
  scaled_values_.Added(n);
  counts_ = {};
  counted_total_ = 0;
  counted_ = false;
}

// More decimals for x, if some scale up to kMaxScaleDigits keeps it and every value kept so far
// fits that scale too.
bool ColumnState::Rescale(double x) {
  int digits = scale_digits_ + 1;
  int32_t k = 0;
  while (digits <= kMaxScaleDigits && !Scale(x, digits, &k)) ++digits;
  if (digits > kMaxScaleDigits) return false;
  const auto factor = static_cast<int64_t>(kScales[digits - scale_digits_]);
  int64_t largest = 0;
  for (int32_t v : scaled_values_) largest = std::max(largest, std::abs(static_cast<int64_t>(v)));
  if (largest * factor > INT32_MAX) return false;
  for (int32_t& v : scaled_values_) v = static_cast<int32_t>(v * factor);
  scale_digits_ = digits;
  return true;
}

void ColumnState::StopScaling() {
  if (counted_) ListCounted();
  double* out = values_.RoomFor(scaled_values_.size());
  for (size_t i = 0; i < scaled_values_.size(); ++i) {
    out[i] = static_cast<double>(scaled_values_[i]) / kScales[scale_digits_];
  }
  values_.Added(scaled_values_.size());
  scaled_values_ = MappedArray<int32_t>();
  scaling_ = false;
}

std::vector<double> ColumnState::ValuesAtRanks(std::span<const size_t> ranks) const {
  if (!scaling_) return internal::ValuesAtRanks({values_.data(), values_.size()}, ranks);
  if (counted_) {
    // One walk over the counts, the ranks taken in ascending order.
    std::vector<size_t> order(ranks.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranks[a] < ranks[b]; });
    std::vector<double> out(ranks.size(), std::nan(""));
    size_t next = 0;
    uint64_t below = 0;  // values at smaller k
    for (size_t i = 0; i < counts_.size() && next < order.size(); ++i) {
      below += counts_[i];
      const double value =
          static_cast<double>(count_base_ + static_cast<int64_t>(i)) / kScales[scale_digits_];
      for (; next < order.size() && ranks[order[next]] < below; ++next) out[order[next]] = value;
    }
    return out;
  }
  // The order of the integers is that of the values, which they give back exactly.
  std::vector<double> out = IntegersAtRanks({scaled_values_.data(), scaled_values_.size()}, ranks);
  for (double& v : out) {
    if (!std::isnan(v)) v /= kScales[scale_digits_];
  }
  return out;
}

void ColumnState::AppendValues(std::vector<double>& out) const {
  if (!scaling_) {
    out.insert(out.end(), values_.begin(), values_.end());
    return;
  }
  if (counted_) {
    out.reserve(out.size() + counted_total_);
    for (size_t i = 0; i < counts_.size(); ++i) {
      const double value =
          static_cast<double>(count_base_ + static_cast<int64_t>(i)) / kScales[scale_digits_];
      out.insert(out.end(), counts_[i], value);
    }
    return;
  }
  out.reserve(out.size() + scaled_values_.size());
  for (int32_t k : scaled_values_) out.push_back(static_cast<double>(k) / kScales[scale_digits_]);
}

void ColumnState::AddValues(const BlockView& b) {
  if (b.f64 != nullptr) {
    AddFloatValues(b.f64, b.present, b.n);
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
        break;  // AddFloatValues
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
  if (b.type == table::Type::kInt64 || b.type == table::Type::kTimestamp) {
    // Counted first in a window of values around the block's first one, then added to the map
    // once per value present: columns of codes and small counts spend most of their time here,
    // and a map update per row was 2% of a validate run.
    constexpr uint64_t kWindow = 256;
    std::array<int64_t, kWindow> window{};
    uint64_t base = 0;
    bool based = false;
    for (size_t i = 0; i < b.n; ++i) {
      if (!b.IsPresent(i)) continue;
      const auto v = static_cast<uint64_t>(b.i64[i]);
      if (!based) {
        // Unsigned arithmetic wraps where int64 would overflow; the window still holds v.
        base = v - kWindow / 2;
        based = true;
      }
      const uint64_t k = v - base;
      if (k < kWindow) {
        ++window[k];
      } else {
        ++distinct_.i64[b.i64[i]];
      }
    }
    for (uint64_t k = 0; k < kWindow; ++k) {
      if (window[k] != 0) distinct_.i64[static_cast<int64_t>(base + k)] += window[k];
    }
    return;
  }
  for (size_t i = 0; i < b.n; ++i) {
    if (!b.IsPresent(i)) continue;
    switch (b.type) {
      case table::Type::kFloat64:
        // -0.0 and 0.0 are one value, as in pandas.
        ++distinct_.f64[b.f64[i] == 0 ? 0.0 : b.f64[i]];
        break;
      case table::Type::kInt64:
      case table::Type::kTimestamp:
        break;  // above
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
