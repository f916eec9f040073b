// The Boost.Beast/Asio implementation of http::Server. This file (with the rest of
// src/http/internal) is the only place that includes Beast or Asio, so the rest of the project
// compiles without them.
//
// Design: one io_context per io thread (no strands: a connection lives on one thread for its
// whole life); each connection is a C++20 coroutine that reads a request header, decides (route,
// limits, 100-continue), reads the body, hops to the worker pool for the handler, hops back and
// writes the response. The io threads never run user code.

#include "http/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <exception>
#include <limits>
#include <list>
#include <mutex>
#include <thread>
#include <utility>  // GCC 12 in C++20 needs it before the Asio headers.

#include "http/internal/url.h"

namespace sluice::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Streamed uploads reach the sink in chunks of this size (the last one may be smaller): large
// enough that the hop to a worker is cheap per byte, small enough to keep memory constant.
constexpr size_t kUploadChunkBytes = 1 << 20;
// After answering a request whose body we did not read, we keep reading (and discarding) for a
// short while before closing: closing with unread data makes the kernel send RST, which can
// destroy our answer before the client reads it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerMaxBytes = 64 << 20;
constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

// Runs fn() on the worker pool and resumes the calling coroutine on its own executor with the
// result. fn must not throw.
template <typename T, typename F>
asio::awaitable<T> RunOnWorker(asio::thread_pool& pool, F fn) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      [&pool](auto handler, F f) {
        asio::post(pool, [handler = std::move(handler), f = std::move(f)]() mutable {
          T result = f();
          auto executor = asio::get_associated_executor(handler);
          asio::post(executor,
                     [handler = std::move(handler), result = std::move(result)]() mutable {
                       std::move(handler)(std::move(result));
                     });
        });
      },
      asio::use_awaitable, std::move(fn));
}

// "Tue, 15 Nov 1994 08:12:31 GMT", formatted once per second per thread.
std::string_view HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char buffer[64];
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm;
    gmtime_r(&now, &tm);
    std::strftime(buffer, sizeof(buffer), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return buffer;
}

std::string_view Std(beast::string_view s) { return {s.data(), s.size()}; }
beast::string_view Beast(std::string_view s) { return {s.data(), s.size()}; }

bool IsHttpError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

// Beast's handling of a header value: optional whitespace around it is dropped.
std::string_view TrimValue(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

bool IsHeader(std::string_view name, std::string_view wanted) {
  return internal::EqualsIgnoreCase(name, wanted);
}

// The response header Beast would serialize for an ordinary string body (see Server::Impl::Write:
// Server, Date, Content-Type, the handler's headers, Connection, Content-Length), written into
// `out` without building a Beast message: its fields cost an allocation each, and its serializer
// more than the rest of a small response. False, with `out` meaningless, when the response needs
// Beast's own handling (a status Beast would refuse, or handler headers it would merge).
bool WriteHead(const Response& response, unsigned version, bool keep_alive,
               std::string_view server_name, std::string& out) {
  if (response.status < 200 || response.status > 599 || (version != 10 && version != 11)) {
    return false;
  }
  for (const auto& [name, value] : response.headers) {
    if (IsHeader(name, "Connection") || IsHeader(name, "Content-Length")) return false;
  }
  const auto code = static_cast<unsigned>(response.status);
  out.clear();
  out += version == 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  out += static_cast<char>('0' + code / 100);
  out += static_cast<char>('0' + code / 10 % 10);
  out += static_cast<char>('0' + code % 10);
  out += ' ';
  out += Std(bhttp::obsolete_reason(static_cast<bhttp::status>(code)));
  auto field = [&out](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += TrimValue(value);
    out += "\r\n";
  };
  out += "\r\n";
  field("Server", server_name);
  field("Date", HttpDate());
  field("Content-Type", response.content_type);
  for (const auto& [name, value] : response.headers) field(name, value);
  if (version == 11 && !keep_alive) field("Connection", "close");
  if (version == 10 && keep_alive) field("Connection", "keep-alive");
  char length[24];
  auto [end, error] = std::to_chars(length, length + sizeof(length), response.body.size());
  field("Content-Length", std::string_view(length, static_cast<size_t>(end - length)));
  out += "\r\n";
  return true;
}

std::string AllowHeader(const std::vector<Method>& methods) {
  std::string allow;
  std::vector<Method> seen;
  for (Method m : methods) {
    if (std::find(seen.begin(), seen.end(), m) != seen.end()) continue;
    seen.push_back(m);
    if (!allow.empty()) allow += ", ";
    allow += MethodName(m);
  }
  return allow;
}

}  // namespace

