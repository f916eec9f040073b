// Which rows train, which validate, which test: random, stratified by class, or by time, always
// the same for the same seed and data (our own generator, not std::shuffle, whose algorithm the
// standard leaves open), so a run can be reproduced from its record.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "table/table.h"

namespace sluice::training {

enum class SplitMethod { kRandom, kStratified, kTime };

struct SplitSpec {
  SplitMethod method = SplitMethod::kRandom;
  double validation = 0.2;  // fractions of all rows
  double test = 0.1;
  uint64_t seed = 42;
  std::string_view time_column;  // kTime
};

// Row indices of each part, ascending.
struct Split {
  std::vector<size_t> train;
  std::vector<size_t> validation;
  std::vector<size_t> test;
};

// `labels` are class indices (kStratified only; may be empty otherwise). kInvalidArgument when
// the training part would be empty, a time column is missing or has nulls.
Result<Split> SplitRows(const table::Table& data, std::span<const double> labels,
                        const SplitSpec& spec);

}  // namespace sluice::training
