#include "http/internal/url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace sluice::http::internal {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;

TEST(UrlTest, PercentDecode) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b%2B", true), "a b+");
  EXPECT_EQ(PercentDecode("%e2%82%AC", false), "\xe2\x82\xac");
  EXPECT_EQ(PercentDecode("%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%2", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%zz", false), std::nullopt);
  EXPECT_EQ(PercentDecode("a%00b", false), std::nullopt);
}

TEST(UrlTest, ParseTarget) {
  Request r;
  ASSERT_TRUE(ParseTarget("/a%20b/c?x=1&y=a+b&x=%32&flag&&z=", &r).ok());
  EXPECT_EQ(r.target, "/a%20b/c?x=1&y=a+b&x=%32&flag&&z=");
  EXPECT_EQ(r.path, "/a b/c");
  EXPECT_EQ(r.query, "x=1&y=a+b&x=%32&flag&&z=");
  EXPECT_THAT(r.query_params, ElementsAre(Pair("x", "1"), Pair("y", "a b"), Pair("x", "2"),
                                          Pair("flag", ""), Pair("z", "")));
  EXPECT_EQ(r.QueryParam("x"), "1");
  EXPECT_EQ(r.QueryParam("flag"), "");
  EXPECT_EQ(r.QueryParam("missing"), std::nullopt);
  EXPECT_THAT(r.QueryParams("x"), ElementsAre("1", "2"));

  Request absolute;
  ASSERT_TRUE(ParseTarget("http://example.com:80/p?q=1", &absolute).ok());
  EXPECT_EQ(absolute.path, "/p");
  EXPECT_EQ(absolute.query, "q=1");
}

TEST(UrlTest, ParseTargetErrors) {
  Request r;
  EXPECT_THAT(ParseTarget("/a%zz", &r), StatusIs(StatusCode::kInvalidArgument,
                                                 "request path '/a%zz' has a malformed %-escape"));
  EXPECT_THAT(ParseTarget("/a?x=%g1", &r),
              StatusIs(StatusCode::kInvalidArgument, "query 'x=%g1' has a malformed %-escape"));
  EXPECT_THAT(ParseTarget("*", &r),
              StatusIs(StatusCode::kInvalidArgument, "request target '*' must start with '/'"));
}

TEST(UrlTest, HeaderLookupIsCaseInsensitive) {
  Request r;
  r.headers = {{"Content-Type", "text/csv"}, {"X-A", "1"}, {"x-a", "2"}};
  EXPECT_EQ(r.Header("content-type"), "text/csv");
  EXPECT_EQ(r.Header("X-A"), "1");
  EXPECT_EQ(r.Header("missing"), "");
}

TEST(UrlTest, EqualsIgnoreCaseFoldsAsciiLettersOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-LENGTH", "content-length"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("content-length", "content-lengt"));
  EXPECT_FALSE(EqualsIgnoreCase("a-b", "a_b"));
  // '@' and '`' sit 0x20 apart like 'A'/'a' but are no letters; neither are bytes above 0x7f.
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc9", "\xe9"));
}

}  // namespace
}  // namespace sluice::http::internal