struct Server::Impl {
  // One per io thread; touched only by that thread.
  struct Connection {
    explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    bool idle = false;          // waiting for the next request header
    std::string response_head;  // reused by WriteHead: one response at a time per connection
  };
  struct IoThread {
    asio::io_context context{1};
    std::list<Connection*> connections;  // guarded by running only on this context's thread
  };

  // What to do with the connection after a response.
  enum class After { kKeepAlive, kClose, kCloseUnread };

  ServerOptions options;
  std::shared_ptr<const Router> router;
  int port = 0;

  std::vector<std::unique_ptr<IoThread>> io;
  std::unique_ptr<tcp::acceptor> acceptor;  // lives on io[0]
  std::unique_ptr<asio::thread_pool> workers;
  std::vector<std::thread> io_threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_guards;

  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable changed;
  int connection_count = 0;  // guarded by mutex
  bool stopped = false;      // guarded by mutex
  std::once_flag stop_once;

  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(IoThread* thread, tcp::socket socket);
  asio::awaitable<After> HandleRequest(Connection& conn, beast::flat_buffer& buffer,
                                       bhttp::request_parser<bhttp::buffer_body>& parser,
                                       const std::string& peer);
  asio::awaitable<bool> Write(Connection& conn, Response response, unsigned version,
                              bool keep_alive, bool head);
  asio::awaitable<void> Linger(Connection& conn, beast::flat_buffer& buffer);
  void DoStop();
};

asio::awaitable<void> Server::Impl::AcceptLoop() {
  size_t next = 0;
  while (true) {
    IoThread* thread = io[next++ % io.size()].get();
    error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(
        thread->context, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: keep serving the connections we have.
      std::fprintf(stderr, "sluice http: accept failed: %s\n", ec.message().c_str());
      asio::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    {
      std::lock_guard lock(mutex);
      ++connection_count;
    }
    asio::co_spawn(thread->context, Session(thread, std::move(socket)),
                   [this](std::exception_ptr e) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         std::fprintf(stderr, "sluice http: connection failed: %s\n", ex.what());
                       } catch (...) {
                         std::fprintf(stderr, "sluice http: connection failed\n");
                       }
                     }
                     std::lock_guard lock(mutex);
                     --connection_count;
                     changed.notify_all();
                   });
  }
}

asio::awaitable<void> Server::Impl::Session(IoThread* thread, tcp::socket socket) {
  Connection conn(std::move(socket));
  thread->connections.push_back(&conn);
  auto position = std::prev(thread->connections.end());
  error_code ec;
  std::string peer;
  if (auto endpoint = conn.stream.socket().remote_endpoint(ec); !ec) {
    peer = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }
  beast::flat_buffer buffer;
  After after = After::kKeepAlive;
  while (after == After::kKeepAlive && !stopping.load()) {
    bhttp::request_parser<bhttp::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    // Enforced per route in HandleRequest. Not boost::none: Beast 1.74 compares the length with
    // the optional, and every length is greater than none.
    parser.body_limit(kNoLimit);
    conn.idle = true;
    conn.stream.expires_after(options.idle_timeout);
    co_await bhttp::async_read_header(conn.stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    conn.idle = false;
    if (ec) {
      if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
        co_await Write(conn, router->Error(431, "the request header is too large"), 11, false,
                       false);
        after = After::kCloseUnread;
      } else if (IsHttpError(ec) && ec != bhttp::error::end_of_stream &&
                 ec != bhttp::error::partial_message) {
        co_await Write(conn, router->Error(400, "malformed request: " + ec.message()), 11, false,
                       false);
        after = After::kCloseUnread;
      } else {
        after = After::kClose;  // the client left, timed out, or we are stopping
      }
      break;
    }
    conn.stream.expires_after(options.request_timeout);
    after = co_await HandleRequest(conn, buffer, parser, peer);
  }
  if (after == After::kCloseUnread) co_await Linger(conn, buffer);
  conn.stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  conn.stream.close();
  thread->connections.erase(position);
}

