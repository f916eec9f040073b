// MLflow's search grammar for registered models and model versions: a filter of clauses joined
// by AND and an order_by list, parsed and compiled to one SQL query over the registry schema.
//
//   SLUICE_ASSIGN_OR_RETURN(Sql sql, CompileModelSearch("name LIKE 'churn%'", {"name DESC"},
//                                                       limit + 1, offset));
//   conn.Query(sql.text, sql.params)  // one model name per row, in result order
//
// Thread safety: pure functions over values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "tracking/search.h"

namespace sluice::registry {

using tracking::Sql;

// Registered models: filter on name and tags.<key> (= != LIKE ILIKE); order_by name,
// creation_timestamp (also timestamp), last_updated_timestamp, each [ASC|DESC]. Default order
// name ASC; name is always the last tie-breaker. The query yields `name` per row. Errors are
// kInvalidArgument naming the offending token.
Result<Sql> CompileModelSearch(std::string_view filter, std::span<const std::string> order_by,
                               int64_t limit, int64_t offset);

// Model versions: filter on name, source_path, tags.<key> (= != LIKE ILIKE), run_id (= != IN
// NOT IN), version_number (= != < <= > >=); order_by name, version_number, creation_timestamp,
// last_updated_timestamp. Default order name ASC, version_number DESC; (name, version) end the
// order so it is total. The query yields `name, version` per row.
Result<Sql> CompileVersionSearch(std::string_view filter, std::span<const std::string> order_by,
                                 int64_t limit, int64_t offset);

}  // namespace sluice::registry
