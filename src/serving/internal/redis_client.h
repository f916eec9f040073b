// The one adapter over hiredis: a blocking connection to one Redis server with timeouts, commands
// given as argument vectors (sent with redisCommandArgv / redisAppendCommandArgv, never formatted
// into a command string, so no byte of user data can change a command), pipelines, and replies
// copied into plain values. Every hiredis failure becomes a Status:
//   kUnavailable         the connection failed or timed out; the client is then disconnected
//                        until Reconnect() succeeds
//   kFailedPrecondition  Redis answered with an error reply ("WRONGTYPE ...", "NOGROUP ..."); the
//                        connection stays usable
//
//   SLUICE_ASSIGN_OR_RETURN(auto redis, RedisClient::Connect({.host = "127.0.0.1", .port = 6379}));
//   SLUICE_ASSIGN_OR_RETURN(RedisReply n, redis->Command({"XLEN", stream}));
//
// Thread safety: one RedisClient is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct redisContext;

namespace sluice::serving::internal {

struct RedisReply {
  enum class Kind { kNil, kString, kStatus, kInteger, kArray };
  Kind kind = Kind::kNil;
  std::string text;  // kString and kStatus
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return kind == Kind::kNil; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_string() const { return kind == Kind::kString; }
};

struct RedisClientOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;            // SELECTed after each (re)connect when not 0
  std::string user;      // AUTH user password (Redis 6 ACL) when both are set
  std::string password;  // AUTH password when only this is set
  std::chrono::milliseconds connect_timeout{2000};
  // A reply that takes longer fails with kUnavailable (and disconnects). A blocking command
  // (XREADGROUP BLOCK ms) needs more than its block time.
  std::chrono::milliseconds reply_timeout{5000};
};

class RedisClient {
 public:
  // Connects, authenticates and selects the database. kUnavailable naming the address when the
  // server cannot be reached; kFailedPrecondition when AUTH or SELECT is refused.
  static Result<std::unique_ptr<RedisClient>> Connect(RedisClientOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // "127.0.0.1:6379" (with "/db" when not 0), for messages.
  const std::string& address() const { return address_; }
  bool connected() const { return context_ != nullptr; }

  // Drops the connection (and any replies still due) and connects again as Connect does.
  Status Reconnect();

  // Sends one command and waits for its reply. Errors as in the header comment; error messages
  // read "redis 127.0.0.1:6379: XADD: WRONGTYPE Operation against a key ...".
  Result<RedisReply> Command(std::span<const std::string_view> argv);
  Result<RedisReply> Command(std::initializer_list<std::string_view> argv) {
    return Command(std::span<const std::string_view>(argv.begin(), argv.size()));
  }

  // Pipelining: Append buffers commands (nothing is sent yet); each GetReply sends what is
  // buffered and returns the reply of the oldest command not yet answered, in order. Call
  // GetReply once per Append. kUnavailable when not connected; a lost connection drops every
  // reply still due.
  Status Append(std::span<const std::string_view> argv);
  Status Append(std::initializer_list<std::string_view> argv) {
    return Append(std::span<const std::string_view>(argv.begin(), argv.size()));
  }
  Result<RedisReply> GetReply();
  size_t replies_due() const { return commands_due_.size(); }

 private:
  explicit RedisClient(RedisClientOptions options);
  Status Open();
  void Close();
  // Turns a hiredis reply (or its absence) into a value or a Status; frees `raw`.
  Result<RedisReply> Take(void* raw, std::string_view command);

  RedisClientOptions options_;
  std::string address_;
  redisContext* context_ = nullptr;       // owned; null when disconnected
  std::deque<std::string> commands_due_;  // names of appended commands not yet answered
  std::vector<const char*> argv_;         // reused per command
  std::vector<size_t> lengths_;
};

// True when `status` is Redis's error reply starting with `code` ("BUSYGROUP", "NOGROUP").
bool IsRedisError(const Status& status, std::string_view code);

}  // namespace sluice::serving::internal
