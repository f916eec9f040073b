// Percent-decoding and request-target parsing for the server (private to src/http).
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "http/types.h"

namespace sluice::http::internal {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). nullopt for a malformed escape
// or an escaped NUL, which no path or parameter may contain.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Splits "a=1&b=x+y&c" into decoded pairs; nullopt when an escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

// Fills request->target, path, query and query_params from a raw request-target (origin form
// "/p?q", or absolute form "http://host/p?q"). kInvalidArgument naming the problem otherwise.
Status ParseTarget(std::string_view target, Request* request);

// Case-insensitive ASCII comparison, as HTTP header names need.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace sluice::http::internal
