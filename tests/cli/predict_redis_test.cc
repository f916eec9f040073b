// `sluice predict --redis-stream` as a user runs it: the real binary against a real redis-server,
// killed with SIGKILL mid-stream and started again, with every request answered at least once.
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "serving/internal/redis_client.h"
#include "serving/redis_test_server.h"
#include "testing/sluice_binary.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

extern char** environ;

namespace sluice::cli {
namespace {

using serving::internal::RedisClient;
using serving::internal::RedisReply;
using ::sluice::testing::RedisTestServer;
using ::testing::HasSubstr;
using Json = nlohmann::json;
using std::chrono::milliseconds;

using Outcome = testing::CommandOutcome;
using testing::Lines;

// A `sluice` process running in the background, its output in files; killed by its PID.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::filesystem::path& out,
          const std::filesystem::path& err)
      : out_(out), err_(err) {
    std::vector<std::string> all = {testing::SluiceBinary()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&files, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int error = posix_spawn(&pid_, argv[0], &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    if (error != 0) {
      ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(error);
      pid_ = -1;
    }
  }
  ~Process() {
    if (pid_ > 0) Signal(SIGKILL);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return false;
    }
    return true;
  }

  // Sends `signal` and waits for the process to end; the exit code, or -1 when a signal ended it.
  Outcome Signal(int signal) {
    if (pid_ > 0) {
      ::kill(pid_, signal);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      pid_ = -1;
    }
    return {exit_code_, testing::ReadFile(out_), testing::ReadFile(err_)};
  }

 private:
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

class PredictRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, RedisTestServer::Start());
    ASSERT_OK_AND_ASSIGN(redis_, server_->Connect());
  }

  Outcome Sluice(const std::vector<std::string>& args, const std::string& stdin_file = "") {
    return testing::RunSluice(dir_.path(), args, stdin_file);
  }

  std::unique_ptr<Process> Start(std::vector<std::string> args, const std::string& name) {
    args.insert(args.end(), {"--workspace", dir_.path().string()});
    return std::make_unique<Process>(args, dir_ / (name + ".out"), dir_ / (name + ".err"));
  }

  // x1 decides y; x2 is along for the ride.
  void TrainModel() {
    ASSERT_EQ(Sluice({"init"}).exit_code, 0);
    std::mt19937 random(1);
    std::normal_distribution<double> normal;
    std::string rows = "x1,x2,y\n";
    for (int r = 0; r < 400; ++r) {
      const double x1 = normal(random);
      rows += fmt::format("{:.3f},{},{}\n", x1, random() % 10,
                          x1 + 0.3 * normal(random) > 0 ? "yes" : "no");
    }
    testing::WriteFile(dir_ / "train.csv", rows);
    Outcome train = Sluice({"train", "--data", "train.csv", "--target", "y", "--register", "m",
                            "--set", "xgboost.num_rounds=20"});
    ASSERT_EQ(train.exit_code, 0) << train.err;
    ASSERT_THAT(train.out, HasSubstr("registered: models:/m/1"));
  }

  // Requests r<first>..r<first+n-1> as JSON objects; the same index always gives the same request.
  static std::vector<std::string> Requests(size_t first, size_t n) {
    std::vector<std::string> out;
    for (size_t i = first; i < first + n; ++i) {
      std::mt19937 random(static_cast<uint32_t>(i));
      std::normal_distribution<double> normal;
      out.push_back(
          fmt::format(R"({{"id":"r{}","x1":{:.3f},"x2":{}}})", i, normal(random), random() % 10));
    }
    return out;
  }

  // XADDs the requests in pipelines of 100; returns their entry ids.
  std::vector<std::string> AddAll(const std::vector<std::string>& requests) {
    std::vector<std::string> ids;
    for (size_t start = 0; start < requests.size(); start += 100) {
      const size_t end = std::min(requests.size(), start + 100);
      for (size_t i = start; i < end; ++i) {
        const std::vector<std::string_view> argv = {"XADD", "req", "*", "data", requests[i]};
        EXPECT_OK(redis_->Append(argv));
      }
      for (size_t i = start; i < end; ++i) {
        Result<RedisReply> id = redis_->GetReply();
        EXPECT_OK(id);
        ids.push_back(id.ok() ? id->text : "");
      }
    }
    return ids;
  }

  int64_t Integer(std::initializer_list<std::string_view> command) {
    Result<RedisReply> n = redis_->Command(command);
    EXPECT_OK(n);
    return n.ok() ? n->integer : -1;
  }

  bool GroupExists() {
    Result<RedisReply> groups = redis_->Command({"XINFO", "GROUPS", "req"});
    return groups.ok() && groups->elements.size() == 1;
  }

  // request_id -> every answer given to it, in order.
  std::map<std::string, std::vector<Json>> Answers() {
    std::map<std::string, std::vector<Json>> out;
    Result<RedisReply> range = redis_->Command({"XRANGE", "req:predictions", "-", "+"});
    EXPECT_OK(range);
    if (!range.ok()) return out;
    for (const RedisReply& entry : range->elements) {
      std::map<std::string, std::string> fields;
      const auto& kv = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < kv.size(); i += 2) fields[kv[i].text] = kv[i + 1].text;
      Json answer = fields.count("prediction") ? Json::parse(fields["prediction"])
                                               : Json{{"error", fields["error"]}};
      out[fields["request_id"]].push_back(std::move(answer));
    }
    return out;
  }

  template <typename F>
  bool Eventually(F done, std::chrono::seconds limit = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return done();
  }

  testing::TempDir dir_;
  std::unique_ptr<RedisTestServer> server_;
  std::unique_ptr<RedisClient> redis_;
};

