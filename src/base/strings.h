// Small string helpers shared by modules: splitting lists and suggesting the name a user meant.
// Thread safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Items of a comma-separated list, trimmed of spaces; empty items dropped ("a, b,," -> a, b).
std::vector<std::string> SplitList(std::string_view text, char separator = ',');

// Levenshtein distance.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `name` when it is close enough to be a likely typo (at most a third
// of the name's length in edits, at least 1), else "".
std::string ClosestMatch(std::string_view name, std::span<const std::string_view> candidates);

}  // namespace sluice
