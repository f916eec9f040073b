// The registry module's tables in the metadata database, as numbered migrations: registered
// models, their versions, tags and aliases, the append-only audit log and the event feed.
// Thread safety: constant data.
#pragma once

#include <span>

#include "storage/database.h"

namespace sluice::registry {

inline constexpr std::string_view kSchemaModule = "registry";
std::span<const storage::Migration> Migrations();

}  // namespace sluice::registry
