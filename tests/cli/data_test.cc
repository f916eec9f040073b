// `sluice data` as a user runs it: the real binary on a workspace in a temp folder, including
// kill -9 in the middle of an add and of a gc, a write limit standing in for a full disk, a
// flipped bit in the store, push/pull between two workspaces, and a DVC repository imported.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "base/sha256.h"
#include "testing/sluice_binary.h"
#include "testing/temp_dir.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

using Outcome = testing::CommandOutcome;
using testing::ShellQuote;
using testing::SluiceBinary;

std::string RandomText(size_t bytes, uint32_t seed) {
  std::mt19937 random(seed);
  std::string out(bytes, '\0');
  for (char& c : out) c = static_cast<char>('a' + random() % 26);
  return out;
}

class DataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = dir_.path() / "ws";
    fs::create_directories(ws_);
    ASSERT_EQ(Sluice({"init"}).exit_code, 0);
  }

  // Runs the binary in `cwd` (default: the workspace); `prefix` is shell run before it in the
  // same subshell (ulimit, trap).
  Outcome Sluice(const std::vector<std::string>& args, const fs::path& cwd = {},
                 const std::string& prefix = "") {
    std::string command = "(cd " + ShellQuote((cwd.empty() ? ws_ : cwd).string()) + " && " +
                          prefix + ShellQuote(SluiceBinary());
    for (const std::string& a : args) command += " " + ShellQuote(a);
    command += " < /dev/null > " + ShellQuote((dir_ / "stdout").string()) + " 2> " +
               ShellQuote((dir_ / "stderr").string()) + ")";
    int status = std::system(command.c_str());
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = testing::ReadFile(dir_ / "stdout");
    o.err = testing::ReadFile(dir_ / "stderr");
    return o;
  }

  Json SluiceJson(std::vector<std::string> args, int expected_exit = 0) {
    args.push_back("--json");
    Outcome o = Sluice(args);
    EXPECT_EQ(o.exit_code, expected_exit) << args[1] << ": " << o.err << o.out;
    Json j = Json::parse(o.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << o.out;
    return j;
  }

  void Write(const std::string& rel, const std::string& contents) {
    testing::WriteFile(ws_ / rel, contents);
  }
  std::string Read(const std::string& rel) { return testing::ReadFile(ws_ / rel); }

  // Starts the binary in the workspace without waiting; its output goes to /dev/null.
  pid_t Start(const std::vector<std::string>& args) {
    pid_t pid = fork();
    if (pid == 0) {
      if (chdir(ws_.c_str()) != 0) _exit(127);
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      std::vector<std::string> full = {SluiceBinary()};
      full.insert(full.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (std::string& a : full) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }

  // True once any file exists under `dir` (polled for up to ten seconds).
  static bool WaitForFileIn(const fs::path& dir) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::error_code ec;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  testing::TempDir dir_;
  fs::path ws_;
};

TEST_F(DataTest, AddStatusLogDiffCheckoutTag) {
  Write("data/churn.csv", "id,plan,spend\n1,basic,10.5\n2,pro,20\n3,pro,31\n");
  Outcome added = Sluice({"data", "add", "data/churn.csv", "--name", "churn", "-m", "first"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_THAT(added.out, HasSubstr("Added churn@1: data/churn.csv, 1 file, 45 B, 3 rows x 3 "
                                   "columns"));
  EXPECT_THAT(added.out, HasSubstr("  pointer data/churn.csv.sluice\n"));
  EXPECT_EQ(added.err, "");  // no progress bar when stderr is not a terminal
  EXPECT_THAT(Read("data/churn.csv.sluice"), HasSubstr("name: churn\nversion: 1\n"));

  Json unchanged = SluiceJson({"data", "add", "data/churn.csv", "--name", "churn"});
  EXPECT_EQ(unchanged["unchanged"], true);
  EXPECT_EQ(unchanged["dataset"]["version"], 1);

  Write("data/churn.csv", "id,plan,spend\n1,basic,10.5\n2,pro,25\n3,pro,31\n4,basic,7\n");
  Json status = SluiceJson({"data", "status"});
  ASSERT_EQ(status["paths"].size(), 1u);
  EXPECT_EQ(status["paths"][0]["state"], "modified");
  EXPECT_EQ(status["paths"][0]["path"], "data/churn.csv");
  Outcome human_status = Sluice({"data", "status"});
  EXPECT_THAT(human_status.out, HasSubstr("data/churn.csv (churn@1): modified"));

  Json second = SluiceJson({"data", "add", "data/churn.csv", "--name", "churn", "-m", "row 4"});
  EXPECT_EQ(second["dataset"]["version"], 2);
  EXPECT_EQ(second["dataset"]["changes"]["modified"], 1);

  Json log = SluiceJson({"data", "log", "churn"});
  ASSERT_EQ(log["versions"].size(), 2u);
  EXPECT_EQ(log["versions"][0]["message"], "row 4");
  EXPECT_EQ(log["versions"][1]["runs"], Json::array());
  Outcome human_log = Sluice({"data", "log", "churn"});
  EXPECT_THAT(human_log.out, HasSubstr("VERSION"));
  EXPECT_THAT(human_log.out, HasSubstr("first version"));

  Json diff = SluiceJson({"data", "diff", "churn@1", "churn@2"});
  EXPECT_EQ(diff["modified"].size(), 1u);
  EXPECT_EQ(diff["tables"]["churn.csv"]["rows"], Json({3, 4}));
  Outcome human_diff = Sluice({"data", "diff", "churn@1", "churn"});
  EXPECT_THAT(human_diff.out, HasSubstr("table churn.csv: rows 3 -> 4"));
  EXPECT_THAT(human_diff.out, HasSubstr("spend: count 3 -> 4"));

  ASSERT_EQ(Sluice({"data", "tag", "churn@1", "gold"}).exit_code, 0);
  Outcome taken = Sluice({"data", "tag", "churn@2", "gold"});
  EXPECT_EQ(taken.exit_code, 4);
  EXPECT_THAT(taken.err, HasSubstr("pass --force to move it"));

  Json out = SluiceJson({"data", "checkout", "churn@gold"});
  EXPECT_EQ(out["written_files"], 1);
  EXPECT_EQ(Read("data/churn.csv"), "id,plan,spend\n1,basic,10.5\n2,pro,20\n3,pro,31\n");
  // The pointer still names version 2: checkout from it restores that.
  ASSERT_EQ(Sluice({"data", "checkout", "data/churn.csv.sluice"}).exit_code, 0);
  EXPECT_THAT(Read("data/churn.csv"), HasSubstr("4,basic,7"));
  // Elsewhere, by tag.
  fs::create_directories(ws_ / "old");
  ASSERT_EQ(Sluice({"data", "checkout", "churn@gold", "--to", "old"}).exit_code, 0);
  EXPECT_THAT(Read("old/churn.csv"), HasSubstr("2,pro,20"));

  Write("data/churn.csv", "unsaved work\n");
  Outcome refused = Sluice({"data", "checkout", "churn@1"});
  EXPECT_EQ(refused.exit_code, 5);
  EXPECT_THAT(refused.err, HasSubstr("checkout would overwrite changes that no version holds"));
  EXPECT_EQ(Read("data/churn.csv"), "unsaved work\n");
  EXPECT_EQ(Sluice({"data", "checkout", "churn@1", "--force"}).exit_code, 0);

  Json ls = SluiceJson({"data", "ls"});
  ASSERT_EQ(ls["datasets"].size(), 1u);
  EXPECT_EQ(ls["datasets"][0]["latest"]["version"], 2);
  Outcome show = Sluice({"data", "show", "churn@1"});
  EXPECT_THAT(show.out, HasSubstr("table churn.csv: 3 rows"));
  EXPECT_THAT(show.out, HasSubstr("pro(2)"));
  Outcome hash = Sluice({"data", "hash", "old/churn.csv"});
  EXPECT_EQ(hash.out, Sha256::HexOf("id,plan,spend\n1,basic,10.5\n2,pro,20\n3,pro,31\n") +
                          "  old/churn.csv\n");
}

TEST_F(DataTest, BadPathsGiveClearErrorsAndRecordNothing) {
  Outcome missing = Sluice({"data", "add", "nope.csv", "--name", "n"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.err, "error: 'nope.csv' does not exist\n");
  testing::WriteFile(dir_ / "outside.csv", "x\n");
  Outcome outside = Sluice({"data", "add", (dir_ / "outside.csv").string(), "--name", "n"});
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_THAT(outside.err, HasSubstr("is outside the workspace"));
  fs::create_symlink(ws_ / "loop", ws_ / "loop");
  Outcome loop = Sluice({"data", "add", "loop", "--name", "n"});
  EXPECT_EQ(loop.exit_code, 2);
  EXPECT_EQ(loop.err, "error: 'loop' is a symlink loop\n");
  Outcome bad_name = Sluice({"data", "add", "loop", "--name", "a b"});
  EXPECT_EQ(bad_name.exit_code, 2);
  EXPECT_THAT(Sluice({"data", "ls"}).out, HasSubstr("No datasets"));
  Outcome json_error = Sluice({"data", "log", "nope", "--json"});
  EXPECT_EQ(json_error.exit_code, 3);
  EXPECT_EQ(Json::parse(json_error.err)["error"]["code"], "NOT_FOUND");
}

// An unreadable file stops the add, naming it, and nothing is recorded. Root reads every file, so
// as root (CI) the commands run as nobody (setpriv, util-linux) on a workspace nobody owns.
TEST_F(DataTest, AnUnreadableFileStopsTheAddAndRecordsNothing) {
  Write("u/a.txt", "a");
  Write("u/secret.txt", "s");
  std::string as_user;
  if (::geteuid() == 0) {
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::others_exec);
    for (const auto& entry : fs::recursive_directory_iterator(ws_)) {
      ASSERT_EQ(::lchown(entry.path().c_str(), 65534, 65534), 0) << entry.path();
    }
    ASSERT_EQ(::chown(ws_.c_str(), 65534, 65534), 0);
    as_user = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  }
  fs::permissions(ws_ / "u/secret.txt", fs::perms::none);
  Outcome refused = Sluice({"data", "add", "u", "--name", "u"}, {}, as_user);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("secret.txt"));
  Outcome listed = Sluice({"data", "ls"}, {}, as_user);
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("No datasets"));
  // Readable again, the same command records it.
  fs::permissions(ws_ / "u/secret.txt", fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(Sluice({"data", "add", "u", "--name", "u"}, {}, as_user).exit_code, 0);
}

TEST_F(DataTest, WriteLimitMidAddLeavesTheFileAndTheStoreAsTheyWere) {
  // A file size limit makes the pack write fail part-way, as a full disk would.
  Write("big.txt", RandomText(3 << 20, 1));
  Outcome full =
      Sluice({"data", "add", "big.txt", "--name", "big"}, {}, "trap '' XFSZ; ulimit -f 1024; ");
  EXPECT_NE(full.exit_code, 0);
  EXPECT_THAT(full.err, HasSubstr("error: "));
  EXPECT_EQ(Read("big.txt"), RandomText(3 << 20, 1));
  EXPECT_THAT(Sluice({"data", "ls"}).out, HasSubstr("No datasets"));
  EXPECT_FALSE(fs::exists(ws_ / "big.txt.sluice"));
  // With room again, the same add works.
  ASSERT_EQ(Sluice({"data", "add", "big.txt", "--name", "big"}).exit_code, 0);
  EXPECT_EQ(Sluice({"data", "verify"}).exit_code, 0);
}

TEST_F(DataTest, KillDuringAddLeavesAConsistentStore) {
  for (int i = 0; i < 400; ++i) Write(fmt::format("many/f{:04}.txt", i), RandomText(40'000, i));
  pid_t pid = Start({"data", "add", "many", "--name", "many"});
  ASSERT_TRUE(WaitForFileIn(ws_ / ".sluice" / "objects" / "tmp"));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  // Whatever was recorded is whole; an add after the crash works.
  Outcome verify = Sluice({"data", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  Json added = SluiceJson({"data", "add", "many", "--name", "many"});
  EXPECT_EQ(added["dataset"]["version"], 1);
  EXPECT_EQ(added["dataset"]["file_count"], 400);
  EXPECT_EQ(Sluice({"data", "verify"}).exit_code, 0);
  // The orphaned packs of the killed add are garbage once old enough.
  Json gc = SluiceJson({"data", "gc", "--min-age", "0"});
  Outcome after = Sluice({"data", "verify"});
  EXPECT_EQ(after.exit_code, 0) << after.out;
  fs::remove_all(ws_ / "many");
  ASSERT_EQ(Sluice({"data", "checkout", "many"}).exit_code, 0);
  EXPECT_EQ(Read("many/f0123.txt"), RandomText(40'000, 123));
}

TEST_F(DataTest, KillDuringGcNeverLosesReachableData) {
  for (int v = 0; v < 6; ++v) {
    Write("d/a.txt", RandomText(300'000, 1000 + v));
    Write("d/b.txt", RandomText(300'000, 2000 + v));
    ASSERT_EQ(Sluice({"data", "add", "d", "--name", "d"}).exit_code, 0);
  }
  for (int v = 1; v <= 5; ++v) {
    ASSERT_EQ(Sluice({"data", "rm", fmt::format("d@{}", v)}).exit_code, 0);
  }
  pid_t pid = Start({"data", "gc", "--min-age", "0"});
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  Outcome verify = Sluice({"data", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  // The lease of the killed gc does not block an add (its process is gone).
  Write("e.txt", "e");
  EXPECT_EQ(Sluice({"data", "add", "e.txt", "--name", "e"}).exit_code, 0);
  Json gc = SluiceJson({"data", "gc", "--min-age", "0"});
  EXPECT_EQ(Sluice({"data", "verify"}).exit_code, 0);
  Json again = SluiceJson({"data", "gc", "--min-age", "0", "--dry-run"});
  EXPECT_EQ(again["removed_bytes"], 0);
  fs::remove_all(ws_ / "d");
  ASSERT_EQ(Sluice({"data", "checkout", "d@6"}).exit_code, 0);
  EXPECT_EQ(Read("d/a.txt"), RandomText(300'000, 1005));
}

TEST_F(DataTest, GcPrintsWhatItFrees) {
  Write("g.txt", RandomText(5000, 1));
  ASSERT_EQ(Sluice({"data", "add", "g.txt", "--name", "g"}).exit_code, 0);
  Write("g.txt", RandomText(5000, 2));
  ASSERT_EQ(Sluice({"data", "add", "g.txt", "--name", "g"}).exit_code, 0);
  ASSERT_EQ(Sluice({"data", "tag", "g@1", "keep"}).exit_code, 0);
  Outcome refused = Sluice({"data", "rm", "g@1"});
  EXPECT_EQ(refused.exit_code, 5);
  EXPECT_THAT(refused.err, HasSubstr("keep (version 1)"));
  ASSERT_EQ(Sluice({"data", "rm", "g@1", "--force"}).exit_code, 0);
  Outcome dry = Sluice({"data", "gc", "--dry-run", "--min-age", "0"});
  EXPECT_EQ(dry.exit_code, 0);
  EXPECT_THAT(dry.out, HasSubstr("Would free "));
  Outcome real = Sluice({"data", "gc", "--min-age", "0"});
  EXPECT_THAT(real.out, HasSubstr("Freed "));
  EXPECT_THAT(real.out, HasSubstr("(1 packs, 1 manifests)"));
  EXPECT_EQ(Sluice({"data", "verify"}).exit_code, 0);
}

TEST_F(DataTest, AFlippedBitIsFoundByVerifyAndCheckout) {
  Write("v.txt", "these bytes matter\n");
  ASSERT_EQ(Sluice({"data", "add", "v.txt", "--name", "v"}).exit_code, 0);
  bool flipped = false;
  for (const auto& e : fs::recursive_directory_iterator(ws_ / ".sluice" / "objects")) {
    if (!e.is_regular_file()) continue;
    std::string bytes = testing::ReadFile(e.path());
    const size_t at = bytes.find("these bytes matter");
    if (at == std::string::npos || bytes.starts_with("{")) continue;
    bytes[at + 3] ^= 0x04;
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
    testing::WriteFile(e.path(), bytes);
    flipped = true;
  }
  ASSERT_TRUE(flipped);
  Outcome verify = Sluice({"data", "verify"});
  EXPECT_EQ(verify.exit_code, 8);
  EXPECT_THAT(verify.out, HasSubstr("1 problems"));
  EXPECT_THAT(verify.out, HasSubstr("is corrupt: its bytes hash to"));
  EXPECT_THAT(verify.out, HasSubstr("used by v@1: v.txt"));
  fs::remove(ws_ / "v.txt");
  Outcome checkout = Sluice({"data", "checkout", "v"});
  EXPECT_EQ(checkout.exit_code, 1);
  EXPECT_THAT(checkout.err, HasSubstr("is corrupt"));
  EXPECT_FALSE(fs::exists(ws_ / "v.txt"));
}

TEST_F(DataTest, PushAndPullBetweenWorkspaces) {
  Write("p/a.txt", RandomText(100'000, 1));
  Write("p/b.txt", RandomText(100, 2));
  ASSERT_EQ(Sluice({"data", "add", "p", "--name", "p"}).exit_code, 0);
  Write("p/b.txt", RandomText(200, 3));
  ASSERT_EQ(Sluice({"data", "add", "p", "--name", "p"}).exit_code, 0);
  ASSERT_EQ(Sluice({"data", "tag", "p@1", "first"}).exit_code, 0);
  const fs::path remote = dir_.path() / "remote";
  ASSERT_EQ(Sluice({"data", "remote", "add", "backup", remote.string()}).exit_code, 0);
  Json remotes = SluiceJson({"data", "remote", "list"});
  EXPECT_EQ(remotes["remotes"][0]["default"], true);
  Json pushed = SluiceJson({"data", "push"});
  EXPECT_EQ(pushed["versions"], 2);
  EXPECT_GT(pushed["packs"].get<int>(), 0);
  Json again = SluiceJson({"data", "push"});
  EXPECT_EQ(again["versions"], 0);
  EXPECT_EQ(again["packs"], 0);
  EXPECT_EQ(again["bytes"], 0);

  // Another workspace pulls one version, then the rest.
  const fs::path other = dir_.path() / "other";
  fs::create_directories(other);
  ASSERT_EQ(Sluice({"init"}, other).exit_code, 0);
  ASSERT_EQ(Sluice({"data", "remote", "add", "origin", remote.string()}, other).exit_code, 0);
  Outcome pulled = Sluice({"data", "pull", "p@first", "--json"}, other);
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(Json::parse(pulled.out)["versions"], 1);
  Outcome checkout = Sluice({"data", "checkout", "p@first"}, other);
  ASSERT_EQ(checkout.exit_code, 0) << checkout.err;
  EXPECT_EQ(testing::ReadFile(other / "p" / "b.txt"), RandomText(100, 2));
  EXPECT_EQ(Sluice({"data", "pull"}, other).exit_code, 0);
  Outcome log = Sluice({"data", "log", "p", "--json"}, other);
  EXPECT_EQ(Json::parse(log.out)["versions"].size(), 2u);
  EXPECT_EQ(Sluice({"data", "verify"}, other).exit_code, 0);
  // The pointer file travels with the code; its data comes from the store.
  fs::copy_file(ws_ / "p.sluice", other / "p.sluice", fs::copy_options::overwrite_existing);
  Outcome from_pointer = Sluice({"data", "checkout", "p.sluice", "--force"}, other);
  ASSERT_EQ(from_pointer.exit_code, 0) << from_pointer.err;
  EXPECT_EQ(testing::ReadFile(other / "p" / "b.txt"), RandomText(200, 3));

  // A missing remote pack is reported, not silently skipped.
  Outcome unknown = Sluice({"data", "push", "--remote", "nope"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("no remote named 'nope'"));
}

TEST_F(DataTest, ImportsADvcRepository) {
  // A DVC 3.x repository: one file and one folder output, as dvc add leaves them.
  const fs::path repo = ws_ / "legacy";
  const fs::path cache = repo / ".dvc" / "cache" / "files" / "md5";
  const std::string csv = "a,b\n1,2\n";
  // md5 as DVC computes it (of the raw bytes), from coreutils' md5sum.
  auto md5sum = [&](const std::string& content) {
    testing::WriteFile(dir_ / "probe", content);
    std::system(("md5sum " + ShellQuote((dir_ / "probe").string()) + " > " +
                 ShellQuote((dir_ / "md5.txt").string()))
                    .c_str());
    return testing::ReadFile(dir_ / "md5.txt").substr(0, 32);
  };
  auto cache_put = [&](const std::string& content, const std::string& suffix = "") {
    const std::string md5 = md5sum(content);
    testing::WriteFile(cache / md5.substr(0, 2) / (md5.substr(2) + suffix), content);
    return md5;
  };
  fs::create_directories(repo / ".dvc");
  const std::string file_md5 = cache_put(csv);
  testing::WriteFile(repo / "data.csv.dvc",
                     fmt::format("outs:\n- md5: {}\n  size: {}\n  hash: md5\n  path: data.csv\n",
                                 file_md5, csv.size()));
  const std::string x = "xxx\n", y = RandomText(50'000, 5);
  const std::string x_md5 = cache_put(x), y_md5 = cache_put(y);
  const std::string dir_json = fmt::format(
      "[{{\"md5\": \"{}\", \"relpath\": \"sub/y.bin\"}}, {{\"md5\": \"{}\", \"relpath\": "
      "\"x.txt\"}}]",
      y_md5, x_md5);
  const std::string dir_md5 = cache_put(dir_json, ".dir");
  testing::WriteFile(repo / "images.dvc",
                     fmt::format("outs:\n- md5: {}.dir\n  size: {}\n  nfiles: 2\n  hash: md5\n"
                                 "  path: images\n",
                                 dir_md5, x.size() + y.size()));

  Outcome file = Sluice({"data", "import-dvc", "legacy/data.csv.dvc", "--name", "legacy-csv"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_THAT(file.out, HasSubstr("Imported legacy-csv@1"));
  Json v = SluiceJson({"data", "show", "legacy-csv"});
  EXPECT_EQ(v["dataset"]["path"], "legacy/data.csv");
  EXPECT_EQ(v["dataset"]["table_info"]["files"]["data.csv"]["rows"], 1);
  ASSERT_EQ(Sluice({"data", "checkout", "legacy-csv"}).exit_code, 0);
  EXPECT_EQ(Read("legacy/data.csv"), csv);

  Json folder = SluiceJson({"data", "import-dvc", "legacy/images.dvc", "--name", "images"});
  EXPECT_EQ(folder["files"], 2);
  ASSERT_EQ(Sluice({"data", "checkout", "images", "--to", "restored"}).exit_code, 0);
  EXPECT_EQ(Read("restored/sub/y.bin"), y);
  EXPECT_EQ(Read("restored/x.txt"), x);

  // A corrupt cache object is refused.
  fs::permissions(cache / x_md5.substr(0, 2) / x_md5.substr(2), fs::perms::owner_all,
                  fs::perm_options::add);
  testing::WriteFile(cache / x_md5.substr(0, 2) / x_md5.substr(2), "tampered\n");
  Outcome corrupt = Sluice({"data", "import-dvc", "legacy/images.dvc", "--name", "images2"});
  EXPECT_EQ(corrupt.exit_code, 1);
  EXPECT_THAT(corrupt.err, HasSubstr("the DVC cache is corrupt"));
}

// y follows x (with a few flips); `rows` rows from `seed`.
std::string LabelledCsv(size_t rows, uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::string csv = "x,z,y\n";
  for (size_t i = 0; i < rows; ++i) {
    const double x = u(random), z = u(random);
    csv += fmt::format("{:.4f},{:.4f},{}\n", x, z, (x > 0.5) != (u(random) < 0.05) ? 1 : 0);
  }
  return csv;
}

TEST_F(DataTest, TrainEvaluateAndValidateTakeDatasetVersions) {
  Write("churn.csv", LabelledCsv(300, 1));
  ASSERT_EQ(SluiceJson({"data", "add", "churn.csv", "--name", "churn"})["dataset"]["version"], 1);
  Write("churn.csv", LabelledCsv(200, 2));
  ASSERT_EQ(SluiceJson({"data", "add", "churn.csv", "--name", "churn"})["dataset"]["version"], 2);

  Json trained =
      SluiceJson({"train", "--data", "churn@1", "--target", "y", "--set", "xgboost.num_rounds=20"});
  EXPECT_EQ(trained["rows"]["train"].get<int>() + trained["rows"]["validation"].get<int>() +
                trained["rows"]["test"].get<int>(),
            300);
  const std::string run_id = trained["run_id"];
  Json evaluated = SluiceJson({"evaluate", "--model", "runs:/" + run_id + "/model", "--data",
                               "churn", "--experiment", "checks"});
  EXPECT_EQ(evaluated["rows"], 200);

  // The log names the runs that used each version: training used @1, evaluation @2.
  Json log = SluiceJson({"data", "log", "churn"});
  ASSERT_EQ(log["versions"].size(), 2u);
  EXPECT_EQ(log["versions"][1]["version"], 1);
  EXPECT_EQ(log["versions"][1]["runs"], Json::array({run_id}));
  EXPECT_EQ(log["versions"][0]["runs"], Json::array({evaluated["run_id"]}));

  Outcome inferred = Sluice({"validate", "infer", "churn@1", "--out", "checks.yaml"});
  ASSERT_EQ(inferred.exit_code, 0) << inferred.err;
  EXPECT_THAT(Read("checks.yaml"), HasSubstr("name: churn\n"));
  // --suite: the data must pass before training, or nothing is recorded.
  Json checked = SluiceJson({"train", "--data", "churn@1", "--target", "y", "--suite",
                             "checks.yaml", "--set", "xgboost.num_rounds=5"});
  EXPECT_EQ(checked["data_check"]["passed"], true) << checked.dump();
  Write("low.yaml",
        "expectations:\n  - expect_column_values_to_be_between: {column: x, max_value: 0.5}\n");
  Outcome refused = Sluice({"train", "--data", "churn@2", "--target", "y", "--suite", "low.yaml"});
  EXPECT_EQ(refused.exit_code, 5);
  EXPECT_THAT(refused.err, HasSubstr("data churn@2 fails the suite"));
  EXPECT_THAT(refused.err, HasSubstr("(expect_column_values_to_be_between) on x: "));
  Json validated = SluiceJson({"validate", "run", "churn@1", "--suite", "checks.yaml"});
  EXPECT_EQ(validated["meta"]["rows"], 300);
  EXPECT_EQ(validated["success"], true);
  EXPECT_EQ(validated["meta"]["active_batch_definition"]["data_asset_name"], "churn@1");
  // Each check of a version is kept with it.
  Sluice({"validate", "run", "churn@2", "--suite", "low.yaml"});
  Json shown = SluiceJson({"data", "show", "churn@2"});
  ASSERT_EQ(shown["validations"].size(), 1u) << shown.dump();
  EXPECT_EQ(shown["validations"][0]["success"], false);
  EXPECT_EQ(shown["validations"][0]["failed"], 1);
  EXPECT_EQ(shown["validations"][0]["suite"], "low");
  Json checked_log = SluiceJson({"data", "log", "churn"});
  ASSERT_EQ(checked_log["versions"][1]["validations"].size(), 1u);
  EXPECT_EQ(checked_log["versions"][1]["validations"][0]["success"], true);
  EXPECT_EQ(checked_log["versions"][1]["validations"][0]["rows"], 300);
  EXPECT_THAT(Sluice({"data", "log", "churn"}).out, HasSubstr("FAILED 1 of 1 (low)"));
  Json skew = SluiceJson({"validate", "skew", "-r", "churn@1", "-c", "churn@1"});
  EXPECT_EQ(skew["anomaly"], false) << skew.dump();
  ASSERT_EQ(skew["columns"].size(), 3u);
  EXPECT_EQ(skew["columns"][0]["reference_count"], 300);

  Outcome missing = Sluice({"validate", "run", "churn@9", "--suite", "checks.yaml"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("'churn@9' is neither a file nor a dataset version"));
  Outcome outside = Sluice(
      {"validate", "run", "churn@1", "--suite", (ws_ / "checks.yaml").string()}, dir_.path());
  EXPECT_NE(outside.exit_code, 0);
  EXPECT_THAT(outside.err, HasSubstr("'churn@1' is not a file, and it cannot be looked up"));

  // A version runs used keeps its bytes until the user insists: rm names the runs.
  Outcome kept = Sluice({"data", "rm", "churn@1"});
  EXPECT_EQ(kept.exit_code, 5) << kept.err;
  EXPECT_THAT(kept.err, HasSubstr("runs used what would be removed: churn@1 (2: "));
  EXPECT_THAT(kept.err, HasSubstr("pass --force to remove it anyway"));
  Outcome all_kept = Sluice({"data", "rm", "churn", "--all"});
  EXPECT_THAT(all_kept.err,
              HasSubstr("churn@2 (1: " + evaluated["run_id"].get<std::string>().substr(0, 8)));
  EXPECT_EQ(SluiceJson({"data", "log", "churn"})["versions"].size(), 2u);
  ASSERT_EQ(Sluice({"data", "rm", "churn@1", "--force"}).exit_code, 0);
  EXPECT_EQ(SluiceJson({"data", "log", "churn"})["versions"].size(), 1u);
}

TEST_F(DataTest, EveryDataCommandHasHelpWithJson) {
  for (std::vector<std::string> command :
       std::vector<std::vector<std::string>>{{"data", "add"},
                                             {"data", "status"},
                                             {"data", "log"},
                                             {"data", "ls"},
                                             {"data", "show"},
                                             {"data", "diff"},
                                             {"data", "checkout"},
                                             {"data", "tag"},
                                             {"data", "rm"},
                                             {"data", "verify"},
                                             {"data", "gc"},
                                             {"data", "push"},
                                             {"data", "pull"},
                                             {"data", "import-dvc"},
                                             {"data", "hash"},
                                             {"data", "remote", "add"},
                                             {"data", "remote", "list"},
                                             {"data", "remote", "remove"}}) {
    command.push_back("--help");
    Outcome o = Sluice(command);
    EXPECT_EQ(o.exit_code, 0) << command[1];
    EXPECT_THAT(o.out, HasSubstr("--json")) << command[1];
  }
  EXPECT_THAT(Sluice({"data", "add", "--help"}).out, HasSubstr("--name"));
  EXPECT_THAT(Sluice({"data", "gc", "--help"}).out, HasSubstr("--dry-run"));
  EXPECT_THAT(Sluice({"data", "checkout", "--help"}).out, HasSubstr("--force"));
}

}  // namespace
}  // namespace sluice::cli
