// JSON strings written by hand, for text built piece by piece where a nlohmann::json per value
// costs more than the work (manifests, scoring output, error bodies). One escaping everywhere,
// so the same text always gives the same bytes (manifest digests depend on it).
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sluice {

// Appends `text` quoted: `"` and `\` escaped, \n \r \t as such, other control characters as
// \u00xx, everything else as it is. Bytes that are not UTF-8 become U+FFFD, so the output is
// always valid JSON (CSV input and URLs may hold any bytes).
void AppendJsonString(std::string& out, std::string_view text);

// AppendJsonString into a new string.
std::string JsonQuote(std::string_view text);

}  // namespace sluice
