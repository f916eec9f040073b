#include "linear/internal/loss.h"

#include <algorithm>
#include <cmath>

namespace sluice::linear::internal {
namespace {

// The logistic loss softplus(m) - y m = log(1 + exp(m)) - y m and its derivative sigmoid(m) - y,
// from one exp and one log1p, without overflow and accurate in both tails: for y = 1 the
// derivative is computed as -sigmoid(-m), so the tiny residuals of confident correct predictions
// do not round to 0 before the loss does.
struct LogisticTerm {
  double loss;
  double derivative;
};
LogisticTerm Logistic(double m, double y) {
  const double e = std::exp(-std::abs(m));  // in (0, 1]
  const double big = 1.0 / (1.0 + e);       // sigmoid(|m|)
  const double small = e / (1.0 + e);       // sigmoid(-|m|)
  const double sigmoid_m = m >= 0 ? big : small;
  const double sigmoid_minus_m = m >= 0 ? small : big;
  return {std::max(m, 0.0) + std::log1p(e) - y * m, y == 1 ? -sigmoid_minus_m : sigmoid_m};
}

// A dot product with four independent accumulators: the same result on every run (the order is
// fixed), and about three times faster than one dependent chain of additions.
double Dot(const double* a, const double* b, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    s0 += a[j] * b[j];
    s1 += a[j + 1] * b[j + 1];
    s2 += a[j + 2] * b[j + 2];
    s3 += a[j + 3] * b[j + 3];
  }
  for (; j < n; ++j) s0 += a[j] * b[j];
  return (s0 + s1) + (s2 + s3);
}

// Bounds the memory of the per-chunk Gram partials (chunks x d x d doubles) by merging rows into
// fewer, larger chunks for wide data; depends only on the shape, so it stays deterministic.
size_t GramChunkRows(size_t rows, size_t d) {
  constexpr size_t kPartialBudget = size_t{1} << 24;  // doubles, 128 MiB
  const size_t max_chunks = std::max<size_t>(1, kPartialBudget / (d * d + d + 1));
  return std::max(kChunkRows, (rows + max_chunks - 1) / max_chunks);
}

}  // namespace

Loss::Loss(const Data& data, const Standardizer& standardizer, const ChunkRunner& runner,
           Objective objective, int num_outputs, double y_multiplier)
    : data_(data),
      standardizer_(standardizer),
      runner_(runner),
      objective_(objective),
      k_(static_cast<size_t>(num_outputs)),
      d_(data.cols),
      y_multiplier_(y_multiplier) {}

double Loss::Evaluate(std::span<const double> theta, std::span<double> gradient) {
  const size_t stride = 1 + num_parameters();
  partial_.assign(runner_.num_chunks() * stride, 0.0);
  const double* w = theta.data();
  const double* b = theta.data() + k_ * d_;

  runner_.Run([&](size_t chunk, size_t begin, size_t end) {
    double* out = &partial_[chunk * stride];
    double& loss = out[0];
    double* gw = out + 1;
    double* gb = gw + k_ * d_;
    std::vector<double> z(d_);
    std::vector<double> margin(k_);
    for (size_t i = begin; i < end; ++i) {
      const double s = data_.Weight(i);
      if (s == 0) continue;
      standardizer_.Apply(data_.Row(i), z.data());
      for (size_t c = 0; c < k_; ++c) margin[c] = b[c] + Dot(w + c * d_, z.data(), d_);
      const double y = data_.y[i];
      switch (objective_) {
        case Objective::kSquaredError: {
          const double r = margin[0] - y * y_multiplier_;
          loss += s * 0.5 * r * r;
          margin[0] = r;  // from here on `margin` holds d loss / d margin
          break;
        }
        case Objective::kLogistic: {
          const LogisticTerm term = Logistic(margin[0], y);
          loss += s * term.loss;
          margin[0] = term.derivative;
          break;
        }
        case Objective::kSoftmax: {
          const size_t label = static_cast<size_t>(y);
          const double top = *std::max_element(margin.begin(), margin.end());
          double sum = 0;
          for (size_t c = 0; c < k_; ++c) sum += std::exp(margin[c] - top);
          loss += s * (top + std::log(sum) - margin[label]);
          for (size_t c = 0; c < k_; ++c) {
            margin[c] = std::exp(margin[c] - top) / sum - (c == label ? 1.0 : 0.0);
          }
          break;
        }
      }
      for (size_t c = 0; c < k_; ++c) {
        const double r = s * margin[c];
        double* g = gw + c * d_;
        for (size_t j = 0; j < d_; ++j) g[j] += r * z[j];
        gb[c] += r;
      }
    }
  });

  double loss = 0;
  std::fill(gradient.begin(), gradient.end(), 0.0);
  for (size_t chunk = 0; chunk < runner_.num_chunks(); ++chunk) {
    const double* p = &partial_[chunk * stride];
    loss += p[0];
    for (size_t t = 0; t + 1 < stride; ++t) gradient[t] += p[1 + t];
  }
  const double inv = 1.0 / data_.weight_sum;
  for (double& g : gradient) g *= inv;
  return loss * inv;
}

