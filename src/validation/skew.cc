#include "validation/skew.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "base/strings.h"

namespace sluice::validation {
namespace {

using Json = nlohmann::json;
using table::Column;
using table::Type;

bool IsNull(const Column& c, size_t row) {
  return c.IsNull(row) || (c.type() == Type::kFloat64 && std::isnan(c.float64s()[row]));
}

// TFDV's StripPointAndInfiniteBuckets: ordinary buckets, point masses by value, infinite mass.
std::tuple<std::vector<Bucket>, std::map<double, double>, double> Strip(
    const std::vector<Bucket>& histogram) {
  std::vector<Bucket> result;
  std::map<double, double> points;
  double infinite = 0;
  for (const Bucket& b : histogram) {
    if (!std::isfinite(b.low) || !std::isfinite(b.high)) {
      infinite += b.count;
    } else if (b.low == b.high) {
      points[b.low] += b.count;
    } else {
      result.push_back(b);
    }
  }
  return {result, points, infinite};
}

std::set<double> Boundaries(const std::vector<Bucket>& histogram) {
  std::set<double> out;
  for (const Bucket& b : histogram) {
    out.insert(b.low);
    out.insert(b.high);
  }
  return out;
}

// TFDV's RebucketHistogram: the counts redistributed over `boundaries` (which hold every
// boundary of `histogram`), uniformly inside each original bucket.
std::vector<Bucket> Rebucket(const std::vector<double>& boundaries,
                             const std::vector<Bucket>& histogram) {
  std::vector<Bucket> out;
  const size_t last = boundaries.size() - 1;
  size_t index = 0;
  for (const Bucket& b : histogram) {
    while (b.low > boundaries[index] && index + 1 <= last) {
      out.push_back({boundaries[index], boundaries[index + 1], 0});
      ++index;
    }
    std::vector<double> covered;
    while (index <= last && b.high > boundaries[index]) covered.push_back(boundaries[index++]);
    covered.push_back(boundaries[std::min(index, last)]);
    for (size_t i = 0; i + 1 < covered.size(); ++i) {
      const double share = (covered[i + 1] - covered[i]) / (b.high - b.low);
      out.push_back({covered[i], covered[i + 1], share * b.count});
    }
  }
  for (size_t i = index; i < last; ++i) out.push_back({boundaries[i], boundaries[i + 1], 0});
  return out;
}

double KullbackLeibler(const std::vector<Bucket>& p, const std::vector<Bucket>& q) {
  double result = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i].count > 0 && q[i].count > 0) result += p[i].count * std::log2(p[i].count / q[i].count);
  }
  return result;
}

// The STANDARD histogram of a column's non-null values: `bins` equal-width buckets over
// [min, max] of the finite values, each holding its upper bound (the first also its lower); a
// single point bucket when min == max; infinities in a bucket of their own.
std::vector<Bucket> StandardHistogram(const Column& c, int bins, int64_t* count) {
  std::vector<double> values;
  double infinite = 0;
  for (size_t r = 0; r < c.size(); ++r) {
    if (IsNull(c, r)) continue;
    const double v = c.AsDouble(r);
    if (std::isinf(v)) {
      ++infinite;
    } else {
      values.push_back(v);
    }
  }
  *count = static_cast<int64_t>(values.size()) + static_cast<int64_t>(infinite);
  std::vector<Bucket> out;
  if (!values.empty()) {
    const auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
    const double lo = *lo_it, hi = *hi_it;
    if (lo == hi) {
      out.push_back({lo, hi, static_cast<double>(values.size())});
    } else {
      const double width = (hi - lo) / bins;
      for (int i = 0; i < bins; ++i) {
        out.push_back({lo + width * i, i + 1 == bins ? hi : lo + width * (i + 1), 0});
      }
      for (double v : values) {
        int k = v == lo ? 0 : static_cast<int>(std::ceil((v - lo) / width)) - 1;
        k = std::clamp(k, 0, bins - 1);
        out[static_cast<size_t>(k)].count += 1;
      }
    }
  }
  if (infinite > 0) {
    out.push_back({-std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::infinity(), infinite});
  }
  return out;
}

std::string CategoryOf(const Column& c, size_t row) {
  return c.type() == Type::kString ? c.strings()[row] : c.ValueToString(row);
}

std::map<std::string, double> Counts(const Column& c, int64_t* count) {
  std::map<std::string, double> counts;
  *count = 0;
  for (size_t r = 0; r < c.size(); ++r) {
    if (IsNull(c, r)) continue;
    counts[CategoryOf(c, r)] += 1;
    ++*count;
  }
  return counts;
}

