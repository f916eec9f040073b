#include "serving/batch.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "xgb/xgb.h"

namespace sluice::serving {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Rows of id (a string the model does not take), x1 (float), x2 (int) and plan (categorical).
std::string CsvRows(size_t rows, uint32_t seed = 7, char delimiter = ',') {
  std::mt19937 random(seed);
  std::normal_distribution<double> normal;
  const char* plans[] = {"basic", "pro", "team"};
  std::string out = fmt::format("id{0}x1{0}x2{0}plan\n", delimiter);
  for (size_t r = 0; r < rows; ++r) {
    out += fmt::format("r{1}{0}{2:.4f}{0}{3}{0}{4}\n", delimiter, r, normal(random), random() % 50,
                       plans[random() % 3]);
  }
  return out;
}

struct Model {
  models::Bundle bundle;
  std::unique_ptr<models::Predictor> predictor;
};

// An XGBoost model trained on CsvRows: binary (x1 + plan > 0), multiclass (x1 in thirds) or
// regression (2 x1 + x2 / 10).
Model Train(models::Task task) {
  Result<table::Table> data = table::ParseCsv(CsvRows(600, 1));
  EXPECT_OK(data);
  const std::vector<std::string> inputs = {"x1", "x2", "plan"};
  Result<models::FeatureEncoder> encoder =
      models::FeatureEncoder::Fit(*data, inputs, models::Encoding::kOrdinal);
  EXPECT_OK(encoder);
  Result<std::vector<float>> x = encoder->EncodeFloat(*data);
  EXPECT_OK(x);
  const size_t rows = data->num_rows();
  std::vector<float> y(rows);
  for (size_t r = 0; r < rows; ++r) {
    const float x1 = (*x)[r * 3], x2 = (*x)[r * 3 + 1], plan = (*x)[r * 3 + 2];
    switch (task) {
      case models::Task::kBinary:
        y[r] = x1 + 0.5f * (plan - 1.0f) > 0 ? 1.0f : 0.0f;
        break;
      case models::Task::kMulticlass:
        y[r] = x1 < -0.4f ? 0.0f : x1 < 0.4f ? 1.0f : 2.0f;
        break;
      case models::Task::kRegression:
        y[r] = 2 * x1 + x2 / 10;
        break;
    }
  }
  Result<xgb::DMatrix> matrix = xgb::DMatrix::FromDense(*x, rows, 3);
  EXPECT_OK(matrix);
  EXPECT_OK(matrix->SetLabels(y));
  const xgb::DMatrix* cache[] = {&*matrix};
  Result<xgb::Booster> booster = xgb::Booster::Create(cache);
  EXPECT_OK(booster);
  Model m;
  m.bundle.target.column = "y";
  m.bundle.target.task = task;
  switch (task) {
    case models::Task::kBinary:
      EXPECT_OK(booster->SetParam("objective", "binary:logistic"));
      m.bundle.target.classes = {"no", "yes"};
      break;
    case models::Task::kMulticlass:
      EXPECT_OK(booster->SetParam("objective", "multi:softprob"));
      EXPECT_OK(booster->SetParam("num_class", "3"));
      m.bundle.target.classes = {"low", "mid", "high"};
      break;
    case models::Task::kRegression:
      EXPECT_OK(booster->SetParam("objective", "reg:squarederror"));
      break;
  }
  EXPECT_OK(booster->SetParam("max_depth", "3"));
  EXPECT_OK(booster->SetParam("nthread", "1"));
  for (int i = 0; i < 8; ++i) EXPECT_OK(booster->UpdateOneIter(i, *matrix));
  Result<std::string> json = booster->SaveJson();
  EXPECT_OK(json);
  m.bundle.algorithm = models::Algorithm::kXgboost;
  m.bundle.encoder = *encoder;
  m.bundle.model_bytes = *json;
  Result<std::unique_ptr<models::Predictor>> predictor = models::LoadPredictor(m.bundle);
  EXPECT_OK(predictor);
  m.predictor = std::move(*predictor);
  return m;
}

class BatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    binary_ = new Model(Train(models::Task::kBinary));
    multiclass_ = new Model(Train(models::Task::kMulticlass));
    regression_ = new Model(Train(models::Task::kRegression));
  }
  static void TearDownTestSuite() {
    delete binary_;
    delete multiclass_;
    delete regression_;
  }

  Result<BatchResult> Predict(const Model& model, BatchOptions options) {
    return PredictFile(model.bundle, *model.predictor, options);
  }

  // The model's own scores of the whole file, read in one piece.
  std::vector<double> Expected(const Model& model, const std::filesystem::path& file) {
    Result<table::Table> data = table::ReadTable(file);
    EXPECT_OK(data);
    Result<std::vector<double>> scores = model.predictor->Predict(*data);
    EXPECT_OK(scores);
    return *scores;
  }

  // Folder entries, to see that no temporary file is left behind.
  std::vector<std::string> Files() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static Model* binary_;
  static Model* multiclass_;
  static Model* regression_;
  testing::TempDir dir_;
};

