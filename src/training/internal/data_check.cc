#include "training/internal/data_check.h"

#include <fmt/format.h>

#include <filesystem>

namespace sluice::training::internal {
namespace {

// Failed expectations listed in the refusal; the full report is one command away.
constexpr size_t kListedFailures = 3;

Status Refusal(const validation::SuiteResult& result, const LoadedData& data,
               const DataCheck& check, std::string_view field) {
  std::string failures;
  size_t listed = 0;
  for (const validation::ExpectationResult& e : result.results) {
    if (e.success) continue;
    if (listed++ == kListedFailures) {
      failures += "; ...";
      break;
    }
    const std::string columns = validation::ColumnsOf(e.config);
    failures +=
        fmt::format("{}{}{}: {}", listed == 1 ? "" : "; ", e.config.Describe(e.index),
                    columns.empty() ? "" : " on " + columns,
                    e.raised_exception ? e.exception_message : validation::ResultSummary(e));
  }
  return FailedPrecondition(
      "{} {} fails the suite '{}' ({}): {} of {} expectations failed: {}. Nothing was recorded; "
      "fix the data or the suite (every result: sluice validate run {} --suite {})",
      field, data.source, check.suite.name, check.suite_path,
      result.statistics.unsuccessful_expectations, result.statistics.evaluated_expectations,
      failures, data.source, check.suite_path);
}

}  // namespace

nlohmann::json DataCheck::ToJson() const {
  return {{"suite", suite.name},
          {"suite_path", suite_path},
          {"train", train.ToJson()},
          {"test", test ? test->ToJson() : nlohmann::json(nullptr)}};
}

Result<DataCheck> CheckData(const std::string& suite_path, const LoadedData& data,
                            const std::optional<LoadedData>& test_data) {
  DataCheck check;
  std::error_code ec;
  check.suite_path = std::filesystem::absolute(suite_path, ec).lexically_normal().string();
  if (ec) return InvalidArgument("suite '{}': {}", suite_path, ec.message());
  SLUICE_ASSIGN_OR_RETURN(check.suite, validation::ReadSuite(check.suite_path));
  SLUICE_ASSIGN_OR_RETURN(check.train, validation::Validate(data.table, check.suite)
                                           .WithContext(fmt::format("data {}", data.source)));
  check.train.data = data.source;
  if (!check.train.success) return Refusal(check.train, data, check, "data");
  if (test_data) {
    SLUICE_ASSIGN_OR_RETURN(check.test,
                            validation::Validate(test_data->table, check.suite)
                                .WithContext(fmt::format("test_data {}", test_data->source)));
    check.test->data = test_data->source;
    if (!check.test->success) return Refusal(*check.test, *test_data, check, "test_data");
  }
  return check;
}

}  // namespace sluice::training::internal
