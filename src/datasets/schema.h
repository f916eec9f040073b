// The datasets module's tables in the metadata database, as numbered migrations.
// docs/formats/dataset-manifest.md describes every table.
#pragma once

#include <span>
#include <string_view>

#include "storage/database.h"

namespace sluice::datasets {

inline constexpr std::string_view kSchemaModule = "datasets";
std::span<const storage::Migration> Migrations();

}  // namespace sluice::datasets
