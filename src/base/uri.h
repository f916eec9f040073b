// URIs in RFC 3986 general syntax: artifact locations (mlflow-artifacts:/1/abc/artifacts,
// s3://bucket/prefix, file:///abs/path), database URLs (postgresql://user:pw@host:5432/db), model
// references (models:/churn@production, runs:/<run id>/model) and server addresses.
//
//   SLUICE_ASSIGN_OR_RETURN(Uri uri, Uri::Parse("s3://bucket/prefix/x"));
//   uri.scheme == "s3", uri.host == "bucket", uri.path == "/prefix/x"
//
// Thread safety: values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sluice {

// Fields hold the text exactly as written, still percent-encoded (decode with PercentDecode where
// a raw value is needed, e.g. a password), except that the scheme is lowercased and an IPv6 host
// is kept without its brackets ("::1"). The "//", ":", "@", "?" and "#" delimiters are not part of
// any field.
struct Uri {
  std::string scheme;    // "s3"
  std::string user;      // "user" in postgresql://user:pw@host
  std::string password;  // "pw"
  std::string host;      // "bucket", "127.0.0.1", "::1"; empty in file:///abs
  std::optional<int> port;
  std::string path;      // "/prefix/x", "rel" in file:rel
  std::string query;     // "sslmode=x", without the "?"
  std::string fragment;  // without the "#"
  // True when "//" followed the scheme, even with an empty authority (file:///abs/path).
  bool has_authority = false;

  // Errors are kInvalidArgument and quote the input: "URI 'x': missing scheme (expected e.g.
  // file:///path)".
  static Result<Uri> Parse(std::string_view text);

  // The URI again: Parse(s)->ToString() == s, except that the scheme comes back lowercase and an
  // empty port, password, query or fragment ("host:", "user:@", "x?", "x#") is dropped. Fields
  // are joined as they are, so a Uri built by hand must percent-encode them first. An authority is
  // written when has_authority is set or host, user or port is.
  std::string ToString() const;

  friend bool operator==(const Uri&, const Uri&) = default;
};

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) and those
// in `keep_chars` (pass "/" to keep path separators). Hex digits are uppercase.
std::string PercentEncode(std::string_view text, std::string_view keep_chars = "");

// Decodes %XX escapes (and '+' as a space when plus_as_space, as in form data). A '%' not followed
// by two hex digits is kInvalidArgument.
Result<std::string> PercentDecode(std::string_view text, bool plus_as_space = false);

// Splits an application/x-www-form-urlencoded query ("a=1&b=x+y&flag") into decoded pairs in
// order: '+' is a space, a key without '=' has an empty value, empty pieces ("a=1&&b=2") are
// skipped and repeated keys are all kept.
Result<std::vector<std::pair<std::string, std::string>>> ParseQueryString(std::string_view query);

}  // namespace sluice
