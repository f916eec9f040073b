// Column aggregate expectations: one observed value from the column's shared aggregates.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <span>

#include "validation/internal/evaluator_impl.h"
#include "validation/internal/order_statistics.h"

namespace sluice::validation::internal {
namespace {

using Json = nlohmann::json;
using table::Type;

bool IsNumeric(Type t) { return t == Type::kFloat64 || t == Type::kInt64 || t == Type::kBool; }

Json NumberJson(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

// A value of the column's type as JSON, from its double form.
Json TypedJson(double v, Type type) {
  if (std::isnan(v)) return nullptr;
  switch (type) {
    case Type::kInt64:
      return static_cast<int64_t>(v);
    case Type::kBool:
      return v != 0;
    case Type::kTimestamp:
      return table::FormatTimestamp(static_cast<int64_t>(std::llround(v)));
    default:
      return v;
  }
}

// The canonical JSON text of a value in a column's domain, for set comparisons.
std::vector<std::string> DomainKeys(const ValueDomain& d, Type type) {
  std::vector<std::string> keys;
  switch (type) {
    case Type::kFloat64:
      for (double v : d.f64) keys.push_back(Json(v).dump());
      break;
    case Type::kInt64:
      for (int64_t v : d.i64) keys.push_back(Json(v).dump());
      break;
    case Type::kTimestamp:
      for (int64_t v : d.i64) keys.push_back(Json(table::FormatTimestamp(v)).dump());
      break;
    case Type::kBool:
      if (d.bools[0]) keys.push_back("false");
      if (d.bools[1]) keys.push_back("true");
      break;
    case Type::kString:
      for (const std::string& v : d.str) keys.push_back(Json(v).dump());
      break;
  }
  return keys;
}

// How many values of `set` cannot occur in a column of `type` at all ("a" in an int64 column).
size_t Unrepresentable(const Json& set, Type type) {
  size_t n = 0;
  for (const Json& v : set) {
    n += DomainKeys(DomainOf(Json::array({v}), type), type).empty();
  }
  return n;
}

enum class Stat { kMin, kMax, kMean, kMedian, kStdev, kSum };

class StatBetween final : public Evaluator {
 public:
  StatBetween(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s, Stat stat)
      : Evaluator(c, i, f), state_(s), stat_(stat) {
    if (stat == Stat::kMedian) {
      s->needs.values = true;
    } else {
      s->needs.moments = true;
    }
  }

  Result<ExpectationResult> Finish(const Schema&) override {
    ExpectationResult r = NewResult();
    const Type type = state_->type();
    const bool exact = type != Type::kFloat64;  // integers, bools, timestamps
    const bool empty = state_->nonnull_count() == 0;
    double value = std::nan("");
    switch (stat_) {
      case Stat::kMin:
        if (!empty) value = exact ? static_cast<double>(state_->int_min()) : state_->min();
        r.observed_value = empty                           ? Json(nullptr)
                           : exact && type == Type::kInt64 ? Json(state_->int_min())
                                                           : TypedJson(value, type);
        break;
      case Stat::kMax:
        if (!empty) value = exact ? static_cast<double>(state_->int_max()) : state_->max();
        r.observed_value = empty                           ? Json(nullptr)
                           : exact && type == Type::kInt64 ? Json(state_->int_max())
                                                           : TypedJson(value, type);
        break;
      case Stat::kMean:
        value = exact && !empty ? static_cast<double>(state_->int_sum()) /
                                      static_cast<double>(state_->nonnull_count())
                                : state_->mean();
        r.observed_value = NumberJson(value);
        break;
      case Stat::kStdev:
        value = state_->stdev_sample();
        r.observed_value = NumberJson(value);
        break;
      case Stat::kSum:
        // pandas: the sum of no values is 0.
        if (exact) {
          const Int128 sum = state_->int_sum();
          value = static_cast<double>(sum);
          r.observed_value =
              sum >= INT64_MIN && sum <= INT64_MAX ? Json(static_cast<int64_t>(sum)) : Json(value);
        } else {
          value = state_->sum();
          r.observed_value = value;
        }
        break;
      case Stat::kMedian: {
        value = Median();
        r.observed_value = NumberJson(value);
        break;
      }
    }
    if (type == Type::kTimestamp) {
      // Bounds are ISO-8601 times, compared in microseconds.
      r.success = !std::isnan(value) && TimeWithin(static_cast<int64_t>(value));
    } else if (exact && !empty && (stat_ == Stat::kMin || stat_ == Stat::kMax)) {
      r.success = WithinBounds(Int128{stat_ == Stat::kMin ? state_->int_min() : state_->int_max()},
                               config_);
    } else if (exact && stat_ == Stat::kSum) {
      r.success = WithinBounds(state_->int_sum(), config_);
    } else {
      r.success = WithinBounds(value, config_);
    }
    return r;
  }

 private:
  double Median() {
    if (state_->type() == Type::kFloat64 || state_->type() == Type::kBool) {
      const size_t n = state_->value_count();
      if (n == 0) return std::nan("");
      const size_t mid = n / 2;
      if (n % 2 == 1) return state_->ValuesAtRanks(std::vector<size_t>{mid})[0];
      const std::vector<double> middle = state_->ValuesAtRanks(std::vector<size_t>{mid - 1, mid});
      return (middle[0] + middle[1]) / 2;
    }
    MappedArray<int64_t>& v = state_->int_values();
    if (v.empty()) return std::nan("");
    const size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid), v.end());
    const double upper = static_cast<double>(v[mid]);
    if (v.size() % 2 == 1) return upper;
    const double lower =
        static_cast<double>(*std::max_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid)));
    return (lower + upper) / 2;
  }

  bool TimeWithin(int64_t micros) const {
    const Json low = config_.Arg("min_value");
    const Json high = config_.Arg("max_value");
    if (auto lo = TimestampMicros(low)) {
      if (config_.Arg("strict_min").get<bool>() ? micros <= *lo : micros < *lo) return false;
    }
    if (auto hi = TimestampMicros(high)) {
      if (config_.Arg("strict_max").get<bool>() ? micros >= *hi : micros > *hi) return false;
    }
    return true;
  }

  ColumnState* state_;
  const Stat stat_;
};

