// The tracking module's tables in the metadata database, as numbered migrations.
// docs/formats/database.md describes every table.
#pragma once

#include <span>

#include "storage/database.h"

namespace sluice::tracking {

inline constexpr std::string_view kSchemaModule = "tracking";
std::span<const storage::Migration> Migrations();

}  // namespace sluice::tracking
