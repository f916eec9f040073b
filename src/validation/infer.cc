#include "validation/infer.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_set>

#include "validation/internal/text.h"

namespace sluice::validation {
namespace {

using Json = nlohmann::json;
using table::Column;
using table::Type;

bool IsNull(const Column& c, size_t row) {
  return c.IsNull(row) || (c.type() == Type::kFloat64 && std::isnan(c.float64s()[row]));
}

// Rounds `value` outward (down for a lower bound) to two significant digits of `scale`, so a
// bound reads 12.5 rather than 12.487312...
double RoundOut(double value, double scale, bool down) {
  if (!std::isfinite(value) || !(scale > 0)) return value;
  const int decimals = std::max(0, 1 - static_cast<int>(std::floor(std::log10(scale))));
  if (decimals > 12) return value;
  const double factor = std::pow(10.0, decimals);
  // 0.05 * 100 is 4.999...: a product within 1e-9 of a whole number is that number.
  double product = value * factor;
  if (std::fabs(product - std::nearbyint(product)) < 1e-9) product = std::nearbyint(product);
  const double scaled = down ? std::floor(product) : std::ceil(product);
  return scaled / factor;
}

ExpectationConfig Make(std::string type, Json kwargs) {
  ExpectationConfig e;
  e.type = std::move(type);
  e.kwargs = std::move(kwargs);
  return e;
}

}  // namespace

Result<Suite> InferSuite(const table::Table& table, const InferOptions& options) {
  if (table.num_columns() == 0) {
    return InvalidArgument("cannot infer a suite from data without columns");
  }
  Suite suite;
  suite.name = options.name;
  const size_t rows = table.num_rows();
  const double m = options.margin;
  suite.expectations.push_back(
      Make("expect_table_columns_to_match_set", {{"column_set", table.ColumnNames()}}));
  suite.expectations.push_back(Make(
      "expect_table_row_count_to_be_between",
      {{"min_value", static_cast<int64_t>(
                         std::floor(static_cast<double>(rows) * (1 - options.row_count_margin)))},
       {"max_value", static_cast<int64_t>(
                         std::ceil(static_cast<double>(rows) * (1 + options.row_count_margin)))}}));

  for (const Column& c : table.columns()) {
    const std::string& name = c.name();
    suite.expectations.push_back(Make("expect_column_values_to_be_of_type",
                                      {{"column", name}, {"type_", table::TypeName(c.type())}}));
    size_t nonnull = 0;
    for (size_t r = 0; r < rows; ++r) nonnull += !IsNull(c, r);
    if (nonnull == rows) {
      suite.expectations.push_back(Make("expect_column_values_to_not_be_null", {{"column", name}}));
    } else if (nonnull > 0) {
      // The observed share less the margin, rounded down to a percent.
      const double share = static_cast<double>(nonnull) / static_cast<double>(rows);
      const double mostly = std::floor(share * (1 - m) * 100) / 100;
      if (mostly > 0) {
        suite.expectations.push_back(
            Make("expect_column_values_to_not_be_null", {{"column", name}, {"mostly", mostly}}));
      }
    }
    if (nonnull == 0) continue;

    if (c.type() == Type::kFloat64 || c.type() == Type::kInt64 || c.type() == Type::kTimestamp) {
      double lo = INFINITY, hi = -INFINITY;
      for (size_t r = 0; r < rows; ++r) {
        if (IsNull(c, r)) continue;
        const double v = c.AsDouble(r);
        if (!std::isfinite(v)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      if (lo <= hi) {
        const double width = hi > lo ? (hi - lo) * m : std::max(std::fabs(lo) * m, 1.0);
        double low = lo - width, high = hi + width;
        if (lo >= 0 && low < 0) low = 0;
        Json kwargs = {{"column", name}};
        if (c.type() == Type::kTimestamp) {
          kwargs["min_value"] = table::FormatTimestamp(static_cast<int64_t>(std::floor(low)));
          kwargs["max_value"] = table::FormatTimestamp(static_cast<int64_t>(std::ceil(high)));
        } else if (c.type() == Type::kInt64) {
          kwargs["min_value"] = static_cast<int64_t>(std::floor(low));
          kwargs["max_value"] = static_cast<int64_t>(std::ceil(high));
        } else {
          const double scale = high - low;
          kwargs["min_value"] = RoundOut(low, scale, true);
          kwargs["max_value"] = RoundOut(high, scale, false);
        }
        suite.expectations.push_back(Make("expect_column_values_to_be_between", std::move(kwargs)));
      }
    }

    if (c.type() == Type::kString) {
      std::set<std::string> distinct;
      size_t shortest = SIZE_MAX, longest = 0;
      const auto& values = c.strings();
      for (size_t r = 0; r < rows; ++r) {
        if (IsNull(c, r)) continue;
        distinct.insert(values[r]);
        const size_t length = internal::Utf8Length(values[r]);
        shortest = std::min(shortest, length);
        longest = std::max(longest, length);
      }
      if (distinct.size() <= options.max_set_size && distinct.size() * 2 <= nonnull) {
        suite.expectations.push_back(
            Make("expect_column_values_to_be_in_set",
                 {{"column", name},
                  {"value_set", std::vector<std::string>(distinct.begin(), distinct.end())}}));
      } else {
        const double spread = static_cast<double>(longest - shortest) * m;
        suite.expectations.push_back(
            Make("expect_column_value_lengths_to_be_between",
                 {{"column", name},
                  {"min_value", static_cast<int64_t>(std::max(
                                    0.0, std::floor(static_cast<double>(shortest) - spread)))},
                  {"max_value",
                   static_cast<int64_t>(std::ceil(static_cast<double>(longest) + spread))}}));
      }
      if (nonnull >= options.min_rows_for_unique && distinct.size() == nonnull) {
        suite.expectations.push_back(Make("expect_column_values_to_be_unique", {{"column", name}}));
      }
    }
    if (c.type() == Type::kInt64 && nonnull >= options.min_rows_for_unique) {
      std::unordered_set<int64_t> distinct;
      const auto& values = c.int64s();
      bool unique = true;
      for (size_t r = 0; r < rows && unique; ++r) {
        if (!IsNull(c, r)) unique = distinct.insert(values[r]).second;
      }
      if (unique) {
        suite.expectations.push_back(Make("expect_column_values_to_be_unique", {{"column", name}}));
      }
    }
  }
  SLUICE_RETURN_IF_ERROR(CheckSuite(suite, "inferred suite"));
  return suite;
}

}  // namespace sluice::validation
