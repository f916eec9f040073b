// The validation module's face: expectation suites with Great Expectations' semantics (suite.h,
// expectations.h), the fused engine that evaluates them over tables and streamed files
// (engine.h), their results and HTML report (result.h, report.h), schema inference (infer.h)
// and TFDV-style skew between two tables (skew.h).
//
//   SLUICE_ASSIGN_OR_RETURN(Suite suite, ReadSuite("checks.yaml"));
//   SLUICE_ASSIGN_OR_RETURN(SuiteResult result, ValidateFile("data/new.csv", suite));
//   if (!result.success) ...
//
// Thread safety: see the included headers.
#pragma once

#include "validation/engine.h"         // IWYU pragma: export
#include "validation/expectations.h"   // IWYU pragma: export
#include "validation/infer.h"          // IWYU pragma: export
#include "validation/report.h"         // IWYU pragma: export
#include "validation/result.h"         // IWYU pragma: export
#include "validation/row_condition.h"  // IWYU pragma: export
#include "validation/skew.h"           // IWYU pragma: export
#include "validation/suite.h"          // IWYU pragma: export
