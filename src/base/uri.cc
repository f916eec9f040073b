#include "base/uri.h"

#include <fmt/format.h>

#include <cctype>

#include "base/hex.h"

namespace sluice {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUnreserved(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Offset of the first '%' not followed by two hex digits, or npos.
size_t FindBadEscape(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') continue;
    if (i + 2 >= text.size() || HexDigitValue(text[i + 1]) < 0 || HexDigitValue(text[i + 2]) < 0) {
      return i;
    }
    i += 2;
  }
  return std::string_view::npos;
}

std::string ShowEscape(std::string_view text, size_t at) { return std::string(text.substr(at, 3)); }

}  // namespace

Result<Uri> Uri::Parse(std::string_view text) {
  auto error = [text](std::string_view what) {
    return InvalidArgument("URI '{}': {}", text, what);
  };
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return error("contains a control character (percent-encode it)");
    }
  }
  if (text.empty()) return error("empty (expected e.g. file:///path)");

  Uri uri;
  // The scheme ends at the first ':', which must come before any '/', '?' or '#'; otherwise the
  // text is a relative reference such as "dir/file:1", which has no scheme.
  size_t colon = text.find_first_of(":/?#");
  if (colon == std::string_view::npos || text[colon] != ':' || colon == 0) {
    return error("missing scheme (expected e.g. file:///path)");
  }
  std::string_view scheme = text.substr(0, colon);
  bool scheme_ok = IsAlpha(scheme[0]);
  for (char c : scheme) {
    scheme_ok = scheme_ok && (IsAlpha(c) || IsDigit(c) || c == '+' || c == '-' || c == '.');
  }
  if (!scheme_ok) {
    return error(fmt::format(
        "invalid scheme '{}' (a letter, then letters, digits, '+', '-' or '.')", scheme));
  }
  uri.scheme.reserve(scheme.size());
  for (char c : scheme)
    uri.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = text.substr(colon + 1);

  if (size_t hash = rest.find('#'); hash != std::string_view::npos) {
    uri.fragment = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  if (size_t question = rest.find('?'); question != std::string_view::npos) {
    uri.query = std::string(rest.substr(question + 1));
    rest = rest.substr(0, question);
  }

  if (rest.starts_with("//")) {
    uri.has_authority = true;
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);

    // The last '@' ends the user info: hosts cannot contain one, passwords (wrongly unescaped)
    // sometimes do.
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      authority = authority.substr(at + 1);
      size_t split = userinfo.find(':');
      uri.user = std::string(userinfo.substr(0, split));
      if (split != std::string_view::npos) uri.password = std::string(userinfo.substr(split + 1));
    }

    std::string_view port;
    bool has_port = false;
    if (authority.starts_with('[')) {
      size_t close = authority.find(']');
      if (close == std::string_view::npos) return error("'[' opens an IPv6 host without ']'");
      uri.host = std::string(authority.substr(1, close - 1));
      std::string_view after = authority.substr(close + 1);
      if (!after.empty()) {
        if (after[0] != ':') {
          return error(fmt::format("unexpected '{}' after the IPv6 host", after));
        }
        has_port = true;
        port = after.substr(1);
      }
      if (uri.host.empty()) return error("empty IPv6 host '[]'");
      for (char c : uri.host) {
        // Hex digits, ':' and '.', plus unreserved characters and '%' for a zone
        // ("fe80::1%25eth0").
        if (!(IsUnreserved(c) || c == ':' || c == '%')) {
          return error(fmt::format("invalid IPv6 host '[{}]'", uri.host));
        }
      }
    } else {
      size_t port_colon = authority.rfind(':');
      uri.host = std::string(authority.substr(0, port_colon));
      if (port_colon != std::string_view::npos) {
        has_port = true;
        port = authority.substr(port_colon + 1);
      }
      if (uri.host.find_first_of("[]:") != std::string::npos) {
        return error(fmt::format("invalid host '{}' (an IPv6 address goes in brackets)", uri.host));
      }
    }
    // An empty port ("host:") is allowed by RFC 3986 and means the default.
    if (has_port && !port.empty()) {
      int value = 0;
      bool port_ok = port.size() <= 5;
      for (char c : port) {
        port_ok = port_ok && IsDigit(c);
        if (port_ok) value = value * 10 + (c - '0');
      }
      if (!port_ok || value > 65535) {
        return error(fmt::format("invalid port '{}' (expected a number from 0 to 65535)", port));
      }
      uri.port = value;
    }
  }
  uri.path = std::string(rest);

  struct Part {
    std::string_view name;
    const std::string& value;
  };
  for (const Part& part :
       {Part{"user", uri.user}, Part{"password", uri.password}, Part{"host", uri.host},
        Part{"path", uri.path}, Part{"query", uri.query}, Part{"fragment", uri.fragment}}) {
    if (size_t bad = FindBadEscape(part.value); bad != std::string_view::npos) {
      return error(
          fmt::format("bad percent-encoding '{}' in the {} (expected '%' and two hex "
                      "digits)",
                      ShowEscape(part.value, bad), part.name));
    }
  }
  return uri;
}

std::string Uri::ToString() const {
  std::string out = scheme + ":";
  if (has_authority || !host.empty() || !user.empty() || port.has_value()) {
    out += "//";
    if (!user.empty() || !password.empty()) {
      out += user;
      if (!password.empty()) out += ":" + password;
      out += "@";
    }
    if (host.find(':') != std::string::npos) {
      out += "[" + host + "]";
    } else {
      out += host;
    }
    if (port.has_value()) out += fmt::format(":{}", *port);
  }
  out += path;
  if (!query.empty()) out += "?" + query;
  if (!fragment.empty()) out += "#" + fragment;
  return out;
}

std::string PercentEncode(std::string_view text, std::string_view keep_chars) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsUnreserved(c) || keep_chars.find(c) != std::string_view::npos) {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  if (size_t bad = FindBadEscape(text); bad != std::string_view::npos) {
    return InvalidArgument(
        "bad percent-encoding '{}' at offset {} of '{}' (expected '%' and two "
        "hex digits)",
        ShowEscape(text, bad), bad, text);
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      out += static_cast<char>(HexDigitValue(text[i + 1]) * 16 + HexDigitValue(text[i + 2]));
      i += 2;
    } else if (text[i] == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view key = piece.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    Result<std::string> decoded_key = PercentDecode(key, /*plus_as_space=*/true);
    Result<std::string> decoded_value = PercentDecode(value, /*plus_as_space=*/true);
    for (const Result<std::string>* decoded : {&decoded_key, &decoded_value}) {
      if (!decoded->ok()) {
        return decoded->status().WithContext(fmt::format("query parameter '{}'", piece));
      }
    }
    pairs.emplace_back(*std::move(decoded_key), *std::move(decoded_value));
  }
  return pairs;
}

}  // namespace sluice