Model* BatchTest::binary_ = nullptr;
Model* BatchTest::multiclass_ = nullptr;
Model* BatchTest::regression_ = nullptr;

TEST_F(BatchTest, BinaryEqualsThePredictorOnTheWholeTableInInputOrder) {
  testing::WriteFile(dir_ / "in.csv", CsvRows(3000));
  // Many small chunks on several threads: any reordering would show.
  ASSERT_OK_AND_ASSIGN(BatchResult result, Predict(*binary_, {.input = dir_ / "in.csv",
                                                              .output = dir_ / "out.csv",
                                                              .rows_per_chunk = 37,
                                                              .threads = 4}));
  EXPECT_EQ(result.rows_read, 3000u);
  EXPECT_EQ(result.rows_written, 3000u);
  EXPECT_EQ(result.chunks, 82u);  // ceil(3000 / 37)
  EXPECT_THAT(result.columns,
              ElementsAre("id", "x1", "x2", "plan", "prediction", "predicted_label"));

  std::vector<double> expected = Expected(*binary_, dir_ / "in.csv");
  ASSERT_OK_AND_ASSIGN(table::Table out, table::ReadTable(dir_ / "out.csv"));
  ASSERT_OK_AND_ASSIGN(table::Table in, table::ReadTable(dir_ / "in.csv"));
  EXPECT_EQ(out.ColumnNames(), result.columns);
  ASSERT_EQ(out.num_rows(), 3000u);
  ASSERT_OK_AND_ASSIGN(const table::Column* id, out.Get("id"));
  EXPECT_TRUE(id->Equals(in.column(0)));  // input order, values passed through
  ASSERT_OK_AND_ASSIGN(const table::Column* plan, out.Get("plan"));
  EXPECT_TRUE(plan->Equals(in.column(3)));
  ASSERT_OK_AND_ASSIGN(const table::Column* prediction, out.Get("prediction"));
  ASSERT_OK_AND_ASSIGN(const table::Column* label, out.Get("predicted_label"));
  size_t positives = 0;
  for (size_t r = 0; r < 3000; ++r) {
    ASSERT_EQ(prediction->float64s()[r], expected[r]) << "row " << r;
    EXPECT_EQ(label->strings()[r], expected[r] >= 0.5 ? "yes" : "no") << "row " << r;
    positives += expected[r] >= 0.5 ? 1 : 0;
  }
  EXPECT_GT(positives, 0u);
  EXPECT_LT(positives, 3000u);
  EXPECT_THAT(Files(), ElementsAre("in.csv", "out.csv"));
}

TEST_F(BatchTest, ThresholdDecidesTheBinaryLabel) {
  testing::WriteFile(dir_ / "in.csv", CsvRows(200));
  ASSERT_OK(Predict(*binary_, {.input = dir_ / "in.csv",
                               .output = dir_ / "out.csv",
                               .keep_columns = false,
                               .threshold = 0.0})
                .status());
  ASSERT_OK_AND_ASSIGN(table::Table out, table::ReadTable(dir_ / "out.csv"));
  EXPECT_EQ(out.ColumnNames(), (std::vector<std::string>{"prediction", "predicted_label"}));
  for (const std::string& label : out.column(1).strings()) EXPECT_EQ(label, "yes");

  EXPECT_THAT(
      Predict(*binary_, {.input = dir_ / "in.csv", .output = dir_ / "out.csv", .threshold = 1.5}),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("threshold 1.5 is outside [0, 1]")));
}

