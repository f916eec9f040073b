// Table awareness: for CSV, TSV and JSON Lines files, the row count, schema and a profile of each
// column (count, nulls, min/max/mean/stddev and quantiles of numbers, distinct and top values of
// strings), recorded with a version; and the comparison of two such profiles that `data diff`
// shows (schema changes, row counts, per-column shifts).
//
//   nlohmann::json profile = ProfileTableFile("data/churn.csv", options);
//   nlohmann::json shift = DiffTableProfiles(old_profile, new_profile);
//
// A file that cannot be parsed or is too large gets {"skipped": "<why>"}: profiling never fails
// an add. Thread safety: pure functions (parsing uses ReadTable's own threads).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

namespace sluice::datasets {

struct ProfileOptions {
  // Larger files are skipped with a note (the table is read into memory).
  uint64_t max_bytes = 256 << 20;
  // At most this many table files of a folder are profiled.
  size_t max_files = 16;
  size_t top_values = 5;
};

// True for .csv, .tsv, .jsonl and .ndjson, any case.
bool IsTableFile(std::string_view path);

// {"rows": n, "columns": [{"name", "type", "count", "nulls", ...}]} or {"skipped": "..."}.
nlohmann::json ProfileTableFile(const std::filesystem::path& file, const ProfileOptions& options);

// What changed from `before` to `after` (two ProfileTableFile results):
// {"rows": [before, after], "added_columns": [...], "removed_columns": [...],
//  "type_changes": [{"column", "from", "to"}], "columns": [{"name", ...shifts}]}.
// Null when either side was skipped.
nlohmann::json DiffTableProfiles(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace sluice::datasets
