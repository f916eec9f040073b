// `sluice predict` as a user runs it: a model trained and registered by the binary, then scored
// in batch and as a stream.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "testing/sluice_binary.h"
#include "testing/temp_dir.h"

namespace sluice::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

using Outcome = testing::CommandOutcome;
using testing::Lines;

class PredictTest : public ::testing::Test {
 protected:
  // Runs the binary in the test's folder; `stdin_file` (relative to it) is fed as its input.
  Outcome Sluice(const std::vector<std::string>& args, const std::string& stdin_file = "") {
    return testing::RunSluice(dir_.path(), args, stdin_file);
  }

  // x1 decides y; id and x2 are along for the ride.
  static std::string Rows(size_t rows, bool with_label, uint32_t seed) {
    std::mt19937 random(seed);
    std::normal_distribution<double> normal;
    std::string out = with_label ? "id,x1,x2,y\n" : "id,x1,x2\n";
    for (size_t r = 0; r < rows; ++r) {
      const double x1 = normal(random);
      out += fmt::format("c{},{:.3f},{}", r, x1, random() % 10);
      if (with_label) out += x1 + 0.3 * normal(random) > 0 ? ",yes" : ",no";
      out += "\n";
    }
    return out;
  }

  void TrainModel() {
    ASSERT_EQ(Sluice({"init"}).exit_code, 0);
    testing::WriteFile(dir_ / "train.csv", Rows(400, true, 1));
    Outcome train = Sluice({"train", "--data", "train.csv", "--target", "y", "--register", "m",
                            "--set", "xgboost.num_rounds=20", "--set", "exclude=id"});
    ASSERT_EQ(train.exit_code, 0) << train.err;
    ASSERT_THAT(train.out, HasSubstr("registered: models:/m/1"));
  }

  testing::TempDir dir_;
};

TEST_F(PredictTest, BatchAndStreamGiveTheSameScores) {
  TrainModel();
  testing::WriteFile(dir_ / "score.csv", Rows(1000, false, 2));
  Outcome batch = Sluice({"predict", "--model", "models:/m/1", "--input", "score.csv", "--output",
                          "scores.csv", "--chunk-rows", "64", "--json"});
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  Json summary = Json::parse(batch.out);
  EXPECT_EQ(summary["rows"], 1000);
  EXPECT_EQ(summary["model_version"], "1");
  EXPECT_EQ(summary["task"], "binary");
  EXPECT_EQ(summary["chunks"], 16);
  EXPECT_EQ(summary["columns"], Json({"id", "x1", "x2", "prediction", "predicted_label"}));
  EXPECT_TRUE(summary["rows_per_second"].is_number());
  EXPECT_EQ(batch.err, "");  // no progress bar when stderr is not a terminal

  std::vector<std::string> scored = Lines(testing::ReadFile(dir_ / "scores.csv"));
  ASSERT_EQ(scored.size(), 1001u);
  EXPECT_EQ(scored[0], "id,x1,x2,prediction,predicted_label");

  // The first rows again, as a stream with a bad line in the middle.
  std::vector<std::string> rows = Lines(Rows(3, false, 2));
  std::string requests;
  for (size_t i = 1; i <= 3; ++i) {
    std::vector<std::string> cells;
    std::istringstream row(rows[i]);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    requests +=
        fmt::format("{{\"id\": \"{}\", \"x1\": {}, \"x2\": {}}}\n", cells[0], cells[1], cells[2]);
    if (i == 1) requests += "{\"id\": \"bad\", \"x1\": 1}\n";
  }
  testing::WriteFile(dir_ / "requests.ndjson", requests);
  Outcome stream =
      Sluice({"predict", "--model", "models:/m/latest", "--stream"}, "requests.ndjson");
  ASSERT_EQ(stream.exit_code, 0) << stream.err;
  std::vector<std::string> answers = Lines(stream.out);
  ASSERT_EQ(answers.size(), 4u) << stream.out;
  EXPECT_EQ(answers[1],
            R"({"id":"bad","error":"input 'x2' is missing; the model takes: x1, x2","line":2})");
  const size_t answer_of_row[] = {0, 2, 3};
  for (size_t r = 0; r < 3; ++r) {
    Json answer = Json::parse(answers[answer_of_row[r]]);
    EXPECT_EQ(answer["id"], fmt::format("c{}", r));
    // Batch CSV holds the same shortest round-trip number: id,x1,x2,prediction,label.
    std::vector<std::string> cells;
    std::istringstream line(scored[r + 1]);
    for (std::string cell; std::getline(line, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 5u);
    EXPECT_EQ(answer["prediction"].get<double>(), std::stod(cells[3])) << answers[r];
    EXPECT_EQ(answer["predicted_label"], cells[4]);
  }

  Outcome human = Sluice({"predict", "--model", "models:/m/1", "--input", "score.csv", "--output",
                          "scores.jsonl", "--keep-columns=false"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_THAT(human.out, HasSubstr("rows     1000 (score.csv -> scores.jsonl)"));
  EXPECT_THAT(human.out, HasSubstr("rows/s"));
  std::vector<std::string> jsonl = Lines(testing::ReadFile(dir_ / "scores.jsonl"));
  ASSERT_EQ(jsonl.size(), 1000u);
  EXPECT_EQ(Json::parse(jsonl[0]).size(), 2u);  // prediction, predicted_label
}

TEST_F(PredictTest, UsageAndErrors) {
  Outcome help = Sluice({"predict", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--model", "--input", "--output", "--stream", "--threshold",
                           "--keep-columns", "--chunk-rows", "--threads", "--json"}) {
    EXPECT_THAT(help.out, HasSubstr(flag));
  }
  EXPECT_THAT(help.out, HasSubstr("prob_<class>"));

  TrainModel();
  testing::WriteFile(dir_ / "score.csv", Rows(10, false, 3));
  Outcome neither = Sluice({"predict", "--model", "models:/m/1"});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_THAT(neither.err, HasSubstr("give --input and --output (batch), or --stream"));

  Outcome both = Sluice({"predict", "--model", "models:/m/1", "--stream", "--input", "score.csv"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("excludes"));

  Outcome unknown = Sluice(
      {"predict", "--model", "models:/nope/1", "--input", "score.csv", "--output", "out.csv"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("nope"));

  testing::WriteFile(dir_ / "bad.csv", "id,x1,x2\nc0,1,2\nc1,2\n");
  Outcome bad =
      Sluice({"predict", "--model", "models:/m/1", "--input", "bad.csv", "--output", "out.csv"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("bad.csv: csv line 3: expected 3 fields, got 2"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out.csv"));

  Outcome threshold = Sluice({"predict", "--model", "models:/m/1", "--input", "score.csv",
                              "--output", "out.csv", "--threshold", "1.5"});
  EXPECT_EQ(threshold.exit_code, 2);
}

}  // namespace
}  // namespace sluice::cli