TEST_F(BatchTest, MulticlassGivesAProbabilityPerClassAndTheMostLikelyClass) {
  testing::WriteFile(dir_ / "in.tsv", CsvRows(500, 3, '\t'));
  ASSERT_OK_AND_ASSIGN(BatchResult result, Predict(*multiclass_, {.input = dir_ / "in.tsv",
                                                                  .output = dir_ / "out.csv",
                                                                  .keep_columns = false,
                                                                  .rows_per_chunk = 64,
                                                                  .threads = 3}));
  EXPECT_THAT(result.columns, ElementsAre("prob_low", "prob_mid", "prob_high", "predicted_label"));
  testing::WriteFile(dir_ / "in.csv", CsvRows(500, 3));
  std::vector<double> expected = Expected(*multiclass_, dir_ / "in.csv");
  ASSERT_OK_AND_ASSIGN(table::Table out, table::ReadTable(dir_ / "out.csv"));
  ASSERT_EQ(out.num_rows(), 500u);
  const char* classes[] = {"low", "mid", "high"};
  std::set<std::string> seen;
  for (size_t r = 0; r < 500; ++r) {
    for (size_t c = 0; c < 3; ++c) ASSERT_EQ(out.column(c).float64s()[r], expected[r * 3 + c]);
    const size_t best =
        static_cast<size_t>(std::max_element(expected.begin() + static_cast<ptrdiff_t>(r * 3),
                                             expected.begin() + static_cast<ptrdiff_t>(r * 3 + 3)) -
                            (expected.begin() + static_cast<ptrdiff_t>(r * 3)));
    EXPECT_EQ(out.column(3).strings()[r], classes[best]);
    seen.insert(out.column(3).strings()[r]);
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(BatchTest, CsvToJsonlWritesTypedValuesAndPredictions) {
  testing::WriteFile(dir_ / "in.csv", "id,x1,x2,plan\na,1.5,3,pro\nb,,4,\"x, \"\"y\"\"\"\n");
  ASSERT_OK(
      Predict(*regression_, {.input = dir_ / "in.csv", .output = dir_ / "out.jsonl"}).status());
  std::vector<double> expected = Expected(*regression_, dir_ / "in.csv");
  std::istringstream lines(testing::ReadFile(dir_ / "out.jsonl"));
  std::string line;
  std::vector<nlohmann::json> rows;
  while (std::getline(lines, line)) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0],
            nlohmann::json::parse(fmt::format(
                R"({{"id":"a","x1":1.5,"x2":3.0,"plan":"pro","prediction":{}}})", expected[0])));
  EXPECT_TRUE(rows[1]["x1"].is_null());
  EXPECT_EQ(rows[1]["plan"], "x, \"y\"");
  EXPECT_EQ(rows[1]["prediction"].get<double>(), expected[1]);
}

TEST_F(BatchTest, JsonlLinesAreEchoedWithThePredictionAppended) {
  testing::WriteFile(dir_ / "in.jsonl",
                     "{\"id\": 1, \"x1\": 0.5, \"x2\": 3, \"plan\": \"pro\", \"note\": [1]}\n"
                     "\n"
                     "{\"x1\": -2, \"plan\": \"basic\"}\r\n"
                     "{\"x1\": 1, \"x2\": 1, \"plan\": \"team\"}");
  ASSERT_OK_AND_ASSIGN(BatchResult result, Predict(*binary_, {.input = dir_ / "in.jsonl",
                                                              .output = dir_ / "out.jsonl",
                                                              .rows_per_chunk = 2}));
  EXPECT_EQ(result.rows_written, 3u);
  std::vector<double> expected = Expected(*binary_, dir_ / "in.jsonl");
  std::istringstream lines(testing::ReadFile(dir_ / "out.jsonl"));
  std::vector<std::string> out;
  for (std::string line; std::getline(lines, line);) out.push_back(line);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], fmt::format("{{\"id\": 1, \"x1\": 0.5, \"x2\": 3, \"plan\": \"pro\", "
                                "\"note\": [1],\"prediction\":{},\"predicted_label\":\"{}\"}}",
                                expected[0], expected[0] >= 0.5 ? "yes" : "no"));
  // An absent input is a missing value, as an empty CSV cell is.
  EXPECT_EQ(nlohmann::json::parse(out[1])["prediction"].get<double>(), expected[1]);
  EXPECT_EQ(nlohmann::json::parse(out[2])["prediction"].get<double>(), expected[2]);

  // JSONL to CSV keeps the model's inputs.
  ASSERT_OK(Predict(*binary_, {.input = dir_ / "in.jsonl", .output = dir_ / "out.csv"}).status());
  ASSERT_OK_AND_ASSIGN(table::Table csv, table::ReadTable(dir_ / "out.csv"));
  EXPECT_EQ(csv.ColumnNames(),
            (std::vector<std::string>{"x1", "x2", "plan", "prediction", "predicted_label"}));
  EXPECT_TRUE(csv.column(1).IsNull(1));
}