TEST_F(PredictRedisTest, AKilledConsumerLosesNoRequest) {
  TrainModel();
  constexpr size_t kHalf = 2000;
  const std::vector<std::string> first = Requests(0, kHalf), second = Requests(kHalf, kHalf);

  // What each request must get: the same binary's NDJSON stream over the same requests.
  std::string ndjson;
  for (const auto* part : {&first, &second}) {
    for (const std::string& r : *part) ndjson += r + "\n";
  }
  testing::WriteFile(dir_ / "requests.ndjson", ndjson);
  Outcome stream = Sluice({"predict", "--model", "models:/m/1", "--stream"}, "requests.ndjson");
  ASSERT_EQ(stream.exit_code, 0) << stream.err;
  std::map<std::string, Json>
      expected;  // "r7" -> {"id":"r7","prediction":...,"predicted_label":...}
  for (const std::string& line : Lines(stream.out)) {
    Json answer = Json::parse(line);
    expected[answer["id"].get<std::string>()] = answer;
  }
  ASSERT_EQ(expected.size(), 2 * kHalf);

  const std::vector<std::string> consume = {
      "predict", "--model", "models:/m/1", "--redis-stream", server_->Url("req"), "--consumer",
      "c1",      "--batch", "20",          "--json"};
  auto before = Start(consume, "before");
  ASSERT_TRUE(Eventually([&] { return GroupExists() || !before->running(); }));
  ASSERT_TRUE(before->running()) << testing::ReadFile(dir_ / "before.err");
  std::vector<std::string> ids = AddAll(first);
  // Kill it mid-stream: some requests answered, some not yet, some perhaps answered but not
  // acknowledged.
  ASSERT_TRUE(Eventually([&] { return Integer({"XLEN", "req:predictions"}) >= 200; }));
  Outcome killed = before->Signal(SIGKILL);
  EXPECT_EQ(killed.exit_code, -1);
  const int64_t answered_before = Integer({"XLEN", "req:predictions"});
  Result<RedisReply> pending = redis_->Command({"XPENDING", "req", "sluice"});
  ASSERT_OK(pending);
  const int64_t pending_at_kill = pending->elements[0].integer;
  std::cerr << "killed after " << answered_before << " answers, " << pending_at_kill
            << " requests pending\n";

  // More requests arrive while no consumer runs, then it comes back under the same name.
  std::vector<std::string> more = AddAll(second);
  ids.insert(ids.end(), more.begin(), more.end());
  auto after = Start(consume, "after");
  ASSERT_TRUE(Eventually([&] { return Answers().size() == ids.size() || !after->running(); }))
      << testing::ReadFile(dir_ / "after.err");
  Outcome stopped = after->Signal(SIGTERM);
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;

  std::map<std::string, std::vector<Json>> answers = Answers();
  size_t duplicates = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = answers.find(ids[i]);
    ASSERT_NE(it, answers.end()) << "request " << i << " (" << ids[i] << ") got no answer";
    duplicates += it->second.size() - 1;
    for (Json answer : it->second) {
      ASSERT_FALSE(answer.contains("error")) << answer;
      EXPECT_EQ(answer["model_version"], "1");
      answer.erase("model_version");
      EXPECT_EQ(answer, expected[fmt::format("r{}", i)]) << "request " << i;
    }
  }
  EXPECT_EQ(answers.size(), ids.size());
  Result<RedisReply> left = redis_->Command({"XPENDING", "req", "sluice"});
  ASSERT_OK(left);
  EXPECT_EQ(left->elements[0].integer, 0);
  std::cerr << duplicates << " duplicate answers\n";

  Json summary = Json::parse(stopped.out);
  EXPECT_EQ(summary["redelivered"], pending_at_kill);
  EXPECT_EQ(summary["errors"], 0);
  EXPECT_EQ(summary["consumer"], "c1");
  EXPECT_EQ(summary["output_stream"], "req:predictions");
  EXPECT_EQ(summary["read"], summary["answered"]);
  // Everything not answered before the kill was answered after it, and maybe some again.
  EXPECT_GE(summary["answered"].get<int64_t>(), static_cast<int64_t>(ids.size()) - answered_before);
  EXPECT_EQ(stopped.err, "");  // no progress or logs when stderr is not a terminal
}

