// How a table's columns become the numeric matrix a model sees, and its target column the labels
// it learns: fitted once on training data, saved in the model bundle, and applied unchanged to
// every later input (evaluation, batch and online serving), so the same row always encodes the
// same way.
//
//   SLUICE_ASSIGN_OR_RETURN(FeatureEncoder enc, FeatureEncoder::Fit(train, {"age", "plan"},
//                                                                   Encoding::kOrdinal));
//   SLUICE_ASSIGN_OR_RETURN(std::vector<float> x, enc.EncodeFloat(test));   // rows x features
//
// Thread safety: immutable after Fit/FromJson; const methods may be called concurrently.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "stats/metrics.h"
#include "table/table.h"

namespace sluice::models {

// One task type for the whole program: the model's, the metrics'.
using stats::ParseTask;
using stats::Task;
using stats::TaskName;

enum class Encoding {
  kNumeric,  // the value as a double (bool 0/1, timestamp in seconds since the epoch); null = NaN
  kOrdinal,  // the category's index in the sorted training categories; unseen or null = NaN
  kOneHot,   // one 0/1 feature per training category; unseen or null = all 0
};
std::string_view EncodingName(Encoding encoding);  // "numeric", "ordinal", "onehot"
Result<Encoding> ParseEncoding(std::string_view name);

// One input column as the model was trained on it.
struct InputColumn {
  std::string name;
  table::Type type = table::Type::kFloat64;
  Encoding encoding = Encoding::kNumeric;
  std::vector<std::string> categories;  // kOrdinal and kOneHot: sorted, as seen in training
};

class FeatureEncoder {
 public:
  // One-hot encoding refuses a column with more distinct values than this (an id column, most
  // likely), naming it: it would make that many features.
  static constexpr size_t kMaxOneHotCategories = 1000;

  FeatureEncoder() = default;

  // String columns get `categorical`; every other type is numeric. kInvalidArgument for a missing
  // column (naming the available ones), an empty list, or a one-hot column with too many values.
  static Result<FeatureEncoder> Fit(const table::Table& data, std::span<const std::string> columns,
                                    Encoding categorical);

  const std::vector<InputColumn>& inputs() const { return inputs_; }
  // The model's features in order: a numeric or ordinal column is one feature named like the
  // column; a one-hot column is one feature per category, named "<column>=<category>".
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  size_t num_features() const { return feature_names_.size(); }

  // Rows x num_features(), row-major. Columns are found by name, so order and extra columns do
  // not matter. kInvalidArgument naming the column when one is missing or a numeric feature
  // arrives as strings.
  Result<std::vector<float>> EncodeFloat(const table::Table& data) const;
  Result<std::vector<double>> EncodeDouble(const table::Table& data) const;

  nlohmann::json ToJson() const;
  static Result<FeatureEncoder> FromJson(const nlohmann::json& json);

 private:
  template <typename T>
  Result<std::vector<T>> Encode(const table::Table& data) const;

  std::vector<InputColumn> inputs_;
  std::vector<std::string> feature_names_;
};

// The target column's classes (classification) and their encoding as labels.
struct Target {
  std::string column;
  Task task = Task::kRegression;
  // kBinary: two values, the second is the positive class; kMulticlass: the class of each index.
  // Sorted: numerically for numeric columns, false < true for bool, else by bytes.
  std::vector<std::string> classes;

  // kInvalidArgument when the column is missing or has nulls (naming how many and the first
  // row), a binary target without exactly two values, a multiclass one with fewer than three, or
  // a regression target that is not numeric.
  static Result<Target> Fit(const table::Table& data, std::string_view column, Task task);

  // The label of each row: a class index for classification, the value for regression.
  // kInvalidArgument for a class not seen in training, naming it and the row.
  Result<std::vector<double>> Labels(const table::Table& data) const;

  nlohmann::json ToJson() const;
  static Result<Target> FromJson(const nlohmann::json& json);
};

}  // namespace sluice::models