asio::awaitable<void> Server::Impl::Linger(Connection& conn, beast::flat_buffer& buffer) {
  error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  conn.stream.expires_after(kLingerTime);
  size_t discarded = 0;
  while (discarded < kLingerMaxBytes) {
    buffer.clear();
    size_t n = co_await conn.stream.async_read_some(buffer.prepare(64 << 10),
                                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    discarded += n;
  }
}

asio::awaitable<Server::Impl::After> Server::Impl::HandleRequest(
    Connection& conn, beast::flat_buffer& buffer, bhttp::request_parser<bhttp::buffer_body>& parser,
    const std::string& peer) {
  auto& message = parser.get();
  const unsigned version = message.version();
  const bool client_keep_alive = message.keep_alive();
  Request request;
  request.method_name = std::string(message.method_string());
  request.method = ParseMethod(request.method_name);
  request.peer = peer;
  request.headers.reserve(8);
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  const bool head = request.method == Method::kHead;
  const bool has_body = !parser.is_done();
  const boost::optional<std::uint64_t> content_length = parser.content_length();
  const bool expect_continue =
      version >= 11 &&
      internal::EqualsIgnoreCase(Std(message[bhttp::field::expect]), "100-continue");

  // Answers without reading the body, then closes (a body left unread cannot be skipped).
  // A malformed request (`close`) also ends the connection: the client is confused.
  auto refuse = [&](Response response, bool close = false) -> asio::awaitable<After> {
    const bool keep = !has_body && !close && client_keep_alive;
    co_await Write(conn, std::move(response), version, keep, head);
    co_return has_body ? After::kCloseUnread : (keep ? After::kKeepAlive : After::kClose);
  };
  auto send_continue = [&]() -> asio::awaitable<bool> {
    if (!expect_continue) co_return true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    error_code ec;
    co_await asio::async_write(conn.stream, asio::buffer(kContinue.data(), kContinue.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  };
  // Reads the rest of the body into `body` (up to `limit` bytes). Returns the status to answer
  // (413, 400) or 0 when the body arrived; -1 when the connection broke.
  auto read_body = [&](std::string& body, size_t limit) -> asio::awaitable<int> {
    parser.body_limit(limit);
    if (content_length) body.reserve(*content_length);
    error_code ec;
    while (!parser.is_done()) {
      size_t old_size = body.size();
      size_t room = content_length ? *content_length - old_size : size_t{64 << 10};
      if (room == 0) room = 64 << 10;
      body.resize(old_size + room);
      message.body().data = body.data() + old_size;
      message.body().size = room;
      co_await bhttp::async_read(conn.stream, buffer, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
      body.resize(old_size + room - message.body().size);
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec == bhttp::error::body_limit) co_return 413;
      if (ec && IsHttpError(ec) && ec != bhttp::error::partial_message) co_return 400;
      if (ec) co_return -1;
    }
    co_return 0;
  };
  auto too_large = [&](size_t limit) {
    return router->Error(
        413, fmt::format("the request body is larger than the limit of {} bytes", limit));
  };

  if (Status parsed = internal::ParseTarget(Std(message.target()), &request); !parsed.ok()) {
    co_return co_await refuse(router->Error(400, parsed.message()), /*close=*/true);
  }
  Router::Match match = router->Find(request.method, request.path);
  request.path_params = std::move(match.path_params);

  if (match.kind != Router::Match::Kind::kFound) {
    Response response = match.kind == Router::Match::Kind::kNotFound
                            ? router->Error(404, fmt::format("no route for {} {}",
                                                             request.method_name, request.path))
                            : router->Error(405, fmt::format("method {} is not allowed for {}",
                                                             request.method_name, request.path));
    if (match.kind == Router::Match::Kind::kMethodNotAllowed) {
      response.headers.emplace_back("Allow", AllowHeader(match.allowed));
    }
    // Read a small body so the connection stays usable; refuse a large or expected one.
    if (has_body &&
        (expect_continue || !content_length || *content_length > options.max_body_bytes)) {
      co_return co_await refuse(std::move(response));
    }
    if (has_body) {
      std::string discarded;
      int result = co_await read_body(discarded, options.max_body_bytes);
      if (result < 0) co_return After::kClose;
      if (result > 0) co_return co_await refuse(std::move(response));
    }
    bool ok = co_await Write(conn, std::move(response), version, client_keep_alive, head);
    co_return ok&& client_keep_alive ? After::kKeepAlive : After::kClose;
  }

  if (match.streaming != nullptr) {
    const size_t limit = options.max_streaming_body_bytes;
    if (limit > 0 && content_length && *content_length > limit) {
      co_return co_await refuse(too_large(limit));
    }
    const Router::StreamingHandler& start = *match.streaming;
    auto started = co_await RunOnWorker<std::variant<Response, std::unique_ptr<BodySink>>>(
        *workers, [&]() -> std::variant<Response, std::unique_ptr<BodySink>> {
          try {
            return start(request);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "sluice http: handler for %s %s threw: %s\n",
                         request.method_name.c_str(), request.path.c_str(), e.what());
          } catch (...) {
            std::fprintf(stderr, "sluice http: handler for %s %s threw\n",
                         request.method_name.c_str(), request.path.c_str());
          }
          return router->Error(500, "internal error in the request handler");
        });
    if (auto* refused = std::get_if<Response>(&started))
      co_return co_await refuse(std::move(*refused));
    std::unique_ptr<BodySink> sink = std::move(std::get<std::unique_ptr<BodySink>>(started));
    // Whatever happens, the sink dies on a worker: its destructor may close or delete files.
    auto drop_sink = [&] {
      if (sink) asio::post(*workers, [doomed = std::move(sink)]() mutable { doomed.reset(); });
    };
    if (has_body) {
      if (!co_await send_continue()) {
        drop_sink();
        co_return After::kClose;
      }
      parser.body_limit(limit > 0 ? std::uint64_t{limit} : kNoLimit);
      std::unique_ptr<char[]> chunk(new char[kUploadChunkBytes]);
      size_t filled = 0;
      error_code ec;
      while (!parser.is_done()) {
        message.body().data = chunk.get() + filled;
        message.body().size = kUploadChunkBytes - filled;
        co_await bhttp::async_read(conn.stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
        filled = kUploadChunkBytes - message.body().size;
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec) {
          drop_sink();
          if (ec == bhttp::error::body_limit) co_return co_await refuse(too_large(limit));
          if (IsHttpError(ec) && ec != bhttp::error::partial_message) {
            co_return co_await refuse(router->Error(400, "malformed request body: " + ec.message()),
                                      /*close=*/true);
          }
          co_return After::kClose;
        }
        if (filled == kUploadChunkBytes || (parser.is_done() && filled > 0)) {
          std::string_view piece(chunk.get(), filled);
          Status written = co_await RunOnWorker<Status>(*workers, [&]() -> Status {
            try {
              return sink->Write(piece);
            } catch (const std::exception& e) {
              std::fprintf(stderr, "sluice http: upload sink for %s threw: %s\n",
                           request.path.c_str(), e.what());
            } catch (...) {
              std::fprintf(stderr, "sluice http: upload sink for %s threw\n", request.path.c_str());
            }
            return Internal("internal error in the upload handler");
          });
          filled = 0;
          if (!written.ok()) {
            drop_sink();
            bool keep = parser.is_done() && client_keep_alive;
            co_await Write(conn, router->ErrorFromStatus(written), version, keep, head);
            co_return keep ? After::kKeepAlive : After::kCloseUnread;
          }
        }
      }
    }
    Response response = co_await RunOnWorker<Response>(*workers, [&]() -> Response {
      Response finished;
      try {
        finished = sink->Finish();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "sluice http: upload sink for %s threw in Finish: %s\n",
                     request.path.c_str(), e.what());
        finished = router->Error(500, "internal error in the upload handler");
      } catch (...) {
        std::fprintf(stderr, "sluice http: upload sink for %s threw in Finish\n",
                     request.path.c_str());
        finished = router->Error(500, "internal error in the upload handler");
      }
      sink.reset();
      return finished;
    });
    bool ok = co_await Write(conn, std::move(response), version, client_keep_alive, head);
    co_return ok&& client_keep_alive ? After::kKeepAlive : After::kClose;
  }

  // An ordinary route: buffer the body, then run the handler.
  if (has_body) {
    if (content_length && *content_length > options.max_body_bytes) {
      co_return co_await refuse(too_large(options.max_body_bytes));
    }
    if (!co_await send_continue()) co_return After::kClose;
    int result = co_await read_body(request.body, options.max_body_bytes);
    if (result < 0) co_return After::kClose;
    if (result == 413) co_return co_await refuse(too_large(options.max_body_bytes));
    if (result > 0)
      co_return co_await refuse(router->Error(400, "malformed request body"), /*close=*/true);
  }
  const Router::Handler& handler = *match.handler;
  auto call_handler = [&]() -> Response {
    try {
      return handler(request);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sluice http: handler for %s %s threw: %s\n",
                   request.method_name.c_str(), request.path.c_str(), e.what());
    } catch (...) {
      std::fprintf(stderr, "sluice http: handler for %s %s threw\n", request.method_name.c_str(),
                   request.path.c_str());
    }
    return router->Error(500, "internal error in the request handler");
  };
  // An if, not ?: — GCC 12 destroys temporaries twice around a co_await inside ?:.
  Response response;
  if (match.non_blocking) {
    response = call_handler();
  } else {
    response = co_await RunOnWorker<Response>(*workers, call_handler);
  }
  bool ok = co_await Write(conn, std::move(response), version, client_keep_alive, head);
  co_return ok&& client_keep_alive ? After::kKeepAlive : After::kClose;
}

