// Expectations over several columns (pairs, multicolumn) and over the table itself.
#include <fmt/format.h>

#include <cmath>
#include <set>
#include <unordered_map>

#include "base/strings.h"
#include "validation/internal/evaluator_impl.h"

namespace sluice::validation::internal {
namespace {

using Json = nlohmann::json;
using table::Type;

bool NullAt(const table::Column& c, size_t row) {
  return c.IsNull(row) || (c.type() == Type::kFloat64 && std::isnan(c.float64s()[row]));
}

bool IsText(Type t) { return t == Type::kString; }

// A cell's JSON, or null.
Json CellOrNull(const table::Column& c, size_t row) {
  return NullAt(c, row) ? Json(nullptr) : CellJson(c, row);
}

// Three-way comparison of two non-null cells of comparable columns.
int Compare(const table::Column& a, const table::Column& b, size_t row) {
  if (IsText(a.type())) {
    const int c = a.strings()[row].compare(b.strings()[row]);
    return (c > 0) - (c < 0);
  }
  if (a.type() != Type::kFloat64 && b.type() != Type::kFloat64) {
    const int64_t x = a.type() == Type::kBool ? a.bools()[row] : a.int64s()[row];
    const int64_t y = b.type() == Type::kBool ? b.bools()[row] : b.int64s()[row];
    return (x > y) - (x < y);
  }
  const double x = a.AsDouble(row), y = b.AsDouble(row);
  return (x > y) - (x < y);
}

class Pair final : public MapBase {
 public:
  Pair(const ExpectationConfig& c, size_t i, ResultFormat f, bool greater)
      : MapBase(c, i, f),
        a_(c.Arg("column_A").get<std::string>()),
        b_(c.Arg("column_B").get<std::string>()),
        greater_(greater),
        or_equal_(greater && c.Arg("or_equal").get<bool>()),
        ignore_(c.Arg("ignore_row_if").get<std::string>()) {}

  Status ConsumeChunk(const ChunkView& chunk) override {
    const table::Column& a = *chunk.table->Find(a_);
    const table::Column& b = *chunk.table->Find(b_);
    if (a.type() == Type::kFloat64 && b.type() == Type::kFloat64) {
      ConsumeFloats(chunk, a, b);
      return Status::Ok();
    }
    for (size_t row = 0; row < chunk.table->num_rows(); ++row) {
      if (chunk.selected != nullptr && chunk.selected[row] == 0) continue;
      ++element_;
      const bool missing_a = NullAt(a, row), missing_b = NullAt(b, row);
      if (Ignored(missing_a, missing_b)) continue;
      ++considered_;
      // A comparison with a missing value is false, as with NaN in pandas.
      bool expected = false;
      if (!missing_a && !missing_b) {
        const int order = Compare(a, b, row);
        expected = greater_ ? (or_equal_ ? order >= 0 : order > 0) : order == 0;
      }
      if (!expected) {
        ++unexpected_;
        Record(chunk.first_row + static_cast<int64_t>(row),
               Json::array({CellOrNull(a, row), CellOrNull(b, row)}));
      }
    }
    return Status::Ok();
  }

  Result<ExpectationResult> Finish(const Schema&) override {
    return MapResult(element_, considered_);
  }

 private:
  bool Ignored(bool missing_a, bool missing_b) const {
    return (ignore_both_ && missing_a && missing_b) || (ignore_either_ && (missing_a || missing_b));
  }

