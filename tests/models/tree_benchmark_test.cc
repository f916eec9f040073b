// Manual micro benchmark of CompiledTrees against XGBoost's in-place prediction (through the xgb
// adapter), not part of CI. Run it in a Release build:
//   OMP_WAIT_POLICY=passive build-rel/tests/models/models_tests
//       --gtest_also_run_disabled_tests --gtest_filter='TreeBenchmark.*'
// It prints medians; it asserts only that both engines agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
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
  return Bench{std::move(booster), std::move(trees)};
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

  std::vector<double> ours_median, ours_p99, xgb_median, xgb_p99, ours_batch, xgb_batch;
  std::vector<double> latency(kSingle);
  float sink = 0;
  for (int round = 0; round < 5; ++round) {
    for (size_t i = 0; i < kSingle; ++i) {
      float out = 0;
      const auto start = Clock::now();
      bench.trees.Predict(std::span(singles).subspan(i * features, features), 1, {&out, 1});
      latency[i] = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      sink += out;
    }
    ours_median.push_back(Median(latency));
    ours_p99.push_back(Quantile(latency, 0.99));
    for (size_t i = 0; i < kSingle; ++i) {
      const auto start = Clock::now();
      auto out = bench.booster.PredictDense(std::span(singles).subspan(i * features, features), 1,
                                            features);
      latency[i] = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      sink += (*out)[0];
    }
    xgb_median.push_back(Median(latency));
    xgb_p99.push_back(Quantile(latency, 0.99));

    auto start = Clock::now();
    bench.trees.Predict(batch, kBatch, ours);
    ours_batch.push_back(kBatch / std::chrono::duration<double>(Clock::now() - start).count());
    sink += ours[0];
    start = Clock::now();
    auto theirs = bench.booster.PredictDense(batch, kBatch, features);
    xgb_batch.push_back(kBatch / std::chrono::duration<double>(Clock::now() - start).count());
    sink += (*theirs)[0];
  }
  std::printf(
      "  single row, median of 5 x %zu calls: ours %.2f us (p99 %.2f), xgboost %.2f us "
      "(p99 %.2f): %.1fx\n",
      kSingle, Median(ours_median), Median(ours_p99), Median(xgb_median), Median(xgb_p99),
      Median(xgb_median) / Median(ours_median));
  std::printf(
      "  batch of %zu rows, 1 thread, median of 5: ours %.0f rows/s, xgboost %.0f rows/s: "
      "%.2fx\n",
      kBatch, Median(ours_batch), Median(xgb_batch), Median(ours_batch) / Median(xgb_batch));
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
