// Generated data and a small training helper for the XGBoost adapter's tests. Deterministic:
// a fixed-seed generator whose floats do not depend on the standard library's distributions.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "xgb/xgb.h"

namespace sluice::xgb::testing {

struct Data {
  std::vector<float> x;  // rows x cols, row-major
  std::vector<float> y;
  size_t rows = 0;
  size_t cols = 0;
};

class Generator {
 public:
  explicit Generator(uint32_t seed) : engine_(seed) {}
  // Uniform in [-1, 1).
  float Uniform() { return static_cast<float>(engine_() >> 8) / 8388608.0f - 1.0f; }

 private:
  std::mt19937 engine_;
};

// Features uniform in [-1, 1); a `missing_fraction` of them NaN, never in column 0.
inline Data Features(size_t rows, size_t cols, uint32_t seed, double missing_fraction = 0) {
  Generator gen(seed);
  Data data{.rows = rows, .cols = cols};
  data.x.resize(rows * cols);
  for (size_t i = 0; i < rows * cols; ++i) {
    data.x[i] = gen.Uniform();
    if (i % cols != 0 && (gen.Uniform() + 1) / 2 < missing_fraction) {
      data.x[i] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  return data;
}

inline float Get(const Data& d, size_t row, size_t col) {
  float v = d.x[row * d.cols + col];
  return std::isnan(v) ? 0.0f : v;
}

// Label 1 when x0 + 0.5 x1 > 0.1: separable, driven mostly by column 0.
inline Data Binary(size_t rows, size_t cols, uint32_t seed, double missing_fraction = 0) {
  Data d = Features(rows, cols, seed, missing_fraction);
  for (size_t r = 0; r < rows; ++r) d.y.push_back(Get(d, r, 0) + 0.5f * Get(d, r, 1) > 0.1f);
  return d;
}

// k classes by bands of x0.
inline Data Multiclass(size_t rows, size_t cols, int k, uint32_t seed) {
  Data d = Features(rows, cols, seed);
  for (size_t r = 0; r < rows; ++r) {
    d.y.push_back(std::min<float>(static_cast<float>(k - 1),
                                  std::floor((Get(d, r, 0) + 1) / 2 * static_cast<float>(k))));
  }
  return d;
}

inline Data Regression(size_t rows, size_t cols, uint32_t seed) {
  Data d = Features(rows, cols, seed);
  for (size_t r = 0; r < rows; ++r) {
    d.y.push_back(3 * Get(d, r, 0) - 2 * Get(d, r, 1) * Get(d, r, 1));
  }
  return d;
}

inline Result<DMatrix> ToDMatrix(const Data& d) {
  SLUICE_ASSIGN_OR_RETURN(DMatrix m, DMatrix::FromDense(d.x, d.rows, d.cols));
  SLUICE_RETURN_IF_ERROR(m.SetLabels(d.y));
  return m;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// nthread=1 and a fixed seed, then `params`, then `rounds` rounds on `train`.
inline Result<Booster> Train(const DMatrix& train, const Params& params, int rounds) {
  const DMatrix* cache[] = {&train};
  SLUICE_ASSIGN_OR_RETURN(Booster booster, Booster::Create(cache));
  SLUICE_RETURN_IF_ERROR(booster.SetParam("nthread", "1"));
  SLUICE_RETURN_IF_ERROR(booster.SetParam("seed", "7"));
  for (const auto& [name, value] : params) SLUICE_RETURN_IF_ERROR(booster.SetParam(name, value));
  for (int i = 0; i < rounds; ++i) SLUICE_RETURN_IF_ERROR(booster.UpdateOneIter(i, train));
  return booster;
}

}  // namespace sluice::xgb::testing
