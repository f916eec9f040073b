#include "serving/stream.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>

#include "serving/churn_test_model.h"
#include "testing/status_matchers.h"

namespace sluice::serving {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(model_, testing::ChurnTestModel()); }

  double Score(double x1, const std::string& plan) {
    Result<double> score = testing::ChurnTestScore(*model_, x1, plan);
    EXPECT_OK(score);
    return score.ok() ? *score : 0;
  }

  std::vector<std::string> Run(const std::string& input, const StreamOptions& options = {},
                               StreamStats* stats = nullptr) {
    std::istringstream in(input);
    std::ostringstream out;
    EXPECT_OK(PredictStream(model_->bundle, *model_->predictor, in, out, options, stats));
    std::vector<std::string> lines;
    std::istringstream text(out.str());
    for (std::string line; std::getline(text, line);) lines.push_back(line);
    return lines;
  }

  std::shared_ptr<const ServedModel> model_;
};

TEST_F(StreamTest, AnswersEveryLineInOrderAndGoesOnAfterBadOnes) {
  const std::string input =
      "{\"id\": 1, \"x1\": 0.5, \"plan\": \"pro\"}\n"
      "not json\n"
      "\n"
      "{\"x1\": -1, \"plan\": \"basic\"}\r\n"
      "[1, 2]\n"
      "{\"id\": \"b\", \"x1\": 1}\n"
      "{\"id\": {\"k\": 1}, \"x1\": 1, \"plan\": \"pro\", \"age\": 3}\n"
      "{\"id\": 9, \"x1\": \"x\", \"plan\": \"pro\"}\n"
      "{\"id\": 10, \"x1\": null, \"plan\": \"gold\"}";  // missing values; no final newline
  StreamStats stats;
  std::vector<std::string> out = Run(input, {}, &stats);
  ASSERT_EQ(out.size(), 8u);
  const double p1 = Score(0.5, "pro"), p2 = Score(-1, "basic");
  ASSERT_GE(p1, 0.5);
  ASSERT_LT(p2, 0.5);
  EXPECT_EQ(out[0], fmt::format(R"({{"id":1,"prediction":{},"predicted_label":"yes"}})", p1));
  EXPECT_EQ(out[1], R"({"error":"not valid JSON","line":2})");
  EXPECT_EQ(out[2], fmt::format(R"({{"prediction":{},"predicted_label":"no"}})", p2));
  EXPECT_EQ(out[3], R"({"error":"expected a JSON object, got array","line":5})");
  EXPECT_EQ(out[4],
            R"({"id":"b","error":"input 'plan' is missing; the model takes: x1, plan","line":6})");
  EXPECT_EQ(out[5],
            R"({"id":{"k":1},"error":"'age' is not an input of the model; it takes: x1, plan",)"
            R"("line":7})");
  EXPECT_EQ(out[6], R"({"id":9,"error":"input 'x1': expected a number, got \"x\"","line":8})");
  Json last = Json::parse(out[7]);
  EXPECT_EQ(last["id"], 10);
  EXPECT_EQ(last["prediction"].get<double>(), Score(std::nan(""), "gold"));
  EXPECT_EQ(stats.lines, 8u);
  EXPECT_EQ(stats.predictions, 3u);
  EXPECT_EQ(stats.errors, 5u);
}

TEST_F(StreamTest, ScoresBufferedLinesTogetherUpToTheBatchSize) {
  std::string input;
  for (int i = 0; i < 5; ++i)
    input += fmt::format("{{\"id\": {}, \"x1\": {}, \"plan\": \"pro\"}}\n", i, i);
  StreamStats stats;
  std::vector<std::string> out = Run(input, {.max_batch_lines = 2}, &stats);
  ASSERT_EQ(out.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    Json answer = Json::parse(out[static_cast<size_t>(i)]);
    EXPECT_EQ(answer["id"], i);
    EXPECT_EQ(answer["prediction"].get<double>(), Score(i, "pro"));
  }
  EXPECT_EQ(stats.batches, 3u);
}

// Hands out one line per read and records how many answers were written by then.
class OneLineAtATime : public std::streambuf {
 public:
  OneLineAtATime(std::vector<std::string> lines, const std::ostringstream& out)
      : lines_(std::move(lines)), out_(out) {}
  std::vector<size_t> answers_before_read;

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const std::string text = out_.str();
    answers_before_read.push_back(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
    if (next_ == lines_.size()) return traits_type::eof();
    current_ = lines_[next_++];
    setg(current_.data(), current_.data(), current_.data() + current_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::vector<std::string> lines_;
  const std::ostringstream& out_;
  size_t next_ = 0;
  std::string current_;
};

TEST_F(StreamTest, AnswersWhatArrivedBeforeWaitingForMore) {
  std::ostringstream out;
  // The second line arrives in two reads: nothing is answered twice or held back.
  OneLineAtATime source({"{\"x1\": 1, \"plan\": \"pro\"}\n", "{\"x1\": 2,", " \"plan\": \"pro\"}\n",
                         "{\"x1\": 3, \"plan\": \"pro\"}\n"},
                        out);
  std::istream in(&source);
  ASSERT_OK(PredictStream(model_->bundle, *model_->predictor, in, out));
  EXPECT_THAT(source.answers_before_read, ElementsAre(0, 1, 1, 2, 3));
}

TEST_F(StreamTest, OverlongLineIsAnErrorAndTheNextLineIsAnswered) {
  std::vector<std::string> out =
      Run("{\"x1\": 1, \"plan\": \"pro\", \"pad\": \"" + std::string(100, 'x') + "\"}\n" +
              "{\"x1\": 1, \"plan\": \"pro\"}\n",
          {.max_line_bytes = 40});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], R"({"error":"the line is longer than 40 bytes","line":1})");
  EXPECT_EQ(Json::parse(out[1])["prediction"].get<double>(), Score(1, "pro"));
}

TEST_F(StreamTest, FailsWhenTheOutputCannotBeWritten) {
  std::istringstream in("{\"x1\": 1, \"plan\": \"pro\"}\n");
  std::ostream out(nullptr);
  EXPECT_THAT(PredictStream(model_->bundle, *model_->predictor, in, out),
              StatusIs(StatusCode::kInternal, HasSubstr("cannot write the output stream")));
  std::istringstream again("");
  std::ostringstream fine;
  EXPECT_THAT(PredictStream(model_->bundle, *model_->predictor, again, fine, {.threshold = 2}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("threshold 2 is outside")));
}

}  // namespace
}  // namespace sluice::serving
