#include "serving/input_checks.h"

#include <fmt/format.h>

#include <set>

#include "validation/engine.h"
#include "validation/expectations.h"
#include "validation/report.h"

namespace sluice::serving {
namespace {

using Json = nlohmann::json;

// The columns an expectation reads (column, column_A/column_B, column_list).
std::vector<std::string> ColumnNames(const validation::ExpectationConfig& config) {
  std::vector<std::string> names;
  for (const char* key : {"column", "column_A", "column_B"}) {
    if (config.Has(key) && config.kwargs[key].is_string()) names.push_back(config.kwargs[key]);
  }
  if (config.Has("column_list") && config.kwargs["column_list"].is_array()) {
    for (const Json& name : config.kwargs["column_list"]) {
      if (name.is_string()) names.push_back(name.get<std::string>());
    }
  }
  return names;
}

}  // namespace

Result<InputCheckMode> ParseInputCheckMode(std::string_view text) {
  if (text == "off") return InputCheckMode::kOff;
  if (text == "count") return InputCheckMode::kCount;
  if (text == "reject") return InputCheckMode::kReject;
  return InvalidArgument("--check-inputs '{}': use off, count or reject", text);
}

InputChecks::InputChecks(validation::Suite suite, std::vector<Expectation> expectations)
    : suite_(std::move(suite)),
      expectations_(std::move(expectations)),
      failed_rows_(std::make_unique<std::atomic<uint64_t>[]>(expectations_.size())) {}

Result<std::unique_ptr<InputChecks>> InputChecks::FromBundle(const models::Bundle& bundle) {
  if (bundle.input_suite.empty()) return std::unique_ptr<InputChecks>();
  SLUICE_ASSIGN_OR_RETURN(
      validation::Suite stored,
      validation::ParseSuite(bundle.input_suite, "the model's input_suite.yaml"));
  std::set<std::string> inputs;
  for (const models::InputColumn& input : bundle.encoder.inputs()) inputs.insert(input.name);
  validation::Suite suite{.name = stored.name, .expectations = {}, .meta = stored.meta};
  std::vector<Expectation> kept;
  for (size_t index = 0; index < stored.expectations.size(); ++index) {
    validation::ExpectationConfig& config = stored.expectations[index];
    const validation::ExpectationSpec* spec = validation::FindExpectation(config.type);
    if (spec == nullptr || !validation::IsRowByRow(spec->kind)) continue;
    std::vector<std::string> columns = ColumnNames(config);
    if (columns.empty() || !std::all_of(columns.begin(), columns.end(),
                                        [&](const std::string& c) { return inputs.contains(c); })) {
      continue;
    }
    config.kwargs.erase("mostly");
    // Failures are counted, never raised: a request is data, not a broken suite.
    config.kwargs["catch_exceptions"] = true;
    config.kwargs["result_format"] = "BOOLEAN_ONLY";
    kept.push_back({index, config.type, validation::ColumnsOf(config)});
    suite.expectations.push_back(std::move(config));
  }
  if (kept.empty()) return std::unique_ptr<InputChecks>();
  return std::unique_ptr<InputChecks>(new InputChecks(std::move(suite), std::move(kept)));
}

Result<std::vector<InputChecks::Failure>> InputChecks::Check(const table::Table& inputs) const {
  SLUICE_ASSIGN_OR_RETURN(validation::SuiteResult result,
                          validation::Validate(inputs, suite_, {.threads = 1}));
  checked_rows_.fetch_add(inputs.num_rows(), std::memory_order_relaxed);
  std::vector<Failure> failures;
  for (size_t i = 0; i < result.results.size(); ++i) {
    const validation::ExpectationResult& r = result.results[i];
    if (r.success) continue;
    // An expectation that could not be evaluated on these rows fails them all.
    const int64_t rows =
        r.raised_exception ? static_cast<int64_t>(inputs.num_rows()) : r.unexpected_count;
    failed_rows_[i].fetch_add(static_cast<uint64_t>(rows), std::memory_order_relaxed);
    failures.push_back({i, rows});
  }
  return failures;
}

std::string InputChecks::Describe(const std::vector<Failure>& failures) const {
  std::string text;
  for (const Failure& f : failures) {
    const Expectation& e = expectations_[f.expectation];
    text += fmt::format("{}{} on {}: {} row{}", text.empty() ? "" : "; ", e.type, e.columns, f.rows,
                        f.rows == 1 ? "" : "s");
  }
  return text;
}

}  // namespace sluice::serving
