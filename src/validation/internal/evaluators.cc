// The evaluator base, the factory's dispatch by kind, and the column map expectations.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <queue>
#include <unordered_set>

#include "validation/internal/evaluator_impl.h"
#include "validation/internal/kernels.h"
#include "validation/internal/mapped_array.h"

namespace sluice::validation::internal {

using Json = nlohmann::json;
using table::Type;

int Schema::Find(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string ColumnText(const Schema& schema, const std::string& name) {
  const int i = schema.Find(name);
  return i < 0 ? fmt::format("column '{}'", name)
               : fmt::format("column '{}' ({})", name, table::TypeName(schema.types[i]));
}

ExpectationResult Evaluator::NewResult() const {
  ExpectationResult r;
  r.config = config_;
  r.index = index_;
  r.format = format_;
  return r;
}

size_t Evaluator::Keep() const {
  if (format_.level == ResultFormatLevel::kComplete) return std::numeric_limits<size_t>::max();
  return static_cast<size_t>(std::max<int64_t>(format_.partial_unexpected_count, 20));
}

ExpectationResult MapBase::MapResult(int64_t element, std::optional<int64_t> nonnull) const {
  ExpectationResult r = NewResult();
  r.is_map = true;
  r.element_count = element;
  r.nonnull_count = nonnull;
  r.unexpected_count = unexpected_;
  r.unexpected_values = values_;
  r.unexpected_rows = rows_;
  const int64_t considered = nonnull ? *nonnull : element;
  if (element == 0 || considered == 0) {
    r.success = true;  // vacuously
  } else {
    const double mostly = config_.Arg("mostly").get<double>();
    r.success =
        static_cast<double>(considered - unexpected_) / static_cast<double>(considered) >= mostly;
  }
  return r;
}

ValueDomain DomainOf(const Json& set, Type type) {
  ValueDomain d;
  if (!set.is_array()) return d;
  for (const Json& v : set) {
    switch (type) {
      case Type::kFloat64:
        if (v.is_number()) d.f64.push_back(v.get<double>() == 0 ? 0.0 : v.get<double>());
        if (v.is_boolean()) d.f64.push_back(v.get<bool>() ? 1.0 : 0.0);
        break;
      case Type::kInt64:
        if (v.is_number_integer()) {
          d.i64.push_back(v.get<int64_t>());
        } else if (v.is_number_float()) {
          const double x = v.get<double>();
          if (x == std::floor(x) && std::fabs(x) < 9.2e18) d.i64.push_back(static_cast<int64_t>(x));
        } else if (v.is_boolean()) {
          d.i64.push_back(v.get<bool>() ? 1 : 0);
        }
        break;
      case Type::kBool:
        if (v.is_boolean()) d.bools[v.get<bool>() ? 1 : 0] = true;
        if (v.is_number() && (v.get<double>() == 0 || v.get<double>() == 1)) {
          d.bools[v.get<double>() == 1 ? 1 : 0] = true;
        }
        break;
      case Type::kString:
        if (v.is_string()) d.str.push_back(v.get<std::string>());
        break;
      case Type::kTimestamp:
        if (auto micros = TimestampMicros(v)) d.i64.push_back(*micros);
        break;
    }
  }
  return d;
}

bool WithinBounds(Int128 value, const ExpectationConfig& config) {
  // An integer bound is compared exactly, as numpy compares an int64 with a Python int; any other
  // as a double, as numpy compares an int64 with a float.
  const auto holds = [value](const Json& bound, bool strict, bool below) {
    if (!bound.is_number()) return true;
    if (bound.is_number_integer()) {
      const Int128 b =
          bound.is_number_unsigned() ? Int128{bound.get<uint64_t>()} : Int128{bound.get<int64_t>()};
      return below ? (strict ? b < value : b <= value) : (strict ? value < b : value <= b);
    }
    const double v = static_cast<double>(value);
    const double b = bound.get<double>();
    return below ? (strict ? b < v : b <= v) : (strict ? v < b : v <= b);
  };
  return holds(config.Arg("min_value"), config.Arg("strict_min").get<bool>(), true) &&
         holds(config.Arg("max_value"), config.Arg("strict_max").get<bool>(), false);
}

bool WithinBounds(double value, const ExpectationConfig& config) {
  if (std::isnan(value)) return false;
  const Json low = config.Arg("min_value");
  const Json high = config.Arg("max_value");
  if (low.is_number()) {
    const double lo = low.get<double>();
    if (config.Arg("strict_min").get<bool>() ? !(value > lo) : !(value >= lo)) return false;
  }
  if (high.is_number()) {
    const double hi = high.get<double>();
    if (config.Arg("strict_max").get<bool>() ? !(value < hi) : !(value <= hi)) return false;
  }
  return true;
}

namespace {

class NullCheck final : public MapBase {
 public:
  NullCheck(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s, bool not_null)
      : MapBase(c, i, f), state_(s), not_null_(not_null) {}

  void ConsumeBlock(const BlockView& b) override {
    const size_t present = b.present == nullptr ? b.n : CountOnes(b.present, b.n);
    if (not_null_) {
      if (b.present == nullptr) return;  // every row is selected and present
      const size_t selected = b.selected == nullptr ? b.n : CountOnes(b.selected, b.n);
      unexpected_ += static_cast<int64_t>(selected - present);
      for (size_t i = 0; i < b.n && WantMore() && selected > present; ++i) {
        if (b.IsSelected(i) && b.present[i] == 0) {
          Record(b.first_row + static_cast<int64_t>(i), nullptr);
        }
      }
      return;
    }
    unexpected_ += static_cast<int64_t>(present);
    for (size_t i = 0; i < b.n && WantMore() && present > 0; ++i) {
      if (b.IsPresent(i)) Record(b.first_row + static_cast<int64_t>(i), b.Json(i));
    }
  }

  Result<ExpectationResult> Finish(const Schema&) override {
    return MapResult(state_->element_count(), std::nullopt);
  }

 private:
  ColumnState* state_;
  const bool not_null_;
};

// Column map expectations whose result depends on each row alone, decided by Bad(block, i).
class RowMap : public MapBase {
 public:
  RowMap(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s)
      : MapBase(c, i, f), state_(s) {}
  Result<ExpectationResult> Finish(const Schema&) override {
    return MapResult(state_->element_count(), state_->nonnull_count());
  }

 protected:
  ColumnState* state_;
};

// min_value <= x <= max_value over doubles, integers, timestamps, bools or strings.
class Between final : public RowMap {
 public:
  Between(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s)
      : RowMap(c, i, f, s) {}

  Status Init(const Schema& schema) {
    const Json low = config_.Arg("min_value");
    const Json high = config_.Arg("max_value");
    strict_lo_ = config_.Arg("strict_min").get<bool>() && !low.is_null();
    strict_hi_ = config_.Arg("strict_max").get<bool>() && !high.is_null();
    const Type type = state_->type();
    const std::string column = config_.Arg("column").get<std::string>();
    auto wrong = [&](const char* what, const Json& bound, const char* fix) {
      return InvalidArgument("{} is {} but {} is {}; {}", what, Show(bound),
                             ColumnText(schema, column), table::TypeName(type), fix);
    };
    for (const auto& [name, bound] : {std::pair{"min_value", low}, std::pair{"max_value", high}}) {
      if (bound.is_null()) continue;
      if (type == Type::kString && !bound.is_string()) {
        return wrong(name, bound, "give text bounds, or check the column's type");
      }
      if (type == Type::kTimestamp && !TimestampMicros(bound)) {
        return wrong(name, bound, "give an ISO-8601 time such as \"2026-01-02T03:04:05Z\"");
      }
      if ((type == Type::kFloat64 || type == Type::kInt64 || type == Type::kBool) &&
          !bound.is_number()) {
        return wrong(name, bound, "give a number");
      }
    }
    if (type == Type::kString) {
      if (!low.is_null()) str_lo_ = low.get<std::string>();
      if (!high.is_null()) str_hi_ = high.get<std::string>();
      has_lo_ = !low.is_null();
      has_hi_ = !high.is_null();
      return Status::Ok();
    }
    if (type == Type::kTimestamp) {
      // Microseconds: integer bounds, made inclusive.
      if (!low.is_null()) int_lo_ = *TimestampMicros(low) + (strict_lo_ ? 1 : 0);
      if (!high.is_null()) int_hi_ = *TimestampMicros(high) - (strict_hi_ ? 1 : 0);
      return Status::Ok();
    }
    f64_lo_ = low.is_null() ? -INFINITY : low.get<double>();
    f64_hi_ = high.is_null() ? INFINITY : high.get<double>();
    if (type == Type::kInt64) {
      // Integer x >= 2.5 is x >= 3 and x > 2 is x >= 3: inclusive integer bounds, exact.
      // floor and ceil of a double are exact; the +-1 of a strict bound is done in int64,
      // since beyond 2^53 a double cannot hold bound + 1.
      constexpr double k2To63 = 9223372036854775808.0;
      if (!low.is_null()) {
        const double c = strict_lo_ ? std::floor(f64_lo_) : std::ceil(f64_lo_);
        if (c >= k2To63) {
          never_ = true;  // no int64 reaches the bound
        } else if (c >= -k2To63) {
          int_lo_ = static_cast<int64_t>(c) + (strict_lo_ ? 1 : 0);
        }
      }
      if (!high.is_null()) {
        const double c = strict_hi_ ? std::ceil(f64_hi_) : std::floor(f64_hi_);
        if (c < -k2To63 || (strict_hi_ && c == -k2To63)) {
          never_ = true;  // no int64 is below the bound
        } else if (c < k2To63) {
          int_hi_ = static_cast<int64_t>(c) - (strict_hi_ ? 1 : 0);
        }
      }
    }
    return Status::Ok();
  }

  void ConsumeBlock(const BlockView& b) override {
    switch (b.type) {
      case Type::kFloat64: {
        const double* x = b.f64;
        const double lo = f64_lo_, hi = f64_hi_;
        const bool slo = strict_lo_, shi = strict_hi_;
        Tally(b, CountOutside(x, b.present, b.n, lo, hi, slo, shi), [=](size_t i) {
          return !((slo ? x[i] > lo : x[i] >= lo) && (shi ? x[i] < hi : x[i] <= hi));
        });
        return;
      }
      case Type::kInt64:
      case Type::kTimestamp: {
        const int64_t* x = b.i64;
        const int64_t lo = int_lo_, hi = int_hi_;
        if (never_) {
          Scan(b, [](size_t) { return true; });
        } else {
          Tally(b, CountOutside(x, b.present, b.n, lo, hi),
                [x, lo, hi](size_t i) { return !((x[i] >= lo) & (x[i] <= hi)); });
        }
        return;
      }
      case Type::kBool: {
        const uint8_t* x = b.u8;
        const double lo = f64_lo_, hi = f64_hi_;
        const bool slo = strict_lo_, shi = strict_hi_;
        Scan(b, [=](size_t i) {
          const double v = x[i];
          return !((slo ? v > lo : v >= lo) && (shi ? v < hi : v <= hi));
        });
        return;
      }
      case Type::kString: {
        const std::string* x = b.str;
        Scan(b, [&, x](size_t i) {
          if (has_lo_ && (strict_lo_ ? !(x[i] > str_lo_) : !(x[i] >= str_lo_))) return true;
          if (has_hi_ && (strict_hi_ ? !(x[i] < str_hi_) : !(x[i] <= str_hi_))) return true;
          return false;
        });
        return;
      }
    }
  }

 private:
  bool strict_lo_ = false, strict_hi_ = false, never_ = false;
  double f64_lo_ = -INFINITY, f64_hi_ = INFINITY;
  int64_t int_lo_ = std::numeric_limits<int64_t>::min();
  int64_t int_hi_ = std::numeric_limits<int64_t>::max();
  bool has_lo_ = false, has_hi_ = false;
  std::string str_lo_, str_hi_;
};

// value_set membership (negated for not_be_in_set).
class InSet final : public RowMap {
 public:
  InSet(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s, bool negate)
      : RowMap(c, i, f, s), negate_(negate) {
    const Json set = config_.Arg("value_set");
    unrestricted_ = set.is_null();
    domain_ = DomainOf(set, s->type());
    f64_set_.insert(domain_.f64.begin(), domain_.f64.end());
    i64_set_.insert(domain_.i64.begin(), domain_.i64.end());
    str_set_.insert(domain_.str.begin(), domain_.str.end());
  }

  void ConsumeBlock(const BlockView& b) override {
    if (unrestricted_) return;  // value_set null: every value is expected
    const bool negate = negate_;
    switch (b.type) {
      case Type::kFloat64: {
        const double* x = b.f64;
        if (domain_.f64.size() <= 8) {
          const std::vector<double>& set = domain_.f64;
          Scan(b, [&, x](size_t i) {
            bool in = false;
            for (double v : set) in |= x[i] == v;
            return in == negate;
          });
        } else {
          Scan(b,
               [&, x](size_t i) { return (f64_set_.count(x[i] == 0 ? 0.0 : x[i]) > 0) == negate; });
        }
        return;
      }
      case Type::kInt64:
      case Type::kTimestamp: {
        const int64_t* x = b.i64;
        if (domain_.i64.size() <= 8) {
          const std::vector<int64_t>& set = domain_.i64;
          Scan(b, [&, x](size_t i) {
            bool in = false;
            for (int64_t v : set) in |= x[i] == v;
            return in == negate;
          });
        } else {
          Scan(b, [&, x](size_t i) { return (i64_set_.count(x[i]) > 0) == negate; });
        }
        return;
      }
      case Type::kBool: {
        const uint8_t* x = b.u8;
        Scan(b, [&, x](size_t i) { return domain_.bools[x[i] != 0] == negate; });
        return;
      }
      case Type::kString: {
        const std::string* x = b.str;
        Scan(b, [&, x](size_t i) { return (str_set_.count(x[i]) > 0) == negate; });
        return;
      }
    }
  }

 private:
  const bool negate_;
  bool unrestricted_ = false;
  ValueDomain domain_;
  std::unordered_set<double> f64_set_;
  std::unordered_set<int64_t> i64_set_;
  std::unordered_set<std::string> str_set_;
};

// Every occurrence of a repeated value is unexpected. One pass: a map from value to its count and
// first row; later occurrences are unexpected when seen, first occurrences once the count is known.
template <typename Key>
class Unique final : public RowMap {
 public:
  Unique(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s)
      : RowMap(c, i, f, s) {}

  void ConsumeBlock(const BlockView& b) override {
    for (size_t i = 0; i < b.n; ++i) {
      if (!b.IsPresent(i)) continue;
      const int64_t row = b.first_row + static_cast<int64_t>(i);
      auto [it, inserted] = seen_.try_emplace(KeyOf(b, i), Entry{0, row});
      if (++it->second.count > 1 && later_rows_.size() < keep_) {
        later_rows_.push_back(row);
        later_values_.push_back(b.Json(i));
      }
    }
  }

  Result<ExpectationResult> Finish(const Schema&) override {
    // First occurrences of repeated values, then merged with the later ones in row order.
    std::vector<std::pair<int64_t, Json>> rows;
    for (const auto& [key, entry] : seen_) {
      if (entry.count > 1) {
        unexpected_ += entry.count;
        rows.emplace_back(entry.first_row, ToJson(key));
      }
    }
    for (size_t i = 0; i < later_rows_.size(); ++i)
      rows.emplace_back(later_rows_[i], later_values_[i]);
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < rows.size() && i < keep_; ++i) {
      rows_.push_back(rows[i].first);
      values_.push_back(std::move(rows[i].second));
    }
    return MapResult(state_->element_count(), state_->nonnull_count());
  }

 private:
  struct Entry {
    int64_t count;
    int64_t first_row;
  };
  struct Hash {
    size_t operator()(const Key& k) const { return std::hash<Key>()(k); }
  };

  Key KeyOf(const BlockView& b, size_t i) const {
    if constexpr (std::is_same_v<Key, double>) {
      return b.f64[i] == 0 ? 0.0 : b.f64[i];
    } else if constexpr (std::is_same_v<Key, std::string>) {
      return b.str[i];
    } else {
      return b.i64 != nullptr ? b.i64[i] : static_cast<int64_t>(b.u8[i]);
    }
  }

  Json ToJson(const Key& key) const {
    if constexpr (std::is_same_v<Key, int64_t>) {
      if (state_->type() == Type::kTimestamp) return table::FormatTimestamp(key);
      if (state_->type() == Type::kBool) return key != 0;
    }
    return key;
  }

  std::unordered_map<Key, Entry, Hash> seen_;
  std::vector<int64_t> later_rows_;
  std::vector<Json> later_values_;
};

// Uniqueness of numbers in bounded memory: (value, row) pairs, 16 bytes a value, in runs of
// 65,536 sorted as the data streams in, then merged; equal neighbours in the merge are the
// repeats. A hash map would cost three to four times the memory for the same answer.
// Ids and times usually arrive in increasing order, and then cannot repeat: while they do, only
// the last value is kept. At the first value not above the one before, the values so far are
// collected after all: those of the current chunk from its column, those of earlier chunks in a
// second pass over the data.
template <typename Key>
class SortedUnique final : public RowMap {
 public:
  SortedUnique(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s)
      : RowMap(c, i, f, s) {}

  void ConsumeBlock(const BlockView& b) override {
    if (increasing_) {
      size_t k = 0;
      for (; k < b.n; ++k) {
        if (!b.IsPresent(k)) continue;
        const Key value = KeyOf(b, k);
        if (have_last_ && !(last_ < value)) break;
        last_ = value;
        have_last_ = true;
      }
      if (k == b.n) return;
      increasing_ = false;
      // The chunk's earlier blocks, from its column; its mask, if any, starts b.begin before.
      const int64_t chunk_first_row = b.first_row - static_cast<int64_t>(b.begin);
      const uint8_t* chunk_selected = b.selected == nullptr ? nullptr : b.selected - b.begin;
      std::vector<uint8_t> scratch;
      for (size_t begin = 0; begin < b.begin; begin += kBlockRows) {
        const size_t n = std::min(kBlockRows, b.begin - begin);
        Collect(MakeBlock(*b.column, begin, n, chunk_first_row + static_cast<int64_t>(begin),
                          chunk_selected == nullptr ? nullptr : chunk_selected + begin, scratch));
      }
      uncollected_rows_ = chunk_first_row;
    }
    Collect(b);
  }

  bool NeedsSecondPass() const override { return uncollected_rows_ > 0; }

  // The rows of chunks before the one where the order broke.
  void SecondPassBlock(const BlockView& b) override {
    if (b.first_row >= uncollected_rows_) return;
    BlockView head = b;
    head.n = std::min(b.n, static_cast<size_t>(uncollected_rows_ - b.first_row));
    Collect(head);
  }

  Result<ExpectationResult> Finish(const Schema&) override {
    SealRun();
    // The smallest Keep() rows among the repeats: a max-heap by row.
    std::priority_queue<std::pair<int64_t, Key>> kept;
    auto offer = [&](int64_t row, Key key) {
      if (kept.size() < keep_) {
        kept.push({row, key});
      } else if (row < kept.top().first) {
        kept.pop();
        kept.push({row, key});
      }
    };
    // Items in value order: equal values are neighbours.
    bool have = false;
    Item first{};
    int64_t group = 0;
    auto visit = [&](const Item& item) {
      if (have && item.first == first.first) {
        if (++group == 2) {
          offer(first.second, first.first);
          unexpected_ += 1;
        }
        offer(item.second, item.first);
        unexpected_ += 1;
        return;
      }
      have = true;
      first = item;
      group = 1;
    };
    // Runs in ascending order without overlap (data that arrives sorted) need no merge.
    bool chained = true;
    for (size_t r = 1; r < run_ends_.size() && chained; ++r) {
      chained = items_[run_ends_[r - 1] - 1].first < items_[run_ends_[r - 1]].first;
    }
    if (chained) {
      for (const Item& item : items_) visit(item);
    } else {
      // k-way merge: a min-heap of run heads.
      using Head = std::pair<Item, size_t>;  // (item, run)
      std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
      std::vector<size_t> next(run_ends_.size(), 0);
      for (size_t r = 0; r < run_ends_.size(); ++r) {
        next[r] = r == 0 ? 0 : run_ends_[r - 1];
        heads.push({items_[next[r]], r});
      }
      while (!heads.empty()) {
        const auto [item, r] = heads.top();
        heads.pop();
        if (++next[r] < run_ends_[r]) heads.push({items_[next[r]], r});
        visit(item);
      }
    }
    items_ = MappedArray<Item>();
    run_ends_.clear();
    std::vector<std::pair<int64_t, Key>> rows;
    while (!kept.empty()) {
      rows.push_back(kept.top());
      kept.pop();
    }
    std::reverse(rows.begin(), rows.end());
    for (const auto& [row, key] : rows) {
      rows_.push_back(row);
      values_.push_back(ToJson(key));
    }
    return MapResult(state_->element_count(), state_->nonnull_count());
  }

 private:
  // (value, row); trivially copyable, unlike std::pair, so that it can live in a MappedArray.
  struct Item {
    Key first;
    int64_t second;
    friend auto operator<=>(const Item&, const Item&) = default;
  };
  static constexpr size_t kRun = size_t{1} << 16;

  // Adds the block's present values to the open run, opening new runs as they fill.
  void Collect(const BlockView& b) {
    size_t i = 0;
    while (i < b.n) {
      if (items_.size() - run_begin_ == kRun) SealRun();
      const size_t take = std::min(b.n - i, kRun - (items_.size() - run_begin_));
      Item* out = items_.RoomFor(take);
      size_t kept = 0;
      for (size_t k = i; k < i + take; ++k) {
        out[kept] = {KeyOf(b, k), b.first_row + static_cast<int64_t>(k)};
        kept += b.IsPresent(k);
      }
      items_.Added(kept);
      i += take;
    }
  }

  // Sorts the open run (items from run_begin_) and closes it, if it has any items. Ids and times
  // usually arrive in order already: then the sort is a check.
  void SealRun() {
    if (items_.size() == run_begin_) return;
    Item* begin = items_.data() + run_begin_;
    Item* end = items_.end();
    if (!std::is_sorted(begin, end)) std::sort(begin, end);
    run_ends_.push_back(items_.size());
    run_begin_ = items_.size();
  }

  Key KeyOf(const BlockView& b, size_t i) const {
    if constexpr (std::is_same_v<Key, double>) {
      return b.f64[i] == 0 ? 0.0 : b.f64[i];
    } else {
      return b.i64 != nullptr ? b.i64[i] : static_cast<int64_t>(b.u8[i]);
    }
  }

  Json ToJson(const Key& key) const {
    if constexpr (std::is_same_v<Key, int64_t>) {
      if (state_->type() == Type::kTimestamp) return table::FormatTimestamp(key);
      if (state_->type() == Type::kBool) return key != 0;
    }
    return key;
  }

  // Runs of at most kRun items one after another: run r ends at run_ends_[r], and the open run
  // starts at run_begin_. One growing mapping, so collecting never copies what it has collected.
  MappedArray<Item> items_;
  std::vector<size_t> run_ends_;
  size_t run_begin_ = 0;
  // While every value so far is above the one before, nothing is collected.
  bool increasing_ = true;
  bool have_last_ = false;
  Key last_{};
  int64_t uncollected_rows_ = 0;  // rows before this one are collected in the second pass
};

// Expectations on the value as text (Python's str() of it).
class TextMap final : public RowMap {
 public:
  using Test = std::function<bool(const std::string&)>;  // true = expected
  TextMap(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s, Test test)
      : RowMap(c, i, f, s), test_(std::move(test)) {}

  void ConsumeBlock(const BlockView& b) override {
    if (b.type == Type::kString) {
      const std::string* x = b.str;
      Scan(b, [&, x](size_t i) { return !test_(x[i]); });
    } else {
      Scan(b, [&](size_t i) { return !test_(b.Text(i)); });
    }
  }

 private:
  Test test_;
};

// Each non-null value against the previous non-null one.
class Monotonic final : public RowMap {
 public:
  Monotonic(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s, bool increasing)
      : RowMap(c, i, f, s),
        increasing_(increasing),
        strictly_(config_.Arg("strictly").get<bool>()) {}

  void ConsumeBlock(const BlockView& b) override {
    for (size_t i = 0; i < b.n; ++i) {
      if (!b.IsPresent(i)) continue;
      bool bad = false;
      if (b.type == Type::kFloat64) {
        // pandas' diff: inf - inf is NaN, which passes.
        const double x = b.f64[i];
        if (has_prev_) {
          const double diff = increasing_ ? x - prev_f64_ : prev_f64_ - x;
          bad = !(std::isnan(diff) || (strictly_ ? diff > 0 : diff >= 0));
        }
        prev_f64_ = x;
      } else {
        const int64_t x = b.i64 != nullptr ? b.i64[i] : b.u8[i];
        if (has_prev_) {
          bad = increasing_ ? (strictly_ ? x <= prev_i64_ : x < prev_i64_)
                            : (strictly_ ? x >= prev_i64_ : x > prev_i64_);
        }
        prev_i64_ = x;
      }
      has_prev_ = true;
      if (bad) {
        ++unexpected_;
        Record(b.first_row + static_cast<int64_t>(i), b.Json(i));
      }
    }
  }

 private:
  const bool increasing_, strictly_;
  bool has_prev_ = false;
  double prev_f64_ = 0;
  int64_t prev_i64_ = 0;
};

// z = (x - mean) / sample stdev, judged in a second pass once both are known.
class ZScores final : public RowMap {
 public:
  ZScores(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s)
      : RowMap(c, i, f, s),
        threshold_(config_.Arg("threshold").get<double>()),
        double_sided_(config_.Arg("double_sided").get<bool>()) {
    s->needs.moments = true;
  }

  bool NeedsSecondPass() const override { return true; }

  void SecondPassBlock(const BlockView& b) override {
    const double mean = state_->mean();
    const double stdev = state_->stdev_sample();
    // A constant column, or fewer than two values: every z-score is NaN, which passes.
    if (!(stdev > 0) || std::isnan(mean)) return;
    const double t = double_sided_ ? std::fabs(threshold_) : threshold_;
    const bool two = double_sided_;
    if (b.type == Type::kFloat64) {
      const double* x = b.f64;
      Scan(b, [=](size_t i) {
        const double z = (x[i] - mean) / stdev;
        return !((two ? std::fabs(z) : z) < t || z != z);
      });
    } else {
      Scan(b, [=, &b](size_t i) {
        const double z = (b.Number(i) - mean) / stdev;
        return !((two ? std::fabs(z) : z) < t || z != z);
      });
    }
  }

 private:
  const double threshold_;
  const bool double_sided_;
};

// be_of_type / be_in_type_list: decided by the column's type.
class TypeCheck final : public Evaluator {
 public:
  TypeCheck(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s,
            std::vector<Type> allowed)
      : Evaluator(c, i, f), state_(s), allowed_(std::move(allowed)) {}

  Result<ExpectationResult> Finish(const Schema&) override {
    ExpectationResult r = NewResult();
    r.observed_value = std::string(PandasDtype(state_->type()));
    r.success = std::find(allowed_.begin(), allowed_.end(), state_->type()) != allowed_.end();
    return r;
  }

 private:
  ColumnState* state_;
  std::vector<Type> allowed_;
};

class Failure final : public Evaluator {
 public:
  Failure(const ExpectationConfig& c, size_t i, ResultFormat f, std::string message)
      : Evaluator(c, i, f), message_(std::move(message)) {}
  Result<ExpectationResult> Finish(const Schema&) override {
    ExpectationResult r = NewResult();
    r.success = false;
    r.raised_exception = true;
    r.exception_message = message_;
    return r;
  }

 private:
  std::string message_;
};

Status NeedType(bool ok, const ExpectationConfig& config, const Schema& schema, const char* what) {
  if (ok) return Status::Ok();
  const std::string column = config.Arg("column").get<std::string>();
  return InvalidArgument("{} is not {}; this expectation needs {}", ColumnText(schema, column),
                         what, what);
}

bool IsNumeric(Type t) { return t == Type::kFloat64 || t == Type::kInt64 || t == Type::kBool; }

}  // namespace

Result<std::unique_ptr<Evaluator>> MakeColumnMapEvaluator(const ExpectationConfig& c, size_t index,
                                                          ResultFormat f, const Schema& schema,
                                                          ColumnState* state) {
  const std::string& type = c.type;
  const Type column_type = state->type();
  if (type == "expect_column_values_to_not_be_null" || type == "expect_column_values_to_be_null") {
    return std::unique_ptr<Evaluator>(std::make_unique<NullCheck>(
        c, index, f, state, type == "expect_column_values_to_not_be_null"));
  }
  if (type == "expect_column_values_to_be_between") {
    auto e = std::make_unique<Between>(c, index, f, state);
    SLUICE_RETURN_IF_ERROR(e->Init(schema));
    return std::unique_ptr<Evaluator>(std::move(e));
  }
  if (type == "expect_column_values_to_be_in_set" ||
      type == "expect_column_values_to_not_be_in_set") {
    return std::unique_ptr<Evaluator>(std::make_unique<InSet>(
        c, index, f, state, type == "expect_column_values_to_not_be_in_set"));
  }
  if (type == "expect_column_values_to_be_unique") {
    switch (column_type) {
      case Type::kFloat64:
        return std::unique_ptr<Evaluator>(
            std::make_unique<SortedUnique<double>>(c, index, f, state));
      case Type::kString:
        return std::unique_ptr<Evaluator>(
            std::make_unique<Unique<std::string>>(c, index, f, state));
      default:
        return std::unique_ptr<Evaluator>(
            std::make_unique<SortedUnique<int64_t>>(c, index, f, state));
    }
  }
  if (type == "expect_column_values_to_match_regex" ||
      type == "expect_column_values_to_not_match_regex") {
    SLUICE_ASSIGN_OR_RETURN(std::regex regex, CompileRegex(c.Arg("regex").get<std::string>()));
    const bool want = type == "expect_column_values_to_match_regex";
    auto shared = std::make_shared<std::regex>(std::move(regex));
    return std::unique_ptr<Evaluator>(std::make_unique<TextMap>(
        c, index, f, state,
        [shared, want](const std::string& s) { return RegexSearch(*shared, s) == want; }));
  }
  if (type == "expect_column_values_to_match_regex_list" ||
      type == "expect_column_values_to_not_match_regex_list") {
    auto regexes = std::make_shared<std::vector<std::regex>>();
    for (const Json& pattern : c.Arg("regex_list")) {
      SLUICE_ASSIGN_OR_RETURN(std::regex regex, CompileRegex(pattern.get<std::string>()));
      regexes->push_back(std::move(regex));
    }
    const bool negate = type == "expect_column_values_to_not_match_regex_list";
    const bool all = !negate && c.Arg("match_on").get<std::string>() == "all";
    return std::unique_ptr<Evaluator>(
        std::make_unique<TextMap>(c, index, f, state, [regexes, negate, all](const std::string& s) {
          size_t matches = 0;
          for (const std::regex& r : *regexes) matches += RegexSearch(r, s);
          if (negate) return matches == 0;
          return all ? matches == regexes->size() : matches > 0;
        }));
  }
  if (type == "expect_column_values_to_match_strftime_format") {
    SLUICE_RETURN_IF_ERROR(NeedType(column_type == Type::kString, c, schema, "a string column"));
    SLUICE_ASSIGN_OR_RETURN(StrftimeFormat format,
                            StrftimeFormat::Compile(c.Arg("strftime_format").get<std::string>()));
    auto shared = std::make_shared<StrftimeFormat>(std::move(format));
    return std::unique_ptr<Evaluator>(std::make_unique<TextMap>(
        c, index, f, state, [shared](const std::string& s) { return shared->Matches(s); }));
  }
  if (type == "expect_column_values_to_be_json_parseable") {
    SLUICE_RETURN_IF_ERROR(NeedType(column_type == Type::kString, c, schema, "a string column"));
    return std::unique_ptr<Evaluator>(std::make_unique<TextMap>(
        c, index, f, state, [](const std::string& s) { return JsonParseable(s); }));
  }
  if (type == "expect_column_values_to_be_of_type" ||
      type == "expect_column_values_to_be_in_type_list") {
    std::vector<Type> allowed;
    const Json names = type == "expect_column_values_to_be_of_type" ? Json::array({c.Arg("type_")})
                                                                    : c.Arg("type_list");
    for (const Json& name : names) {
      const std::optional<std::vector<Type>> types = TypesForName(name.get<std::string>());
      if (types) allowed.insert(allowed.end(), types->begin(), types->end());
    }
    return std::unique_ptr<Evaluator>(
        std::make_unique<TypeCheck>(c, index, f, state, std::move(allowed)));
  }
  if (type == "expect_column_value_lengths_to_be_between" ||
      type == "expect_column_value_lengths_to_equal") {
    const bool equal = type == "expect_column_value_lengths_to_equal";
    const Json low = equal ? c.Arg("value") : c.Arg("min_value");
    const Json high = equal ? c.Arg("value") : c.Arg("max_value");
    const bool strict_lo = !equal && c.Arg("strict_min").get<bool>();
    const bool strict_hi = !equal && c.Arg("strict_max").get<bool>();
    const double lo = low.is_null() ? -INFINITY : low.get<double>();
    const double hi = high.is_null() ? INFINITY : high.get<double>();
    return std::unique_ptr<Evaluator>(
        std::make_unique<TextMap>(c, index, f, state, [=](const std::string& s) {
          const double n = static_cast<double>(Utf8Length(s));
          return (strict_lo ? n > lo : n >= lo) && (strict_hi ? n < hi : n <= hi);
        }));
  }
  if (type == "expect_column_values_to_be_increasing" ||
      type == "expect_column_values_to_be_decreasing") {
    SLUICE_RETURN_IF_ERROR(
        NeedType(column_type != Type::kString, c, schema, "a numeric, bool or timestamp column"));
    return std::unique_ptr<Evaluator>(std::make_unique<Monotonic>(
        c, index, f, state, type == "expect_column_values_to_be_increasing"));
  }
  if (type == "expect_column_value_z_scores_to_be_less_than") {
    SLUICE_RETURN_IF_ERROR(NeedType(IsNumeric(column_type), c, schema, "a numeric column"));
    return std::unique_ptr<Evaluator>(std::make_unique<ZScores>(c, index, f, state));
  }
  return Internal("no evaluator for {}", type);
}

Result<std::unique_ptr<Evaluator>> MakeEvaluator(const ExpectationConfig& config, size_t index,
                                                 ResultFormat format, const Schema& schema,
                                                 ColumnState* state) {
  const ExpectationSpec* spec = FindExpectation(config.type);
  SLUICE_CHECK(spec != nullptr);
  switch (spec->kind) {
    case ExpectationKind::kColumnMap:
      return MakeColumnMapEvaluator(config, index, format, schema, state);
    case ExpectationKind::kColumnAggregate:
      return MakeAggregateEvaluator(config, index, format, schema, state);
    case ExpectationKind::kColumnPair:
    case ExpectationKind::kMulticolumn:
    case ExpectationKind::kTable:
      return MakeChunkEvaluator(config, index, format, schema);
  }
  return Internal("unknown kind of {}", config.type);
}

std::unique_ptr<Evaluator> MakeFailure(const ExpectationConfig& config, size_t index,
                                       ResultFormat format, std::string message) {
  return std::make_unique<Failure>(config, index, format, std::move(message));
}

}  // namespace sluice::validation::internal
