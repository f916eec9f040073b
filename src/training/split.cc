#include "training/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "training/internal/rng.h"

namespace sluice::training {
namespace {

using internal::Rng;

void Shuffle(std::vector<size_t>& items, Rng& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.Below(i)]);
}

size_t Portion(size_t n, double fraction) {
  return static_cast<size_t>(std::llround(static_cast<double>(n) * fraction));
}

// Cuts test, then validation off the front of `rows`; the rest trains.
void Deal(const std::vector<size_t>& rows, const SplitSpec& spec, Split& split) {
  const size_t n_test = Portion(rows.size(), spec.test);
  const size_t n_validation = std::min(rows.size() - n_test, Portion(rows.size(), spec.validation));
  auto it = rows.begin();
  split.test.insert(split.test.end(), it, it + n_test);
  it += n_test;
  split.validation.insert(split.validation.end(), it, it + n_validation);
  it += n_validation;
  split.train.insert(split.train.end(), it, rows.end());
}

}  // namespace

Result<Split> SplitRows(const table::Table& data, std::span<const double> labels,
                        const SplitSpec& spec) {
  const size_t n = data.num_rows();
  std::vector<size_t> rows(n);
  std::iota(rows.begin(), rows.end(), size_t{0});
  Split split;
  Rng rng(spec.seed);
  switch (spec.method) {
    case SplitMethod::kRandom:
      Shuffle(rows, rng);
      Deal(rows, spec, split);
      break;
    case SplitMethod::kStratified: {
      if (labels.size() != n) return Internal("stratified split needs one label per row");
      std::map<double, std::vector<size_t>> by_class;
      for (size_t row = 0; row < n; ++row) by_class[labels[row]].push_back(row);
      for (auto& [label, members] : by_class) {
        Shuffle(members, rng);
        Deal(members, spec, split);
      }
      break;
    }
    case SplitMethod::kTime: {
      const table::Column* time = data.Find(spec.time_column);
      if (time == nullptr) {
        return InvalidArgument("split.time_column '{}' is not a column of the data",
                               spec.time_column);
      }
      if (time->type() == table::Type::kString) {
        return InvalidArgument("split.time_column '{}' must hold times or numbers, not strings",
                               spec.time_column);
      }
      if (time->null_count() > 0) {
        return InvalidArgument("split.time_column '{}' is empty in {} rows", spec.time_column,
                               time->null_count());
      }
      std::stable_sort(rows.begin(), rows.end(),
                       [&](size_t a, size_t b) { return time->AsDouble(a) > time->AsDouble(b); });
      Deal(rows, spec, split);  // the latest rows are the test, then the validation rows
      break;
    }
  }
  if (split.train.empty()) {
    return InvalidArgument(
        "the split leaves no rows to train on ({} rows in all); use more data "
        "or smaller split.validation and split.test",
        n);
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.test.begin(), split.test.end());
  return split;
}

}  // namespace sluice::training
