#include "base/uri.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

struct ParseCase {
  std::string text;
  Uri expected;
};

Uri Make(std::string scheme, bool has_authority, std::string host, std::optional<int> port,
         std::string path, std::string query = "", std::string fragment = "", std::string user = "",
         std::string password = "") {
  Uri uri;
  uri.scheme = std::move(scheme);
  uri.has_authority = has_authority;
  uri.host = std::move(host);
  uri.port = port;
  uri.path = std::move(path);
  uri.query = std::move(query);
  uri.fragment = std::move(fragment);
  uri.user = std::move(user);
  uri.password = std::move(password);
  return uri;
}

std::string Describe(const Uri& u) {
  return "scheme=" + u.scheme + " user=" + u.user + " password=" + u.password + " host=" + u.host +
         " port=" + (u.port ? std::to_string(*u.port) : "none") + " path=" + u.path +
         " query=" + u.query + " fragment=" + u.fragment +
         " has_authority=" + (u.has_authority ? "true" : "false");
}

std::vector<ParseCase> ParseCases() {
  return {
      {"mlflow-artifacts:/1/abc/artifacts",
       Make("mlflow-artifacts", false, "", std::nullopt, "/1/abc/artifacts")},
      {"mlflow-artifacts://host:5000/1/x", Make("mlflow-artifacts", true, "host", 5000, "/1/x")},
      {"file:///abs/path", Make("file", true, "", std::nullopt, "/abs/path")},
      {"file:rel", Make("file", false, "", std::nullopt, "rel")},
      {"file:rel/sub/file.txt", Make("file", false, "", std::nullopt, "rel/sub/file.txt")},
      {"s3://bucket/prefix/x", Make("s3", true, "bucket", std::nullopt, "/prefix/x")},
      {"s3://bucket", Make("s3", true, "bucket", std::nullopt, "")},
      {"postgresql://user:pw@host:5432/db?sslmode=x",
       Make("postgresql", true, "host", 5432, "/db", "sslmode=x", "", "user", "pw")},
      {"postgresql://user@host/db",
       Make("postgresql", true, "host", std::nullopt, "/db", "", "", "user")},
      {"postgresql://u:p%40ss@h/db",
       Make("postgresql", true, "h", std::nullopt, "/db", "", "", "u", "p%40ss")},
      {"models:/churn@production", Make("models", false, "", std::nullopt, "/churn@production")},
      {"models:/churn/3", Make("models", false, "", std::nullopt, "/churn/3")},
      {"runs:/0a1b2c3d4e5f/model", Make("runs", false, "", std::nullopt, "/0a1b2c3d4e5f/model")},
      {"http://127.0.0.1:5000", Make("http", true, "127.0.0.1", 5000, "")},
      {"http://[::1]:8080/api?x=1#top", Make("http", true, "::1", 8080, "/api", "x=1", "top")},
      {"http://[::1]", Make("http", true, "::1", std::nullopt, "")},
      {"http://[fe80::1%25eth0]:80/", Make("http", true, "fe80::1%25eth0", 80, "/")},
      {"https://example.com/a%20b?q=a+b&r#frag",
       Make("https", true, "example.com", std::nullopt, "/a%20b", "q=a+b&r", "frag")},
      {"http://h:0/", Make("http", true, "h", 0, "/")},
      {"http://h:65535/", Make("http", true, "h", 65535, "/")},
      {"sqlite:////abs/mlflow.db", Make("sqlite", true, "", std::nullopt, "//abs/mlflow.db")},
      {"mailto:a@b.c", Make("mailto", false, "", std::nullopt, "a@b.c")},
      {"urn:x?y#z", Make("urn", false, "", std::nullopt, "x", "y", "z")},
      {"x+y.z-w:p", Make("x+y.z-w", false, "", std::nullopt, "p")},
      {"scheme:", Make("scheme", false, "", std::nullopt, "")},
  };
}

