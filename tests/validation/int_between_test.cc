// expect_column_values_to_be_between on int64 columns compares integers with double bounds
// exactly (the engine turns the bounds into inclusive integer bounds first). Checked against a
// reference in long double, which holds every int64 and every double exactly, on values near 2^53
// (where doubles start to skip integers) and at INT64_MIN and INT64_MAX, with nulls excluded.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "testing/status_matchers.h"
#include "validation/engine.h"

namespace sluice::validation {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t k2To53 = int64_t{1} << 53;

struct Bounds {
  std::string min_value, max_value;  // YAML text; empty = open
  bool strict_min = false, strict_max = false;
};

int64_t Reference(const std::vector<int64_t>& x, const std::vector<uint8_t>& valid,
                  const Bounds& b) {
  int64_t bad = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (valid[i] == 0) continue;
    const long double v = static_cast<long double>(x[i]);
    bool ok = true;
    if (!b.min_value.empty()) {
      const long double lo = std::stod(b.min_value);
      ok = ok && (b.strict_min ? v > lo : v >= lo);
    }
    if (!b.max_value.empty()) {
      const long double hi = std::stod(b.max_value);
      ok = ok && (b.strict_max ? v < hi : v <= hi);
    }
    bad += !ok;
  }
  return bad;
}

TEST(IntBetweenTest, ExactAgainstDoubleBoundsAtTheExtremes) {
  std::mt19937_64 random(21);
  std::vector<int64_t> x;
  std::vector<uint8_t> valid;
  const std::vector<int64_t> centers = {0, k2To53, -k2To53, kMax, kMin};
  for (size_t i = 0; i < 4099; ++i) {
    const int64_t center = centers[random() % centers.size()];
    const int64_t offset = static_cast<int64_t>(random() % 9) - 4;
    // Stay inside int64 around the extremes.
    const int64_t v = center == kMax   ? kMax - static_cast<int64_t>(random() % 5)
                      : center == kMin ? kMin + static_cast<int64_t>(random() % 5)
                                       : center + offset;
    x.push_back(v);
    valid.push_back(random() % 10 == 0 ? 0 : 1);
  }
  const std::vector<Bounds> cases = {
      {"9007199254740992", "", false, false},  // 2^53
      {"9007199254740992", "", true, false},   // > 2^53
      {"", "-9007199254740992", false, true},  // < -2^53
      {"9007199254740990.5", "9007199254740996", true, true},
      {"-9223372036854775808", "9223372036854775807", false, false},  // max rounds to 2^63
      {"-9223372036854775808", "9223372036854775807", true, true},
      {"9.3e18", "", false, false},   // above every int64
      {"", "-9.3e18", false, false},  // below every int64
      {"-1.5", "2.5", false, true},
      {"-4", "4", true, true},
  };
  const table::Table t = table::Table::Make({table::Column::Int64("c", x, valid)}).value();
  for (const Bounds& b : cases) {
    std::string args = "column: c";
    if (!b.min_value.empty()) args += ", min_value: " + b.min_value;
    if (!b.max_value.empty()) args += ", max_value: " + b.max_value;
    if (b.strict_min) args += ", strict_min: true";
    if (b.strict_max) args += ", strict_max: true";
    const std::string yaml =
        "expectations:\n  - expect_column_values_to_be_between: {" + args + "}\n";
    ASSERT_OK_AND_ASSIGN(Suite suite, ParseSuite(yaml, "suite"));
    ASSERT_OK_AND_ASSIGN(SuiteResult r, Validate(t, suite));
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_EQ(r.results[0].unexpected_count, Reference(x, valid, b)) << args;
  }
}

}  // namespace
}  // namespace sluice::validation