  // The loop above for two float64 columns, reading their values and masks directly: the same
  // counts and records.
  void ConsumeFloats(const ChunkView& chunk, const table::Column& a, const table::Column& b) {
    const double* x = a.float64s().data();
    const double* y = b.float64s().data();
    const uint8_t* valid_a = a.validity().empty() ? nullptr : a.validity().data();
    const uint8_t* valid_b = b.validity().empty() ? nullptr : b.validity().data();
    const size_t n = chunk.table->num_rows();
    for (size_t row = 0; row < n; ++row) {
      if (chunk.selected != nullptr && chunk.selected[row] == 0) continue;
      ++element_;
      const bool missing_a = (valid_a != nullptr && valid_a[row] == 0) || std::isnan(x[row]);
      const bool missing_b = (valid_b != nullptr && valid_b[row] == 0) || std::isnan(y[row]);
      if (Ignored(missing_a, missing_b)) continue;
      ++considered_;
      const bool expected =
          !missing_a && !missing_b &&
          (greater_ ? (or_equal_ ? x[row] >= y[row] : x[row] > y[row]) : x[row] == y[row]);
      if (!expected) {
        ++unexpected_;
        Record(chunk.first_row + static_cast<int64_t>(row),
               Json::array({CellOrNull(a, row), CellOrNull(b, row)}));
      }
    }
  }

  const std::string a_, b_;
  const bool greater_, or_equal_;
  const std::string ignore_;
  const bool ignore_both_ = ignore_ == "both_values_are_missing";
  const bool ignore_either_ = ignore_ == "either_value_is_missing";
  int64_t element_ = 0, considered_ = 0;
};

enum class Multi { kCompoundUnique, kUniqueWithinRecord, kSum };

class Multicolumn final : public MapBase {
 public:
  Multicolumn(const ExpectationConfig& c, size_t i, ResultFormat f, Multi which)
      : MapBase(c, i, f), which_(which), ignore_(c.Arg("ignore_row_if").get<std::string>()) {
    for (const Json& name : c.Arg("column_list")) columns_.push_back(name.get<std::string>());
    if (which == Multi::kSum) sum_total_ = c.Arg("sum_total").get<double>();
  }

  Status ConsumeChunk(const ChunkView& chunk) override {
    std::vector<const table::Column*> cols;
    for (const std::string& name : columns_) cols.push_back(chunk.table->Find(name));
    for (size_t row = 0; row < chunk.table->num_rows(); ++row) {
      if (chunk.selected != nullptr && chunk.selected[row] == 0) continue;
      ++element_;
      size_t missing = 0;
      for (const table::Column* c : cols) missing += NullAt(*c, row);
      if ((ignore_ == "all_values_are_missing" && missing == cols.size()) ||
          (ignore_ == "any_value_is_missing" && missing > 0)) {
        continue;
      }
      ++considered_;
      const int64_t index = chunk.first_row + static_cast<int64_t>(row);
      switch (which_) {
        case Multi::kSum: {
          double sum = 0;  // pandas skips nulls
          for (const table::Column* c : cols) {
            if (!NullAt(*c, row)) sum += c->AsDouble(row);
          }
          if (sum != sum_total_) {
            ++unexpected_;
            Record(index, RowJson(cols, row));
          }
          break;
        }
        case Multi::kUniqueWithinRecord: {
          // pandas nunique(dropna=False): nulls count as one value.
          std::vector<Json> seen;
          bool repeated = false;
          for (const table::Column* c : cols) {
            Json v = CellOrNull(*c, row);
            if (std::find(seen.begin(), seen.end(), v) != seen.end()) repeated = true;
            seen.push_back(std::move(v));
          }
          if (repeated) {
            ++unexpected_;
            Record(index, RowJson(cols, row));
          }
          break;
        }
        case Multi::kCompoundUnique: {
          Json values = Json::array();
          for (const table::Column* c : cols) values.push_back(CellOrNull(*c, row));
          auto [it, inserted] = seen_.try_emplace(values.dump(), Entry{0, index});
          if (++it->second.count > 1 && later_.size() < keep_) {
            later_.emplace_back(index, RowJson(cols, row));
          }
          break;
        }
      }
    }
    return Status::Ok();
  }