class Quantiles final : public Evaluator {
 public:
  Quantiles(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s)
      : Evaluator(c, i, f), state_(s) {
    s->needs.values = true;
    const Json method = c.Arg("allow_relative_error");
    method_ = method.is_string() ? method.get<std::string>() : "nearest";
  }

  Result<ExpectationResult> Finish(const Schema&) override {
    ExpectationResult r = NewResult();
    const Json ranges = config_.Arg("quantile_ranges");
    const Type type = state_->type();
    const bool doubles = type == Type::kFloat64 || type == Type::kBool;
    std::vector<double> converted;
    if (!doubles) converted.assign(state_->int_values().begin(), state_->int_values().end());
    const size_t count = doubles ? state_->value_count() : converted.size();
    // Only the order statistics the quantiles read: the two ranks around each position.
    std::vector<size_t> positions;
    for (const Json& q : ranges["quantiles"]) {
      if (count == 0) break;
      const double h = q.get<double>() * static_cast<double>(count - 1);
      positions.push_back(static_cast<size_t>(std::floor(h)));
      positions.push_back(std::min(static_cast<size_t>(std::floor(h)) + 1, count - 1));
    }
    const std::vector<double> at =
        doubles ? state_->ValuesAtRanks(positions) : ValuesAtRanks(converted, positions);
    std::map<size_t, double> sorted;  // position in sorted order -> value
    for (size_t k = 0; k < positions.size(); ++k) sorted[positions[k]] = at[k];
    Json values = Json::array();
    Json details = Json::array();
    bool success = true;
    const bool whole = method_ == "nearest" || method_ == "lower" || method_ == "higher";
    for (size_t k = 0; k < ranges["quantiles"].size(); ++k) {
      const double q = ranges["quantiles"][k].get<double>();
      const double v = Quantile(sorted, count, q);
      values.push_back(whole ? TypedJson(v, type) : NumberJson(v));
      const Json& range = ranges["value_ranges"][k];
      bool ok = !std::isnan(v);
      if (range[0].is_number()) ok = ok && v >= range[0].get<double>();
      if (range[1].is_number()) ok = ok && v <= range[1].get<double>();
      details.push_back(ok);
      success = success && ok;
    }
    r.observed_value = {{"quantiles", ranges["quantiles"]}, {"values", values}};
    r.details = {{"success_details", details}};
    r.success = success;
    return r;
  }

