// JSON text written by hand where scoring output is produced row by row (batch files, the NDJSON
// stream, the prediction log): building a nlohmann::json per row costs more than the scoring.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "table/column.h"

namespace sluice::serving::internal {

// The shortest text that reads back as `value`; null for NaN and infinities (JSON has neither).
void AppendJsonNumber(std::string& out, double value);
// The value at `row` (null for a null), timestamps as ISO-8601 strings.
void AppendJsonValue(std::string& out, const table::Column& column, size_t row);

}  // namespace sluice::serving::internal