TEST_F(BatchTest, BadJsonlLinesAreNamed) {
  struct Case {
    std::string second_line;
    std::string error;
  };
  const Case cases[] = {
      {"{\"x1\": 1, \"x2\": 2", "in.jsonl: jsonl line 3: not valid JSON"},
      {"[1, 2]", "in.jsonl: jsonl line 3: expected a JSON object, got array"},
      {"{\"x1\": \"many\", \"x2\": 2, \"plan\": \"pro\"}",
       "in.jsonl: jsonl line 3: input 'x1': expected a number, got \"many\""},
      {"{\"x1\": 1, \"prediction\": 2}",
       "in.jsonl: jsonl line 3: field 'prediction' has the name of a prediction field"},
  };
  for (const Case& c : cases) {
    testing::WriteFile(dir_ / "in.jsonl",
                       "{\"x1\": 1, \"x2\": 2, \"plan\": \"pro\"}\n\n" + c.second_line + "\n");
    EXPECT_THAT(Predict(*binary_, {.input = dir_ / "in.jsonl", .output = dir_ / "out.jsonl"}),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.error)))
        << c.second_line;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "out.jsonl"));
  }
  testing::WriteFile(dir_ / "in.jsonl", "{\"x1\": 1, \"plan\": \"pro\"}\n");
  EXPECT_THAT(Predict(*binary_, {.input = dir_ / "in.jsonl", .output = dir_ / "out.jsonl"}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("jsonl line 1: the model's input 'x2' is missing")));
}

TEST_F(BatchTest, MalformedCsvLineIsNamedAndLeavesNoOutput) {
  // Data row 1500 (0-based) is on line 1502, after the header; it loses a field.
  std::istringstream text(CsvRows(2000));
  std::string csv;
  size_t index = 0;
  for (std::string line; std::getline(text, line); ++index) {
    csv += (index == 1501 ? line.substr(0, line.rfind(',')) : line) + "\n";
  }
  testing::WriteFile(dir_ / "in.csv", csv);
  // Earlier chunks were scored and written to the temporary file before the error.
  EXPECT_THAT(Predict(*binary_, {.input = dir_ / "in.csv",
                                 .output = dir_ / "out.csv",
                                 .rows_per_chunk = 100,
                                 .threads = 2}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("in.csv: csv line 1502: expected 4 fields, got 3")));
  EXPECT_THAT(Files(), ElementsAre("in.csv"));

  // A value the model's type cannot read, after chunks were written; the old output stays.
  testing::WriteFile(dir_ / "out.csv", "old\n");
  testing::WriteFile(dir_ / "in.csv", CsvRows(300) + "r300,abc,1,pro\n");
  EXPECT_THAT(
      Predict(*binary_,
              {.input = dir_ / "in.csv", .output = dir_ / "out.csv", .rows_per_chunk = 100}),
      StatusIs(StatusCode::kInvalidArgument,
               HasSubstr("csv line 302: column 'x1': 'abc' is not a valid float64")));
  EXPECT_EQ(testing::ReadFile(dir_ / "out.csv"), "old\n");
  EXPECT_THAT(Files(), ElementsAre("in.csv", "out.csv"));
}

