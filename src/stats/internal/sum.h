// Compensated summation for the metrics' long sums. Plain long double summation still drifts
// by up to n * 5e-20 relative, which a few million identical terms turn into a visible 1e-14;
// Neumaier's correction term keeps the error near one rounding of the final sum.
// Thread safety: a value type; one accumulator per thread.
#pragma once

#include <cmath>

namespace sluice::stats::internal {

class CompensatedSum {
 public:
  void Add(long double x) {
    const long double t = sum_ + x;
    // Whichever operand is larger in magnitude lost no bits; recover the other's lost bits.
    if (std::fabs(sum_) >= std::fabs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  CompensatedSum& operator+=(long double x) {
    Add(x);
    return *this;
  }
  long double value() const { return sum_ + compensation_; }

 private:
  long double sum_ = 0;
  long double compensation_ = 0;
};

}  // namespace sluice::stats::internal
