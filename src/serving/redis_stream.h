// A Redis Streams consumer that answers prediction requests (`sluice predict --redis-stream`).
// It reads a stream as one consumer of a consumer group, scores entries in batches, XADDs one
// result per entry to an output stream and XACKs an entry only after Redis has acknowledged its
// result. A crash at any point loses no request; a request whose result was written but not yet
// acknowledged is answered again after a restart (at-least-once: duplicates are possible, losses
// are not).
//
// The model comes from a source asked before each batch, so a consumer of models:/churn@production
// follows the alias through a ModelHost: a promotion takes effect from the next batch on, and
// every answer names the version that gave it.
//
//   SLUICE_ASSIGN_OR_RETURN(RedisLocation at, ParseRedisStreamUrl("redis://127.0.0.1:6379/req"));
//   RedisStreamOptions options{.location = at, .consumer = "worker-1"};
//   SLUICE_RETURN_IF_ERROR(host.Add("churn", "models:/churn@production"));
//   host.StartFollowing();
//   SLUICE_RETURN_IF_ERROR(ConsumeRedisStream([&] { return host.Get("churn"); }, options,
//                                             stop.get_token()));
//
// Thread safety: ConsumeRedisStream uses only its arguments and a connection of its own; models
// may be shared with other threads. Many consumers (threads or processes) may serve one group,
// each under its own consumer name.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "base/status.h"
#include "serving/model_host.h"

namespace sluice::serving {

// Where the requests are: a Redis server, a database number and a stream key.
struct RedisLocation {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string user;      // Redis 6 ACL user; "" for the default user
  std::string password;  // "" when the server needs no AUTH
  std::string stream;
};

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]/STREAM, e.g. redis://127.0.0.1:6379/requests or
// redis://10.0.0.5/2/scoring:requests (database 2). The port defaults to 6379, the database to 0;
// a first path segment of digits followed by another segment is the database, everything after it
// is the stream key (percent-decoded; it may hold '/'). kInvalidArgument naming the URL and the
// expected form; kUnimplemented for rediss:// (TLS).
Result<RedisLocation> ParseRedisStreamUrl(std::string_view url);

// How an entry of the input stream holds its request.
enum class RedisRequestFormat {
  // One field (RedisStreamOptions::data_field, "data") holding a JSON object of column -> value,
  // like a line of `sluice predict --stream`, with an optional "id" echoed in the answer:
  //   XADD requests * data '{"id":7,"age":42,"plan":"pro"}'
  kJson,
  // One field per model input, the value as text: numbers are parsed for numeric inputs, an empty
  // value is missing; a field "id" (when no input is named so) is echoed:
  //   XADD requests * age 42 plan pro
  kFields,
};

struct RedisStreamStats {
  uint64_t read = 0;         // entries received, including redelivered and reclaimed ones
  uint64_t answered = 0;     // results written with a prediction
  uint64_t errors = 0;       // results written with an error (a bad entry is answered, not retried)
  uint64_t acked = 0;        // entries XACKed (Redis's count: an entry claimed away is not)
  uint64_t redelivered = 0;  // this consumer's own pending entries re-read after a (re)start
  uint64_t reclaimed = 0;    // entries taken over from other consumers with XAUTOCLAIM
  uint64_t batches = 0;
  uint64_t reconnects = 0;
};

struct RedisStreamOptions {
  RedisLocation location;
  std::string group = "sluice";
  // This consumer's name in the group. Keep it across restarts: entries it read but did not
  // acknowledge before a crash are re-read under this name when it starts again.
  std::string consumer = "sluice";
  // Where results go; "" means "<stream>:predictions". Each result is an entry with the fields
  //   request_id  the input entry's id ("1700000000000-0")
  //   prediction  the answer as a JSON object: {"id":7,"prediction":0.83,"predicted_label":"yes",
  //               "model_version":"3"} ("id" only when the request had one; the prediction fields
  //               as in PredictionFields; model_version the ServedModel's version, null for "")
  //   error       instead of prediction, for a bad entry: what is wrong with it, in words
  std::string output_stream;
  // Trims the output stream to about this many entries (XADD MAXLEN ~ N); 0 keeps all.
  uint64_t output_max_len = 0;
  // Where a newly created group starts: "$" answers only entries added from then on, "0" the
  // whole stream. An existing group keeps its position.
  std::string group_start_id = "$";

  RedisRequestFormat format = RedisRequestFormat::kJson;
  std::string data_field = "data";  // kJson
  double threshold = 0.5;           // binary models, as in PredictionFields

  size_t batch = 256;                    // entries read and scored together at most (COUNT)
  std::chrono::milliseconds block{500};  // XREADGROUP BLOCK: how long a read waits for entries
  // Entries of other consumers pending longer than this are claimed (XAUTOCLAIM), at start and
  // then about every half of it; 0 never claims.
  std::chrono::milliseconds claim_idle{60000};

  // Stop (OK) once this many entries were answered and acknowledged; 0: no limit.
  uint64_t max_messages = 0;
  // Stop (OK) once no entry has arrived for this long; 0: never.
  std::chrono::milliseconds exit_when_idle{0};

  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reply_timeout{5000};  // beyond `block` for reads
  // When Redis goes away while consuming, reconnect after 100 ms, doubling up to max_backoff;
  // give up (kUnavailable) once it has been gone for reconnect_timeout; 0 retries forever.
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds reconnect_timeout{0};

  // Called after each batch is acknowledged, on the consuming thread.
  std::function<void(const RedisStreamStats&)> on_batch;
};

// The model to score the next batch with (a batch is scored by one model); null is an error.
using ModelSource = std::function<std::shared_ptr<const ServedModel>()>;

// Consumes until `stop` is requested (the batch in hand is finished and acknowledged first),
// max_messages were answered, or the stream was idle for exit_when_idle; then returns OK.
//
// On start it creates the group when missing (XGROUP CREATE ... MKSTREAM), re-reads this
// consumer's own pending entries, then claims idle entries of others and reads new ones. Bad
// entries (no data field, not JSON, a missing, extra or mistyped input) are answered with an
// error and acknowledged, so they never loop. A lost connection is retried as the options say;
// after a reconnect the pending entries are re-read, and a group that vanished (Redis restarted
// empty) is created again.
//
// Errors: kInvalidArgument for bad options; kUnavailable when Redis cannot be reached at start or
// stays away past reconnect_timeout; kFailedPrecondition when Redis refuses a command (the key
// is not a stream, AUTH fails): nothing of the failing batch is acknowledged then. `stats`, when
// given, is kept up to date as batches finish.
Status ConsumeRedisStream(ModelSource model, const RedisStreamOptions& options,
                          std::stop_token stop = {}, RedisStreamStats* stats = nullptr);

}  // namespace sluice::serving
