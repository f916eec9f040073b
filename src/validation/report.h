// The HTML report of a validation: one self-contained file (inline CSS and SVG, no scripts, no
// external resources) with the suite's totals, every expectation's result with its failing
// samples (values and row numbers), and per column its counts and a histogram (numbers: 20
// equal-width bins over the values, or a uniform sample of 20,000 of them; strings: the 20 most
// common values). Histograms need SuiteResult::profiles (ValidateOptions::profile_columns).
//
//   SLUICE_RETURN_IF_ERROR(WriteHtmlReport(result, "report.html"));
//
// Thread safety: pure functions.
#pragma once

#include <filesystem>
#include <string>

#include "base/status.h"
#include "validation/result.h"

namespace sluice::validation {

std::string HtmlReport(const SuiteResult& result);
// Written atomically.
Status WriteHtmlReport(const SuiteResult& result, const std::filesystem::path& path);

// The text people read for one result, shared by the report and the terminal table:
// "3 unexpected of 1,000 (0.3%): -1, 130, 150" or "observed 41.7".
std::string ResultSummary(const ExpectationResult& result, size_t max_values = 3);
// The column(s) an expectation is about, "age", "a, b", or "" for table expectations.
std::string ColumnsOf(const ExpectationConfig& config);

}  // namespace sluice::validation
