// The Redis Streams consumer against a real redis-server on loopback (started per test).
#include "serving/redis_stream.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "serving/churn_test_model.h"
#include "serving/internal/redis_client.h"
#include "serving/redis_test_server.h"
#include "testing/status_matchers.h"

namespace sluice::serving {
namespace {

using internal::RedisClient;
using internal::RedisReply;
using ::sluice::testing::IsOk;
using ::sluice::testing::RedisTestServer;
using ::sluice::testing::StatusIs;
using testing::ChurnTestModel;
using testing::ChurnTestScore;
using ::testing::HasSubstr;
using Json = nlohmann::json;
using std::chrono::milliseconds;

using Fields = std::map<std::string, std::string>;

TEST(ParseRedisStreamUrlTest, ReadsHostPortDatabaseAndStream) {
  ASSERT_OK_AND_ASSIGN(RedisLocation a, ParseRedisStreamUrl("redis://127.0.0.1:6380/requests"));
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 6380);
  EXPECT_EQ(a.db, 0);
  EXPECT_EQ(a.stream, "requests");

  ASSERT_OK_AND_ASSIGN(RedisLocation b, ParseRedisStreamUrl("redis://cache/2/scoring:req%2Fv1"));
  EXPECT_EQ(b.host, "cache");
  EXPECT_EQ(b.port, 6379);
  EXPECT_EQ(b.db, 2);
  EXPECT_EQ(b.stream, "scoring:req/v1");

  ASSERT_OK_AND_ASSIGN(RedisLocation c, ParseRedisStreamUrl("redis://app:s%40cret@h:1/7"));
  EXPECT_EQ(c.user, "app");
  EXPECT_EQ(c.password, "s@cret");
  EXPECT_EQ(c.db, 0);  // a lone segment is the stream, even if it is digits
  EXPECT_EQ(c.stream, "7");

  EXPECT_THAT(ParseRedisStreamUrl("redis://127.0.0.1:6379"),
              StatusIs(StatusCode::kInvalidArgument,
                       "redis URL 'redis://127.0.0.1:6379': name the stream to read: "
                       "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]/STREAM"));
  EXPECT_THAT(ParseRedisStreamUrl("http://h/s"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected redis://")));
  EXPECT_THAT(ParseRedisStreamUrl("redis://h/s?x=1"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisStreamUrl("rediss://h/s"), StatusIs(StatusCode::kUnimplemented));
}

class RedisStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(model_, ChurnTestModel("3"));
    ASSERT_OK_AND_ASSIGN(server_, RedisTestServer::Start());
    ASSERT_OK_AND_ASSIGN(redis_, server_->Connect());
    options_.location = {.host = "127.0.0.1", .port = server_->port(), .stream = "req"};
    options_.consumer = "worker";
    options_.group_start_id = "0";
    options_.block = milliseconds(50);
  }

  double Score(double x1, const std::string& plan) {
    Result<double> score = ChurnTestScore(*model_, x1, plan);
    EXPECT_OK(score);
    return score.ok() ? *score : 0;
  }

  ModelSource Source() {
    return [this] { return model_; };
  }

  std::string Add(const std::string& stream, const std::vector<std::string>& fields) {
    std::vector<std::string_view> argv = {"XADD", stream, "*"};
    argv.insert(argv.end(), fields.begin(), fields.end());
    Result<RedisReply> id = redis_->Command(argv);
    EXPECT_OK(id);
    return id.ok() ? id->text : "";
  }
  std::string AddJson(const std::string& data) { return Add("req", {"data", data}); }

  // The output stream, oldest first: request_id -> fields (a later duplicate would overwrite).
  std::vector<std::pair<std::string, Fields>> Results(
      const std::string& stream = "req:predictions") {
    std::vector<std::pair<std::string, Fields>> out;
    Result<RedisReply> range = redis_->Command({"XRANGE", stream, "-", "+"});
    EXPECT_OK(range);
    if (!range.ok()) return out;
    for (const RedisReply& entry : range->elements) {
      Fields fields;
      const auto& kv = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < kv.size(); i += 2) fields[kv[i].text] = kv[i + 1].text;
      out.emplace_back(fields["request_id"], fields);
    }
    return out;
  }

