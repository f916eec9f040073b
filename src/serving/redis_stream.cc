// ConsumeRedisStream: one loop on the calling thread. Each step reads a batch (this consumer's
// pending entries first, then entries claimed from idle consumers, then new ones), decodes and
// scores it, pipelines one XADD per entry, waits for every XADD's reply, and only then XACKs the
// batch. Losing the connection anywhere drops the batch unacknowledged: its entries stay pending
// under this consumer and are re-read after the reconnect.
#include "serving/redis_stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "base/log.h"
#include "base/uri.h"
#include "serving/batch.h"
#include "serving/inputs.h"
#include "serving/internal/redis_client.h"

namespace sluice::serving {
namespace {

using internal::IsRedisError;
using internal::RedisClient;
using internal::RedisReply;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// DecodeRecords numbers rows within a request; here a request is one entry.
std::string WithoutRowZero(std::string message) {
  const size_t at = message.find("' row 0: ");
  if (at != std::string::npos) message.replace(at, 9, "': ");
  return message;
}

struct Entry {
  std::string id;
  bool deleted = false;  // still pending, but trimmed from the stream
  std::vector<std::pair<std::string, std::string>> fields;
};

// [[id, [field, value, ...]], ...]; a deleted entry comes as [id, nil].
Result<std::vector<Entry>> ParseEntries(const RedisReply& list, std::string_view command) {
  auto bad = [command] { return Internal("unexpected reply to {}", command); };
  if (list.is_nil()) return std::vector<Entry>();
  if (!list.is_array()) return bad();
  std::vector<Entry> entries;
  entries.reserve(list.elements.size());
  for (const RedisReply& item : list.elements) {
    if (item.is_nil()) continue;  // Redis 6.2's XAUTOCLAIM marks a deleted entry so
    if (!item.is_array() || item.elements.size() != 2 || !item.elements[0].is_string()) {
      return bad();
    }
    Entry entry;
    entry.id = item.elements[0].text;
    const RedisReply& fields = item.elements[1];
    if (fields.is_nil()) {
      entry.deleted = true;
    } else {
      if (!fields.is_array() || fields.elements.size() % 2 != 0) return bad();
      for (size_t i = 0; i < fields.elements.size(); i += 2) {
        entry.fields.emplace_back(fields.elements[i].text, fields.elements[i + 1].text);
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// XREADGROUP's reply: nil (nothing before BLOCK ran out) or [[stream, entries]].
Result<std::vector<Entry>> ParseRead(const RedisReply& reply) {
  if (reply.is_nil()) return std::vector<Entry>();
  if (!reply.is_array() || reply.elements.size() != 1 || !reply.elements[0].is_array() ||
      reply.elements[0].elements.size() != 2) {
    return Internal("unexpected reply to XREADGROUP");
  }
  return ParseEntries(reply.elements[0].elements[1], "XREADGROUP");
}

bool IsNumericInput(const models::InputColumn& input) {
  return input.type != table::Type::kString && input.type != table::Type::kTimestamp;
}

// One entry on its way to an answer.
struct Request {
  std::optional<Json> id;  // echoed in the answer
  std::string error;       // "" while the entry is fine
  Json record;             // column -> value
};

// A batch's model and what answering with it needs; rebuilt only when the source's model changes.
struct Scoring {
  Scoring(std::shared_ptr<const ServedModel> served, double threshold)
      : model(std::move(served)),
        inputs(model->bundle.encoder.inputs()),
        fields(model->bundle.target, threshold),
        id_is_input(std::any_of(inputs.begin(), inputs.end(),
                                [](const models::InputColumn& c) { return c.name == "id"; })),
        version_json(model->version.empty() ? std::string("null") : Dump(Json(model->version))) {}

  const std::shared_ptr<const ServedModel> model;  // held for the batch: a swap cannot free it
  const std::vector<models::InputColumn>& inputs;
  const PredictionFields fields;
  const bool id_is_input;
  const std::string version_json;
};

class Consumer {
 public:
  Consumer(ModelSource source, const RedisStreamOptions& options, std::stop_token stop,
           RedisStreamStats& stats)
      : source_(std::move(source)),
        options_(options),
        stop_(std::move(stop)),
        stats_(stats),
        output_(options.output_stream.empty() ? options.location.stream + ":predictions"
                                              : options.output_stream) {}

  Status Run();

 private:
  enum class Phase { kPending, kNew };

  Status Validate() const;
  Status EnsureGroup();
  Status Step();
  Status Recover(Status cause);
  Status Handle(std::vector<Entry>& entries);
  Status TakeModel();
  Request Decode(const Entry& entry) const;
  std::vector<std::string> Answer(std::vector<Request>& requests) const;
  bool SleepFor(milliseconds duration) const;  // false when stopped early
  bool Done() const { return options_.max_messages > 0 && handled() >= options_.max_messages; }
  uint64_t handled() const { return stats_.answered + stats_.errors; }

  const ModelSource source_;
  const RedisStreamOptions& options_;
  const std::stop_token stop_;
  RedisStreamStats& stats_;
  const std::string output_;
  std::unique_ptr<const Scoring> scoring_;  // the batch in hand's model

  std::unique_ptr<RedisClient> redis_;
  Phase phase_ = Phase::kPending;
  std::string pending_cursor_ = "0";
  std::string claim_cursor_ = "0-0";
  Clock::time_point next_claim_;
  Clock::time_point last_entry_;
  bool idle_ = false;  // exit_when_idle has run out
};

Status Consumer::Validate() const {
  const RedisStreamOptions& o = options_;
  if (o.location.stream.empty()) {
    return InvalidArgument("name the stream to read (redis://HOST:PORT[/DB]/STREAM)");
  }
  if (output_ == o.location.stream) {
    return InvalidArgument("the output stream must differ from the input stream '{}'", output_);
  }
  if (o.group.empty()) return InvalidArgument("the consumer group name is empty");
  if (o.consumer.empty()) return InvalidArgument("the consumer name is empty");
  if (o.batch == 0) return InvalidArgument("the batch size must be at least 1");
  if (o.format == RedisRequestFormat::kJson && o.data_field.empty()) {
    return InvalidArgument("the data field name is empty");
  }
  if (!(o.threshold >= 0.0 && o.threshold <= 1.0)) {
    return InvalidArgument("threshold {} is outside [0, 1]", o.threshold);
  }
  if (o.block.count() < 0 || o.claim_idle.count() < 0 || o.exit_when_idle.count() < 0) {
    return InvalidArgument("block, claim-idle and exit-when-idle times must not be negative");
  }
  return Status::Ok();
}

Status Consumer::EnsureGroup() {
  const std::string_view stream = options_.location.stream;
  Result<RedisReply> created = redis_->Command(
      {"XGROUP", "CREATE", stream, options_.group, options_.group_start_id, "MKSTREAM"});
  if (created.ok() || IsRedisError(created.status(), "BUSYGROUP")) return Status::Ok();
  return created.status().WithContext(
      fmt::format("creating consumer group '{}' on '{}'", options_.group, stream));
}

// Between batches, never within one: every answer of a batch comes from one model version.
Status Consumer::TakeModel() {
  std::shared_ptr<const ServedModel> model = source_();
  if (model == nullptr) return FailedPrecondition("no model to score with");
  if (scoring_ == nullptr || scoring_->model != model) {
    if (scoring_ != nullptr) {
      SLUICE_LOG_INFO("redis consumer: now scoring with {} version {}", model->uri, model->version);
    }
    scoring_ = std::make_unique<const Scoring>(std::move(model), options_.threshold);
  }
  return Status::Ok();
}

Status Consumer::Run() {
  SLUICE_RETURN_IF_ERROR(Validate());
  SLUICE_RETURN_IF_ERROR(TakeModel());
  const RedisLocation& at = options_.location;
  SLUICE_ASSIGN_OR_RETURN(
      redis_, RedisClient::Connect({.host = at.host,
                                    .port = at.port,
                                    .db = at.db,
                                    .user = at.user,
                                    .password = at.password,
                                    .connect_timeout = options_.connect_timeout,
                                    .reply_timeout = options_.reply_timeout + options_.block}));
  SLUICE_RETURN_IF_ERROR(EnsureGroup());
  SLUICE_LOG_DEBUG("redis {}: consuming '{}' as {}/{}, answering to '{}'", redis_->address(),
                   at.stream, options_.group, options_.consumer, output_);
  next_claim_ = Clock::now();
  last_entry_ = Clock::now();
  while (!stop_.stop_requested() && !Done() && !idle_) {
    Status status = Step();
    if (status.code() == StatusCode::kUnavailable) status = Recover(std::move(status));
    SLUICE_RETURN_IF_ERROR(status);
  }
  return Status::Ok();
}

Status Consumer::Step() {
  size_t limit = options_.batch;
  if (options_.max_messages > 0) {
    limit = static_cast<size_t>(std::min<uint64_t>(limit, options_.max_messages - handled()));
  }
  const std::string count = std::to_string(limit);
  const std::string_view stream = options_.location.stream;
  std::vector<Entry> entries;

  if (phase_ == Phase::kPending) {
    // Entries this consumer read before and never acknowledged (a crash, a lost connection).
    Result<RedisReply> reply =
        redis_->Command({"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT", count,
                         "STREAMS", stream, pending_cursor_});
    if (IsRedisError(reply.status(), "NOGROUP")) return EnsureGroup();
    SLUICE_RETURN_IF_ERROR(reply.status());
    SLUICE_ASSIGN_OR_RETURN(entries, ParseRead(*reply));
    if (entries.empty()) {
      phase_ = Phase::kNew;
      return Status::Ok();
    }
    pending_cursor_ = entries.back().id;
    stats_.redelivered += entries.size();
  } else if (options_.claim_idle.count() > 0 && Clock::now() >= next_claim_) {
    const std::string min_idle = std::to_string(options_.claim_idle.count());
    Result<RedisReply> reply =
        redis_->Command({"XAUTOCLAIM", stream, options_.group, options_.consumer, min_idle,
                         claim_cursor_, "COUNT", count});
    if (IsRedisError(reply.status(), "NOGROUP")) return EnsureGroup();
    SLUICE_RETURN_IF_ERROR(reply.status());
    if (!reply->is_array() || reply->elements.size() < 2 || !reply->elements[0].is_string()) {
      return Internal("unexpected reply to XAUTOCLAIM");
    }
    SLUICE_ASSIGN_OR_RETURN(entries, ParseEntries(reply->elements[1], "XAUTOCLAIM"));
    // Redis 7 lists the claimed ids whose entries were trimmed away (and drops them from the
    // pending list): answer them with an error too, so every request id gets an answer.
    if (reply->elements.size() >= 3 && reply->elements[2].is_array()) {
      for (const RedisReply& id : reply->elements[2].elements) {
        if (id.is_string()) entries.push_back({.id = id.text, .deleted = true, .fields = {}});
      }
    }
    claim_cursor_ = reply->elements[0].text;
    if (claim_cursor_ == "0-0") {  // the whole pending list was scanned
      next_claim_ = Clock::now() + std::max(options_.claim_idle / 2, milliseconds(10));
    }
    stats_.reclaimed += entries.size();
  } else {
    milliseconds block = options_.block;
    if (options_.claim_idle.count() > 0) {
      block = std::min(block, std::chrono::duration_cast<milliseconds>(next_claim_ - Clock::now()) +
                                  milliseconds(1));
    }
    // BLOCK 0 would wait forever.
    const std::string block_ms = std::to_string(std::max<int64_t>(block.count(), 1));
    Result<RedisReply> reply =
        redis_->Command({"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT", count,
                         "BLOCK", block_ms, "STREAMS", stream, ">"});
    if (IsRedisError(reply.status(), "NOGROUP")) return EnsureGroup();
    SLUICE_RETURN_IF_ERROR(reply.status());
    SLUICE_ASSIGN_OR_RETURN(entries, ParseRead(*reply));
    if (entries.empty()) {
      idle_ = options_.exit_when_idle.count() > 0 &&
              Clock::now() - last_entry_ >= options_.exit_when_idle;
      return Status::Ok();
    }
  }
  if (entries.empty()) return Status::Ok();
  last_entry_ = Clock::now();
  return Handle(entries);
}

Status Consumer::Recover(Status cause) {
  const Clock::time_point start = Clock::now();
  milliseconds delay = std::min(milliseconds(100), std::max(options_.max_backoff, milliseconds(1)));
  Status last = std::move(cause);
  for (;;) {
    SLUICE_LOG_WARN("{}; reconnecting in {} ms", last.message(), delay.count());
    if (!SleepFor(delay)) return Status::Ok();  // stopping: nothing in hand to finish
    last = redis_->Reconnect();
    if (last.ok()) last = EnsureGroup();
    if (last.ok()) {
      ++stats_.reconnects;
      // What was read before and not acknowledged is pending under this consumer: read it again.
      phase_ = Phase::kPending;
      pending_cursor_ = "0";
      SLUICE_LOG_INFO("redis {}: reconnected", redis_->address());
      return Status::Ok();
    }
    if (last.code() != StatusCode::kUnavailable) return last;
    if (options_.reconnect_timeout.count() > 0 &&
        Clock::now() - start >= options_.reconnect_timeout) {
      return Unavailable("gave up reconnecting after {} ms: {}", options_.reconnect_timeout.count(),
                         last.message());
    }
    delay = std::min(delay * 2, std::max(options_.max_backoff, milliseconds(1)));
  }
}

bool Consumer::SleepFor(milliseconds duration) const {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  return !wake.wait_for(lock, stop_, duration, [] { return false; }) && !stop_.stop_requested();
}

Request Consumer::Decode(const Entry& entry) const {
  Request r;
  if (entry.deleted) {
    r.error = "the entry was deleted from the stream before it was answered";
    return r;
  }
  const std::vector<models::InputColumn>& inputs = scoring_->inputs;
  if (options_.format == RedisRequestFormat::kJson) {
    auto field = std::find_if(entry.fields.begin(), entry.fields.end(),
                              [this](const auto& f) { return f.first == options_.data_field; });
    if (field == entry.fields.end()) {
      r.error = fmt::format(
          "the entry has no field '{}' (it should hold the request as a JSON object of "
          "column -> value)",
          options_.data_field);
      return r;
    }
    r.record = Json::parse(field->second, nullptr, /*allow_exceptions=*/false);
    if (r.record.is_discarded()) {
      r.error = fmt::format("field '{}' is not valid JSON", options_.data_field);
      return r;
    }
    if (!r.record.is_object()) {
      r.error = fmt::format("field '{}': expected a JSON object, got {}", options_.data_field,
                            r.record.type_name());
      return r;
    }
    if (!scoring_->id_is_input) {
      if (auto it = r.record.find("id"); it != r.record.end()) {
        r.id = std::move(*it);
        r.record.erase("id");
      }
    }
    return r;
  }
  r.record = Json::object();
  for (const auto& [name, value] : entry.fields) {
    if (name == "id" && !scoring_->id_is_input) {
      r.id = Json(value);
      continue;
    }
    auto input = std::find_if(inputs.begin(), inputs.end(),
                              [&name](const models::InputColumn& c) { return c.name == name; });
    if (input == inputs.end() || !IsNumericInput(*input)) {
      r.record[name] = value;  // DecodeRecords names an unknown column
      continue;
    }
    if (value.empty()) {
      r.record[name] = nullptr;
      continue;
    }
    double number = 0;
    const char* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, number);
    if (ec == std::errc() && ptr == end) {
      r.record[name] = number;
    } else {
      r.record[name] = value;  // DecodeRecords says "expected a number"
    }
  }
  return r;
}

// The answer text of each request: a prediction JSON object, or (error set) the error message.
std::vector<std::string> Consumer::Answer(std::vector<Request>& requests) const {
  const std::vector<models::InputColumn>& inputs = scoring_->inputs;
  const models::Predictor& predictor = *scoring_->model->predictor;
  const size_t outputs = predictor.num_outputs();
  std::vector<size_t> good;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].error.empty()) good.push_back(i);
  }
  // Fast path: the whole batch as one table and one Predict call.
  std::vector<std::vector<double>> scores(requests.size());
  bool scored = false;
  if (!good.empty()) {
    Json records = Json::array();
    for (size_t i : good) records.push_back(requests[i].record);
    Result<table::Table> table = DecodeRecords(records, inputs);
    if (table.ok()) {
      Result<std::vector<double>> all = predictor.Predict(*table);
      if (all.ok() && all->size() == good.size() * outputs) {
        for (size_t k = 0; k < good.size(); ++k) {
          scores[good[k]].assign(all->begin() + static_cast<ptrdiff_t>(k * outputs),
                                 all->begin() + static_cast<ptrdiff_t>((k + 1) * outputs));
        }
        scored = true;
      }
    }
  }
  // Slow path, when something in the batch is wrong: entry by entry, so only the bad ones fail.
  if (!scored) {
    for (size_t i : good) {
      Result<table::Table> table = DecodeRecords(requests[i].record, inputs);
      if (!table.ok()) {
        requests[i].error = WithoutRowZero(table.status().message());
        continue;
      }
      Result<std::vector<double>> one = predictor.Predict(*table);
      if (!one.ok()) {
        requests[i].error = WithoutRowZero(one.status().message());
      } else if (one->size() != outputs) {
        requests[i].error =
            fmt::format("the model gave {} scores for one row of {} outputs", one->size(), outputs);
      } else {
        scores[i] = std::move(one).value();
      }
    }
  }
  std::vector<std::string> answers(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    std::string& out = answers[i];
    if (!r.error.empty()) {
      out = r.error;
      continue;
    }
    out += '{';
    if (r.id) {
      out += "\"id\":";
      out += Dump(*r.id);
      out += ',';
    }
    scoring_->fields.AppendJson(scores[i], out);
    out += ",\"model_version\":";
    out += scoring_->version_json;
    out += '}';
  }
  return answers;
}

Status Consumer::Handle(std::vector<Entry>& entries) {
  stats_.read += entries.size();
  SLUICE_RETURN_IF_ERROR(TakeModel());
  std::vector<Request> requests;
  requests.reserve(entries.size());
  for (const Entry& entry : entries) requests.push_back(Decode(entry));
  const std::vector<std::string> answers = Answer(requests);

  const std::string max_len = std::to_string(options_.output_max_len);
  std::vector<std::string_view> argv;
  for (size_t i = 0; i < entries.size(); ++i) {
    argv = {"XADD", output_};
    if (options_.output_max_len > 0) argv.insert(argv.end(), {"MAXLEN", "~", max_len});
    argv.insert(argv.end(), {"*", "request_id", entries[i].id,
                             requests[i].error.empty() ? "prediction" : "error", answers[i]});
    SLUICE_RETURN_IF_ERROR(redis_->Append(argv));
  }
  // Every result must be stored before any request is acknowledged.
  Status first_error;
  for (size_t i = 0; i < entries.size(); ++i) {
    Result<RedisReply> added = redis_->GetReply();
    if (added.status().code() == StatusCode::kUnavailable) return added.status();
    if (!added.ok() && first_error.ok()) first_error = added.status();
  }
  if (!first_error.ok()) {
    return first_error.WithContext(fmt::format("writing results to '{}'", output_));
  }
  argv = {"XACK", options_.location.stream, options_.group};
  for (const Entry& entry : entries) argv.push_back(entry.id);
  SLUICE_ASSIGN_OR_RETURN(RedisReply acked, redis_->Command(argv));
  stats_.acked += static_cast<uint64_t>(std::max<int64_t>(acked.integer, 0));
  for (const Request& r : requests) ++(r.error.empty() ? stats_.answered : stats_.errors);
  ++stats_.batches;
  if (options_.on_batch) options_.on_batch(stats_);
  return Status::Ok();
}

}  // namespace

Result<RedisLocation> ParseRedisStreamUrl(std::string_view url) {
  constexpr std::string_view kForm = "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]/STREAM";
  Result<Uri> parsed = Uri::Parse(url);
  if (!parsed.ok()) return InvalidArgument("redis URL '{}': expected {}", url, kForm);
  const Uri& uri = *parsed;
  if (uri.scheme == "rediss") {
    return Unimplemented("redis URL '{}': TLS (rediss://) is not supported; use redis://", url);
  }
  if (uri.scheme != "redis" || !uri.has_authority) {
    return InvalidArgument("redis URL '{}': expected {}", url, kForm);
  }
  if (!uri.query.empty() || !uri.fragment.empty()) {
    return InvalidArgument("redis URL '{}': options after '?' or '#' are not supported", url);
  }
  RedisLocation at;
  if (!uri.host.empty()) at.host = uri.host;
  if (uri.port) at.port = *uri.port;
  if (at.port <= 0 || at.port > 65535) {
    return InvalidArgument("redis URL '{}': port {} is outside 1-65535", url, at.port);
  }
  SLUICE_ASSIGN_OR_RETURN(at.user, PercentDecode(uri.user));
  SLUICE_ASSIGN_OR_RETURN(at.password, PercentDecode(uri.password));
  std::string_view path = uri.path;
  if (path.starts_with('/')) path.remove_prefix(1);
  const size_t slash = path.find('/');
  if (slash != std::string_view::npos && slash > 0 && slash + 1 < path.size() &&
      path.substr(0, slash).find_first_not_of("0123456789") == std::string_view::npos) {
    const std::string_view db = path.substr(0, slash);
    auto [ptr, ec] = std::from_chars(db.data(), db.data() + db.size(), at.db);
    if (ec != std::errc() || ptr != db.data() + db.size()) {
      return InvalidArgument("redis URL '{}': database '{}' is not a small number", url, db);
    }
    path.remove_prefix(slash + 1);
  }
  Result<std::string> stream = PercentDecode(path);
  if (!stream.ok()) return InvalidArgument("redis URL '{}': {}", url, stream.status().message());
  at.stream = std::move(stream).value();
  if (at.stream.empty()) {
    return InvalidArgument("redis URL '{}': name the stream to read: {}", url, kForm);
  }
  return at;
}

Status ConsumeRedisStream(ModelSource model, const RedisStreamOptions& options,
                          std::stop_token stop, RedisStreamStats* stats) {
  RedisStreamStats local;
  RedisStreamStats& counts = stats != nullptr ? *stats : local;
  try {
    Consumer consumer(std::move(model), options, std::move(stop), counts);
    return consumer.Run();
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("out of memory scoring a batch of up to {} entries", options.batch);
  } catch (const std::exception& e) {
    return Internal("consuming redis stream '{}': {}", options.location.stream, e.what());
  }
}

}  // namespace sluice::serving
