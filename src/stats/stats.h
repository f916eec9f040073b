// The stats module's face: model-evaluation metrics (metrics.h) and column summaries for
// validation and drift (summary.h). Everything here is a pure function of its inputs.
//
//   SLUICE_ASSIGN_OR_RETURN(auto scores, stats::Evaluate(stats::Task::kBinary, y, p, 2, {}));
//
// Thread safety: see the included headers; nothing holds shared state.
#pragma once

#include "stats/metrics.h"  // IWYU pragma: export
#include "stats/summary.h"  // IWYU pragma: export
