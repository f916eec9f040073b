// Training data checked against an expectation suite before anything is recorded: `sluice train
// --suite checks.yaml` refuses data that fails it, like a CI gate in front of the model.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "training/internal/run_support.h"
#include "validation/validation.h"

namespace sluice::training::internal {

struct DataCheck {
  validation::Suite suite;
  std::string suite_path;  // absolute
  validation::SuiteResult train;
  std::optional<validation::SuiteResult> test;  // the separate test data, when there is one

  // {"suite", "suite_path", "train": GE's validation result, "test": ... or null}
  nlohmann::json ToJson() const;
};

// Reads the suite and validates the data (and the test data) against it. kFailedPrecondition
// when either fails, naming the data, the suite, the first failed expectations and the command
// that shows every result.
Result<DataCheck> CheckData(const std::string& suite_path, const LoadedData& data,
                            const std::optional<LoadedData>& test_data);

}  // namespace sluice::training::internal
