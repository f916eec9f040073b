// RedisClient: a blocking hiredis context per connection. hiredis reports a failed connection
// through the context (err/errstr) and a failed command by returning no reply, after which the
// context is unusable; both become kUnavailable and drop the context, so the owner reconnects.
#include "serving/internal/redis_client.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <sys/time.h>

#include <cctype>
#include <csignal>
#include <optional>
#include <utility>

namespace sluice::serving::internal {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  const int64_t count = std::max<int64_t>(ms.count(), 1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(count / 1000);
  tv.tv_usec = static_cast<suseconds_t>((count % 1000) * 1000);
  return tv;
}

// hiredis sends with write(2), so writing to a connection the server has closed raises SIGPIPE,
// whose default action ends the process. The guard blocks it on this thread while a command is
// sent and swallows one that the write raised (it is thread-directed); the write then fails
// with EPIPE, which becomes kUnavailable like any lost connection.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

// "XADD", or "XGROUP CREATE" for commands with subcommands, for error messages.
std::string CommandName(std::span<const std::string_view> argv) {
  std::string name;
  for (size_t i = 0; i < argv.size() && i < 2; ++i) {
    if (i == 1 && name != "XGROUP" && name != "XINFO" && name != "CLIENT") break;
    if (i == 1) name += ' ';
    for (char c : argv[i]) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

RedisReply Copy(const redisReply& raw) {
  RedisReply reply;
  switch (raw.type) {
    case REDIS_REPLY_STRING:
      reply.kind = RedisReply::Kind::kString;
      reply.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_STATUS:
      reply.kind = RedisReply::Kind::kStatus;
      reply.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_INTEGER:
      reply.kind = RedisReply::Kind::kInteger;
      reply.integer = raw.integer;
      break;
    case REDIS_REPLY_ARRAY:
      reply.kind = RedisReply::Kind::kArray;
      reply.elements.reserve(raw.elements);
      for (size_t i = 0; i < raw.elements; ++i) reply.elements.push_back(Copy(*raw.element[i]));
      break;
    default:  // REDIS_REPLY_NIL
      break;
  }
  return reply;
}

}  // namespace

RedisClient::RedisClient(RedisClientOptions options) : options_(std::move(options)) {
  address_ = fmt::format("{}:{}", options_.host, options_.port);
  if (options_.db != 0) address_ += fmt::format("/{}", options_.db);
}

RedisClient::~RedisClient() { Close(); }

Result<std::unique_ptr<RedisClient>> RedisClient::Connect(RedisClientOptions options) {
  std::unique_ptr<RedisClient> client(new RedisClient(std::move(options)));
  SLUICE_RETURN_IF_ERROR(client->Open());
  return client;
}

Status RedisClient::Reconnect() {
  Close();
  return Open();
}

void RedisClient::Close() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
  commands_due_.clear();
}

Status RedisClient::Open() {
  context_ = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                     ToTimeval(options_.connect_timeout));
  if (context_ == nullptr) return Unavailable("redis {}: cannot allocate a connection", address_);
  if (context_->err != 0) {
    std::string error = context_->errstr;
    Close();
    return Unavailable("redis {}: cannot connect: {} (is redis-server running there?)", address_,
                       error);
  }
  if (redisSetTimeout(context_, ToTimeval(options_.reply_timeout)) != REDIS_OK ||
      redisEnableKeepAlive(context_) != REDIS_OK) {
    std::string error = context_->errstr;
    Close();
    return Unavailable("redis {}: cannot set socket options: {}", address_, error);
  }
  Status status;
  if (!options_.password.empty()) {
    Result<RedisReply> auth = options_.user.empty()
                                  ? Command({"AUTH", options_.password})
                                  : Command({"AUTH", options_.user, options_.password});
    status = auth.status();
  }
  if (status.ok() && options_.db != 0) {
    const std::string db = std::to_string(options_.db);
    status = Command({"SELECT", db}).status();
  }
  if (!status.ok()) Close();
  return status;
}

Result<RedisReply> RedisClient::Take(void* raw, std::string_view command) {
  if (raw == nullptr) {
    std::string error = context_ != nullptr && context_->err != 0 ? context_->errstr : "no reply";
    if (error.empty()) error = "connection lost";
    Close();
    return Unavailable("redis {}: {}: {}", address_, command, error);
  }
  std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                     freeReplyObject);
  if (reply->type == REDIS_REPLY_ERROR) {
    return FailedPrecondition("redis {}: {}: {}", address_, command,
                              std::string_view(reply->str, reply->len));
  }
  return Copy(*reply);
}

Result<RedisReply> RedisClient::Command(std::span<const std::string_view> argv) {
  SLUICE_CHECK(commands_due_.empty());  // a pipeline's replies come first
  SLUICE_CHECK(!argv.empty());
  const std::string name = CommandName(argv);
  if (context_ == nullptr) return Unavailable("redis {}: {}: not connected", address_, name);
  argv_.clear();
  lengths_.clear();
  for (std::string_view arg : argv) {
    argv_.push_back(arg.data());
    lengths_.push_back(arg.size());
  }
  void* raw =
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv_.data(), lengths_.data());
  return Take(raw, name);
}

Status RedisClient::Append(std::span<const std::string_view> argv) {
  SLUICE_CHECK(!argv.empty());
  std::string name = CommandName(argv);
  if (context_ == nullptr) return Unavailable("redis {}: {}: not connected", address_, name);
  argv_.clear();
  lengths_.clear();
  for (std::string_view arg : argv) {
    argv_.push_back(arg.data());
    lengths_.push_back(arg.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv_.data(),
                             lengths_.data()) != REDIS_OK) {
    return Take(nullptr, name).status();
  }
  commands_due_.push_back(std::move(name));
  return Status::Ok();
}

Result<RedisReply> RedisClient::GetReply() {
  // A lost connection drops every reply still due; the caller learns it once per GetReply.
  if (context_ == nullptr) return Unavailable("redis {}: not connected", address_);
  SLUICE_CHECK(!commands_due_.empty());
  std::string name = std::move(commands_due_.front());
  commands_due_.pop_front();
  void* raw = nullptr;
  // Only the first GetReply after Appends writes (it flushes the buffered commands).
  std::optional<SigpipeGuard> guard;
  if (context_->obuf != nullptr && context_->obuf[0] != '\0') guard.emplace();
  if (redisGetReply(context_, &raw) != REDIS_OK) {
    if (raw != nullptr) freeReplyObject(raw);
    raw = nullptr;
  }
  return Take(raw, name);
}

bool IsRedisError(const Status& status, std::string_view code) {
  if (status.code() != StatusCode::kFailedPrecondition) return false;
  const std::string& m = status.message();
  return m.starts_with("redis ") && m.find(fmt::format(": {} ", code)) != std::string::npos;
}

}  // namespace sluice::serving::internal
