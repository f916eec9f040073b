// The data term of the objective: the weighted mean loss and its gradient over all rows, in
// solver coordinates, computed in one deterministic chunked pass.
//
// Parameter layout (k outputs, d features): weights k x d row-major, then k intercepts.
//
// Thread safety: not thread-safe (Evaluate reuses per-chunk buffers); use one Loss per fit.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "linear/internal/data.h"
#include "linear/linear.h"

namespace sluice::linear::internal {

class Loss {
 public:
  // For squared error the targets are multiplied by `y_multiplier` (the solver works on y / sd);
  // for logistic y is 0/1 and for softmax a class index in [0, num_outputs).
  Loss(const Data& data, const Standardizer& standardizer, const ChunkRunner& runner,
       Objective objective, int num_outputs, double y_multiplier);

  size_t num_parameters() const { return k_ * (d_ + 1); }

  // Returns sum_i s_i * loss_i / sum_i s_i at `theta` and writes its gradient to `gradient`.
  double Evaluate(std::span<const double> theta, std::span<double> gradient);

  // True when every row of positive weight is classified correctly with a strictly positive
  // margin (logistic: sign, softmax: the true class's margin is the unique maximum): then
  // scaling theta up lowers every loss term, so the unpenalized objective has no minimum.
  bool SeparatesData(std::span<const double> theta) const;

  // The Gram matrix Z'SZ / sum(s) (d x d, full) and Z'S(y_multiplier * y - y_center) / sum(s).
  // Squared error only.
  void Gram(double y_center, std::vector<double>& gram, std::vector<double>& zy) const;

 private:
  const Data& data_;
  const Standardizer& standardizer_;
  const ChunkRunner& runner_;
  Objective objective_;
  size_t k_;
  size_t d_;
  double y_multiplier_;
  std::vector<double> partial_;  // per chunk: loss, then the gradient
};

}  // namespace sluice::linear::internal
