// A column's values as text, for assertions that read like the data.
#pragma once

#include <string>
#include <vector>

#include "table/column.h"

namespace sluice::table {

// Each value as text, nulls as "<null>".
inline std::vector<std::string> Values(const Column& c) {
  std::vector<std::string> out;
  for (size_t row = 0; row < c.size(); ++row) {
    out.push_back(c.IsNull(row) ? "<null>" : c.ValueToString(row));
  }
  return out;
}

}  // namespace sluice::table
