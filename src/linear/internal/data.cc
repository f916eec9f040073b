#include "linear/internal/data.h"

#include <algorithm>
#include <limits>

namespace sluice::linear::internal {

ChunkRunner::ChunkRunner(size_t rows, size_t threads) : rows_(rows) {
  threads = std::min(std::max<size_t>(threads, 1), num_chunks());
  // ParallelFor also runs bodies on the calling thread, so the pool needs one thread fewer.
  if (threads > 1) pool_ = std::make_unique<ThreadPool>(threads - 1);
}

void ChunkRunner::Run(const std::function<void(size_t, size_t, size_t)>& body,
                      size_t chunk_rows) const {
  const size_t chunks = num_chunks(chunk_rows);
  auto one = [&](size_t chunk) {
    size_t begin = chunk * chunk_rows;
    body(chunk, begin, std::min(begin + chunk_rows, rows_));
  };
  if (pool_ == nullptr || chunks == 1) {
    for (size_t c = 0; c < chunks; ++c) one(c);
  } else {
    pool_->ParallelFor(chunks, one);
  }
}

namespace {

// Per chunk and feature, over observed values in rows of positive weight.
struct ColumnPartial {
  double weight = 0;    // sum of weights
  double weighted = 0;  // sum of weight * value
  double first = 0;     // the first value seen
  bool any = false;
  bool all_equal = true;  // every value equals `first`
};

}  // namespace

std::variant<Standardizer, InfiniteValue> ComputeStandardizer(const Data& data,
                                                              const ChunkRunner& runner,
                                                              bool fit_intercept,
                                                              bool standardize) {
  const size_t d = data.cols;
  const size_t chunks = runner.num_chunks();
  constexpr size_t kNone = std::numeric_limits<size_t>::max();

  // Pass 1: weighted sums, constancy, and the first infinite value of each chunk.
  std::vector<ColumnPartial> partial(chunks * d);
  std::vector<InfiniteValue> infinite(chunks, InfiniteValue{kNone, kNone});
  runner.Run([&](size_t chunk, size_t begin, size_t end) {
    ColumnPartial* p = &partial[chunk * d];
    for (size_t i = begin; i < end; ++i) {
      const double* row = data.Row(i);
      const double w = data.Weight(i);
      for (size_t j = 0; j < d; ++j) {
        const double v = row[j];
        if (std::isnan(v)) continue;
        if (std::isinf(v)) {
          if (infinite[chunk].row == kNone) infinite[chunk] = InfiniteValue{i, j};
          continue;
        }
        if (w <= 0) continue;
        ColumnPartial& c = p[j];
        c.weight += w;
        c.weighted += w * v;
        if (!c.any) {
          c.any = true;
          c.first = v;
        } else if (v != c.first) {
          c.all_equal = false;
        }
      }
    }
  });
  for (const InfiniteValue& inf : infinite) {
    if (inf.row != kNone) return inf;
  }

  Standardizer st;
  st.mean.assign(d, 0.0);
  st.center.assign(d, 0.0);
  st.inv_scale.assign(d, 0.0);
  st.fill.assign(d, 0.0);
  st.penalty_scale.assign(d, 1.0);
  std::vector<bool> degenerate(d, true);
  for (size_t j = 0; j < d; ++j) {
    ColumnPartial total;
    for (size_t c = 0; c < chunks; ++c) {
      const ColumnPartial& p = partial[c * d + j];
      if (!p.any) continue;
      if (!total.any) {
        total.any = true;
        total.first = p.first;
      }
      total.all_equal = total.all_equal && p.all_equal && p.first == total.first;
      total.weight += p.weight;
      total.weighted += p.weighted;
    }
    if (!total.any) continue;  // never observed: impute 0, weight 0
    // A constant column gets its exact value, not a rounded weighted average of copies of it.
    st.mean[j] = total.all_equal ? total.first : total.weighted / total.weight;
    degenerate[j] = total.all_equal && (fit_intercept || total.first == 0);
    if (fit_intercept) st.center[j] = st.mean[j];
  }

  // Pass 2: the spread around the center, imputed values included.
  std::vector<double> squares(chunks * d, 0.0);
  std::vector<double> missing_weight(chunks * d, 0.0);
  runner.Run([&](size_t chunk, size_t begin, size_t end) {
    double* sq = &squares[chunk * d];
    double* miss = &missing_weight[chunk * d];
    for (size_t i = begin; i < end; ++i) {
      const double* row = data.Row(i);
      const double w = data.Weight(i);
      if (w <= 0) continue;
      for (size_t j = 0; j < d; ++j) {
        if (std::isnan(row[j])) {
          miss[j] += w;
        } else {
          const double delta = row[j] - st.center[j];
          sq[j] += w * delta * delta;
        }
      }
    }
  });
  for (size_t j = 0; j < d; ++j) {
    if (degenerate[j]) continue;
    double sum = 0;
    double missing = 0;
    for (size_t c = 0; c < chunks; ++c) {
      sum += squares[c * d + j];
      missing += missing_weight[c * d + j];
    }
    const double imputed = st.mean[j] - st.center[j];
    sum += missing * imputed * imputed;
    const double scale = std::sqrt(sum / data.weight_sum);
    const double inv = 1.0 / scale;
    if (!(scale > 0) || !std::isfinite(inv * inv)) continue;
    st.inv_scale[j] = inv;
    st.fill[j] = imputed * inv;
    st.penalty_scale[j] = standardize ? 1.0 : inv;
  }
  return st;
}

}  // namespace sluice::linear::internal