 private:
  // pandas' Series.quantile(q, interpolation=method) over n values: position q (n - 1) in sorted
  // order, read from `sorted` (position -> value, holding the positions around it).
  double Quantile(const std::map<size_t, double>& sorted, size_t n, double q) const {
    if (n == 0) return std::nan("");
    const double h = q * static_cast<double>(n - 1);
    const double lo = std::floor(h);
    const size_t i = static_cast<size_t>(lo);
    const size_t j = std::min(i + 1, n - 1);
    const double frac = h - lo;
    const double vi = sorted.at(i);
    const double vj = sorted.at(j);
    if (method_ == "lower") return vi;
    if (method_ == "higher") return frac > 0 ? vj : vi;
    if (method_ == "midpoint") return frac > 0 ? (vi + vj) / 2 : vi;
    if (method_ == "linear") return vi + frac * (vj - vi);
    // nearest: numpy rounds half to even.
    return static_cast<size_t>(std::nearbyint(h)) == i ? vi : vj;
  }

  ColumnState* state_;
  std::string method_;
};

enum class Distinct { kCount, kProportion, kInSet, kContainSet, kEqualSet, kMostCommon };

class DistinctValues final : public Evaluator {
 public:
  DistinctValues(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s, Distinct d)
      : Evaluator(c, i, f), state_(s), which_(d) {
    s->needs.distinct = true;
  }

  Result<ExpectationResult> Finish(const Schema&) override {
    ExpectationResult r = NewResult();
    const Type type = state_->type();
    const DistinctCounts& counts = state_->distinct();
    const double distinct = static_cast<double>(counts.size(type));
    switch (which_) {
      case Distinct::kCount:
        r.observed_value = counts.size(type);
        r.success = WithinBounds(distinct, config_);
        return r;
      case Distinct::kProportion: {
        const int64_t nonnull = state_->nonnull_count();
        const double proportion = nonnull > 0 ? distinct / static_cast<double>(nonnull) : 0.0;
        r.observed_value = proportion;
        r.success = WithinBounds(proportion, config_);
        return r;
      }
      default:
        break;
    }
    const auto sorted = counts.Sorted(type);
    const Json set = config_.Arg("value_set");
    std::set<std::string> expected;
    for (const std::string& key : DomainKeys(DomainOf(set, type), type)) expected.insert(key);
    std::set<std::string> observed;
    for (const auto& [value, count] : sorted) observed.insert(value.dump());
    if (which_ == Distinct::kMostCommon) {
      int64_t top = 0;
      for (const auto& [value, count] : sorted) top = std::max(top, count);
      Json modes = Json::array();
      size_t in_set = 0;
      for (const auto& [value, count] : sorted) {
        if (count != top) continue;
        modes.push_back(value);
        in_set += expected.count(value.dump());
      }
      r.observed_value = modes;
      r.success =
          config_.Arg("ties_okay").get<bool>() ? in_set > 0 : modes.size() == 1 && in_set == 1;
      return r;
    }
    Json values = Json::array();
    Json value_counts = Json::array();
    for (const auto& [value, count] : sorted) {
      values.push_back(value);
      value_counts.push_back({{"value", value}, {"count", count}});
    }
    r.observed_value = values;
    r.details = {{"value_counts", value_counts}};
    if (set.is_null()) {
      r.success = true;  // no restriction
      return r;
    }
    const bool observed_in_set =
        std::includes(expected.begin(), expected.end(), observed.begin(), observed.end());
    const bool set_in_observed =
        Unrepresentable(set, type) == 0 &&
        std::includes(observed.begin(), observed.end(), expected.begin(), expected.end());
    r.success = which_ == Distinct::kInSet        ? observed_in_set
                : which_ == Distinct::kContainSet ? set_in_observed
                                                  : observed_in_set && set_in_observed;
    return r;
  }

