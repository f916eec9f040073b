// Parses the text XGBoosterEvalOneIter returns,
//   "[3]\ttrain-auc:0.912345\ttrain-logloss:0.2\tvalid-auc:0.88\tvalid-logloss:0.31",
// into one EvalValue per (data set, metric). Pure, testable without XGBoost.
//
// Thread safety: stateless.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "xgb/xgb.h"

namespace sluice::xgb::internal {

// `datasets` are the names the sets were evaluated under. Each "<set>-<metric>:<value>" field is
// split at the longest listed set name followed by '-' (metric names hold '-' and '@' too:
// "ndcg@5-", "error@0.7") and at the last ':'. Values are decimal numbers, "nan", "inf" or
// "-nan". kInternal, quoting the text, when it does not have this shape.
Result<std::vector<EvalValue>> ParseEvalText(std::string_view text,
                                             std::span<const std::string> datasets);

}  // namespace sluice::xgb::internal