  int64_t Pending(const std::string& group = "sluice") {
    Result<RedisReply> summary = redis_->Command({"XPENDING", "req", group});
    EXPECT_OK(summary);
    return summary.ok() ? summary->elements[0].integer : -1;
  }

  int64_t Length(const std::string& stream) {
    Result<RedisReply> n = redis_->Command({"XLEN", stream});
    EXPECT_OK(n);
    return n.ok() ? n->integer : -1;
  }

  bool GroupExists() {
    Result<RedisReply> groups = redis_->Command({"XINFO", "GROUPS", "req"});
    return groups.ok() && groups->elements.size() == 1;
  }

  Status Consume(RedisStreamStats* stats = nullptr) {
    return ConsumeRedisStream(Source(), options_, {}, stats);
  }

  // Polls until `done` or 30 s have passed.
  template <typename F>
  bool Eventually(F done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return done();
  }

  std::shared_ptr<const ServedModel> model_;
  std::unique_ptr<RedisTestServer> server_;
  std::unique_ptr<RedisClient> redis_;
  RedisStreamOptions options_;
};

TEST_F(RedisStreamTest, AnswersEveryEntryWithAPredictionOrAnError) {
  std::vector<std::string> ids;
  ids.push_back(AddJson(R"({"id": 1, "x1": 0.5, "plan": "pro"})"));
  ids.push_back(Add("req", {"payload", "{}"}));
  ids.push_back(AddJson("not json"));
  ids.push_back(AddJson("[1, 2]"));
  ids.push_back(AddJson(R"({"id": "b", "x1": 1})"));
  ids.push_back(AddJson(R"({"x1": 1, "plan": "pro", "age": 3})"));
  ids.push_back(AddJson(R"({"x1": "x", "plan": "pro"})"));
  ids.push_back(AddJson(R"({"x1": -1, "plan": "basic"})"));
  ids.push_back(AddJson(R"({"x1": null, "plan": "gold"})"));
  options_.max_messages = ids.size();
  RedisStreamStats stats;
  ASSERT_OK(Consume(&stats));

  auto results = Results();
  ASSERT_EQ(results.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(results[i].first, ids[i]);
  auto error = [&](size_t i) { return results[i].second.at("error"); };
  EXPECT_EQ(results[0].second.at("prediction"),
            fmt::format(R"({{"id":1,"prediction":{},"predicted_label":"yes","model_version":"3"}})",
                        Score(0.5, "pro")));
  EXPECT_EQ(results[0].second.count("error"), 0u);
  EXPECT_EQ(error(1),
            "the entry has no field 'data' (it should hold the request as a JSON object of "
            "column -> value)");
  EXPECT_EQ(error(2), "field 'data' is not valid JSON");
  EXPECT_EQ(error(3), "field 'data': expected a JSON object, got array");
  EXPECT_EQ(error(4), "input 'plan' is missing; the model takes: x1, plan");
  EXPECT_EQ(error(5), "'age' is not an input of the model; it takes: x1, plan");
  EXPECT_EQ(error(6), "input 'x1': expected a number, got \"x\"");
  EXPECT_EQ(results[7].second.at("prediction"),
            fmt::format(R"({{"prediction":{},"predicted_label":"no","model_version":"3"}})",
                        Score(-1, "basic")));
  EXPECT_EQ(Json::parse(results[8].second.at("prediction"))["prediction"].get<double>(),
            Score(std::nan(""), "gold"));

  EXPECT_EQ(stats.read, 9u);
  EXPECT_EQ(stats.answered, 3u);
  EXPECT_EQ(stats.errors, 6u);
  EXPECT_EQ(stats.acked, 9u);
  EXPECT_EQ(stats.redelivered, 0u);
  EXPECT_EQ(Pending(), 0);  // bad entries are acknowledged too: they never come back
}

TEST_F(RedisStreamTest, ScoresBatchesLikeThePredictorAndTrimsTheOutput) {
  std::map<std::string, std::pair<double, std::string>> sent;  // id -> (x1, plan)
  const char* plans[] = {"basic", "pro", "team"};
  for (int i = 0; i < 1000; ++i) {
    const double x1 = (i % 37) * 0.25 - 4;
    const std::string plan = plans[i % 3];
    sent[AddJson(fmt::format(R"({{"x1": {}, "plan": "{}"}})", x1, plan))] = {x1, plan};
  }
  options_.max_messages = 1000;
  options_.batch = 64;
  options_.output_stream = "answers";
  RedisStreamStats stats;
  ASSERT_OK(Consume(&stats));
  auto results = Results("answers");
  ASSERT_EQ(results.size(), 1000u);
  for (const auto& [id, fields] : results) {
    ASSERT_EQ(sent.count(id), 1u) << id;
    const auto& [x1, plan] = sent[id];
    EXPECT_EQ(Json::parse(fields.at("prediction"))["prediction"].get<double>(), Score(x1, plan));
  }
  EXPECT_EQ(stats.batches, 16u);  // 15 x 64 + 40
  EXPECT_EQ(Pending(), 0);

  // MAXLEN ~ trims whole macro nodes (100 entries each by default), so "about" 10.
  options_.output_max_len = 10;
  options_.max_messages = 500;
  for (int i = 0; i < 500; ++i) AddJson(R"({"x1": 1, "plan": "pro"})");
  ASSERT_OK(Consume());
  EXPECT_GE(Length("answers"), 10);
  EXPECT_LT(Length("answers"), 500);
}

// The source is asked before every batch (as a ModelHost following an alias would answer): a new
// model answers from the next batch on, and each answer names the version that gave it.
TEST_F(RedisStreamTest, AnswersEachBatchWithTheSourcesModelOfThatMoment) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const ServedModel> next, ChurnTestModel("4", -1.0));
  for (int i = 0; i < 6; ++i) AddJson(fmt::format(R"({{"x1": {}, "plan": "pro"}})", i));
  options_.batch = 2;
  options_.max_messages = 6;
  int asked = 0;
  // Asked at start, then once per batch: the first two batches get model 3, the last one 4.
  ModelSource source = [&]() -> std::shared_ptr<const ServedModel> {
    return ++asked <= 3 ? model_ : next;
  };
  RedisStreamStats stats;
  ASSERT_OK(ConsumeRedisStream(source, options_, {}, &stats));
  EXPECT_EQ(asked, 4);
  auto results = Results();
  ASSERT_EQ(results.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    const Json answer = Json::parse(results[static_cast<size_t>(i)].second.at("prediction"));
    const ServedModel& expected = i < 4 ? *model_ : *next;
    EXPECT_EQ(answer["model_version"], expected.version) << i;
    ASSERT_OK_AND_ASSIGN(double score, ChurnTestScore(expected, i, "pro"));
    EXPECT_EQ(answer["prediction"].get<double>(), score) << i;
  }
  EXPECT_NE(Json::parse(results[5].second.at("prediction"))["prediction"].get<double>(),
            Score(5, "pro"));

