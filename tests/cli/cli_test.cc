// The `sluice` binary as a user runs it: exit codes, output, --json, --help.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/clock.h"
#include "http/client.h"
#include "storage/workspace.h"
#include "testing/sluice_binary.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tracking/tracking_store.h"

namespace sluice::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Outcome = testing::CommandOutcome;

class CliTest : public ::testing::Test {
 protected:
  Outcome Sluice(const std::vector<std::string>& args) {
    return testing::RunSluice(dir_.path(), args);
  }

  testing::TempDir dir_;
};

TEST_F(CliTest, InitCreatesTheWorkspaceOnce) {
  Outcome first = Sluice({"init", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto json = nlohmann::json::parse(first.out);
  EXPECT_EQ(json["schema"]["tracking"], 1);
  EXPECT_TRUE(std::filesystem::exists(dir_ / ".sluice/sluice.db"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / ".sluice/config.yaml"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / ".sluice/objects"));

  Outcome second = Sluice({"init"});
  EXPECT_EQ(second.exit_code, 4);
  EXPECT_THAT(second.err, HasSubstr("error: "));
}

// Settings read when the process starts are set by starting again (cli.cc); a user's own stay.
TEST_F(CliTest, StartsAgainWithRuntimeSettingsUnlessTheUserSetThem) {
  struct SavedEnv {
    std::string name;
    std::optional<std::string> value;
    explicit SavedEnv(std::string n) : name(std::move(n)) {
      if (const char* v = std::getenv(name.c_str())) value = v;
    }
    ~SavedEnv() {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  } omp("OMP_WAIT_POLICY"), tunables("GLIBC_TUNABLES"), level("SLUICE_LOG_LEVEL");
  setenv("SLUICE_LOG_LEVEL", "debug", 1);
  unsetenv("OMP_WAIT_POLICY");
  unsetenv("GLIBC_TUNABLES");
  Outcome r = Sluice({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err,
              HasSubstr("runtime: OMP_WAIT_POLICY=passive GLIBC_TUNABLES=glibc.malloc.hugetlb=1:"
                        "glibc.malloc.mmap_threshold=33554432"));
  setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2", 1);
  r = Sluice({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(
      r.err, HasSubstr("runtime: OMP_WAIT_POLICY=passive GLIBC_TUNABLES=glibc.malloc.arena_max=2"));
}

TEST_F(CliTest, WithoutWorkspaceSaysToInit) {
  Outcome o = Sluice({"experiments", "list"});
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_THAT(o.err, HasSubstr("sluice init"));
}

TEST_F(CliTest, ExperimentsLifecycle) {
  ASSERT_EQ(Sluice({"init"}).exit_code, 0);
  Outcome created = Sluice({"experiments", "create", "churn", "--tag", "team=risk", "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(nlohmann::json::parse(created.out)["experiment_id"], "1");

  Outcome again = Sluice({"experiments", "create", "churn"});
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_THAT(again.err, HasSubstr("experiment 'churn' already exists"));

  Outcome bad_tag = Sluice({"experiments", "create", "x", "--tag", "novalue"});
  EXPECT_EQ(bad_tag.exit_code, 2);
  EXPECT_THAT(bad_tag.err, HasSubstr("expected KEY=VALUE"));

  Outcome list = Sluice({"experiments", "list"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, HasSubstr("churn"));
  EXPECT_THAT(list.out, HasSubstr("Default"));

  Outcome show = Sluice({"experiments", "show", "churn", "--json"});
  ASSERT_EQ(show.exit_code, 0);
  auto experiment = nlohmann::json::parse(show.out)["experiment"];
  EXPECT_EQ(experiment["tags"][0]["value"], "risk");

  ASSERT_EQ(Sluice({"experiments", "rename", "churn", "churn2"}).exit_code, 0);
  ASSERT_EQ(Sluice({"experiments", "delete", "churn2"}).exit_code, 0);
  Outcome active = Sluice({"experiments", "list", "--json"});
  EXPECT_THAT(active.out, Not(HasSubstr("churn2")));
  Outcome deleted = Sluice({"experiments", "list", "--view", "deleted", "--json"});
  EXPECT_THAT(deleted.out, HasSubstr("churn2"));
  ASSERT_EQ(Sluice({"experiments", "restore", "1"}).exit_code, 0);
  EXPECT_EQ(Sluice({"experiments", "show", "nope"}).exit_code, 3);
}

TEST_F(CliTest, RunsListShowCompare) {
  ASSERT_EQ(Sluice({"init"}).exit_code, 0);
  std::vector<std::string> ids;
  {
    ASSERT_OK_AND_ASSIGN(auto ws, storage::Workspace::Open(dir_.path()));
    ASSERT_OK_AND_ASSIGN(auto store,
                         tracking::TrackingStore::Open(ws->database(), SystemClock::Get()));
    ASSERT_OK_AND_ASSIGN(std::string exp, store->CreateExperiment({.name = "churn"}));
    for (int depth : {4, 6, 8}) {
      ASSERT_OK_AND_ASSIGN(
          tracking::Run run,
          store->CreateRun({.experiment_id = exp, .run_name = "depth-" + std::to_string(depth)}));
      ASSERT_OK(store->LogBatch(run.info.run_id, {{"auc", 0.8 + depth / 100.0, 1, 0}},
                                {{"depth", std::to_string(depth)}, {"eta", "0.1"}}, {}));
      ids.push_back(run.info.run_id);
    }
  }
  Outcome list = Sluice({"runs", "list", "-e", "churn", "--filter", "metrics.auc > 0.85",
                         "--order-by", "metrics.auc DESC", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto runs = nlohmann::json::parse(list.out)["runs"];
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["info"]["run_name"], "depth-8");
  EXPECT_EQ(runs[1]["info"]["run_name"], "depth-6");

  Outcome table = Sluice({"runs", "list", "-e", "churn", "--order-by", "metrics.auc"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_LT(table.out.find("depth-4"), table.out.find("depth-8"));
  EXPECT_THAT(table.out, HasSubstr("auc"));

  Outcome bad = Sluice({"runs", "list", "-e", "churn", "--filter", "metrics.auc >"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("filter"));

  Outcome show = Sluice({"runs", "show", ids[0]});
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_THAT(show.out, HasSubstr("depth-4"));
  EXPECT_THAT(show.out, HasSubstr("0.84"));

  Outcome compare = Sluice({"runs", "compare", ids[0], ids[1]});
  ASSERT_EQ(compare.exit_code, 0) << compare.err;
  // depth differs, eta does not.
  EXPECT_THAT(compare.out, HasSubstr("*  param depth"));
  EXPECT_THAT(compare.out, HasSubstr("   param eta"));
  Outcome compare_json = Sluice({"runs", "compare", ids[0], ids[1], "--json"});
  ASSERT_EQ(compare_json.exit_code, 0) << compare_json.err;
  auto keys = nlohmann::json::parse(compare_json.out)["keys"];
  ASSERT_EQ(keys.size(), 3u);  // param depth, param eta, metric auc
  EXPECT_EQ(keys[0]["key"], "depth");
  EXPECT_EQ(keys[0]["differs"], true);
  EXPECT_EQ(keys[0]["values"], nlohmann::json({"4", "6"}));
  EXPECT_EQ(keys[1]["key"], "eta");
  EXPECT_EQ(keys[1]["differs"], false);
  EXPECT_EQ(keys[2]["kind"], "metric");
  EXPECT_EQ(Sluice({"runs", "compare", ids[0]}).exit_code, 2);
  EXPECT_EQ(Sluice({"runs", "show", "0123"}).exit_code, 3);
}

TEST_F(CliTest, ModelsRegisterAliasPromoteRollback) {
  ASSERT_EQ(Sluice({"init"}).exit_code, 0);
  std::string run_id;
  {
    ASSERT_OK_AND_ASSIGN(auto ws, storage::Workspace::Open(dir_.path()));
    ASSERT_OK_AND_ASSIGN(auto store,
                         tracking::TrackingStore::Open(ws->database(), SystemClock::Get()));
    ASSERT_OK_AND_ASSIGN(std::string exp, store->CreateExperiment({.name = "churn"}));
    ASSERT_OK_AND_ASSIGN(tracking::Run run,
                         store->CreateRun({.experiment_id = exp, .run_name = "train"}));
    run_id = run.info.run_id;
    tracking::DatasetInput input;
    input.dataset = {.name = "customers",
                     .digest = "abc123",
                     .source_type = "local",
                     .source = "data/customers.csv"};
    ASSERT_OK(store->LogInputs(run_id, {input}));
  }
  Outcome reg = Sluice({"models", "register", "churn", "--run", run_id, "--json"});
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  auto v1 = nlohmann::json::parse(reg.out)["model_version"];
  EXPECT_EQ(v1["version"], "1");
  EXPECT_EQ(v1["source"], "runs:/" + run_id + "/model");
  ASSERT_EQ(Sluice({"models", "register", "churn", "--run", run_id}).exit_code, 0);
  EXPECT_EQ(Sluice({"models", "register", "churn", "--run", "0123456789abcdef"}).exit_code, 3);

  Outcome list = Sluice({"models", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out)["registered_models"][0]["name"], "churn");
  Outcome table = Sluice({"models", "list", "--filter", "name LIKE 'ch%'"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("churn"));

  EXPECT_EQ(Sluice({"models", "alias", "churn", "staging", "1"}).exit_code, 0);
  EXPECT_EQ(Sluice({"models", "alias", "churn", "latest", "1"}).exit_code, 2);
  EXPECT_EQ(Sluice({"models", "alias", "churn", "prod", "9"}).exit_code, 3);
  Outcome promote = Sluice({"models", "promote", "churn", "--from", "staging", "--to", "production",
                            "--reason", "auc up", "--json"});
  ASSERT_EQ(promote.exit_code, 0) << promote.err;
  EXPECT_EQ(nlohmann::json::parse(promote.out)["model_version"]["version"], "1");
  EXPECT_EQ(Sluice({"models", "alias", "churn", "production", "2"}).exit_code, 0);
  Outcome rollback = Sluice({"models", "rollback", "churn", "production", "--json"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  EXPECT_EQ(nlohmann::json::parse(rollback.out)["model_version"]["version"], "1");
  EXPECT_EQ(Sluice({"models", "rollback", "churn", "staging"}).exit_code, 5);

  Outcome show = Sluice({"models", "show", "churn"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("production"));
  Outcome lineage = Sluice({"models", "show", "churn", "--version", "1", "--json"});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  auto doc = nlohmann::json::parse(lineage.out);
  EXPECT_EQ(doc["lineage"]["run_id"], run_id);
  EXPECT_EQ(doc["lineage"]["datasets"][0]["name"], "customers");
  Outcome human = Sluice({"models", "show", "churn", "--version", "1"});
  EXPECT_THAT(human.out, HasSubstr("customers"));
  EXPECT_EQ(Sluice({"models", "show", "nope"}).exit_code, 3);
  EXPECT_EQ(Sluice({"models", "show", "churn", "--version", "x"}).exit_code, 2);

  Outcome history = Sluice({"models", "history", "churn", "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  auto entries = nlohmann::json::parse(history.out)["entries"];
  ASSERT_GE(entries.size(), 5u);
  bool saw_reason = false;
  for (const auto& e : entries) saw_reason = saw_reason || e["reason"] == "auc up";
  EXPECT_TRUE(saw_reason);
  EXPECT_THAT(Sluice({"models", "history", "churn"}).out, HasSubstr("ACTION"));

  // A version an alias points at needs --force.
  EXPECT_EQ(Sluice({"models", "delete", "churn", "--version", "1"}).exit_code, 5);
  EXPECT_EQ(Sluice({"models", "delete", "churn", "--version", "1", "--force"}).exit_code, 0);
  EXPECT_EQ(Sluice({"models", "delete", "churn", "--json"}).exit_code, 0);
  EXPECT_EQ(Sluice({"models", "delete", "churn"}).exit_code, 3);
  EXPECT_EQ(Sluice({"models", "promote", "churn"}).exit_code, 2);
}

TEST_F(CliTest, EveryCommandHasHelpWithJson) {
  for (std::vector<std::string> command :
       std::vector<std::vector<std::string>>{{"init"},
                                             {"server"},
                                             {"experiments", "create"},
                                             {"experiments", "list"},
                                             {"experiments", "show"},
                                             {"experiments", "rename"},
                                             {"experiments", "delete"},
                                             {"experiments", "restore"},
                                             {"runs", "list"},
                                             {"runs", "show"},
                                             {"runs", "compare"},
                                             {"runs", "delete"},
                                             {"runs", "restore"},
                                             {"models", "register"},
                                             {"models", "list"},
                                             {"models", "show"},
                                             {"models", "alias"},
                                             {"models", "promote"},
                                             {"models", "rollback"},
                                             {"models", "history"},
                                             {"models", "delete"},
                                             {"models", "download"},
                                             {"runs", "reproduce"},
                                             {"train"},
                                             {"tune"},
                                             {"evaluate"}}) {
    command.push_back("--help");
    Outcome o = Sluice(command);
    EXPECT_EQ(o.exit_code, 0) << command[0];
    EXPECT_THAT(o.out, HasSubstr("--json")) << command[0] << " " << command[1];
  }
  EXPECT_EQ(Sluice({"no-such-command"}).exit_code, 2);
}

// A small binary-classification CSV whose label follows x1 + plan, with noise.
std::string TrainingCsv(int rows, int seed) {
  std::string csv = "x1,plan,noise,label\n";
  uint32_t state = static_cast<uint32_t>(seed) * 2654435761u + 1;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return (state >> 8) / 16777216.0;
  };
  for (int i = 0; i < rows; ++i) {
    double x1 = next(), noise = next();
    const char* plan = next() < 0.5 ? "basic" : "pro";
    double score = x1 + (plan[0] == 'p' ? 0.3 : 0.0) + 0.2 * (next() - 0.5);
    csv += std::to_string(x1) + "," + plan + "," + std::to_string(noise) + "," +
           (score > 0.65 ? "1" : "0") + "\n";
  }
  return csv;
}

TEST_F(CliTest, TrainEvaluateReproduceDownload) {
  ASSERT_EQ(Sluice({"init"}).exit_code, 0);
  testing::WriteFile(dir_ / "train.csv", TrainingCsv(600, 1));
  testing::WriteFile(dir_ / "holdout.csv", TrainingCsv(300, 2));
  testing::WriteFile(dir_ / "train.yaml",
                     "data: train.csv\ntarget: label\nexclude: [noise]\nxgboost:\n"
                     "  num_rounds: 40\n  nthread: 1\n");

  Outcome trained = Sluice({"train", "--config", "train.yaml", "--register", "churn", "--json"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  auto result = nlohmann::json::parse(trained.out);
  EXPECT_EQ(result["task"], "binary");
  EXPECT_EQ(result["registered"]["version"], "1");
  EXPECT_GT(result["metrics"]["validation_auc"].get<double>(), 0.9);
  const std::string run_id = result["run_id"];

  Outcome weak = Sluice({"train", "--config", "train.yaml", "--register", "churn", "--set",
                         "xgboost.num_rounds=1", "--set", "xgboost.max_depth=1"});
  ASSERT_EQ(weak.exit_code, 0) << weak.err;
  EXPECT_THAT(weak.out, HasSubstr("registered: models:/churn/2"));

  testing::WriteFile(dir_ / "gates.yaml",
                     "gates:\n  - metric: auc\n    min: 0.8\n  - metric: auc\n    min_delta: 0\n");
  Outcome pass = Sluice({"evaluate", "--model", "models:/churn/1", "--data", "holdout.csv",
                         "--baseline", "models:/churn/2", "--gate", "gates.yaml"});
  EXPECT_EQ(pass.exit_code, 0) << pass.err;
  EXPECT_THAT(pass.out, HasSubstr("gate passed"));
  Outcome fail = Sluice({"evaluate", "--model", "models:/churn/2", "--data", "holdout.csv",
                         "--baseline", "models:/churn/1", "--gate", "gates.yaml", "--json"});
  EXPECT_EQ(fail.exit_code, 8) << fail.err;
  EXPECT_EQ(nlohmann::json::parse(fail.out)["passed"], false);

  Outcome again = Sluice({"runs", "reproduce", run_id, "--json"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["identical"], true);

  Outcome download = Sluice({"models", "download", "models:/churn/1", "bundle"});
  ASSERT_EQ(download.exit_code, 0) << download.err;
  for (const char* file : {"MLmodel", "model.json", "sluice.json", "input_example.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / "bundle" / file)) << file;
  }
  Outcome twice = Sluice({"models", "download", "models:/churn/1", "bundle"});
  EXPECT_EQ(twice.exit_code, 4);
  EXPECT_THAT(twice.err, HasSubstr("--force replaces it"));
  EXPECT_EQ(Sluice({"models", "download", "models:/churn/1", "bundle", "--force"}).exit_code, 0);
}

TEST_F(CliTest, TrainRefusesBadConfigWithTheFieldAndFix) {
  ASSERT_EQ(Sluice({"init"}).exit_code, 0);
  testing::WriteFile(dir_ / "train.csv", TrainingCsv(50, 1));
  Outcome typo =
      Sluice({"train", "--data", "train.csv", "--target", "label", "--set", "xgboost.max_dept=3"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.err, HasSubstr("did you mean 'xgboost.max_depth'?"));
  Outcome range =
      Sluice({"train", "--data", "train.csv", "--target", "label", "--set", "split.validation=2"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_THAT(range.err, HasSubstr("split.validation: 2 is out of range [0, 0.9]"));
  Outcome help = Sluice({"train", "--help-config"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("xgboost.learning_rate"));
  Outcome runs = Sluice({"runs", "list", "--json"});
  EXPECT_THAT(runs.out, Not(HasSubstr("run_id")));  // nothing was started
}

// Kills and reaps a child process unless the test already did, so a failed assertion never
// leaves a server behind (it would hold ctest's output pipe open).
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ~ChildGuard() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // SIGTERM, then the exit status; -1 when the child did not exit normally.
  int Terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    pid_t reaped = waitpid(pid_, &status, 0);
    pid_ = -1;
    return reaped > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_;
};

TEST_F(CliTest, ServerServesAndStopsOnSigterm) {
  ASSERT_EQ(Sluice({"init"}).exit_code, 0);
  std::filesystem::path out = dir_ / "server.out";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (std::freopen(out.c_str(), "w", stdout) == nullptr) _exit(126);
    std::string binary = testing::SluiceBinary();
    std::string workspace = dir_.path().string();
    execl(binary.c_str(), binary.c_str(), "server", "--workspace", workspace.c_str(), "--port", "0",
          "--json", static_cast<char*>(nullptr));
    _exit(127);
  }
  ChildGuard server(pid);
  std::string line;
  for (int i = 0; i < 200 && line.empty(); ++i) {
    std::ifstream in(out);
    std::getline(in, line);
    if (line.empty()) usleep(50'000);
  }
  ASSERT_FALSE(line.empty()) << "the server printed nothing";
  auto started = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(started.is_object()) << "not one line of JSON: " << line;
  http::Client client(started["url"].get<std::string>());
  ASSERT_OK_AND_ASSIGN(auto health, client.Get("/health"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "OK");
  EXPECT_EQ(server.Terminate(), 0);
}

TEST_F(CliTest, ServerRefusesAPortOutOfRange) {
  ASSERT_EQ(Sluice({"init"}).exit_code, 0);
  Outcome o = Sluice({"server", "--port", "70000"});
  EXPECT_EQ(o.exit_code, 2);
}

}  // namespace
}  // namespace sluice::cli
