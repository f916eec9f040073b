// The engine's inner loops over one block of a column: NaN detection, the presence mask,
// moments, and counting values outside a range. Written with independent accumulators so the
// compiler can vectorize them (kernels.cc is compiled with -O3, and each function also has an
// AVX2 clone picked at load time on CPUs that have it; FillPresent uses AVX2 and IntMoments
// AVX-512 where present, with a portable version for tests); a mask byte of 0 leaves a row out.
// Moments are the same to the last bit whichever version runs.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice::validation::internal {

bool AnyNan(const double* x, size_t n);
size_t CountOnes(const uint8_t* p, size_t n);
// p[i] = valid[i] != 0 && selected[i] != 0 && x[i] == x[i], each input optional (nullptr).
void FillPresent(uint8_t* p, size_t n, const uint8_t* valid, const uint8_t* selected,
                 const double* x);
// FillPresent without AVX2 whatever the CPU, so tests can compare both versions on one machine.
void FillPresentPortable(uint8_t* p, size_t n, const uint8_t* valid, const uint8_t* selected,
                         const double* x);

// Count, sum, min, max and the sum of squared deviations from the block's mean.
struct BlockMoments {
  size_t count = 0;
  double sum = 0, min = __builtin_inf(), max = -__builtin_inf(), m2 = 0;
};
BlockMoments Moments(const double* x, const uint8_t* mask, size_t n);

// The same for integers, with the exact sum as hi_sum * 2^32 + lo_sum (each half summed in 64
// bits, which cannot overflow for blocks of up to 2^31 values).
struct IntBlockMoments {
  size_t count = 0;
  int64_t min = INT64_MAX, max = INT64_MIN;
  int64_t hi_sum = 0;
  uint64_t lo_sum = 0;
  double mean = 0, m2 = 0;
};
IntBlockMoments IntMoments(const int64_t* x, const uint8_t* mask, size_t n);
// IntMoments without AVX-512 whatever the CPU, so tests can compare both versions on one machine.
IntBlockMoments IntMomentsPortable(const int64_t* x, const uint8_t* mask, size_t n);

// Rows (among the masked ones) with x outside [lo, hi]; strict bounds exclude themselves.
size_t CountOutside(const double* x, const uint8_t* mask, size_t n, double lo, double hi,
                    bool strict_lo, bool strict_hi);
// Integers outside [lo, hi] (inclusive).
size_t CountOutside(const int64_t* x, const uint8_t* mask, size_t n, int64_t lo, int64_t hi);

}  // namespace sluice::validation::internal