  // No model is an error before anything is read.
  AddJson(R"({"x1": 1, "plan": "pro"})");
  EXPECT_THAT(ConsumeRedisStream([] { return std::shared_ptr<const ServedModel>(); }, options_),
              StatusIs(StatusCode::kFailedPrecondition, "no model to score with"));
  EXPECT_EQ(Length("req:predictions"), 6);
}

TEST_F(RedisStreamTest, ReadsEntriesWithOneFieldPerInput) {
  options_.format = RedisRequestFormat::kFields;
  const std::string good = Add("req", {"id", "a", "x1", "0.5", "plan", "team"});
  const std::string missing = Add("req", {"x1", "", "plan", "pro"});
  const std::string bad = Add("req", {"x1", "abc", "plan", "pro"});
  const std::string extra = Add("req", {"x1", "1", "plan", "pro", "x9", "1"});
  options_.max_messages = 4;
  ASSERT_OK(Consume());
  auto results = Results();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].first, good);
  EXPECT_EQ(
      results[0].second.at("prediction"),
      fmt::format(R"({{"id":"a","prediction":{},"predicted_label":"yes","model_version":"3"}})",
                  Score(0.5, "team")));
  EXPECT_EQ(Json::parse(results[1].second.at("prediction"))["prediction"].get<double>(),
            Score(std::nan(""), "pro"));
  EXPECT_EQ(results[2].second.at("error"), "input 'x1': expected a number, got \"abc\"");
  EXPECT_EQ(results[3].second.at("error"), "'x9' is not an input of the model; it takes: x1, plan");
}