TEST(UriTest, ParsesAndRoundTrips) {
  for (const ParseCase& c : ParseCases()) {
    Result<Uri> uri = Uri::Parse(c.text);
    ASSERT_TRUE(uri.ok()) << c.text << ": " << uri.status().ToString();
    EXPECT_EQ(*uri, c.expected) << c.text << "\n got " << Describe(*uri) << "\nwant "
                                << Describe(c.expected);
    EXPECT_EQ(uri->ToString(), c.text);
  }
}

TEST(UriTest, NormalizesWhatCannotRoundTrip) {
  struct Case {
    std::string text;
    std::string normalized;
  };
  for (const Case& c : std::vector<Case>{
           {"HTTP://Host:80/P", "http://Host:80/P"},  // only the scheme is lowercased
           {"http://h:/x", "http://h/x"},
           {"http://h/x?", "http://h/x"},
           {"http://h/x#", "http://h/x"},
           {"ftp://u:@h/", "ftp://u@h/"},
       }) {
    Result<Uri> uri = Uri::Parse(c.text);
    ASSERT_TRUE(uri.ok()) << c.text << ": " << uri.status().ToString();
    EXPECT_EQ(uri->ToString(), c.normalized) << c.text;
  }
}

TEST(UriTest, RejectsWithClearErrors) {
  struct Case {
    std::string text;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"x", "URI 'x': missing scheme (expected e.g. file:///path)"},
           {"/abs/path", "URI '/abs/path': missing scheme (expected e.g. file:///path)"},
           {"dir/file:1", "URI 'dir/file:1': missing scheme (expected e.g. file:///path)"},
           {":x", "URI ':x': missing scheme (expected e.g. file:///path)"},
           {"", "URI '': empty (expected e.g. file:///path)"},
           {"1x:y",
            "URI '1x:y': invalid scheme '1x' (a letter, then letters, digits, '+', '-' or '.')"},
           {"a_b:y",
            "URI 'a_b:y': invalid scheme 'a_b' (a letter, then letters, digits, '+', '-' or '.')"},
           {"http://h:99999/",
            "URI 'http://h:99999/': invalid port '99999' (expected a number "
            "from 0 to 65535)"},
           {"http://h:abc/",
            "URI 'http://h:abc/': invalid port 'abc' (expected a number from 0 "
            "to 65535)"},
           {"http://h:-1/",
            "URI 'http://h:-1/': invalid port '-1' (expected a number from 0 to "
            "65535)"},
           {"http://[::1/", "URI 'http://[::1/': '[' opens an IPv6 host without ']'"},
           {"http://[::1]x/", "URI 'http://[::1]x/': unexpected 'x' after the IPv6 host"},
           {"http://[]/", "URI 'http://[]/': empty IPv6 host '[]'"},
           {"http://[g/h]/", "URI 'http://[g/h]/': '[' opens an IPv6 host without ']'"},
           {"http://[::g!]/", "URI 'http://[::g!]/': invalid IPv6 host '[::g!]'"},
           {"http://::1/",
            "URI 'http://::1/': invalid host ':' (an IPv6 address goes in brackets)"},
           {"http://a]b/",
            "URI 'http://a]b/': invalid host 'a]b' (an IPv6 address goes in "
            "brackets)"},
           {"file:///tmp/100%",
            "URI 'file:///tmp/100%': bad percent-encoding '%' in the path "
            "(expected '%' and two hex digits)"},
           {"s3://b/x?a=%zz",
            "URI 's3://b/x?a=%zz': bad percent-encoding '%zz' in the query "
            "(expected '%' and two hex digits)"},
           {"pg://u:p%4@h/",
            "URI 'pg://u:p%4@h/': bad percent-encoding '%4' in the password "
            "(expected '%' and two hex digits)"},
           {"file:///a\nb",
            "URI 'file:///a\nb': contains a control character (percent-encode "
            "it)"},
       }) {
    EXPECT_THAT(Uri::Parse(c.text), StatusIs(StatusCode::kInvalidArgument, c.message)) << c.text;
  }
}

