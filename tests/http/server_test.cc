#include "http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <future>
#include <set>
#include <thread>

#include "base/sha256.h"
#include "http/client.h"
#include "http/raw_socket.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sluice::http {
namespace {

using ::sluice::http::testing::RawSocket;
using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::sluice::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

// An MLflow-like error body, to prove server-made errors go through the responder.
Response CustomError(int status, std::string_view message) {
  return Response::Json(
      status, fmt::format(R"({{"error_code": "E{}", "message": "{}"}})", status, message));
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() { router_->SetErrorResponder(CustomError); }

  void StartServer(ServerOptions options = {}) {
    options.io_threads = options.io_threads == 0 ? 2 : options.io_threads;
    auto server = Server::Start(options, router_);
    ASSERT_THAT(server, IsOk());
    server_ = std::move(server).value();
  }
  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  Client NewClient(std::chrono::milliseconds timeout = 20s) { return Client(BaseUrl(), timeout); }

  std::shared_ptr<Router> router_ = std::make_shared<Router>();
  std::unique_ptr<Server> server_;
};

// Echoes what the server parsed, one "key=value" line each.
Response Echo(const Request& r) {
  std::string out = fmt::format("method={}\npath={}\nquery={}\nbody={}\n", r.method_name, r.path,
                                r.query, r.body);
  for (const auto& [k, v] : r.path_params) out += fmt::format("param {}={}\n", k, v);
  for (const auto& [k, v] : r.query_params) out += fmt::format("qp {}={}\n", k, v);
  out += fmt::format("x-test={}\n", r.Header("x-test"));
  return Response::Text(200, out);
}

TEST_F(ServerTest, RoutesExactParamAndRestPaths) {
  router_->Add(Method::kGet, "/api/2.0/ping", Echo);
  router_->Add(Method::kGet, "/runs/{id}", Echo);
  router_->Add(Method::kGet, "/artifacts/{run}/{*path}", Echo);
  StartServer();
  Client client = NewClient();

  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Get("/api/2.0/ping"));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("path=/api/2.0/ping\n"));
  EXPECT_EQ(r.Header("content-type"), "text/plain; charset=utf-8");

  ASSERT_OK_AND_ASSIGN(r, client.Get("/runs/a%20b"));
  EXPECT_THAT(r.body, HasSubstr("param id=a b\n"));

  ASSERT_OK_AND_ASSIGN(r, client.Get("/artifacts/r1/dir/model%2Bv1.pkl"));
  EXPECT_THAT(r.body, HasSubstr("param path=dir/model+v1.pkl\nparam run=r1\n"));
}

TEST_F(ServerTest, UnknownPathAndWrongMethodUseTheErrorResponder) {
  router_->Add(Method::kGet, "/runs/{id}", Echo);
  router_->Add(Method::kDelete, "/runs/{id}", Echo);
  StartServer();
  Client client = NewClient();

  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Get("/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error_code": "E404", "message": "no route for GET /nope"})");
  EXPECT_EQ(r.Header("Content-Type"), "application/json");

  ASSERT_OK_AND_ASSIGN(r, client.Post("/runs/7", "{}"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body,
            R"({"error_code": "E405", "message": "method POST is not allowed for /runs/7"})");
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD, DELETE");

  // The connection survived both errors.
  ASSERT_OK_AND_ASSIGN(r, client.Get("/runs/7"));
  EXPECT_EQ(r.status, 200);
}