// Consuming models:/m@prod follows the alias as `sluice serve` does: after `models alias` moves
// it, answers come from the new version (and say so), with no restart.
TEST_F(PredictRedisTest, FollowsTheAliasItConsumes) {
  TrainModel();
  Outcome second = Sluice({"train", "--data", "train.csv", "--target", "y", "--register", "m",
                           "--set", "xgboost.num_rounds=3"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  ASSERT_EQ(Sluice({"models", "alias", "m", "prod", "1"}).exit_code, 0);
  auto consumer = Start({"predict", "--model", "models:/m@prod", "--redis-stream",
                         server_->Url("req"), "--block-ms", "50", "--json"},
                        "follow");
  ASSERT_TRUE(Eventually([&] { return GroupExists() || !consumer->running(); }));
  ASSERT_TRUE(consumer->running()) << testing::ReadFile(dir_ / "follow.err");
  const std::vector<std::string> requests = Requests(0, 1);
  std::vector<std::string> ids = AddAll(requests);
  ASSERT_TRUE(Eventually([&] { return Answers().size() == 1; }));

  ASSERT_EQ(Sluice({"models", "alias", "m", "prod", "2"}).exit_code, 0);
  // The host polls the registry; keep asking until an answer comes from version 2.
  ASSERT_TRUE(Eventually(
      [&] {
        const std::vector<std::string> more = AddAll(requests);
        ids.insert(ids.end(), more.begin(), more.end());
        std::this_thread::sleep_for(milliseconds(100));
        const auto answers = Answers();
        auto last = answers.find(ids.back());
        return last != answers.end() && last->second[0]["model_version"] == "2";
      },
      std::chrono::seconds(30)));
  Outcome stopped = consumer->Signal(SIGTERM);
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(Json::parse(stopped.out)["model_version"], "2");

  // Same request, both versions: the answers differ, as the models do.
  const auto answers = Answers();
  const Json& first = answers.at(ids.front())[0];
  const Json& last = answers.at(ids.back())[0];
  EXPECT_EQ(first["model_version"], "1");
  EXPECT_NE(first["prediction"], last["prediction"]);
}

TEST_F(PredictRedisTest, ScriptingAndErrors) {
  Outcome help = Sluice({"predict", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--redis-stream", "--group", "--consumer", "--output-stream", "--maxlen",
                           "--group-start", "--fields", "--batch", "--claim-idle-ms",
                           "--max-messages", "--exit-when-idle-ms", "--reconnect-timeout-ms"}) {
    EXPECT_THAT(help.out, HasSubstr(flag));
  }
  TrainModel();
  const std::string url = server_->Url("req");

  // A model that does not load: an error before anything is consumed (no group, no stream).
  Outcome unknown = Sluice({"predict", "--model", "models:/nope/1", "--redis-stream", url});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("nope"));
  EXPECT_EQ(Integer({"EXISTS", "req"}), 0);

  Outcome both = Sluice({"predict", "--model", "models:/m/1", "--redis-stream", url, "--stream"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("excludes"));

  Outcome bad_url = Sluice({"predict", "--model", "models:/m/1", "--redis-stream", "redis://h"});
  EXPECT_EQ(bad_url.exit_code, 2);
  EXPECT_THAT(bad_url.err, HasSubstr("redis URL 'redis://h': name the stream to read"));

  // --max-messages and --exit-when-idle-ms end a run; --group-start 0 answers what was there.
  for (const std::string& r : Requests(0, 3)) {
    ASSERT_OK(redis_->Command({"XADD", "req", "*", "data", r}));
  }
  ASSERT_OK(redis_->Command({"XADD", "req", "*", "x1", "1"}));
  Outcome three = Sluice({"predict", "--model", "models:/m/1", "--redis-stream", url,
                          "--group-start", "0", "--max-messages", "3", "--json"});
  ASSERT_EQ(three.exit_code, 0) << three.err;
  Json summary = Json::parse(three.out);
  EXPECT_EQ(summary["answered"], 3);
  EXPECT_EQ(summary["model_version"], "1");
  Outcome idle = Sluice({"predict", "--model", "models:/m/1", "--redis-stream", url,
                         "--exit-when-idle-ms", "200", "--block-ms", "50"});
  ASSERT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_THAT(idle.out, HasSubstr("answered  1 (1 with an error; 0 redelivered, 0 reclaimed)"));
  std::map<std::string, std::vector<Json>> answers = Answers();
  ASSERT_EQ(answers.size(), 4u);
  std::vector<Json> errors;
  for (const auto& [id, list] : answers) {
    if (list[0].contains("error")) errors.push_back(list[0]["error"]);
  }
  EXPECT_THAT(errors, ::testing::ElementsAre(
                          "the entry has no field 'data' (it should hold the request as a JSON "
                          "object of column -> value)"));

  server_->Stop();
  Outcome down = Sluice({"predict", "--model", "models:/m/1", "--redis-stream", url});
  EXPECT_EQ(down.exit_code, 6);
  EXPECT_THAT(down.err, HasSubstr("cannot connect"));
}

}  // namespace
}  // namespace sluice::cli