  Result<ExpectationResult> Finish(const Schema&) override {
    if (which_ == Multi::kCompoundUnique) {
      std::vector<std::pair<int64_t, Json>> rows = later_;
      for (const auto& [key, entry] : seen_) {
        if (entry.count < 2) continue;
        unexpected_ += entry.count;
        const Json values = Json::parse(key);
        Json row = Json::object();
        for (size_t k = 0; k < columns_.size(); ++k) row[columns_[k]] = values[k];
        rows.emplace_back(entry.first_row, std::move(row));
      }
      std::sort(rows.begin(), rows.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t k = 0; k < rows.size() && k < keep_; ++k) {
        rows_.push_back(rows[k].first);
        values_.push_back(std::move(rows[k].second));
      }
    }
    return MapResult(element_, considered_);
  }

 private:
  Json RowJson(const std::vector<const table::Column*>& cols, size_t row) const {
    Json out = Json::object();
    for (size_t k = 0; k < cols.size(); ++k) out[columns_[k]] = CellOrNull(*cols[k], row);
    return out;
  }

  struct Entry {
    int64_t count;
    int64_t first_row;
  };

  const Multi which_;
  const std::string ignore_;
  std::vector<std::string> columns_;
  double sum_total_ = 0;
  int64_t element_ = 0, considered_ = 0;
  std::unordered_map<std::string, Entry> seen_;
  std::vector<std::pair<int64_t, Json>> later_;
};

enum class Tab {
  kExists,
  kRowsBetween,
  kRowsEqual,
  kColumnsEqual,
  kColumnsBetween,
  kOrdered,
  kSet
};

class TableCheck final : public Evaluator {
 public:
  TableCheck(const ExpectationConfig& c, size_t i, ResultFormat f, Tab which)
      : Evaluator(c, i, f), which_(which) {}

  Status ConsumeChunk(const ChunkView& chunk) override {
    if (chunk.selected == nullptr) {
      rows_ += static_cast<int64_t>(chunk.table->num_rows());
    } else {
      for (size_t r = 0; r < chunk.table->num_rows(); ++r) rows_ += chunk.selected[r];
    }
    return Status::Ok();
  }

  Result<ExpectationResult> Finish(const Schema& schema) override {
    ExpectationResult r = NewResult();
    const std::vector<std::string>& names = schema.names;
    const int64_t columns = static_cast<int64_t>(names.size());
    switch (which_) {
      case Tab::kExists: {
        const int at = schema.Find(config_.Arg("column").get<std::string>());
        const Json index = config_.Arg("column_index");
        r.success = at >= 0 && (index.is_null() || index.get<int64_t>() == at);
        return r;
      }
      case Tab::kRowsBetween:
        r.observed_value = rows_;
        r.success = WithinBounds(static_cast<double>(rows_), config_);
        return r;
      case Tab::kRowsEqual:
        r.observed_value = rows_;
        r.success = rows_ == config_.Arg("value").get<int64_t>();
        return r;
      case Tab::kColumnsEqual:
        r.observed_value = columns;
        r.success = columns == config_.Arg("value").get<int64_t>();
        return r;
      case Tab::kColumnsBetween:
        r.observed_value = columns;
        r.success = WithinBounds(static_cast<double>(columns), config_);
        return r;
      case Tab::kOrdered: {
        std::vector<std::string> expected;
        for (const Json& name : config_.Arg("column_list")) expected.push_back(name);
        r.observed_value = names;
        r.success = expected == names;
        if (!r.success) {
          Json mismatched = Json::array();
          for (size_t k = 0; k < std::max(expected.size(), names.size()); ++k) {
            Json want = k < expected.size() ? Json(expected[k]) : Json(nullptr);
            Json found = k < names.size() ? Json(names[k]) : Json(nullptr);
            if (want != found) {
              mismatched.push_back(
                  {{"Expected Column Position", k}, {"Expected", want}, {"Found", found}});
            }
          }
          r.details = {{"mismatched", mismatched}};
        }
        return r;
      }
      case Tab::kSet: {
        std::set<std::string> expected;
        for (const Json& name : config_.Arg("column_set")) expected.insert(name);
        const std::set<std::string> actual(names.begin(), names.end());
        r.observed_value = names;
        if (expected == actual) {
          r.success = true;
          return r;
        }
        std::vector<std::string> unexpected, missing;
        std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                            std::back_inserter(unexpected));
        std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                            std::back_inserter(missing));
        Json mismatched = Json::object();
        if (!unexpected.empty()) mismatched["unexpected"] = unexpected;
        if (!missing.empty()) mismatched["missing"] = missing;
        r.observed_value = std::vector<std::string>(actual.begin(), actual.end());
        r.details = {{"mismatched", mismatched}};
        r.success = !config_.Arg("exact_match").get<bool>() && missing.empty();
        return r;
      }
    }
    return r;
  }