TEST_F(ServerTest, ParsesQueryHeadersAndBody) {
  router_->Add(Method::kPost, "/echo", Echo);
  StartServer();
  Client client = NewClient();
  ASSERT_OK_AND_ASSIGN(ClientResponse r,
                       client.Send(Method::kPost, "/echo?a=1&b=x+y&a=%C3%A9&flag", "{\"k\": 1}",
                                   "application/json", {{"X-Test", "hello"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "method=POST\npath=/echo\nquery=a=1&b=x+y&a=%C3%A9&flag\nbody={\"k\": 1}\n"
            "qp a=1\nqp b=x y\nqp a=\xC3\xA9\nqp flag=\nx-test=hello\n");
  EXPECT_FALSE(r.Header("Date").empty());
  EXPECT_EQ(r.Header("Server"), "sluice");
  EXPECT_EQ(r.Header("Content-Length"), std::to_string(r.body.size()));
}

TEST_F(ServerTest, MalformedTargetIs400) {
  router_->Add(Method::kGet, "/{*any}", Echo);
  StartServer();
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.Send("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string reply;
  EXPECT_TRUE(socket.WaitForClose(5s, &reply));
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(reply, HasSubstr("request path '/a%zz' has a malformed %-escape"));

  RawSocket garbage(server_->port());
  ASSERT_TRUE(garbage.Send("NOT HTTP AT ALL\r\n\r\n"));
  EXPECT_TRUE(garbage.WaitForClose(5s, &reply));
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
}

TEST_F(ServerTest, HeaderTooLargeIs431) {
  router_->Add(Method::kGet, "/x", Echo);
  ServerOptions options;
  options.max_header_bytes = 1024;
  StartServer(options);
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.Send("GET /x HTTP/1.1\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n"));
  std::string reply;
  EXPECT_TRUE(socket.WaitForClose(5s, &reply));
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(reply, HasSubstr(R"("E431")"));
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  router_->Add(Method::kGet, "/peer", [](const Request& r) { return Response::Text(200, r.peer); });
  StartServer();
  Client client = NewClient();
  std::set<std::string> peers;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Get("/peer"));
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.body, StartsWith("127.0.0.1:"));
    peers.insert(r.body);
  }
  EXPECT_EQ(peers.size(), 1u);

  // Connection: close is honoured; the next call needs a new connection.
  ASSERT_OK_AND_ASSIGN(ClientResponse closing,
                       client.Send(Method::kGet, "/peer", {}, {}, {{"Connection", "close"}}));
  EXPECT_EQ(closing.Header("Connection"), "close");
  ASSERT_OK_AND_ASSIGN(ClientResponse after, client.Get("/peer"));
  EXPECT_NE(after.body, *peers.begin());
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAliveAsked) {
  router_->Add(Method::kGet, "/x", [](const Request&) { return Response::Text(200, "hi"); });
  StartServer();
  RawSocket plain(server_->port());
  ASSERT_TRUE(plain.Send("GET /x HTTP/1.0\r\n\r\n"));
  std::string reply;
  EXPECT_TRUE(plain.WaitForClose(5s, &reply));
  EXPECT_THAT(reply, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(reply, HasSubstr("\r\n\r\nhi"));

  RawSocket keep(server_->port());
  ASSERT_TRUE(keep.Send("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::string first = keep.ReadUntil("\r\n\r\nhi", 5s);
  EXPECT_THAT(first, HasSubstr("Connection: keep-alive\r\n"));
  ASSERT_TRUE(keep.Send("GET /x HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep.WaitForClose(5s, &reply));
  EXPECT_THAT(reply, StartsWith("HTTP/1.0 200 OK\r\n"));
}

// The server writes the head of an ordinary response itself (not through Beast's message): the
// same bytes Beast writes, fields in the same order, values trimmed as Beast trims them.
TEST_F(ServerTest, ResponseHeadsKeepTheirLayout) {
  router_->Add(Method::kGet, "/x", [](const Request&) {
    Response r = Response::Text(299, "hi");
    r.headers = {{"X-A", "  padded \t"}, {"x-b", "2"}};
    return r;
  });
  router_->Add(Method::kGet, "/own-connection", [](const Request&) {
    Response r = Response::Json(200, "{}");
    r.headers = {{"Connection", "close"}};
    return r;
  });
  StartServer();
  RawSocket keep(server_->port());
  ASSERT_TRUE(keep.Send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string first = keep.ReadUntil("\r\n\r\nhi", 5s);
  EXPECT_THAT(first, ::testing::MatchesRegex(
                         "HTTP/1\\.1 299 <unknown-status>\r\n"
                         "Server: sluice\r\n"
                         "Date: [A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] 20[0-9][0-9] "
                         "[0-9][0-9]:[0-9][0-9]:[0-9][0-9] GMT\r\n"
                         "Content-Type: text/plain; charset=utf-8\r\n"
                         "X-A: padded\r\n"
                         "x-b: 2\r\n"
                         "Content-Length: 2\r\n"
                         "\r\nhi"));
  ASSERT_TRUE(keep.Send("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string reply;
  EXPECT_TRUE(keep.WaitForClose(5s, &reply));
  EXPECT_THAT(reply, HasSubstr("\r\nx-b: 2\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"));

  // A handler's own Connection header goes through Beast, which keeps the connection as the
  // client asked and drops the header.
  RawSocket plain(server_->port());
  ASSERT_TRUE(plain.Send("GET /own-connection HTTP/1.1\r\nHost: x\r\n\r\n"));
  reply = plain.ReadUntil("\r\n\r\n{}", 5s);
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(reply,
              HasSubstr("\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  router_->Add(Method::kGet, "/n/{n}", [](const Request& r) {
    return Response::Text(200, "n" + std::string(r.PathParam("n")));
  });
  StartServer();
  RawSocket socket(server_->port());
  ASSERT_TRUE(
      socket.Send("GET /n/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /n/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /n/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string reply;
  EXPECT_TRUE(socket.WaitForClose(5s, &reply));
  size_t one = reply.find("n1"), two = reply.find("n2"), three = reply.find("n3");
  ASSERT_NE(three, std::string::npos) << reply;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
}

TEST_F(ServerTest, BodyOverTheLimitIs413WithTheResponderBody) {
  router_->Add(Method::kPost, "/small", Echo);
  ServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  Client client = NewClient();

  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Post("/small", std::string(1024, 'x')));
  EXPECT_EQ(r.status, 200);

  ASSERT_OK_AND_ASSIGN(r, client.Post("/small", std::string(5000, 'x')));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, R"({"error_code": "E413", "message": "the request body is larger than the )"
                    R"(limit of 1024 bytes"})");

  // A chunked body has no Content-Length: the limit is enforced while reading.
  ASSERT_OK_AND_ASSIGN(r, client.Send(Method::kPost, "/small", std::string(5000, 'x'), "text/plain",
                                      {{"Transfer-Encoding", "chunked"}}));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("E413"));

  // A large body announced with Expect: 100-continue is refused before it is sent.
  ASSERT_OK_AND_ASSIGN(r, client.Send(Method::kPost, "/small", std::string(3 << 20, 'x'),
                                      "text/plain", {{"Expect", "100-continue"}}));
  EXPECT_EQ(r.status, 413);

  ASSERT_OK_AND_ASSIGN(r, client.Post("/small", "{}"));
  EXPECT_EQ(r.status, 200);
}

TEST_F(ServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
  router_->Add(Method::kPut, "/put",
               [](const Request& r) { return Response::Text(200, std::to_string(r.body.size())); });
  StartServer();
  RawSocket socket(server_->port());
  ASSERT_TRUE(
      socket.Send("PUT /put HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  "Expect: 100-continue\r\n\r\n"));
  EXPECT_EQ(socket.ReadUntil("\r\n\r\n", 5s), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(socket.Send("hello"));
  std::string reply = socket.ReadUntil("\r\n\r\n5", 5s);
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));

  // curl waits up to 1 s for the 100 before sending a body over 1 MB; answering it avoids that.
  Client client = NewClient();
  auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(ClientResponse r,
                       client.Send(Method::kPut, "/put", std::string(2 << 20, 'x'), "text/plain",
                                   {{"Expect", "100-continue"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::to_string(2 << 20));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
}

TEST_F(ServerTest, HeadAnswersGetRoutesWithoutABody) {
  router_->Add(Method::kGet, "/doc", [](const Request& r) {
    return Response::Text(200, r.method == Method::kHead ? "hello" : "hello");
  });
  StartServer();
  Client client = NewClient();
  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Send(Method::kHead, "/doc"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.Header("Content-Length"), "5");
  ASSERT_OK_AND_ASSIGN(r, client.Get("/doc"));
  EXPECT_EQ(r.body, "hello");
}

TEST_F(ServerTest, FileResponsesStreamFromDisk) {
  TempDir dir;
  std::string content;
  for (uint32_t i = 0; i < 3'000'000; ++i) content.push_back(static_cast<char>((i * 7919u) >> 3));
  sluice::testing::WriteFile(dir / "blob.bin", content);
  router_->Add(Method::kGet, "/files/{name}", [&](const Request& r) {
    return Response::File(dir.path() / std::string(r.PathParam("name")),
                          "application/octet-stream");
  });
  StartServer();
  Client client = NewClient();

  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Download("/files/blob.bin", dir / "copy.bin"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Length"), std::to_string(content.size()));
  EXPECT_EQ(r.Header("Content-Type"), "application/octet-stream");
  EXPECT_TRUE(sluice::testing::ReadFile(dir / "copy.bin") == content);

  ASSERT_OK_AND_ASSIGN(r, client.Send(Method::kHead, "/files/blob.bin"));
  EXPECT_EQ(r.Header("Content-Length"), std::to_string(content.size()));
  EXPECT_EQ(r.body, "");

  ASSERT_OK_AND_ASSIGN(r, client.Download("/files/missing.bin", dir / "missing.bin"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error_code": "E404", "message": "the file to send cannot be opened"})");
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.bin"));
}

// Hashes what it receives and remembers the largest chunk.
class HashingSink : public BodySink {
 public:
  explicit HashingSink(std::atomic<size_t>* largest_chunk) : largest_chunk_(largest_chunk) {}
  Status Write(std::string_view chunk) override {
    hasher_.Update(chunk);
    size_ += chunk.size();
    if (largest_chunk_ != nullptr && chunk.size() > largest_chunk_->load()) {
      largest_chunk_->store(chunk.size());
    }
    return Status::Ok();
  }
  Response Finish() override {
    return Response::Text(200, fmt::format("{} {}", size_, hasher_.FinishHex()));
  }

 private:
  Sha256 hasher_;
  size_t size_ = 0;
  std::atomic<size_t>* largest_chunk_;
};

TEST_F(ServerTest, StreamingUploadReachesTheSinkInChunks) {
  std::atomic<size_t> largest_chunk{0};
  router_->AddStreaming(Method::kPut, "/upload/{*path}",
                        [&](const Request& r) -> std::variant<Response, std::unique_ptr<BodySink>> {
                          if (r.PathParam("path") == "forbidden") {
                            return Response::Text(403, "no");
                          }
                          return std::make_unique<HashingSink>(&largest_chunk);
                        });
  ServerOptions options;
  options.max_body_bytes = 1 << 20;  // buffered routes only: streaming ignores it
  StartServer(options);

  std::string body(50 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 2654435761u) >> 24);
  const std::string expected = fmt::format("{} {}", body.size(), Sha256::HexOf(body));

  Client client = NewClient();
  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Send(Method::kPut, "/upload/a/b.bin", body,
                                                     "application/octet-stream"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, expected);
  EXPECT_LE(largest_chunk.load(), size_t{1} << 20);

  // The same bytes streamed from a file (curl sends Expect: 100-continue for it).
  TempDir dir;
  sluice::testing::WriteFile(dir / "up.bin", body);
  ASSERT_OK_AND_ASSIGN(r, client.PutFile("/upload/file.bin", dir / "up.bin"));
  EXPECT_EQ(r.body, expected);

  // Chunked transfer encoding.
  ASSERT_OK_AND_ASSIGN(
      r, client.Send(Method::kPut, "/upload/c", std::string_view(body).substr(0, 3 << 20),
                     "application/octet-stream", {{"Transfer-Encoding", "chunked"}}));
  EXPECT_EQ(r.body, fmt::format("{} {}", 3 << 20,
                                Sha256::HexOf(std::string_view(body).substr(0, 3 << 20))));

  ASSERT_OK_AND_ASSIGN(r, client.Send(Method::kPut, "/upload/forbidden", "abc"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "no");

  // An empty body still calls Finish.
  ASSERT_OK_AND_ASSIGN(r, client.Send(Method::kPut, "/upload/empty", ""));
  EXPECT_EQ(r.body, fmt::format("0 {}", Sha256::HexOf("")));
}

class FailingSink : public BodySink {
 public:
  explicit FailingSink(std::atomic<bool>* finished) : finished_(finished) {}
  Status Write(std::string_view) override { return ResourceExhausted("disk quota exceeded"); }
  Response Finish() override {
    finished_->store(true);
    return Response::Text(200, "finished");
  }

 private:
  std::atomic<bool>* finished_;
};

TEST_F(ServerTest, StreamingErrorsUseTheResponders) {
  std::atomic<bool> finished{false};
  router_->AddStreaming(Method::kPut, "/fail",
                        [&](const Request&) -> std::variant<Response, std::unique_ptr<BodySink>> {
                          return std::make_unique<FailingSink>(&finished);
                        });
  router_->AddStreaming(Method::kPut, "/big",
                        [&](const Request&) -> std::variant<Response, std::unique_ptr<BodySink>> {
                          return std::make_unique<HashingSink>(nullptr);
                        });
  router_->AddStreaming(Method::kPut, "/throws",
                        [&](const Request&) -> std::variant<Response, std::unique_ptr<BodySink>> {
                          throw std::runtime_error("boom");
                        });
  ServerOptions options;
  options.max_streaming_body_bytes = 1000;
  StartServer(options);
  Client client = NewClient();

  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Send(Method::kPut, "/fail", std::string(500, 'x')));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, R"({"error_code": "E413", "message": "disk quota exceeded"})");
  EXPECT_FALSE(finished.load());

  ASSERT_OK_AND_ASSIGN(r, client.Send(Method::kPut, "/big", std::string(5000, 'x')));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, R"({"error_code": "E413", "message": "the request body is larger than the )"
                    R"(limit of 1000 bytes"})");

  ASSERT_OK_AND_ASSIGN(r, client.Send(Method::kPut, "/throws", "x"));
  EXPECT_EQ(r.status, 500);
}

TEST_F(ServerTest, HandlerExceptionIs500AndTheServerLivesOn) {
  router_->Add(Method::kGet, "/throw",
               [](const Request&) -> Response { throw std::runtime_error("boom"); });
  router_->Add(Method::kGet, "/throw-int", [](const Request&) -> Response { throw 42; });
  router_->Add(Method::kGet, "/ok", [](const Request&) { return Response::Text(200, "ok"); });
  StartServer();
  Client client = NewClient();
  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Get("/throw"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body,
            R"({"error_code": "E500", "message": "internal error in the request handler"})");
  ASSERT_OK_AND_ASSIGN(r, client.Get("/throw-int"));
  EXPECT_EQ(r.status, 500);
  ASSERT_OK_AND_ASSIGN(r, client.Get("/ok"));
  EXPECT_EQ(r.body, "ok");
}

TEST_F(ServerTest, NonBlockingRoutesRunOnTheIoThread) {
  std::atomic<std::thread::id> io_thread;
  router_->AddNonBlocking(Method::kGet, "/inline", [&](const Request& r) {
    io_thread.store(std::this_thread::get_id());
    return Response::Text(200, std::string(r.method_name));
  });
  router_->AddNonBlocking(Method::kGet, "/throws", [](const Request&) -> Response {
    throw std::runtime_error("inline boom");
  });
  router_->Add(Method::kGet, "/pooled", [&](const Request&) {
    return Response::Text(200, io_thread.load() == std::this_thread::get_id() ? "same" : "other");
  });
  ServerOptions options;
  options.io_threads = 1;
  StartServer(options);
  Client client = NewClient();
  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Get("/inline"));
  EXPECT_EQ(r.body, "GET");
  ASSERT_OK_AND_ASSIGN(r, client.Send(Method::kHead, "/inline"));
  EXPECT_EQ(r.Header("Content-Length"), "4");
  ASSERT_OK_AND_ASSIGN(r, client.Get("/pooled"));
  EXPECT_EQ(r.body, "other");
  ASSERT_OK_AND_ASSIGN(r, client.Get("/throws"));
  EXPECT_EQ(r.status, 500);
}

TEST_F(ServerTest, SlowHandlerDoesNotBlockOthers) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  router_->Add(Method::kGet, "/slow", [&](const Request&) {
    entered.set_value();
    released.wait_for(10s);
    return Response::Text(200, "slow");
  });
  router_->Add(Method::kGet, "/fast", [](const Request&) { return Response::Text(200, "fast"); });
  ServerOptions options;
  options.io_threads = 1;  // even with one io thread
  StartServer(options);

  auto slow = std::async(std::launch::async, [&] { return NewClient().Get("/slow"); });
  entered.get_future().wait();
  Client client = NewClient();
  ASSERT_OK_AND_ASSIGN(ClientResponse r, client.Get("/fast"));
  EXPECT_EQ(r.body, "fast");
  EXPECT_EQ(slow.wait_for(0s), std::future_status::timeout);  // still blocked in its handler
  release.set_value();
  auto slow_result = slow.get();
  ASSERT_THAT(slow_result, IsOk());
  EXPECT_EQ(slow_result->body, "slow");
}

TEST_F(ServerTest, SixtyFourKeepAliveClientsAreAllServed) {
  router_->Add(Method::kGet, "/peer", [](const Request& r) { return Response::Text(200, r.peer); });
  ServerOptions options;
  options.io_threads = 2;
  options.worker_threads = 4;  // far fewer than connections: nothing is thread-per-connection
  StartServer(options);

  constexpr int kClients = 64;
  std::barrier all_connected(kClients);
  std::vector<std::string> peers(kClients);
  std::atomic<int> served{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      Client client = NewClient(5s);
      std::string first;
      for (int round = 0; round < 3; ++round) {
        auto r = client.Get("/peer");
        if (round == 0) all_connected.arrive_and_wait();  // 64 connections open at once
        if (!r.ok() || r->status != 200) continue;
        if (round == 0) first = r->body;
        if (r->body == first) served.fetch_add(1);
      }
      peers[i] = first;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(served.load(), 3 * kClients);
  EXPECT_EQ(std::set<std::string>(peers.begin(), peers.end()).size(), size_t{kClients});
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
  router_->Add(Method::kGet, "/x", [](const Request&) { return Response::Text(200, "x"); });
  ServerOptions options;
  options.idle_timeout = 200ms;
  StartServer(options);
  RawSocket silent(server_->port());
  ASSERT_TRUE(silent.connected());
  EXPECT_TRUE(silent.WaitForClose(5s));

  RawSocket slow(server_->port());  // starts a header and never finishes it
  ASSERT_TRUE(slow.Send("GET /x HTTP/1.1\r\nHost"));
  EXPECT_TRUE(slow.WaitForClose(5s));
}

TEST_F(ServerTest, PortZeroPicksAFreePortAndBindFailureNamesTheAddress) {
  StartServer();
  EXPECT_GT(server_->port(), 0);
  ServerOptions taken;
  taken.port = server_->port();
  auto second = Server::Start(taken, router_);
  EXPECT_THAT(second,
              StatusIs(StatusCode::kUnavailable,
                       HasSubstr(fmt::format("cannot listen on 127.0.0.1:{}: ", server_->port()))));
  ServerOptions bad_host;
  bad_host.host = "not-an-ip";
  EXPECT_THAT(
      Server::Start(bad_host, router_),
      StatusIs(StatusCode::kInvalidArgument, "http server: host 'not-an-ip' is not an IP address"));
}

TEST_F(ServerTest, StopFinishesInFlightRequestsAndClosesIdleOnes) {
  std::promise<void> entered;
  router_->Add(Method::kGet, "/slow", [&](const Request&) {
    entered.set_value();
    std::this_thread::sleep_for(300ms);
    return Response::Text(200, "done");
  });
  router_->Add(Method::kGet, "/x", [](const Request&) { return Response::Text(200, "x"); });
  StartServer();
  const int port = server_->port();
  Client idle = NewClient();
  ASSERT_THAT(idle.Get("/x"), IsOk());  // an idle keep-alive connection stays open

  auto in_flight = std::async(std::launch::async, [&] { return NewClient().Get("/slow"); });
  entered.get_future().wait();
  auto waiter = std::async(std::launch::async, [&] { server_->Wait(); });
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  auto r = in_flight.get();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_EQ(waiter.wait_for(5s), std::future_status::ready);

  server_->Stop();  // idempotent
  EXPECT_THAT(Client("http://127.0.0.1:" + std::to_string(port), 2s).Get("/x"),
              StatusIs(StatusCode::kUnavailable));
}

TEST_F(ServerTest, ClientReportsTransportErrors) {
  StartServer();
  const int port = server_->port();
  server_->Stop();
  Client client("http://127.0.0.1:" + std::to_string(port), 2s);
  EXPECT_THAT(client.Get("/x"),
              StatusIs(StatusCode::kUnavailable,
                       StartsWith(fmt::format("GET http://127.0.0.1:{}/x: ", port))));
}

}  // namespace
}  // namespace sluice::http
