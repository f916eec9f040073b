#include "serving/internal/json_text.h"

#include "base/json_text.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

namespace sluice::serving::internal {

void AppendJsonNumber(std::string& out, double value) {
  if (std::isfinite(value)) {
    fmt::format_to(std::back_inserter(out), "{}", value);
  } else {
    out += "null";
  }
}

void AppendJsonValue(std::string& out, const table::Column& column, size_t row) {
  if (column.IsNull(row)) {
    out += "null";
    return;
  }
  switch (column.type()) {
    case table::Type::kFloat64:
      AppendJsonNumber(out, column.float64s()[row]);
      return;
    case table::Type::kInt64:
      fmt::format_to(std::back_inserter(out), "{}", column.int64s()[row]);
      return;
    case table::Type::kBool:
      out += column.bools()[row] != 0 ? "true" : "false";
      return;
    case table::Type::kString:
      AppendJsonString(out, column.strings()[row]);
      return;
    case table::Type::kTimestamp:
      AppendJsonString(out, table::FormatTimestamp(column.int64s()[row]));
      return;
  }
}

}  // namespace sluice::serving::internal
