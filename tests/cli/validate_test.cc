// `sluice validate` as a user runs it: infer a suite, edit nothing, run it on good and bad data,
// compare two datasets; exit codes and --json output.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "testing/sluice_binary.h"
#include "testing/temp_dir.h"

namespace sluice::cli {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

using Outcome = testing::CommandOutcome;
using testing::ShellQuote;
using testing::SluiceBinary;

class ValidateTest : public ::testing::Test {
 protected:
  Outcome Sluice(const std::vector<std::string>& args) {
    return testing::RunSluice(dir_.path(), args);
  }

  // id unique, age 20..69, plan from three values, score uniform in [shift, shift + 1).
  static std::string Customers(size_t rows, uint32_t seed, double shift = 0) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<double> score(shift, shift + 1);
    const char* plans[] = {"basic", "pro", "team"};
    std::string out = "id,age,plan,score\n";
    for (size_t r = 0; r < rows; ++r) {
      out += fmt::format("{},{},{},{:.4f}\n", r, 20 + random() % 50, plans[random() % 3],
                         score(random));
    }
    return out;
  }

  testing::TempDir dir_;
};

TEST_F(ValidateTest, InferThenRunPassesOnGoodDataAndFailsOnBadData) {
  testing::WriteFile(dir_ / "train.csv", Customers(500, 1));
  Outcome infer = Sluice({"validate", "infer", "train.csv", "--out", "checks.yaml"});
  ASSERT_EQ(infer.exit_code, 0) << infer.err;
  EXPECT_THAT(infer.out, HasSubstr("wrote checks.yaml:"));
  const std::string yaml = testing::ReadFile(dir_ / "checks.yaml");
  EXPECT_THAT(yaml, HasSubstr("# Inferred by `sluice validate infer` from train.csv"));
  EXPECT_THAT(yaml, HasSubstr("- expect_column_values_to_be_in_set: {column: plan, value_set: "
                              "[basic, pro, team]}"));

  testing::WriteFile(dir_ / "new.csv", Customers(400, 2));
  Outcome run = Sluice({"validate", "run", "new.csv", "--suite", "checks.yaml"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("result   PASSED:"));
  EXPECT_THAT(run.out, HasSubstr("expect_column_values_to_be_unique"));

  testing::WriteFile(dir_ / "bad.csv", "id,age,plan,score\n1,30,pro,0.5\n1,300,gold,0.1\n");
  Outcome bad = Sluice({"validate", "run", "bad.csv", "--suite", "checks.yaml", "--json",
                        "--result-format", "SUMMARY"});
  EXPECT_EQ(bad.exit_code, 8) << bad.err;
  Json result = Json::parse(bad.out);
  EXPECT_EQ(result["success"], false);
  EXPECT_GE(result["statistics"]["unsuccessful_expectations"], 3);
  EXPECT_EQ(result["meta"]["active_batch_definition"]["data_asset_name"], "bad.csv");
  bool saw_plan = false;
  for (const Json& r : result["results"]) {
    if (r["expectation_config"]["expectation_type"] == "expect_column_values_to_be_in_set") {
      saw_plan = true;
      EXPECT_EQ(r["result"]["partial_unexpected_list"], Json({"gold"}));
      EXPECT_EQ(r["result"]["partial_unexpected_index_list"], Json({1}));
      EXPECT_EQ(r["result"]["partial_unexpected_counts"],
                Json::parse(R"([{"value": "gold", "count": 1}])"));
    }
  }
  EXPECT_TRUE(saw_plan);

  Outcome table = Sluice({"validate", "run", "bad.csv", "--suite", "checks.yaml"});
  EXPECT_EQ(table.exit_code, 8);
  EXPECT_THAT(table.out, HasSubstr("FAIL"));
  EXPECT_THAT(table.out, HasSubstr("1 unexpected of 2 (50%): gold"));
}

TEST_F(ValidateTest, GreatExpectationsSuitesAndHtmlReports) {
  testing::WriteFile(dir_ / "data.csv", Customers(300, 3));
  ASSERT_EQ(Sluice({"validate", "infer", "data.csv", "--out", "suite.json"}).exit_code, 0);
  Json suite = Json::parse(testing::ReadFile(dir_ / "suite.json"));
  EXPECT_EQ(suite["expectation_suite_name"], "data");
  EXPECT_TRUE(suite["expectations"][0].contains("expectation_type"));
  Outcome run =
      Sluice({"validate", "run", "data.csv", "--suite", "suite.json", "--html", "report.html"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("report   report.html"));
  const std::string html = testing::ReadFile(dir_ / "report.html");
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("expect_column_values_to_be_in_set"));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
}

// --run-id records the check on a tracking run: metrics, a tag and the result as artifacts, which
// `runs artifacts` lists. A run that does not exist or is deleted is refused before any work.
TEST_F(ValidateTest, RecordsTheResultOnARun) {
  ASSERT_EQ(Sluice({"init"}).exit_code, 0);
  testing::WriteFile(dir_ / "data.csv", Customers(300, 4));
  ASSERT_EQ(Sluice({"validate", "infer", "data.csv", "--out", "checks.yaml"}).exit_code, 0);
  Outcome trained = Sluice({"train", "--data", "data.csv", "--target", "plan", "--set",
                            "xgboost.num_rounds=2", "--json"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const std::string run_id = Json::parse(trained.out)["run_id"];
  testing::WriteFile(dir_ / "bad.csv", "id,age,plan,score\n1,30,pro,0.5\n1,300,gold,0.1\n");
  Outcome checked = Sluice({"validate", "run", "bad.csv", "--suite", "checks.yaml", "--run-id",
                            run_id, "--html", "report.html"});
  EXPECT_EQ(checked.exit_code, 8) << checked.err;
  EXPECT_THAT(checked.out, HasSubstr("recorded on run " + run_id));
  // Keys name the suite (the inferred one is named after its data).

  Json run = Json::parse(Sluice({"runs", "show", run_id, "--json"}).out)["run"];
  std::map<std::string, double> metrics;
  for (const Json& m : run["data"]["metrics"]) metrics[m["key"]] = m["value"];
  EXPECT_EQ(metrics.at("data_validation.data.success"), 0);
  EXPECT_EQ(metrics.at("data_validation.data.rows"), 2);
  EXPECT_GE(metrics.at("data_validation.data.unsuccessful_expectations"), 3);
  std::map<std::string, std::string> tags;
  for (const Json& t : run["data"]["tags"]) tags[t["key"]] = t["value"];
  EXPECT_EQ(tags.at("sluice.data_validation.data"), "failed");

  Json listed = Json::parse(Sluice({"runs", "artifacts", run_id, "data_validation", "--json"}).out);
  ASSERT_EQ(listed["files"].size(), 2u) << listed.dump();
  EXPECT_EQ(listed["files"][0]["path"], "data_validation/data.html");
  EXPECT_EQ(listed["files"][1]["path"], "data_validation/data.json");
  EXPECT_THAT(Sluice({"runs", "artifacts", run_id}).out, HasSubstr("train.yaml"));
  Outcome missing = Sluice({"runs", "artifacts", run_id, "nope"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("has no artifact at 'nope'"));
  // The stored result is Great Expectations' document, as --json prints it.
  ASSERT_EQ(Sluice({"models", "download", "runs:/" + run_id + "/data_validation", "out"}).exit_code,
            0);
  Json stored = Json::parse(testing::ReadFile(dir_ / "out" / "data.json"));
  EXPECT_EQ(stored["success"], false);
  EXPECT_EQ(stored["meta"]["active_batch_definition"]["data_asset_name"], "bad.csv");

  Outcome unknown = Sluice(
      {"validate", "run", "data.csv", "--suite", "checks.yaml", "--run-id", "0123456789abcdef"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("run '0123456789abcdef' does not exist"));
  ASSERT_EQ(Sluice({"runs", "delete", run_id}).exit_code, 0);
  Outcome deleted =
      Sluice({"validate", "run", "data.csv", "--suite", "checks.yaml", "--run-id", run_id});
  EXPECT_EQ(deleted.exit_code, 5);
  EXPECT_THAT(deleted.err, HasSubstr("is deleted; restore it (sluice runs restore "));
}

TEST_F(ValidateTest, BadSuitesAndDataAreUsageErrors) {
  testing::WriteFile(dir_ / "data.csv", Customers(10, 4));
  testing::WriteFile(dir_ / "typo.yaml",
                     "expectations:\n  - expect_column_values_to_be_betwen: {column: age}\n");
  Outcome typo = Sluice({"validate", "run", "data.csv", "--suite", "typo.yaml"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.err,
            "error: typo.yaml line 2: expectation 1: unknown expectation "
            "'expect_column_values_to_be_betwen' (did you mean "
            "'expect_column_values_to_be_between'?); `sluice validate list` shows them all\n");

  testing::WriteFile(dir_ / "column.yaml",
                     "expectations:\n  - expect_column_values_to_not_be_null: {column: agee}\n");
  Outcome column = Sluice({"validate", "run", "data.csv", "--suite", "column.yaml", "--json"});
  EXPECT_EQ(column.exit_code, 3);
  Json error = Json::parse(column.err);
  EXPECT_EQ(error["error"]["message"],
            "expectation 1 (expect_column_values_to_not_be_null): no column 'agee' (did you mean "
            "'age'?)");

  Outcome missing = Sluice({"validate", "run", "nope.csv", "--suite", "column.yaml"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("nope.csv"));

  Outcome format =
      Sluice({"validate", "run", "data.csv", "--suite", "column.yaml", "--result-format", "ALL"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_EQ(format.err,
            "error: --result-format: result_format must be BOOLEAN_ONLY, BASIC, SUMMARY or "
            "COMPLETE, got 'ALL'\n");
}

TEST_F(ValidateTest, SkewComparesColumnsAndExitsEightOnSkew) {
  testing::WriteFile(dir_ / "train.csv", Customers(2000, 5));
  testing::WriteFile(dir_ / "same.csv", Customers(2000, 6));
  testing::WriteFile(dir_ / "shifted.csv", Customers(2000, 7, 3.0));
  Outcome same = Sluice({"validate", "skew", "--reference", "train.csv", "--current", "same.csv"});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_THAT(same.out, HasSubstr("result     no skew"));

  Outcome shifted = Sluice({"validate", "skew", "-r", "train.csv", "-c", "shifted.csv", "--json",
                            "--column-threshold", "id=0.5", "--categorical", "age"});
  EXPECT_EQ(shifted.exit_code, 8) << shifted.err;
  Json skew = Json::parse(shifted.out);
  EXPECT_EQ(skew["anomaly"], true);
  std::map<std::string, Json> by_column;
  for (const Json& c : skew["columns"]) by_column[c["column"]] = c;
  EXPECT_EQ(by_column["score"]["metric"], "jensen_shannon_divergence");
  EXPECT_EQ(by_column["score"]["anomaly"], true);
  EXPECT_GT(by_column["score"]["value"].get<double>(), 0.5);
  EXPECT_EQ(by_column["plan"]["metric"], "l_infinity");
  EXPECT_EQ(by_column["plan"]["anomaly"], false);
  EXPECT_EQ(by_column["age"]["kind"], "categorical");
  EXPECT_EQ(by_column["id"]["threshold"], 0.5);

  Outcome bad =
      Sluice({"validate", "skew", "-r", "train.csv", "-c", "same.csv", "--column-threshold", "id"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "error: --column-threshold 'id': expected column=threshold, e.g. --column-threshold "
            "age=0.2\n");
}

TEST_F(ValidateTest, ListAndHelpDescribeEverything) {
  Outcome list = Sluice({"validate", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  Json specs = Json::parse(list.out);
  EXPECT_GE(specs.size(), 45u);
  EXPECT_EQ(specs[0]["expectation_type"], "expect_column_values_to_not_be_null");
  for (const char* command : {"run", "infer", "skew", "list"}) {
    Outcome help = Sluice({"validate", command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("--json")) << command;
  }
  EXPECT_THAT(Sluice({"validate", "run", "--help"}).out, HasSubstr("--result-format"));
}

}  // namespace
}  // namespace sluice::cli