TEST(UriTest, ToStringOfHandBuiltUri) {
  Uri uri;
  uri.scheme = "http";
  uri.host = "localhost";
  uri.port = 5000;
  uri.path = "/api/2.0/mlflow/runs/get";
  uri.query = "run_id=abc";
  EXPECT_EQ(uri.ToString(), "http://localhost:5000/api/2.0/mlflow/runs/get?run_id=abc");

  Uri ipv6;
  ipv6.scheme = "http";
  ipv6.host = "::1";
  EXPECT_EQ(ipv6.ToString(), "http://[::1]");

  Uri file;
  file.scheme = "file";
  file.has_authority = true;
  file.path = "/" + PercentEncode("tmp/my runs", "/");
  EXPECT_EQ(file.ToString(), "file:///tmp/my%20runs");
}

TEST(PercentEncodeTest, KeepsUnreservedAndRequestedCharacters) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
  EXPECT_EQ(PercentEncode("a b/c", "/"), "a%20b/c");
  EXPECT_EQ(PercentEncode("100%"), "100%25");
  EXPECT_EQ(PercentEncode("\xc3\xa9\xff"), "%C3%A9%FF");  // UTF-8 bytes, uppercase hex
  EXPECT_EQ(PercentEncode(std::string_view("\0x", 2)), "%00x");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(PercentDecodeTest, DecodesEscapes) {
  EXPECT_EQ(*PercentDecode("a%20b%2fc%2F"), "a b/c/");
  EXPECT_EQ(*PercentDecode("%C3%A9"), "\xc3\xa9");
  EXPECT_EQ(*PercentDecode("a+b"), "a+b");
  EXPECT_EQ(*PercentDecode("a+b", /*plus_as_space=*/true), "a b");
  EXPECT_EQ(*PercentDecode("%2B", /*plus_as_space=*/true), "+");
  EXPECT_EQ(*PercentDecode(""), "");
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(*PercentDecode(PercentEncode(all)), all);
}

TEST(PercentDecodeTest, RejectsBadEscapes) {
  EXPECT_THAT(PercentDecode("a%zzb"),
              StatusIs(StatusCode::kInvalidArgument,
                       "bad percent-encoding '%zz' at offset 1 of 'a%zzb' (expected '%' and two "
                       "hex digits)"));
  EXPECT_THAT(PercentDecode("ab%"),
              StatusIs(StatusCode::kInvalidArgument,
                       "bad percent-encoding '%' at offset 2 of 'ab%' (expected '%' and two hex "
                       "digits)"));
  EXPECT_THAT(PercentDecode("%4"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("%%41"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ParseQueryStringTest, FormEncoding) {
  ASSERT_OK_AND_ASSIGN(auto pairs, ParseQueryString("b=2&a=x+y&flag&a=%26%3D&empty=&&=v"));
  EXPECT_THAT(pairs, ElementsAre(Pair("b", "2"), Pair("a", "x y"), Pair("flag", ""),
                                 Pair("a", "&="), Pair("empty", ""), Pair("", "v")));
  ASSERT_OK_AND_ASSIGN(auto none, ParseQueryString(""));
  EXPECT_THAT(none, IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto value_with_equals, ParseQueryString("filter=a%3D1=2"));
  EXPECT_THAT(value_with_equals, ElementsAre(Pair("filter", "a=1=2")));
}

TEST(ParseQueryStringTest, NamesTheBadParameter) {
  EXPECT_THAT(ParseQueryString("ok=1&bad=%g1"),
              StatusIs(StatusCode::kInvalidArgument,
                       "query parameter 'bad=%g1': bad percent-encoding '%g1' at offset 0 of "
                       "'%g1' (expected '%' and two hex digits)"));
}

}  // namespace
}  // namespace sluice