 private:
  ColumnState* state_;
  const Distinct which_;
};

// scipy.stats.entropy(pk, qk): both normalized, sum of pk log(pk / qk); inf where qk = 0 < pk.
double Entropy(const std::vector<double>& pk, const std::vector<double>& qk) {
  double sp = 0, sq = 0;
  for (double p : pk) sp += p;
  for (double q : qk) sq += q;
  double total = 0;
  for (size_t i = 0; i < pk.size(); ++i) {
    const double p = pk[i] / sp, q = qk[i] / sq;
    if (p > 0)
      total += q > 0 ? p * std::log(p / q) : INFINITY;
    else if (std::isnan(p) || std::isnan(q))
      total = std::nan("");
  }
  return total;
}

class KlDivergence final : public Evaluator {
 public:
  KlDivergence(const ExpectationConfig& c, size_t i, ResultFormat f, ColumnState* s)
      : Evaluator(c, i, f), state_(s), partition_(c.Arg("partition_object")) {
    if (partition_.contains("values")) {
      s->needs.distinct = true;
    } else {
      s->needs.values = true;
    }
  }

  Result<ExpectationResult> Finish(const Schema&) override {
    ExpectationResult r = NewResult();
    const double tail = config_.Arg("tail_weight_holdout").get<double>();
    const double nonnull = static_cast<double>(state_->nonnull_count());
    double kl = 0;
    if (partition_.contains("values")) {
      // Union of the partition's values (its order) and the observed ones (by value).
      std::vector<Json> index;
      std::vector<double> expected, observed;
      for (size_t k = 0; k < partition_["values"].size(); ++k) {
        index.push_back(partition_["values"][k]);
        expected.push_back(partition_["weights"][k].get<double>());
        observed.push_back(0);
      }
      size_t unexpected_values = 0;
      for (const auto& [value, count] : state_->distinct().Sorted(state_->type())) {
        auto it = std::find(index.begin(), index.end(), value);
        const double weight = static_cast<double>(count) / nonnull;
        if (it != index.end()) {
          observed[static_cast<size_t>(it - index.begin())] = weight;
        } else {
          index.push_back(value);
          expected.push_back(std::nan(""));
          observed.push_back(weight);
          ++unexpected_values;
        }
      }
      for (double& q : expected) {
        if (unexpected_values == 0) break;
        q = std::isnan(q) ? tail / static_cast<double>(unexpected_values) : q * (1 - tail);
      }
      kl = Entropy(observed, expected);
      r.details = {{"observed_partition", {{"values", index}, {"weights", observed}}},
                   {"expected_partition", {{"values", index}, {"weights", expected}}}};
    } else {
      kl = Continuous(r, tail, nonnull);
    }
    const bool finite = std::isfinite(kl);
    r.observed_value = finite ? Json(kl) : Json(nullptr);
    const Json threshold = config_.Arg("threshold");
    r.success = threshold.is_null() ? true : kl <= threshold.get<double>();
    return r;
  }