bool Numeric(Type t) { return t == Type::kFloat64 || t == Type::kInt64 || t == Type::kTimestamp; }

std::string Label(const Bucket& b) {
  if (b.low == b.high) return fmt::format("{}", b.low);
  return fmt::format("[{:.6g}, {:.6g}]", b.low, b.high);
}

}  // namespace

Result<double> JensenShannon(std::vector<Bucket> a, std::vector<Bucket> b,
                             std::vector<Bucket>* aligned_a, std::vector<Bucket>* aligned_b) {
  auto [a_stripped, a_points, a_inf] = Strip(a);
  auto [b_stripped, b_points, b_inf] = Strip(b);
  const std::set<double> a_bounds = Boundaries(a_stripped);
  const std::set<double> b_bounds = Boundaries(b_stripped);
  if (a_bounds != b_bounds) {
    std::set<double> all = a_bounds;
    all.insert(b_bounds.begin(), b_bounds.end());
    const std::vector<double> boundaries(all.begin(), all.end());
    a_stripped = Rebucket(boundaries, a_stripped);
    b_stripped = Rebucket(boundaries, b_stripped);
  }
  std::set<double> points;
  for (const auto& [v, count] : a_points) points.insert(v);
  for (const auto& [v, count] : b_points) points.insert(v);
  for (double v : points) {
    a_stripped.push_back({v, v, a_points.count(v) ? a_points[v] : 0});
    b_stripped.push_back({v, v, b_points.count(v) ? b_points[v] : 0});
  }
  const double inf = std::numeric_limits<double>::infinity();
  if (a_inf != 0) {
    a_stripped.push_back({-inf, inf, a_inf});
    b_stripped.push_back({-inf, inf, 0});
  }
  if (b_inf != 0) {
    a_stripped.push_back({-inf, inf, 0});
    b_stripped.push_back({-inf, inf, b_inf});
  }
  for (std::vector<Bucket>* h : {&a_stripped, &b_stripped}) {
    double total = 0;
    for (const Bucket& bucket : *h) total += bucket.count;
    if (total == 0) return InvalidArgument("cannot normalize an empty histogram");
    for (Bucket& bucket : *h) bucket.count /= total;
  }
  std::vector<Bucket> mean = a_stripped;
  for (size_t i = 0; i < mean.size(); ++i) {
    mean[i].count = (a_stripped[i].count + b_stripped[i].count) / 2;
  }
  const double result = (KullbackLeibler(a_stripped, mean) + KullbackLeibler(b_stripped, mean)) / 2;
  if (aligned_a != nullptr) *aligned_a = a_stripped;
  if (aligned_b != nullptr) *aligned_b = b_stripped;
  return std::min(result, 1.0);
}

