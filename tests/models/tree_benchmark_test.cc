// Manual micro benchmark of CompiledTrees against XGBoost's in-place prediction (through the xgb
// adapter), not part of CI. Run it in a Release build:
//   OMP_WAIT_POLICY=passive build-rel/tests/models/models_tests
//       --gtest_also_run_disabled_tests --gtest_filter='TreeBenchmark.*'
// It prints medians, for our AVX-512 walk (where the CPU has it), our scalar walk and XGBoost; it
// asserts only that the engines agree.
#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <string>
#include <vector>

#include "models/compiled_tree.h"
#include "models/tree_random_models.h"
#include "testing/status_matchers.h"
#include "xgb/xgb.h"

namespace sluice::models {
namespace {

using ::sluice::models::testing::Rng;
using Clock = std::chrono::steady_clock;

struct Bench {
  xgb::Booster booster;
  CompiledTrees trees;
  CompiledTrees scalar;  // the same without the AVX-512 walk
};

// A binary:logistic model of `rounds` trees of `depth` on `features` features, trained by hist on
// a HIGGS-like synthetic set: a nonlinear score with noise, a few NaNs.
std::vector<float> Rows(Rng& rng, size_t rows, size_t features) {
  std::vector<float> x(rows * features);
  for (float& v : x)
    v = rng.Chance(0.005) ? std::numeric_limits<float>::quiet_NaN()
                          : static_cast<float>(rng.Uniform() * 4 - 2);
  return x;
}

Result<Bench> Train(int rounds, int depth, size_t features) {
  Rng rng(20240501);
  const size_t rows = 20000;
  std::vector<float> x = Rows(rng, rows, features);
  std::vector<float> y(rows);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = &x[r * features];
    auto v = [&](size_t f) { return std::isnan(row[f % features]) ? 0.0f : row[f % features]; };
    const double score = std::sin(v(0) * v(1)) + v(2) * v(3) - 0.5 * v(4) + std::cos(v(5)) +
                         (rng.Uniform() - 0.5) * 2;
    y[r] = score > 0.5 ? 1.0f : 0.0f;
  }
  SLUICE_ASSIGN_OR_RETURN(xgb::DMatrix train, xgb::DMatrix::FromDense(x, rows, features));
  SLUICE_RETURN_IF_ERROR(train.SetLabels(y));
  const xgb::DMatrix* cache[] = {&train};
  SLUICE_ASSIGN_OR_RETURN(xgb::Booster booster, xgb::Booster::Create(cache));
  for (auto [name, value] : {std::pair{"nthread", "1"},
                             {"objective", "binary:logistic"},
                             {"tree_method", "hist"},
                             {"eta", "0.1"},
                             {"seed", "1"}}) {
    SLUICE_RETURN_IF_ERROR(booster.SetParam(name, value));
  }
  SLUICE_RETURN_IF_ERROR(booster.SetParam("max_depth", std::to_string(depth)));
  for (int i = 0; i < rounds; ++i) SLUICE_RETURN_IF_ERROR(booster.UpdateOneIter(i, train));
  SLUICE_ASSIGN_OR_RETURN(std::string json, booster.SaveJson());
  SLUICE_ASSIGN_OR_RETURN(CompiledTrees trees, CompiledTrees::FromXgboostJson(json));
  SLUICE_ASSIGN_OR_RETURN(CompiledTrees scalar,
                          CompiledTrees::FromXgboostJson(json, CompiledTrees::Simd::kNever));
  return Bench{std::move(booster), std::move(trees), std::move(scalar)};
}

double ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

void Measure(const char* name, int rounds, int depth, size_t features) {
  ASSERT_OK_AND_ASSIGN(Bench bench, Train(rounds, depth, features));
  Rng rng(7);
  constexpr size_t kSingle = 20000;
  constexpr size_t kBatch = 100000;
  const std::vector<float> singles = Rows(rng, kSingle, features);
  const std::vector<float> batch = Rows(rng, kBatch, features);
  size_t nodes = bench.trees.nodes().size();
  std::printf("%s: %zu trees, %zu nodes, %zu features\n", name, bench.trees.trees().size(), nodes,
              features);

  // Correctness first: the benchmark compares equal engines.
  ASSERT_OK_AND_ASSIGN(std::vector<float> expected,
                       bench.booster.PredictDense(batch, kBatch, features));
  std::vector<float> ours(kBatch);
  bench.trees.Predict(batch, kBatch, ours);
  for (size_t i = 0; i < kBatch; ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(ours[i]), std::bit_cast<uint32_t>(expected[i])) << i;
  }