 private:
  // GE's continuous case, line for line: observed weights by the partition's bins, the values
  // below and above it as tails, the holdouts spread into the expected weights.
  double Continuous(ExpectationResult& r, double tail, double nonnull) {
    std::vector<double> bins;
    for (const Json& b : partition_["bins"]) bins.push_back(b.get<double>());
    std::vector<double> weights;
    for (const Json& w : partition_["weights"]) weights.push_back(w.get<double>());
    const double internal = config_.Arg("internal_weight_holdout").get<double>();

    std::vector<double> values;
    state_->AppendValues(values);
    for (int64_t v : state_->int_values()) values.push_back(static_cast<double>(v));
    std::vector<double> hist(weights.size(), 0);
    double below = 0, above = 0;
    for (double v : values) {
      if (v <= bins.front()) ++below;
      if (v > bins.back()) ++above;
      if (v < bins.front() || v > bins.back()) continue;
      // numpy.histogram: [b_i, b_i+1), the last bin closed.
      size_t k = static_cast<size_t>(std::upper_bound(bins.begin(), bins.end(), v) - bins.begin());
      k = k == 0 ? 0 : std::min(k - 1, hist.size() - 1);
      ++hist[k];
    }
    std::vector<double> observed(hist.size());
    for (size_t k = 0; k < hist.size(); ++k) observed[k] = hist[k] / nonnull;
    std::vector<double> expected(weights.size());
    for (size_t k = 0; k < weights.size(); ++k) expected[k] = weights[k] * (1 - tail - internal);
    if (internal > 0) {
      const size_t zeros = static_cast<size_t>(std::count(expected.begin(), expected.end(), 0.0));
      for (double& e : expected) {
        if (zeros > 0 && e == 0) e = internal / static_cast<double>(zeros);
      }
    }
    std::vector<double> comb_expected, comb_observed, expected_tails, observed_tails;
    std::vector<double> expected_bins;
    const bool lo_inf = std::isinf(bins.front()), hi_inf = std::isinf(bins.back());
    if (lo_inf && hi_inf) {
      expected_bins.assign(bins.begin() + 1, bins.end() - 1);
      comb_expected = expected;
      expected_tails = {expected.front(), expected.back()};
      expected.assign(expected.begin() + 1, expected.end() - 1);
      comb_observed = observed;
      observed_tails = {observed.front(), observed.back()};
      observed.assign(observed.begin() + 1, observed.end() - 1);
    } else if (lo_inf) {
      expected_bins.assign(bins.begin() + 1, bins.end());
      comb_expected = expected;
      comb_expected.push_back(tail);
      expected_tails = {expected.front(), tail};
      expected.erase(expected.begin());
      comb_observed = observed;
      comb_observed.push_back(above / nonnull);
      observed_tails = {observed.front(), above / nonnull};
      observed.erase(observed.begin());
    } else if (hi_inf) {
      expected_bins.assign(bins.begin(), bins.end() - 1);
      comb_expected = {tail};
      comb_expected.insert(comb_expected.end(), expected.begin(), expected.end());
      expected_tails = {tail, expected.back()};
      expected.pop_back();
      comb_observed = {below / nonnull};
      comb_observed.insert(comb_observed.end(), observed.begin(), observed.end());
      observed_tails = {below / nonnull, observed.back()};
      observed.pop_back();
    } else {
      expected_bins = bins;
      if (partition_.contains("tail_weights")) {
        const double t0 = partition_["tail_weights"][0].get<double>();
        const double t1 = partition_["tail_weights"][1].get<double>();
        comb_expected = {t0};
        comb_expected.insert(comb_expected.end(), expected.begin(), expected.end());
        comb_expected.push_back(t1);
        expected_tails = {t0, t1};
      } else {
        comb_expected = {tail / 2};
        comb_expected.insert(comb_expected.end(), expected.begin(), expected.end());
        comb_expected.push_back(tail / 2);
        expected_tails = {tail / 2, tail / 2};
      }
      comb_observed = {below / nonnull};
      comb_observed.insert(comb_observed.end(), observed.begin(), observed.end());
      comb_observed.push_back(above / nonnull);
      observed_tails = {below / nonnull, above / nonnull};
    }
    r.details = {
        {"observed_partition",
         {{"bins", expected_bins}, {"weights", observed}, {"tail_weights", observed_tails}}},
        {"expected_partition",
         {{"bins", expected_bins}, {"weights", expected}, {"tail_weights", expected_tails}}}};
    return Entropy(comb_observed, comb_expected);
  }