 private:
  const Tab which_;
  int64_t rows_ = 0;
};

bool IsNumeric(Type t) { return t != Type::kString; }

}  // namespace

Result<std::unique_ptr<Evaluator>> MakeChunkEvaluator(const ExpectationConfig& c, size_t index,
                                                      ResultFormat f, const Schema& schema) {
  const std::string& type = c.type;
  if (type == "expect_column_pair_values_a_to_be_greater_than_b" ||
      type == "expect_column_pair_values_to_be_equal") {
    const std::string a = c.Arg("column_A").get<std::string>();
    const std::string b = c.Arg("column_B").get<std::string>();
    const Type ta = schema.types[static_cast<size_t>(schema.Find(a))];
    const Type tb = schema.types[static_cast<size_t>(schema.Find(b))];
    const bool timestamps = (ta == Type::kTimestamp) != (tb == Type::kTimestamp);
    if (IsNumeric(ta) != IsNumeric(tb) || timestamps) {
      return InvalidArgument("{} and {} cannot be compared; compare columns of one kind",
                             ColumnText(schema, a), ColumnText(schema, b));
    }
    return std::unique_ptr<Evaluator>(std::make_unique<Pair>(
        c, index, f, type == "expect_column_pair_values_a_to_be_greater_than_b"));
  }
  if (type == "expect_compound_columns_to_be_unique") {
    return std::unique_ptr<Evaluator>(
        std::make_unique<Multicolumn>(c, index, f, Multi::kCompoundUnique));
  }
  if (type == "expect_select_column_values_to_be_unique_within_record") {
    return std::unique_ptr<Evaluator>(
        std::make_unique<Multicolumn>(c, index, f, Multi::kUniqueWithinRecord));
  }
  if (type == "expect_multicolumn_sum_to_equal") {
    for (const Json& name : c.Arg("column_list")) {
      const int at = schema.Find(name.get<std::string>());
      if (schema.types[static_cast<size_t>(at)] == Type::kString ||
          schema.types[static_cast<size_t>(at)] == Type::kTimestamp) {
        return InvalidArgument("{} is not numeric; a sum needs numeric columns",
                               ColumnText(schema, name.get<std::string>()));
      }
    }
    return std::unique_ptr<Evaluator>(std::make_unique<Multicolumn>(c, index, f, Multi::kSum));
  }
  static const std::pair<const char*, Tab> kTable[] = {
      {"expect_column_to_exist", Tab::kExists},
      {"expect_table_row_count_to_be_between", Tab::kRowsBetween},
      {"expect_table_row_count_to_equal", Tab::kRowsEqual},
      {"expect_table_column_count_to_equal", Tab::kColumnsEqual},
      {"expect_table_column_count_to_be_between", Tab::kColumnsBetween},
      {"expect_table_columns_to_match_ordered_list", Tab::kOrdered},
      {"expect_table_columns_to_match_set", Tab::kSet}};
  for (const auto& [name, which] : kTable) {
    if (type == name)
      return std::unique_ptr<Evaluator>(std::make_unique<TableCheck>(c, index, f, which));
  }
  return Internal("no evaluator for {}", type);
}

}  // namespace sluice::validation::internal