  ours.assign(kBatch, 0);
  bench.scalar.Predict(batch, kBatch, ours);
  for (size_t i = 0; i < kBatch; ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(ours[i]), std::bit_cast<uint32_t>(expected[i])) << i;
  }

  // Per engine: single-row medians, p99s and CPU time per call (of 5 rounds), batch rows/s.
  struct Times {
    std::vector<double> median, p99, cpu, batch, batch_cpu;
  };
  Times simd, scalar, theirs;
  std::vector<double> latency(kSingle);
  float sink = 0;
  auto single_rows = [&](Times& times, auto predict) {
    const double cpu_start = ThreadCpuMicros();
    for (size_t i = 0; i < kSingle; ++i) {
      const auto start = Clock::now();
      sink += predict(std::span(singles).subspan(i * features, features));
      latency[i] = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    }
    times.cpu.push_back((ThreadCpuMicros() - cpu_start) / kSingle);
    times.median.push_back(Median(latency));
    times.p99.push_back(Quantile(latency, 0.99));
  };
  auto batch_rows = [&](Times& times, auto predict) {
    const double cpu_start = ThreadCpuMicros();
    const auto start = Clock::now();
    sink += predict();
    times.batch.push_back(kBatch / std::chrono::duration<double>(Clock::now() - start).count());
    times.batch_cpu.push_back(kBatch / (ThreadCpuMicros() - cpu_start) * 1e6);
  };
  for (int round = 0; round < 5; ++round) {
    for (auto [times, trees] : {std::pair{&simd, &bench.trees}, {&scalar, &bench.scalar}}) {
      single_rows(*times, [&](std::span<const float> row) {
        float out = 0;
        trees->Predict(row, 1, {&out, 1});
        return out;
      });
      batch_rows(*times, [&] {
        trees->Predict(batch, kBatch, ours);
        return ours[0];
      });
    }
    single_rows(theirs, [&](std::span<const float> row) {
      return (*bench.booster.PredictDense(row, 1, features))[0];
    });
    batch_rows(theirs, [&] { return (*bench.booster.PredictDense(batch, kBatch, features))[0]; });
  }
  std::printf("  single row, median of 5 x %zu calls: wall median (p99), CPU per call\n", kSingle);
  for (auto [label, times] :
       {std::pair{"ours", &simd}, {"ours scalar", &scalar}, {"xgboost", &theirs}}) {
    std::printf("    %-12s %6.2f us (p99 %6.2f), CPU %6.2f us: %.1fx faster than xgboost\n", label,
                Median(times->median), Median(times->p99), Median(times->cpu),
                Median(theirs.median) / Median(times->median));
  }
  std::printf("  batch of %zu rows, 1 thread, median of 5: rows/s of wall time (of CPU time)\n",
              kBatch);
  for (auto [label, times] :
       {std::pair{"ours", &simd}, {"ours scalar", &scalar}, {"xgboost", &theirs}}) {
    std::printf("    %-12s %8.0f rows/s (%8.0f): %.2fx xgboost (%.2fx)\n", label,
                Median(times->batch), Median(times->batch_cpu),
                Median(times->batch) / Median(theirs.batch),
                Median(times->batch_cpu) / Median(theirs.batch_cpu));
  }
  std::printf("  (sink %g)\n", static_cast<double>(sink));
}

TEST(TreeBenchmark, DISABLED_Binary100TreesDepth6With30Features) {
  Measure("binary 100 x depth 6", 100, 6, 30);
}

TEST(TreeBenchmark, DISABLED_IssueReferenceModels) {
  Measure("big: binary 500 x depth 6", 500, 6, 28);
  Measure("small: binary 100 x depth 4", 100, 4, 28);
}

}  // namespace
}  // namespace sluice::models