TEST_F(BatchTest, RefusesFilesThatDoNotFit) {
  testing::WriteFile(dir_ / "in.csv", "id,x1,plan\nr0,1,pro\n");
  EXPECT_THAT(Predict(*binary_, {.input = dir_ / "in.csv", .output = dir_ / "out.csv"}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("in.csv: the model's input 'x2' is not a column; the file has: "
                                 "id, x1, plan")));
  testing::WriteFile(dir_ / "in.csv", "x1,x2,plan,prediction\n1,2,pro,0.5\n");
  EXPECT_THAT(Predict(*binary_, {.input = dir_ / "in.csv", .output = dir_ / "out.csv"}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("column 'prediction' has the name of a prediction field")));
  EXPECT_THAT(
      Predict(*binary_,
              {.input = dir_ / "in.csv", .output = dir_ / "out.csv", .keep_columns = false}),
      IsOk());
  EXPECT_THAT(Predict(*binary_, {.input = dir_ / "in.csv", .output = dir_ / "out.parquet"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("use .csv, .jsonl or .ndjson")));
  EXPECT_THAT(Predict(*binary_, {.input = dir_ / "in.txt", .output = dir_ / "out.csv"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("use .csv, .tsv, .jsonl")));
  EXPECT_THAT(Predict(*binary_, {.input = dir_ / "nope.csv", .output = dir_ / "out.csv"}),
              StatusIs(StatusCode::kNotFound, HasSubstr("nope.csv")));
  EXPECT_THAT(Predict(*binary_, {.input = dir_ / "in.csv", .output = dir_ / "in.csv"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("is the input file")));
  EXPECT_THAT(
      Predict(*binary_,
              {.input = dir_ / "in.csv", .output = dir_ / "no/out.csv", .keep_columns = false}),
      StatusIs(StatusCode::kNotFound, HasSubstr("does not exist")));
}

TEST_F(BatchTest, HeaderOnlyGivesAHeaderOnly) {
  testing::WriteFile(dir_ / "in.csv", "id,x1,x2,plan\n");
  ASSERT_OK_AND_ASSIGN(BatchResult result, Predict(*regression_, {.input = dir_ / "in.csv",
                                                                  .output = dir_ / "out.csv"}));
  EXPECT_EQ(result.rows_written, 0u);
  EXPECT_EQ(testing::ReadFile(dir_ / "out.csv"), "id,x1,x2,plan,prediction\n");
}

TEST_F(BatchTest, LargeFileRunsInABoundedNumberOfChunks) {
  constexpr size_t kRows = 200'000;
  testing::WriteFile(dir_ / "in.csv", CsvRows(kRows, 11));
  const uint64_t size = std::filesystem::file_size(dir_ / "in.csv");
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  ASSERT_OK_AND_ASSIGN(BatchResult result,
                       Predict(*binary_, {.input = dir_ / "in.csv",
                                          .output = dir_ / "out.csv",
                                          .keep_columns = false,
                                          .rows_per_chunk = 4096,
                                          .threads = 2,
                                          .max_chunks_in_flight = 3,
                                          .on_progress = [&](uint64_t done, uint64_t total) {
                                            progress.emplace_back(done, total);
                                          }}));
  EXPECT_EQ(result.rows_read, kRows);
  EXPECT_EQ(result.rows_written, kRows);
  EXPECT_EQ(result.chunks, 49u);  // ceil(200000 / 4096)
  EXPECT_LE(result.peak_chunks_in_flight, 3u);
  EXPECT_EQ(result.input_bytes, size);
  // Progress rises to the file's size.
  ASSERT_EQ(progress.size(), result.chunks + 1);
  for (size_t i = 0; i < progress.size(); ++i) {
    EXPECT_EQ(progress[i].second, size);
    EXPECT_LE(progress[i].first, size);
    if (i > 0) {
      EXPECT_GE(progress[i].first, progress[i - 1].first);
    }
  }
  EXPECT_EQ(progress.back().first, size);
  EXPECT_GT(progress[result.chunks / 2].first, size / 4);

  const std::string out = testing::ReadFile(dir_ / "out.csv");
  EXPECT_EQ(static_cast<size_t>(std::count(out.begin(), out.end(), '\n')), kRows + 1);
}

}  // namespace
}  // namespace sluice::serving