Result<SkewResult> ComputeSkew(const table::Table& reference, const table::Table& current,
                               const SkewOptions& options) {
  if (options.bins < 1 || options.bins > 1000) {
    return InvalidArgument("bins must be in [1, 1000], got {}", options.bins);
  }
  if (options.threshold < 0) return InvalidArgument("threshold must be >= 0");
  auto known = [&](const std::string& name, const char* where) -> Status {
    if (reference.Find(name) != nullptr || current.Find(name) != nullptr) return Status::Ok();
    std::vector<std::string> names = reference.ColumnNames();
    std::vector<std::string_view> views(names.begin(), names.end());
    std::string near = ClosestMatch(name, views);
    return NotFound("{}: no column '{}' in either table{}", where, name,
                    near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
  };
  for (const std::string& name : options.columns) SLUICE_RETURN_IF_ERROR(known(name, "columns"));
  for (const auto& [name, t] : options.column_thresholds) {
    SLUICE_RETURN_IF_ERROR(known(name, "thresholds"));
    if (t < 0) return InvalidArgument("threshold of '{}' must be >= 0", name);
  }
  for (const std::string& name : options.categorical) {
    SLUICE_RETURN_IF_ERROR(known(name, "categorical"));
    const Column* c = reference.Find(name) != nullptr ? reference.Find(name) : current.Find(name);
    if (c->type() != Type::kInt64) {
      return InvalidArgument(
          "categorical: column '{}' is {}; only int64 columns can be treated as "
          "categories (strings and bools already are)",
          name, table::TypeName(c->type()));
    }
  }

  SkewResult result;
  for (const std::string& name : reference.ColumnNames()) {
    if (current.Find(name) == nullptr) result.only_in_reference.push_back(name);
  }
  for (const std::string& name : current.ColumnNames()) {
    if (reference.Find(name) == nullptr) result.only_in_current.push_back(name);
  }
  std::vector<std::string> names = options.columns;
  if (names.empty()) {
    for (const std::string& name : reference.ColumnNames()) {
      if (current.Find(name) != nullptr) names.push_back(name);
    }
  }
  for (const std::string& name : names) {
    const Column* ref = reference.Find(name);
    const Column* cur = current.Find(name);
    if (ref == nullptr || cur == nullptr) continue;  // listed as only_in_*
    const bool forced = std::find(options.categorical.begin(), options.categorical.end(), name) !=
                        options.categorical.end();
    const bool ref_numeric = Numeric(ref->type()) && !forced;
    const bool cur_numeric = Numeric(cur->type()) && !forced;
    if (ref_numeric != cur_numeric) {
      result.type_mismatches.push_back(fmt::format(
          "{}: {} vs {}", name, table::TypeName(ref->type()), table::TypeName(cur->type())));
      continue;
    }
    ColumnSkew skew;
    skew.column = name;
    skew.categorical = !ref_numeric;
    auto it = options.column_thresholds.find(name);
    skew.threshold = it != options.column_thresholds.end() ? it->second : options.threshold;
    if (skew.categorical) {
      skew.metric = "l_infinity";
      const std::map<std::string, double> a = Counts(*ref, &skew.reference_count);
      const std::map<std::string, double> b = Counts(*cur, &skew.current_count);
      std::set<std::string> keys;
      for (const auto& [k, v] : a) keys.insert(k);
      for (const auto& [k, v] : b) keys.insert(k);
      if (skew.reference_count > 0 && skew.current_count > 0) {
        double best = 0;
        for (const std::string& k : keys) {
          const double p = (a.count(k) ? a.at(k) : 0) / static_cast<double>(skew.reference_count);
          const double q = (b.count(k) ? b.at(k) : 0) / static_cast<double>(skew.current_count);
          skew.labels.push_back(k);
          skew.reference.push_back(p);
          skew.current.push_back(q);
          // TFDV keeps the last key of the largest difference (>=), in key order.
          if (std::fabs(p - q) >= best) {
            best = std::fabs(p - q);
            skew.max_difference_value = k;
          }
        }
        skew.value = best;
      }
    } else {
      skew.metric = "jensen_shannon_divergence";
      std::vector<Bucket> a = StandardHistogram(*ref, options.bins, &skew.reference_count);
      std::vector<Bucket> b = StandardHistogram(*cur, options.bins, &skew.current_count);
      if (skew.reference_count > 0 && skew.current_count > 0) {
        std::vector<Bucket> aligned_a, aligned_b;
        SLUICE_ASSIGN_OR_RETURN(double jsd, JensenShannon(a, b, &aligned_a, &aligned_b));
        skew.value = jsd;
        for (size_t i = 0; i < aligned_a.size(); ++i) {
          skew.labels.push_back(Label(aligned_a[i]));
          skew.reference.push_back(aligned_a[i].count);
          skew.current.push_back(aligned_b[i].count);
        }
      }
    }
    if (skew.value) {
      skew.anomaly = *skew.value > skew.threshold;
    } else {
      skew.anomaly = (skew.reference_count > 0) != (skew.current_count > 0);
    }
    result.columns.push_back(std::move(skew));
  }
  result.anomaly = !result.only_in_reference.empty() || !result.only_in_current.empty() ||
                   !result.type_mismatches.empty();
  for (const ColumnSkew& c : result.columns) result.anomaly = result.anomaly || c.anomaly;
  return result;
}

Json SkewResult::ToJson() const {
  Json columns_json = Json::array();
  for (const ColumnSkew& c : columns) {
    Json one = {{"column", c.column},
                {"kind", c.categorical ? "categorical" : "numeric"},
                {"metric", c.metric},
                {"value", c.value ? Json(*c.value) : Json(nullptr)},
                {"threshold", c.threshold},
                {"anomaly", c.anomaly},
                {"reference_count", c.reference_count},
                {"current_count", c.current_count}};
    if (c.categorical && c.value) one["max_difference_value"] = c.max_difference_value;
    columns_json.push_back(std::move(one));
  }
  return {{"anomaly", anomaly},
          {"columns", columns_json},
          {"only_in_reference", only_in_reference},
          {"only_in_current", only_in_current},
          {"type_mismatches", type_mismatches}};
}

}  // namespace sluice::validation
