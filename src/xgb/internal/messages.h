// XGBoost's error and log text, tidied for Sluice's Status messages and log lines. Pure string
// functions, testable without XGBoost.
//
// Thread safety: stateless.
#pragma once

#include <string>
#include <string_view>

#include "base/log.h"

namespace sluice::xgb::internal {

// XGBoost's error text without what only helps XGBoost's developers: the "[12:34:56] " time, the
// "./src/learner.cc:123: " source location, the "Stack trace:" that follows, and trailing
// whitespace and colons. "Check failed: ..." conditions stay: they are often the only detail.
std::string CleanErrorText(std::string_view raw);

struct LogLine {
  LogLevel level = LogLevel::kInfo;
  std::string message;
};
// One line XGBoost logged ("[12:34:56] WARNING: ./src/gbm/gbtree.cc:84: message"): its level
// (WARNING, INFO, DEBUG; unlabeled lines, such as its timing reports at verbosity 3, are INFO)
// and the message cleaned as above, without leading whitespace either.
LogLine ParseLogLine(std::string_view raw);

}  // namespace sluice::xgb::internal
