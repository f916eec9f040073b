// An expectation suite: a named list of expectations, read from YAML (docs/formats/
// validation-suite.md) or from Great Expectations' JSON suite format, checked against the
// declaration table (expectations.h) on the way in, and written back in either form.
//
//   SLUICE_ASSIGN_OR_RETURN(Suite suite, ReadSuite("checks.yaml"));
//   suite.expectations.push_back({.type = "expect_column_values_to_not_be_null",
//                                 .kwargs = {{"column", "id"}}});
//   SLUICE_RETURN_IF_ERROR(CheckSuite(suite, "my suite"));
//   SLUICE_RETURN_IF_ERROR(WriteSuite(suite, "suite.json"));  // Great Expectations' JSON
//
// Thread safety: values and pure functions.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "validation/expectations.h"

namespace sluice::validation {

// One expectation as written: Great Expectations' expectation_type, kwargs and meta.
struct ExpectationConfig {
  std::string type;
  nlohmann::json kwargs = nlohmann::json::object();
  nlohmann::json meta = nlohmann::json::object();
  int line = 0;  // where it starts in its YAML file (1-based), 0 when unknown; for messages

  // kwargs[name], or the declared default when absent (null when the declaration has none). The
  // type must be a declared expectation.
  nlohmann::json Arg(std::string_view name) const;
  bool Has(std::string_view name) const { return kwargs.contains(std::string(name)); }
  // The expectation's position for messages: "expectation 3 (expect_column_values_to_be_null)".
  std::string Describe(size_t index) const;
};

struct Suite {
  std::string name;
  std::vector<ExpectationConfig> expectations;
  nlohmann::json meta = nlohmann::json::object();
};

// Parses YAML or Great Expectations' JSON (chosen by the first character: '{' is JSON) and checks
// every expectation (CheckSuite). `source` names the text in messages, which read
// "checks.yaml line 7: expectation 3 (expect_column_values_to_be_between): max_val: unknown
// parameter (did you mean 'max_value'?)". kInvalidArgument for any problem.
Result<Suite> ParseSuite(std::string_view text, std::string_view source);
// ParseSuite over a file's contents; file errors as ReadFileToString's.
Result<Suite> ReadSuite(const std::filesystem::path& path);

// Checks every expectation against the declaration table: a known type (else the closest name),
// known parameters (else the closest), required ones present, each value of its declared type,
// and the rules no single value can break (a bound given, min_value <= max_value, quantile ranges
// of matching lengths, a valid partition, regular expressions and row conditions that compile).
// Columns are checked against the data only when it is validated (engine.h).
Status CheckSuite(const Suite& suite, std::string_view source);
Status CheckExpectation(const ExpectationConfig& config, size_t index, std::string_view source);

// YAML in the short form (`- expect_...: {kwargs}`), which ParseSuite reads back to an equal
// suite. Strings that would read back as another type are quoted.
std::string SuiteToYaml(const Suite& suite);
// Great Expectations' suite JSON: {"expectation_suite_name", "expectations": [{"expectation_type",
// "kwargs", "meta"}], "meta", "data_asset_type", "ge_cloud_id"}.
nlohmann::json SuiteToGeJson(const Suite& suite);
// By extension: .json writes Great Expectations' JSON, anything else YAML; atomically.
Status WriteSuite(const Suite& suite, const std::filesystem::path& path);

// YAML text as JSON: quoted scalars are strings; plain ones are null (~, null, empty), booleans
// (true/false in any case), integers, floats (.inf, .nan too) or else strings. Exposed for tests.
Result<nlohmann::json> YamlToJson(std::string_view text, std::string_view source);

}  // namespace sluice::validation