TEST_F(RedisStreamTest, RunsUntilStoppedAndByDefaultAnswersOnlyNewEntries) {
  const std::string old = AddJson(R"({"x1": 1, "plan": "pro"})");
  options_.group_start_id = "$";
  RedisStreamStats stats;
  Status result = Internal("not run");
  std::stop_source stop;
  std::jthread consumer(
      [&] { result = ConsumeRedisStream(Source(), options_, stop.get_token(), &stats); });
  // The group exists once the consumer is up; entries from then on are answered.
  ASSERT_TRUE(Eventually([&] { return GroupExists(); }));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(AddJson(fmt::format(R"({{"x1": {}, "plan": "pro"}})", i)));
  ASSERT_TRUE(Eventually([&] { return Length("req:predictions") == 5; }));
  stop.request_stop();
  consumer.join();
  EXPECT_OK(result);
  auto results = Results();
  ASSERT_EQ(results.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(results[i].first, ids[i]);
  EXPECT_NE(results[0].first, old);
  EXPECT_EQ(stats.answered, 5u);
}

TEST_F(RedisStreamTest, ReReadsItsOwnPendingEntriesAfterARestart) {
  ASSERT_OK(redis_->Command({"XGROUP", "CREATE", "req", "sluice", "0", "MKSTREAM"}));
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i)
    ids.push_back(AddJson(fmt::format(R"({{"x1": {}, "plan": "pro"}})", i)));
  // A previous life of "worker" read four entries and died before acknowledging them.
  ASSERT_OK(redis_->Command(
      {"XREADGROUP", "GROUP", "sluice", "worker", "COUNT", "4", "STREAMS", "req", ">"}));
  ASSERT_EQ(Pending(), 4);
  options_.max_messages = 10;
  options_.batch = 3;
  RedisStreamStats stats;
  ASSERT_OK(Consume(&stats));
  EXPECT_EQ(stats.redelivered, 4u);
  EXPECT_EQ(stats.answered, 10u);
  auto results = Results();
  ASSERT_EQ(results.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(results[i].first, ids[i]);  // pending ones first
  EXPECT_EQ(Pending(), 0);
}

TEST_F(RedisStreamTest, ClaimsTheEntriesOfADeadConsumer) {
  ASSERT_OK(redis_->Command({"XGROUP", "CREATE", "req", "sluice", "0", "MKSTREAM"}));
  std::map<std::string, int> ids;
  for (int i = 0; i < 6; ++i) ids[AddJson(fmt::format(R"({{"x1": {}, "plan": "pro"}})", i))] = i;
  ASSERT_OK(redis_->Command({"XREADGROUP", "GROUP", "sluice", "dead", "STREAMS", "req", ">"}));
  ASSERT_EQ(Pending(), 6);
  options_.claim_idle = milliseconds(100);
  options_.max_messages = 6;
  RedisStreamStats stats;
  ASSERT_OK(Consume(&stats));
  EXPECT_EQ(stats.reclaimed, 6u);
  auto results = Results();
  ASSERT_EQ(results.size(), 6u);
  for (const auto& [id, fields] : results) {
    ASSERT_EQ(ids.count(id), 1u);
    EXPECT_EQ(Json::parse(fields.at("prediction"))["prediction"].get<double>(),
              Score(ids[id], "pro"));
  }
  EXPECT_EQ(Pending(), 0);
  Result<RedisReply> consumers = redis_->Command({"XINFO", "CONSUMERS", "req", "sluice"});
  ASSERT_OK(consumers);
  EXPECT_EQ(consumers->elements.size(), 2u);  // dead (with nothing pending) and worker
}

TEST_F(RedisStreamTest, ReconnectsWhenRedisRestarts) {
  options_.max_backoff = milliseconds(200);
  RedisStreamStats stats;
  Status result = Internal("not run");
  std::stop_source stop;
  std::jthread consumer(
      [&] { result = ConsumeRedisStream(Source(), options_, stop.get_token(), &stats); });
  AddJson(R"({"x1": 1, "plan": "pro"})");
  ASSERT_TRUE(Eventually([&] { return Length("req:predictions") == 1; }));

  ASSERT_OK(server_->Restart());  // empty: the stream and the group are gone
  ASSERT_OK_AND_ASSIGN(redis_, server_->Connect());
  const std::string id = AddJson(R"({"x1": 2, "plan": "team"})");
  ASSERT_TRUE(Eventually([&] { return Length("req:predictions") == 1; }));
  stop.request_stop();
  consumer.join();
  EXPECT_OK(result);
  EXPECT_GE(stats.reconnects, 1u);
  auto results = Results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].first, id);
  EXPECT_EQ(Json::parse(results[0].second.at("prediction"))["prediction"].get<double>(),
            Score(2, "team"));
}

