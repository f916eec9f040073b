// The training data as the solvers see it: deterministic chunked passes over the rows, and the
// per-feature standardization (impute, center, scale) applied on the fly, so the caller's matrix
// is never copied.
//
// Thread safety: ChunkRunner::Run must not be called concurrently on one runner; everything else
// is immutable after construction.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <variant>
#include <vector>

#include "base/thread_pool.h"

namespace sluice::linear::internal {

// Rows per chunk. Fixed, so that per-chunk partial sums combined in chunk order give the same
// bits whatever the number of threads.
inline constexpr size_t kChunkRows = 4096;

class ChunkRunner {
 public:
  // `threads` >= 1 (the calling thread counts as one).
  ChunkRunner(size_t rows, size_t threads);

  size_t num_chunks(size_t chunk_rows = kChunkRows) const {
    return (rows_ + chunk_rows - 1) / chunk_rows;
  }

  // Calls body(chunk, begin_row, end_row) once per chunk of `chunk_rows` rows (the last may be
  // shorter), in parallel, and returns when all have returned. Bodies write only their own
  // chunk's slot of any shared output.
  void Run(const std::function<void(size_t chunk, size_t begin, size_t end)>& body,
           size_t chunk_rows = kChunkRows) const;

 private:
  size_t rows_;
  std::unique_ptr<ThreadPool> pool_;  // null when one thread suffices
};

struct Data {
  std::span<const double> x;  // rows x cols, row-major; NaN = missing
  size_t rows = 0;
  size_t cols = 0;
  std::span<const double> y;
  std::span<const double> weight;  // empty = every row weighs 1
  double weight_sum = 0;

  const double* Row(size_t i) const { return x.data() + i * cols; }
  double Weight(size_t i) const { return weight.empty() ? 1.0 : weight[i]; }
};

// Maps a raw row to solver coordinates: z_j = (x_j - center_j) * inv_scale_j, and z_j = fill_j
// for a missing x_j, which is what the imputed value maps to. The solver always works on these
// scaled features, whatever Options::standardize says, because they condition the problem;
// `standardize` only decides whether the penalties apply to the solver's coefficients v_j
// (penalty_scale_j = 1) or to the original ones w_j = v_j * inv_scale_j (penalty_scale_j =
// inv_scale_j). A constant (degenerate) feature has inv_scale_j = fill_j = 0, so its z is 0 and
// its weight stays 0.
struct Standardizer {
  std::vector<double> mean;  // weighted mean of the observed values (the impute value)
  std::vector<double> center;
  std::vector<double> inv_scale;
  std::vector<double> fill;
  std::vector<double> penalty_scale;  // |w_j| = penalty_scale_j * |v_j| in the penalty

  void Apply(const double* row, double* z) const {
    const size_t d = center.size();
    for (size_t j = 0; j < d; ++j) {
      z[j] = std::isnan(row[j]) ? fill[j] : (row[j] - center[j]) * inv_scale[j];
    }
  }
};

// The first infinite x value, by row then column.
struct InfiniteValue {
  size_t row;
  size_t col;
};

// Weighted column statistics in two deterministic passes. Centers on the mean when
// `fit_intercept` (centering does not change the optimum when the intercept is free, and
// conditions the problem) and scales to unit root-mean-square of the centered column. Only rows
// of positive weight count. A feature is degenerate when it has no observed value, when all its
// observed values are equal (and, without an intercept, 0), or when its spread is so small
// (below ~1e-150) that its square underflows.
// Returns the first infinite value instead when there is one.
std::variant<Standardizer, InfiniteValue> ComputeStandardizer(const Data& data,
                                                              const ChunkRunner& runner,
                                                              bool fit_intercept, bool standardize);

}  // namespace sluice::linear::internal
