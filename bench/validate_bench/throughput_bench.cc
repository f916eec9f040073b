// The validation engine on data already in memory: how many column values per second one core
// checks with a suite of numeric expectations, the figure issue 7 asks to reach 1e9 per second
// per core. Each benchmark runs the engine on one thread (ValidateOptions::threads = 1) over a
// table of float64 (or int64) columns and reports `values` = rows x columns checked per second.
//
//   build/bench/validate_throughput_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>

#include "validation/engine.h"

namespace sluice::validation {
namespace {

constexpr size_t kRows = size_t{1} << 23;  // 8.4 M rows, 64 MiB per float64 column

table::Table Doubles(size_t columns, double null_share) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> uniform(0, 100);
  std::vector<table::Column> out;
  for (size_t c = 0; c < columns; ++c) {
    std::vector<double> values(kRows);
    std::vector<uint8_t> valid;
    if (null_share > 0) valid.assign(kRows, 1);
    for (size_t r = 0; r < kRows; ++r) {
      values[r] = uniform(random);
      if (null_share > 0 && uniform(random) < null_share * 100) {
        valid[r] = 0;
        values[r] = std::nan("");
      }
    }
    out.push_back(
        table::Column::Float64("c" + std::to_string(c), std::move(values), std::move(valid)));
  }
  return table::Table::Make(std::move(out)).value();
}

table::Table Integers() {
  std::mt19937_64 random(7);
  std::vector<int64_t> values(kRows);
  for (int64_t& v : values) v = static_cast<int64_t>(random() % 1000);
  return table::Table::Make({table::Column::Int64("c0", std::move(values))}).value();
}

// The numeric checks of a typical suite on column c: a range, not null, and the aggregates
// (which share one moments pass).
std::string NumericSuite(size_t columns, bool aggregates) {
  std::string yaml = "expectations:\n";
  for (size_t c = 0; c < columns; ++c) {
    const std::string col = "c" + std::to_string(c);
    yaml += "  - expect_column_values_to_not_be_null: {column: " + col + ", mostly: 0.5}\n";
    yaml += "  - expect_column_values_to_be_between: {column: " + col +
            ", min_value: 0, max_value: 100}\n";
    if (aggregates) {
      yaml += "  - expect_column_min_to_be_between: {column: " + col + ", min_value: 0}\n";
      yaml += "  - expect_column_max_to_be_between: {column: " + col + ", max_value: 100}\n";
      yaml += "  - expect_column_mean_to_be_between: {column: " + col +
              ", min_value: 0, max_value: 100}\n";
      yaml += "  - expect_column_stdev_to_be_between: {column: " + col + ", max_value: 100}\n";
      yaml += "  - expect_column_sum_to_be_between: {column: " + col + ", min_value: 0}\n";
    }
  }
  return yaml;
}

void Run(benchmark::State& state, const table::Table& table, const std::string& yaml) {
  const Suite suite = ParseSuite(yaml, "bench").value();
  ValidateOptions options;
  options.threads = 1;
  for (auto _ : state) {
    Result<SuiteResult> result = Validate(table, suite, options);
    if (!result.ok()) state.SkipWithError(result.status().ToString().c_str());
    benchmark::DoNotOptimize(result);
  }
  const double values = static_cast<double>(table.num_rows() * table.num_columns());
  state.counters["values"] =
      benchmark::Counter(values, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["expectations"] = static_cast<double>(suite.expectations.size());
}

void BM_BetweenAndNotNull(benchmark::State& state) {
  static const table::Table table = Doubles(1, 0);
  Run(state, table, NumericSuite(1, false));
}
BENCHMARK(BM_BetweenAndNotNull)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_SevenNumericChecks(benchmark::State& state) {
  static const table::Table table = Doubles(1, 0);
  Run(state, table, NumericSuite(1, true));
}
BENCHMARK(BM_SevenNumericChecks)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_SevenNumericChecksWithNulls(benchmark::State& state) {
  static const table::Table table = Doubles(1, 0.05);
  Run(state, table, NumericSuite(1, true));
}
BENCHMARK(BM_SevenNumericChecksWithNulls)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_SevenNumericChecksInt64(benchmark::State& state) {
  static const table::Table table = Integers();
  Run(state, table, NumericSuite(1, true));
}
BENCHMARK(BM_SevenNumericChecksInt64)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace
}  // namespace sluice::validation

BENCHMARK_MAIN();