TEST_F(RedisStreamTest, GivesUpReconnectingAfterTheTimeout) {
  options_.max_backoff = milliseconds(50);
  options_.reconnect_timeout = milliseconds(300);
  Status result;
  std::jthread consumer([&] { result = Consume(); });
  ASSERT_TRUE(Eventually([&] { return GroupExists(); }));
  server_->Stop();
  consumer.join();
  EXPECT_THAT(result, StatusIs(StatusCode::kUnavailable,
                               HasSubstr("gave up reconnecting after 300 ms: redis 127.0.0.1:")));
}

TEST_F(RedisStreamTest, RefusesWhatItCannotDo) {
  options_.output_stream = "req";
  EXPECT_THAT(Consume(), StatusIs(StatusCode::kInvalidArgument,
                                  "the output stream must differ from the input stream 'req'"));
  options_.output_stream = "";

  ASSERT_OK(redis_->Command({"SET", "plain", "x"}));
  options_.location.stream = "plain";
  EXPECT_THAT(Consume(),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("creating consumer group 'sluice' on 'plain': redis 127.0.0.1:")));
  options_.location.stream = "req";

  // An output key that is not a stream: nothing is acknowledged, the entry stays pending.
  ASSERT_OK(redis_->Command({"SET", "req:predictions", "x"}));
  AddJson(R"({"x1": 1, "plan": "pro"})");
  EXPECT_THAT(Consume(), StatusIs(StatusCode::kFailedPrecondition,
                                  HasSubstr("writing results to 'req:predictions': redis ")));
  EXPECT_EQ(Pending(), 1);

  server_->Stop();
  EXPECT_THAT(
      Consume(),
      StatusIs(StatusCode::kUnavailable,
               HasSubstr(fmt::format("redis 127.0.0.1:{}: cannot connect: ", server_->port()))));
}

TEST_F(RedisStreamTest, ALostConnectionIsAnErrorNotASignal) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisClient> client, server_->Connect());
  server_->Stop();
  // Far more than a socket buffer holds: writing it runs into the closed connection (EPIPE), which
  // would raise SIGPIPE and end the test process without the client's guard.
  const std::string big(size_t{1} << 20, 'x');
  for (int i = 0; i < 16; ++i) ASSERT_OK(client->Append({"SET", "k", big}));
  EXPECT_THAT(client->GetReply(), StatusIs(StatusCode::kUnavailable));
  EXPECT_FALSE(client->connected());
  EXPECT_THAT(client->Command({"PING"}),
              StatusIs(StatusCode::kUnavailable, HasSubstr(": PING: not connected")));
}

}  // namespace
}  // namespace sluice::serving