  ColumnState* state_;
  const Json partition_;
};

Status CheckBoundsFor(const ExpectationConfig& c, const Schema& schema, Type type) {
  const std::string column = c.Arg("column").get<std::string>();
  for (const char* name : {"min_value", "max_value"}) {
    const Json bound = c.Arg(name);
    if (bound.is_null()) continue;
    if (type == Type::kTimestamp && !TimestampMicros(bound)) {
      return InvalidArgument("{} is {} but {} holds times; give an ISO-8601 time", name,
                             Show(bound), ColumnText(schema, column));
    }
    if (type != Type::kTimestamp && !bound.is_number()) {
      return InvalidArgument("{} is {} but {} is {}; give a number", name, Show(bound),
                             ColumnText(schema, column), table::TypeName(type));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Evaluator>> MakeAggregateEvaluator(const ExpectationConfig& c, size_t index,
                                                          ResultFormat f, const Schema& schema,
                                                          ColumnState* state) {
  const std::string& type = c.type;
  const Type column_type = state->type();
  const std::string column = c.Arg("column").get<std::string>();
  auto need = [&](bool ok, const char* what) -> Status {
    if (ok) return Status::Ok();
    return InvalidArgument("{} is not {}; this expectation needs {}", ColumnText(schema, column),
                           what, what);
  };
  static const std::pair<const char*, Stat> kStats[] = {
      {"expect_column_min_to_be_between", Stat::kMin},
      {"expect_column_max_to_be_between", Stat::kMax},
      {"expect_column_mean_to_be_between", Stat::kMean},
      {"expect_column_median_to_be_between", Stat::kMedian},
      {"expect_column_stdev_to_be_between", Stat::kStdev},
      {"expect_column_sum_to_be_between", Stat::kSum}};
  for (const auto& [name, stat] : kStats) {
    if (type != name) continue;
    if (stat == Stat::kMin || stat == Stat::kMax) {
      SLUICE_RETURN_IF_ERROR(
          need(column_type != Type::kString, "a numeric, bool or timestamp column"));
    } else {
      SLUICE_RETURN_IF_ERROR(need(IsNumeric(column_type), "a numeric column"));
    }
    SLUICE_RETURN_IF_ERROR(CheckBoundsFor(c, schema, column_type));
    return std::unique_ptr<Evaluator>(std::make_unique<StatBetween>(c, index, f, state, stat));
  }
  if (type == "expect_column_quantile_values_to_be_between") {
    SLUICE_RETURN_IF_ERROR(need(column_type != Type::kString, "a numeric column"));
    return std::unique_ptr<Evaluator>(std::make_unique<Quantiles>(c, index, f, state));
  }
  static const std::pair<const char*, Distinct> kDistinct[] = {
      {"expect_column_unique_value_count_to_be_between", Distinct::kCount},
      {"expect_column_proportion_of_unique_values_to_be_between", Distinct::kProportion},
      {"expect_column_distinct_values_to_be_in_set", Distinct::kInSet},
      {"expect_column_distinct_values_to_contain_set", Distinct::kContainSet},
      {"expect_column_distinct_values_to_equal_set", Distinct::kEqualSet},
      {"expect_column_most_common_value_to_be_in_set", Distinct::kMostCommon}};
  for (const auto& [name, which] : kDistinct) {
    if (type == name) {
      return std::unique_ptr<Evaluator>(
          std::make_unique<DistinctValues>(c, index, f, state, which));
    }
  }
  if (type == "expect_column_kl_divergence_to_be_less_than") {
    if (!c.Arg("partition_object").contains("values")) {
      SLUICE_RETURN_IF_ERROR(need(IsNumeric(column_type), "a numeric column"));
    }
    return std::unique_ptr<Evaluator>(std::make_unique<KlDivergence>(c, index, f, state));
  }
  return Internal("no evaluator for {}", type);
}

}  // namespace sluice::validation::internal
