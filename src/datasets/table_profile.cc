#include "datasets/table_profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/progress.h"
#include "stats/summary.h"
#include "table/table.h"

namespace sluice::datasets {
namespace {

using Json = nlohmann::json;

constexpr double kQuantiles[] = {0.01, 0.25, 0.5, 0.75, 0.99};
constexpr size_t kMaxDistinctTracked = 100'000;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// JSON numbers must be finite.
Json Number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json ProfileNumbers(const table::Column& column) {
  std::vector<double> values;
  values.reserve(column.size() - column.null_count());
  for (size_t i = 0; i < column.size(); ++i) {
    if (!column.IsNull(i)) values.push_back(column.AsDouble(i));
  }
  Json out;
  stats::Moments m = stats::ComputeMoments(values);
  if (m.count == 0) return out;
  out["min"] = Number(m.min);
  out["max"] = Number(m.max);
  out["mean"] = Number(m.mean);
  out["stddev"] = Number(m.stddev_sample());
  if (m.nan_count > 0) out["nan"] = m.nan_count;
  Result<std::vector<double>> q = stats::Quantiles(values, kQuantiles);
  if (q.ok()) {
    Json quantiles = Json::object();
    for (size_t i = 0; i < std::size(kQuantiles); ++i) {
      quantiles[fmt::format("{}", kQuantiles[i])] = Number((*q)[i]);
    }
    out["quantiles"] = std::move(quantiles);
  }
  return out;
}

Json ProfileStrings(const table::Column& column, size_t top_values) {
  std::unordered_map<std::string_view, int64_t> counts;
  bool capped = false;
  size_t min_length = SIZE_MAX, max_length = 0;
  const std::vector<std::string>& values = column.strings();
  for (size_t i = 0; i < values.size(); ++i) {
    if (column.IsNull(i)) continue;
    min_length = std::min(min_length, values[i].size());
    max_length = std::max(max_length, values[i].size());
    auto it = counts.find(values[i]);
    if (it != counts.end()) {
      ++it->second;
    } else if (counts.size() < kMaxDistinctTracked) {
      counts.emplace(values[i], 1);
    } else {
      capped = true;
    }
  }
  Json out;
  if (counts.empty()) return out;
  out["distinct"] = counts.size();
  if (capped) out["distinct_capped"] = true;
  out["min_length"] = min_length;
  out["max_length"] = max_length;
  std::vector<std::pair<std::string_view, int64_t>> top(counts.begin(), counts.end());
  const size_t keep = std::min(top_values, top.size());
  std::partial_sort(top.begin(), top.begin() + keep, top.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  Json list = Json::array();
  for (size_t i = 0; i < keep; ++i) list.push_back({std::string(top[i].first), top[i].second});
  out["top"] = std::move(list);
  return out;
}

const Json* FindColumn(const Json& profile, const std::string& name) {
  for (const Json& c : profile["columns"]) {
    if (c.value("name", "") == name) return &c;
  }
  return nullptr;
}

Json Pair(const Json& a, const Json& b) { return Json::array({a, b}); }

}  // namespace

bool IsTableFile(std::string_view path) {
  // std::filesystem::path's extension rule, without building a path: called once per file of a
  // dataset, 100,000s of times.
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name == "..") return false;
  const std::string ext = Lower(name.substr(dot));
  return ext == ".csv" || ext == ".tsv" || ext == ".jsonl" || ext == ".ndjson";
}

Json ProfileTableFile(const std::filesystem::path& file, const ProfileOptions& options) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return {{"skipped", fmt::format("cannot stat: {}", ec.message())}};
  if (size > options.max_bytes) {
    return {{"skipped", fmt::format("{} is larger than the profiling limit of {}",
                                    FormatBytes(size), FormatBytes(options.max_bytes))}};
  }
  Result<table::Table> read = table::ReadTable(file);
  if (!read.ok()) return {{"skipped", "not parsed: " + read.status().message()}};
  const table::Table& t = *read;
  Json columns = Json::array();
  for (const table::Column& c : t.columns()) {
    Json col = {{"name", c.name()},
                {"type", std::string(table::TypeName(c.type()))},
                {"count", c.size() - c.null_count()},
                {"nulls", c.null_count()}};
    Json detail = c.type() == table::Type::kString ? ProfileStrings(c, options.top_values)
                                                   : ProfileNumbers(c);
    if (detail.is_object()) col.update(detail);
    columns.push_back(std::move(col));
  }
  return {{"rows", t.num_rows()}, {"columns", std::move(columns)}};
}

Json DiffTableProfiles(const Json& before, const Json& after) {
  if (!before.is_object() || !after.is_object() || !before.contains("columns") ||
      !after.contains("columns")) {
    return nullptr;
  }
  Json out;
  out["rows"] = Pair(before.value("rows", 0), after.value("rows", 0));
  Json added = Json::array(), removed = Json::array(), type_changes = Json::array();
  Json columns = Json::array();
  for (const Json& b : after["columns"]) {
    const std::string name = b.value("name", "");
    if (FindColumn(before, name) == nullptr) added.push_back(name);
  }
  for (const Json& a : before["columns"]) {
    const std::string name = a.value("name", "");
    const Json* b = FindColumn(after, name);
    if (b == nullptr) {
      removed.push_back(name);
      continue;
    }
    if (a.value("type", "") != b->value("type", "")) {
      type_changes.push_back({{"column", name}, {"from", a["type"]}, {"to", (*b)["type"]}});
    }
    Json col = {{"name", name}};
    bool changed = false;
    for (const char* key : {"count", "nulls", "min", "max", "mean", "stddev", "distinct"}) {
      if (!a.contains(key) && !b->contains(key)) continue;
      const Json va = a.value(key, Json(nullptr)), vb = b->value(key, Json(nullptr));
      col[key] = Pair(va, vb);
      if (va != vb) changed = true;
    }
    if (a.contains("quantiles") && b->contains("quantiles")) {
      const Json& qa = a["quantiles"];
      const Json& qb = (*b)["quantiles"];
      if (qa.contains("0.5") && qb.contains("0.5")) col["median"] = Pair(qa["0.5"], qb["0.5"]);
      if (qa != qb) changed = true;
    }
    // The mean's move in standard deviations of the old values: a scale-free size of the shift.
    if (a.contains("mean") && b->contains("mean") && a["mean"].is_number() &&
        (*b)["mean"].is_number() && a.contains("stddev") && a["stddev"].is_number() &&
        a["stddev"].get<double>() > 0) {
      col["mean_shift_sd"] =
          ((*b)["mean"].get<double>() - a["mean"].get<double>()) / a["stddev"].get<double>();
    }
    if (a.contains("top") && b->contains("top") && a["top"] != (*b)["top"]) {
      col["top"] = Pair(a["top"], (*b)["top"]);
      changed = true;
    }
    col["changed"] = changed;
    columns.push_back(std::move(col));
  }
  out["added_columns"] = std::move(added);
  out["removed_columns"] = std::move(removed);
  out["type_changes"] = std::move(type_changes);
  out["columns"] = std::move(columns);
  return out;
}

}  // namespace sluice::datasets
