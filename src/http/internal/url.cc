#include "http/internal/url.h"

#include "base/hex.h"

namespace sluice::http::internal {

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexDigitValue(text[i + 1]);
      int lo = HexDigitValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;  // "a=1&&b=2"
    size_t eq = item.find('=');
    std::optional<std::string> key = PercentDecode(item.substr(0, eq), /*plus_is_space=*/true);
    std::optional<std::string> value =
        eq == std::string_view::npos ? std::string()
                                     : PercentDecode(item.substr(eq + 1), /*plus_is_space=*/true);
    if (!key || !value) return std::nullopt;
    params.emplace_back(std::move(*key), std::move(*value));
  }
  return params;
}

Status ParseTarget(std::string_view target, Request* request) {
  request->target = std::string(target);
  std::string_view rest = target;
  // Absolute form is rare (proxies) but HTTP/1.1 servers must accept it: drop scheme and host.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (rest.size() >= scheme.size() && EqualsIgnoreCase(rest.substr(0, scheme.size()), scheme)) {
      size_t slash = rest.find_first_of("/?", scheme.size());
      rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
      break;
    }
  }
  if (rest.empty() || rest.front() != '/') {
    return InvalidArgument("request target '{}' must start with '/'", target);
  }
  size_t question = rest.find('?');
  std::string_view raw_path = rest.substr(0, question);
  std::optional<std::string> path = PercentDecode(raw_path, /*plus_is_space=*/false);
  if (!path) return InvalidArgument("request path '{}' has a malformed %-escape", raw_path);
  request->path = std::move(*path);
  request->query =
      question == std::string_view::npos ? std::string() : std::string(rest.substr(question + 1));
  auto params = ParseQuery(request->query);
  if (!params) return InvalidArgument("query '{}' has a malformed %-escape", request->query);
  request->query_params = std::move(*params);
  return Status::Ok();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  // ASCII only, as HTTP names are: no locale, and no libc call per byte on every request.
  auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; };
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

}  // namespace sluice::http::internal