asio::awaitable<bool> Server::Impl::Write(Connection& conn, Response response, unsigned version,
                                          bool keep_alive, bool head) {
  if (stopping.load()) keep_alive = false;
  // 1xx, 204 and 304 carry no body and, for 204 and 1xx, must not carry Content-Length.
  const bool no_body = response.status < 200 || response.status == 204 || response.status == 304;
  auto set_common = [&](auto& message) {
    message.version(version);
    message.result(static_cast<unsigned>(response.status));
    message.set(bhttp::field::server, options.server_name);
    message.set(bhttp::field::date, Beast(HttpDate()));
    if (!no_body) message.set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) message.insert(name, value);
    message.keep_alive(keep_alive);
  };
  error_code ec;
  if (response.file && !no_body) {
    bhttp::file_body::value_type file;
    file.open(response.file->c_str(), beast::file_mode::scan, ec);
    if (ec) {
      std::fprintf(stderr, "sluice http: cannot open %s: %s\n", response.file->c_str(),
                   ec.message().c_str());
      response = router->Error(404, "the file to send cannot be opened");
      response.file.reset();
    } else if (head) {
      bhttp::response<bhttp::empty_body> message;
      set_common(message);
      message.content_length(file.size());
      co_await bhttp::async_write(conn.stream, message,
                                  asio::redirect_error(asio::use_awaitable, ec));
      co_return !ec;
    } else {
      bhttp::response<bhttp::file_body> message;
      set_common(message);
      message.content_length(file.size());
      message.body() = std::move(file);
      co_await bhttp::async_write(conn.stream, message,
                                  asio::redirect_error(asio::use_awaitable, ec));
      co_return !ec;
    }
  }
  if (head || no_body) {
    bhttp::response<bhttp::empty_body> message;
    set_common(message);
    if (response.status >= 200 && response.status != 204) {
      message.content_length(no_body ? 0 : response.body.size());
    }
    co_await bhttp::async_write(conn.stream, message,
                                asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }
  if (WriteHead(response, version, keep_alive, options.server_name, conn.response_head)) {
    const std::array<asio::const_buffer, 2> buffers = {asio::buffer(conn.response_head),
                                                       asio::buffer(response.body)};
    co_await asio::async_write(conn.stream, buffers, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }
  bhttp::response<bhttp::string_body> message;
  set_common(message);
  message.content_length(response.body.size());
  message.body() = std::move(response.body);
  co_await bhttp::async_write(conn.stream, message, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

void Server::Impl::DoStop() {
  stopping.store(true);
  // Stop accepting and close idle keep-alive connections, each on its own thread.
  asio::post(io[0]->context, [this] {
    error_code ec;
    if (acceptor) acceptor->close(ec);
  });
  auto close_connections = [this](bool idle_only) {
    for (auto& thread : io) {
      asio::post(thread->context, [thread = thread.get(), idle_only] {
        for (Connection* conn : thread->connections) {
          if (conn->idle || !idle_only) conn->stream.cancel();
        }
      });
    }
  };
  close_connections(/*idle_only=*/true);
  {
    std::unique_lock lock(mutex);
    if (!changed.wait_for(lock, options.stop_timeout, [this] { return connection_count == 0; })) {
      std::fprintf(stderr, "sluice http: %d connections still busy after %lld ms; closing them\n",
                   connection_count, static_cast<long long>(options.stop_timeout.count()));
      lock.unlock();
      close_connections(/*idle_only=*/false);
      lock.lock();
      changed.wait_for(lock, std::chrono::seconds(1), [this] { return connection_count == 0; });
    }
  }
  for (auto& guard : work_guards) guard.reset();
  for (auto& thread : io) thread->context.stop();
  for (std::thread& thread : io_threads) thread.join();
  // Handlers still running finish here; their completions land in the stopped contexts and are
  // destroyed with them below, after the workers are gone.
  workers->join();
  acceptor.reset();
  io.clear();
  std::lock_guard lock(mutex);
  stopped = true;
  changed.notify_all();
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

int Server::port() const { return impl_->port; }

const ServerOptions& Server::options() const { return impl_->options; }

void Server::Stop() {
  std::call_once(impl_->stop_once, [this] { impl_->DoStop(); });
}

void Server::Wait() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [this] { return impl_->stopped; });
}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options,
                                              std::shared_ptr<const Router> router) {
  if (router == nullptr) return InvalidArgument("http server: no router");
  if (options.io_threads < 0 || options.worker_threads < 0) {
    return InvalidArgument("http server: thread counts must be >= 0, got io {} and worker {}",
                           options.io_threads, options.worker_threads);
  }
  if (options.port < 0 || options.port > 65535) {
    return InvalidArgument("http server: port {} is out of range 0-65535", options.port);
  }
  error_code ec;
  asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) {
    return InvalidArgument("http server: host '{}' is not an IP address", options.host);
  }
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const int io_count = options.io_threads > 0 ? options.io_threads : cores;
  const int worker_count =
      options.worker_threads > 0 ? options.worker_threads : std::max(4, 2 * cores);

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->router = std::move(router);
  for (int i = 0; i < io_count; ++i) impl->io.push_back(std::make_unique<Impl::IoThread>());

  const std::string where = fmt::format("{}:{}", options.host, options.port);
  impl->acceptor = std::make_unique<tcp::acceptor>(impl->io[0]->context);
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(1024, ec);
  if (ec) return Unavailable("http server: cannot listen on {}: {}", where, ec.message());
  impl->port = impl->acceptor->local_endpoint(ec).port();

  impl->workers = std::make_unique<asio::thread_pool>(worker_count);
  Impl* raw = impl.get();
  asio::co_spawn(raw->io[0]->context, raw->AcceptLoop(), asio::detached);
  for (auto& thread : raw->io) {
    raw->work_guards.push_back(asio::make_work_guard(thread->context));
    raw->io_threads.emplace_back([context = &thread->context] { context->run(); });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

}  // namespace sluice::http
