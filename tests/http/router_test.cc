#include "http/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sluice::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

Router::Handler Named(std::string name) {
  return [name](const Request&) { return Response::Text(200, name); };
}

std::string Call(const Router::Match& match) {
  if (match.handler == nullptr) return "<none>";
  return (*match.handler)(Request{}).body;
}

TEST(RouterTest, ExactParamAndRestSegments) {
  Router router;
  router.Add(Method::kGet, "/api/2.0/runs/get", Named("get"));
  router.Add(Method::kGet, "/runs/{id}", Named("run"));
  router.Add(Method::kGet, "/runs/{id}/metrics/{key}", Named("metric"));
  router.Add(Method::kGet, "/artifacts/{run}/{*path}", Named("artifact"));

  auto m = router.Find(Method::kGet, "/api/2.0/runs/get");
  EXPECT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(Call(m), "get");

  m = router.Find(Method::kGet, "/runs/42");
  EXPECT_EQ(Call(m), "run");
  EXPECT_THAT(m.path_params, ElementsAre(Pair("id", "42")));

  m = router.Find(Method::kGet, "/runs/42/metrics/a b");
  EXPECT_EQ(Call(m), "metric");
  EXPECT_THAT(m.path_params, ElementsAre(Pair("id", "42"), Pair("key", "a b")));

  m = router.Find(Method::kGet, "/artifacts/r1/dir/sub/model.pkl");
  EXPECT_EQ(Call(m), "artifact");
  EXPECT_THAT(m.path_params, ElementsAre(Pair("path", "dir/sub/model.pkl"), Pair("run", "r1")));

  m = router.Find(Method::kGet, "/artifacts/r1/");
  EXPECT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.path_params["path"], "");
  m = router.Find(Method::kGet, "/artifacts/r1");
  EXPECT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.path_params["path"], "");
}

TEST(RouterTest, NotFoundAndMethodNotAllowed) {
  Router router;
  router.Add(Method::kGet, "/runs/{id}", Named("get"));
  router.Add(Method::kDelete, "/runs/{id}", Named("delete"));

  EXPECT_EQ(router.Find(Method::kGet, "/runs").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.Find(Method::kGet, "/runs/").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.Find(Method::kGet, "/runs/1/x").kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.Find(Method::kGet, "/other").kind, Router::Match::Kind::kNotFound);

  auto m = router.Find(Method::kPost, "/runs/1");
  EXPECT_EQ(m.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_THAT(m.allowed, ElementsAre(Method::kGet, Method::kHead, Method::kDelete));
}

TEST(RouterTest, HeadFallsBackToGetUnlessRegistered) {
  Router router;
  router.Add(Method::kGet, "/a", Named("get-a"));
  router.Add(Method::kGet, "/b", Named("get-b"));
  router.Add(Method::kHead, "/b", Named("head-b"));
  EXPECT_EQ(Call(router.Find(Method::kHead, "/a")), "get-a");
  EXPECT_EQ(Call(router.Find(Method::kHead, "/b")), "head-b");
}

TEST(RouterTest, FirstRegisteredPatternWins) {
  Router router;
  router.Add(Method::kGet, "/runs/search", Named("search"));
  router.Add(Method::kGet, "/runs/{id}", Named("run"));
  EXPECT_EQ(Call(router.Find(Method::kGet, "/runs/search")), "search");
  EXPECT_EQ(Call(router.Find(Method::kGet, "/runs/7")), "run");
}

TEST(RouterTest, StreamingRoute) {
  Router router;
  router.AddStreaming(Method::kPut, "/upload/{*path}", [](const Request&) {
    return std::variant<Response, std::unique_ptr<BodySink>>(Response::Text(403, "no"));
  });
  auto m = router.Find(Method::kPut, "/upload/a/b");
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.handler, nullptr);
  ASSERT_NE(m.streaming, nullptr);
  EXPECT_EQ(m.path_params["path"], "a/b");
}

TEST(RouterTest, DefaultAndCustomErrors) {
  Router router;
  Response r = router.Error(404, "no route for GET /x \"y\"");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"error_code": "NOT_FOUND", "message": "no route for GET /x \"y\""})");

  EXPECT_EQ(router.ErrorFromStatus(AlreadyExists("run 'a' exists")).status, 409);
  EXPECT_EQ(router.ErrorFromStatus(InvalidArgument("bad")).body,
            R"({"error_code": "BAD_REQUEST", "message": "bad"})");

  router.SetErrorResponder([](int status, std::string_view message) {
    return Response::Json(status, fmt::format(R"({{"custom": "{}"}})", message));
  });
  EXPECT_EQ(router.Error(413, "big").body, R"({"custom": "big"})");

  router.SetErrorResponder(
      [](int, std::string_view) -> Response { throw std::runtime_error("x"); });
  EXPECT_EQ(router.Error(500, "m").body, R"({"error_code": "INTERNAL_ERROR", "message": "m"})");
}

}  // namespace
}  // namespace sluice::http