bool Loss::SeparatesData(std::span<const double> theta) const {
  std::vector<char> separated(runner_.num_chunks(), 1);
  const double* w = theta.data();
  const double* b = theta.data() + k_ * d_;
  runner_.Run([&](size_t chunk, size_t begin, size_t end) {
    std::vector<double> z(d_);
    std::vector<double> margin(k_);
    for (size_t i = begin; i < end; ++i) {
      if (data_.Weight(i) == 0) continue;
      standardizer_.Apply(data_.Row(i), z.data());
      for (size_t c = 0; c < k_; ++c) margin[c] = b[c] + Dot(w + c * d_, z.data(), d_);
      bool ok = true;
      if (objective_ == Objective::kLogistic) {
        ok = data_.y[i] == 1 ? margin[0] > 0 : margin[0] < 0;
      } else if (objective_ == Objective::kSoftmax) {
        const size_t label = static_cast<size_t>(data_.y[i]);
        for (size_t c = 0; c < k_; ++c) ok = ok && (c == label || margin[c] < margin[label]);
      } else {
        ok = false;
      }
      if (!ok) {
        separated[chunk] = 0;
        return;
      }
    }
  });
  return std::all_of(separated.begin(), separated.end(), [](char s) { return s != 0; });
}

void Loss::Gram(double y_center, std::vector<double>& gram, std::vector<double>& zy) const {
  const size_t chunk_rows = GramChunkRows(data_.rows, d_);
  const size_t chunks = runner_.num_chunks(chunk_rows);
  const size_t stride = d_ * d_ + d_;
  std::vector<double> partial(chunks * stride, 0.0);
  runner_.Run(
      [&](size_t chunk, size_t begin, size_t end) {
        double* g = &partial[chunk * stride];
        double* zyc = g + d_ * d_;
        std::vector<double> z(d_);
        for (size_t i = begin; i < end; ++i) {
          const double s = data_.Weight(i);
          if (s == 0) continue;
          standardizer_.Apply(data_.Row(i), z.data());
          const double yc = data_.y[i] * y_multiplier_ - y_center;
          for (size_t j = 0; j < d_; ++j) {
            const double sz = s * z[j];
            zyc[j] += sz * yc;
            double* gj = g + j * d_;
            for (size_t l = j; l < d_; ++l) gj[l] += sz * z[l];  // upper triangle
          }
        }
      },
      chunk_rows);

  gram.assign(d_ * d_, 0.0);
  zy.assign(d_, 0.0);
  for (size_t chunk = 0; chunk < chunks; ++chunk) {
    const double* p = &partial[chunk * stride];
    for (size_t j = 0; j < d_; ++j) {
      for (size_t l = j; l < d_; ++l) gram[j * d_ + l] += p[j * d_ + l];
      zy[j] += p[d_ * d_ + j];
    }
  }
  const double inv = 1.0 / data_.weight_sum;
  for (size_t j = 0; j < d_; ++j) {
    zy[j] *= inv;
    for (size_t l = j; l < d_; ++l) {
      gram[j * d_ + l] *= inv;
      gram[l * d_ + j] = gram[j * d_ + l];
    }
  }
}

}  // namespace sluice::linear::internal
