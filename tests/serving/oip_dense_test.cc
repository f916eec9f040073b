// The numeric fast path against the general one (DecodeOipRequest + Predict + nlohmann's dump):
// every body it takes must give the same features, table, scores and answer bytes, and every body
// it does not take must be one it declines (the route then answers through the general path, so
// errors keep their messages).
#include "serving/oip_dense.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "models/predictor.h"
#include "serving/inputs.h"
#include "testing/status_matchers.h"
#include "xgb/xgb.h"

namespace sluice::serving {
namespace {

using Json = nlohmann::json;

const std::vector<models::InputColumn> kInputs = {
    {.name = "x1", .type = table::Type::kFloat64},
    {.name = "count", .type = table::Type::kInt64},
    {.name = "flag", .type = table::Type::kBool},
};

struct Model {
  std::string name;
  bool float32 = true;
  std::unique_ptr<models::Predictor> predictor;
};

models::FeatureEncoder Encoder() {
  Result<table::Table> data = table::Table::Make({table::Column::Float64("x1", {0.5, -1}),
                                                  table::Column::Int64("count", {1, 2}),
                                                  table::Column::Bool("flag", {1, 0})});
  EXPECT_OK(data);
  const std::vector<std::string> names = {"x1", "count", "flag"};
  Result<models::FeatureEncoder> encoder =
      models::FeatureEncoder::Fit(*data, names, models::Encoding::kOrdinal);
  EXPECT_OK(encoder);
  return *encoder;
}

// An XGBoost model on the three inputs (with missing values, so default directions matter).
Model TrainTrees(std::string objective, int classes) {
  std::mt19937 random(11);
  std::normal_distribution<double> normal;
  const size_t rows = 400;
  std::vector<float> x(rows * 3), y(rows);
  for (size_t r = 0; r < rows; ++r) {
    x[r * 3] = static_cast<float>(normal(random));
    x[r * 3 + 1] = static_cast<float>(random() % 20);
    x[r * 3 + 2] = static_cast<float>(random() % 2);
    const float signal = x[r * 3] + 0.1f * x[r * 3 + 1] - 1;
    y[r] = classes > 1                      ? static_cast<float>(r % static_cast<size_t>(classes))
           : objective == "binary:logistic" ? (signal > 0 ? 1.0f : 0.0f)
                                            : signal;
    if (r % 7 == 0) x[r * 3 + r % 3] = std::numeric_limits<float>::quiet_NaN();
  }
  Result<xgb::DMatrix> matrix = xgb::DMatrix::FromDense(x, rows, 3);
  EXPECT_OK(matrix);
  EXPECT_OK(matrix->SetLabels(y));
  const xgb::DMatrix* cache[] = {&*matrix};
  Result<xgb::Booster> booster = xgb::Booster::Create(cache);
  EXPECT_OK(booster);
  EXPECT_OK(booster->SetParam("objective", objective));
  if (classes > 1) EXPECT_OK(booster->SetParam("num_class", std::to_string(classes)));
  EXPECT_OK(booster->SetParam("max_depth", "4"));
  EXPECT_OK(booster->SetParam("nthread", "1"));
  for (int i = 0; i < 10; ++i) EXPECT_OK(booster->UpdateOneIter(i, *matrix));
  Result<std::string> json = booster->SaveJson();
  EXPECT_OK(json);
  models::Bundle bundle;
  bundle.algorithm = models::Algorithm::kXgboost;
  bundle.encoder = Encoder();
  bundle.target.column = "y";
  if (objective == "binary:logistic") {
    bundle.target.task = models::Task::kBinary;
    bundle.target.classes = {"no", "yes"};
  } else if (classes > 1) {
    bundle.target.task = models::Task::kMulticlass;
    bundle.target.classes = {"a", "b", "c"};
  }
  bundle.model_bytes = *json;
  Result<std::unique_ptr<models::Predictor>> predictor = models::LoadPredictor(bundle);
  EXPECT_OK(predictor);
  return Model{.name = objective, .float32 = true, .predictor = std::move(*predictor)};
}

Model Linear() {
  models::Bundle bundle;
  bundle.algorithm = models::Algorithm::kLinear;
  bundle.encoder = Encoder();
  bundle.target = {.column = "y", .task = models::Task::kRegression};
  bundle.model_bytes =
      R"({"format":"sluice-linear","version":1,"objective":"squared_error","num_outputs":1,)"
      R"("feature_names":["x1","count","flag"],"weights":[[0.3,-0.0123456789,2.5]],)"
      R"("intercepts":[0.125],"impute_values":[0.0,3.0,0.5]})";
  Result<std::unique_ptr<models::Predictor>> predictor = models::LoadPredictor(bundle);
  EXPECT_OK(predictor);
  return Model{.name = "linear", .float32 = false, .predictor = std::move(*predictor)};
}

// The general path, as the infer route runs it: the answer's text, or the error's message.
struct Answer {
  bool ok = false;
  std::string text;
  std::vector<double> scores;
};
Answer GeneralOrThrow(const Model& model, std::string_view body, std::string_view request_id) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return {.text = "the body is not valid JSON"};
  Result<table::Table> data = DecodeOipRequest(json, kInputs);
  if (!data.ok()) return {.text = std::string(data.status().message())};
  Result<std::vector<double>> scores = model.predictor->Predict(*data);
  EXPECT_OK(scores);
  const size_t outputs = model.predictor->num_outputs();
  Json values = Json::array();
  for (double v : *scores) {
    values.push_back(!std::isfinite(v) ? Json(nullptr)
                     : model.float32   ? Json(static_cast<float>(v))
                                       : Json(v));
  }
  const size_t rows = data->num_rows();
  Json out = {
      {"model_name", model.name},
      {"model_version", "7"},
      {"outputs",
       Json::array({{{"name", "predict"},
                     {"shape", outputs == 1 ? Json::array({rows}) : Json::array({rows, outputs})},
                     {"datatype", model.float32 ? "FP32" : "FP64"},
                     {"data", std::move(values)}}})}};
  out["id"] = json.contains("id") ? json["id"] : Json(request_id);
  return {.ok = true, .text = out.dump(), .scores = *scores};
}

Answer General(const Model& model, std::string_view body, std::string_view request_id) {
  try {
    return GeneralOrThrow(model, body, request_id);
  } catch (const std::exception& e) {  // the server answers 500
    return {.text = fmt::format("threw: {}", e.what())};
  }
}

// The fast path; nullopt when it declines.
std::optional<Answer> Fast(const Model& model, std::string_view body, std::string_view request_id) {
  thread_local DenseOipRequest request;
  if (!DecodeDenseOipRequest(body, kInputs, request)) return std::nullopt;
  const size_t outputs = model.predictor->num_outputs();
  Answer answer{.ok = true};
  answer.scores.resize(request.rows() * outputs);
  model.predictor->PredictFeatures(request.features(), request.rows(), answer.scores);
  AppendOipResponse(answer.text, {.id_json = request.id(),
                                  .request_id = request_id,
                                  .model_name = model.name,
                                  .model_version = "7",
                                  .rows = request.rows(),
                                  .outputs = outputs,
                                  .float32 = model.float32,
                                  .scores = answer.scores});
  return answer;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

class OipDenseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_ = new std::vector<Model>();
    models_->push_back(TrainTrees("binary:logistic", 1));
    models_->push_back(TrainTrees("multi:softprob", 3));
    models_->push_back(TrainTrees("reg:squarederror", 1));
    models_->push_back(Linear());
  }
  static void TearDownTestSuite() {
    delete models_;
    models_ = nullptr;
  }

  // Both paths on `body` for every model: the fast one answers exactly as the general one, or
  // declines. Returns whether it answered (the same for every model: decoding does not depend on
  // the model).
  static bool ExpectSameAnswer(std::string_view body) {
    bool took = false;
    for (const Model& model : *models_) {
      Answer general = General(model, body, "0123456789abcdef0123456789abcdef");
      std::optional<Answer> fast = Fast(model, body, "0123456789abcdef0123456789abcdef");
      if (!fast) continue;
      took = true;
      EXPECT_TRUE(general.ok) << "the fast path took a body the general one refuses ("
                              << general.text << "): " << body;
      EXPECT_EQ(fast->text, general.text) << model.name << ": " << body;
      EXPECT_EQ(fast->scores.size(), general.scores.size());
      for (size_t i = 0; i < std::min(fast->scores.size(), general.scores.size()); ++i) {
        EXPECT_TRUE(SameBits(fast->scores[i], general.scores[i]))
            << model.name << " score " << i << ": " << fast->scores[i] << " vs "
            << general.scores[i];
      }
    }
    return took;
  }

  static std::vector<Model>* models_;
};
std::vector<Model>* OipDenseTest::models_ = nullptr;

TEST(HasDenseInputsTest, OnlyNumericInputs) {
  EXPECT_TRUE(HasDenseInputs(kInputs));
  EXPECT_FALSE(HasDenseInputs({}));
  std::vector<models::InputColumn> inputs = kInputs;
  inputs.push_back({.name = "plan",
                    .type = table::Type::kString,
                    .encoding = models::Encoding::kOrdinal,
                    .categories = {"a"}});
  EXPECT_FALSE(HasDenseInputs(inputs));
  inputs.back() = {.name = "since", .type = table::Type::kTimestamp};
  EXPECT_FALSE(HasDenseInputs(inputs));
}

// A number as a client may write it, in one of JSON's many spellings.
std::string NumberText(std::mt19937& random) {
  std::uniform_real_distribution<double> uniform(-3, 3);
  switch (random() % 12) {
    case 0:
      return fmt::format("{}", static_cast<int>(random() % 40) - 5);
    case 1:
      return fmt::format("{:.17g}", uniform(random));
    case 2:
      return fmt::format("{}", static_cast<float>(uniform(random)));  // shortest float32
    case 3:
      return fmt::format("{:.3e}", uniform(random) * 1e5);
    case 4:
      return fmt::format("{:.2E}", uniform(random) * 1e-6);
    case 5:
      return random() % 2 ? "-0" : "-0.0";
    case 6:
      return random() % 2 ? "true" : "false";
    case 7:
      return "null";
    case 8:
      return random() % 2 ? "123456789012345678901" : "-9223372036854775809";
    case 9:
      return random() % 2 ? "9007199254740993" : "18446744073709551615";
    case 10:
      return fmt::format("{}e{}", random() % 9, static_cast<int>(random() % 20) - 10);
    default:
      return fmt::format("{:.6f}", uniform(random));
  }
}

std::string Space(std::mt19937& random) {
  switch (random() % 6) {
    case 0:
      return " ";
    case 1:
      return "\n  ";
    case 2:
      return "\t\r\n";
    default:
      return "";
  }
}

// A random OIP request for kInputs that the general path takes, in one of its layouts.
std::string RandomBody(std::mt19937& random) {
  const size_t rows = 1 + random() % 40;
  const size_t k = kInputs.size();
  std::vector<std::string> values(rows * k);
  for (std::string& v : values) v = NumberText(random);
  const char* datatypes[] = {"FP32", "FP64", "INT64", "INT32", "BOOL", "UINT8", "FP16", "BYTES"};
  auto datatype = [&] { return fmt::format("\"{}\"", datatypes[random() % 8]); };
  // A tensor's members in random order, with extras the general path ignores.
  auto tensor = [&](std::string name, std::string shape, std::string data) {
    std::vector<std::string> members = {
        fmt::format("\"name\":{}\"{}\"", Space(random), name),
        fmt::format("\"shape\":{}", shape),
        fmt::format("\"datatype\":{}", datatype()),
        fmt::format("\"data\":{}{}", Space(random), data),
    };
    if (random() % 3 == 0) members.push_back(R"("parameters":{"content_type":"np","n":[1,{}]})");
    std::shuffle(members.begin(), members.end(), random);
    std::string out = "{" + Space(random);
    for (size_t i = 0; i < members.size(); ++i) {
      out += (i ? "," + Space(random) : "") + members[i];
    }
    return out + Space(random) + "}";
  };
  std::vector<std::string> tensors;
  const int layout = static_cast<int>(random() % 3);
  if (layout < 2) {
    // One [rows, k] tensor: flat, or nested by row.
    std::string data = "[";
    for (size_t r = 0; r < rows; ++r) {
      if (layout == 1) data += std::string(r ? "," : "") + Space(random) + "[";
      for (size_t c = 0; c < k; ++c) {
        data += std::string(c || (layout == 0 && r) ? "," : "") + Space(random) + values[r * k + c];
      }
      if (layout == 1) data += "]";
    }
    data += "]";
    tensors.push_back(
        tensor("input-0", fmt::format("[{},{}{}]", rows, Space(random), k), std::move(data)));
  } else {
    // One tensor per input, [rows] or [rows, 1], in random order.
    std::vector<size_t> order = {0, 1, 2};
    std::shuffle(order.begin(), order.end(), random);
    for (size_t c : order) {
      const bool column = random() % 2 == 0;
      std::string data = "[";
      for (size_t r = 0; r < rows; ++r) {
        std::string v = values[r * k + c];
        data += std::string(r ? "," : "") + (column ? "[" + v + "]" : v);
      }
      data += "]";
      tensors.push_back(tensor(kInputs[c].name,
                               column ? fmt::format("[{}, 1]", rows) : fmt::format("[{}]", rows),
                               std::move(data)));
    }
  }
  std::vector<std::string> members = {"\"inputs\":" + Space(random) + "[" +
                                      fmt::format("{}", fmt::join(tensors, ",")) + "]"};
  switch (random() % 5) {
    case 0:
      members.push_back(R"("id":"req-42")");
      break;
    case 1:
      members.push_back(R"("id":17.50)");
      break;
    case 2:
      members.push_back(R"("id":{"b":[1,2.0,-0],"a":null,"c":"ü"})");
      break;
    default:
      break;
  }
  if (random() % 3 == 0) members.push_back(R"("outputs":[{"name":"predict"}])");
  if (random() % 3 == 0) members.push_back(R"("parameters":{"binary_data_size":0})");
  std::shuffle(members.begin(), members.end(), random);
  return Space(random) + "{" + fmt::format("{}", fmt::join(members, ",")) + "}" + Space(random);
}

TEST_F(OipDenseTest, RandomRequestsGiveTheGeneralPathsAnswerByteForByte) {
  std::mt19937 random(5);
  for (int i = 0; i < 300; ++i) {
    const std::string body = RandomBody(random);
    EXPECT_TRUE(ExpectSameAnswer(body)) << "declined: " << body;
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_F(OipDenseTest, FeaturesAndTableAreTheGeneralPathsTable) {
  std::mt19937 random(6);
  for (int i = 0; i < 100; ++i) {
    const std::string body = RandomBody(random);
    DenseOipRequest request;
    ASSERT_TRUE(DecodeDenseOipRequest(body, kInputs, request)) << body;
    ASSERT_OK_AND_ASSIGN(table::Table general, DecodeOipRequest(Json::parse(body), kInputs));
    const table::Table fast = DenseRequestTable(request, kInputs);
    ASSERT_EQ(fast.num_rows(), general.num_rows());
    ASSERT_EQ(fast.ColumnNames(), general.ColumnNames());
    for (size_t c = 0; c < kInputs.size(); ++c) {
      const table::Column& a = fast.column(c);
      const table::Column& b = general.column(c);
      ASSERT_EQ(a.type(), b.type());
      for (size_t r = 0; r < general.num_rows(); ++r) {
        ASSERT_EQ(a.IsNull(r), b.IsNull(r)) << body;
        EXPECT_TRUE(SameBits(a.float64s()[r], b.float64s()[r])) << body;
        const double feature = request.features()[r * kInputs.size() + c];
        EXPECT_TRUE(b.IsNull(r) ? std::isnan(feature) : SameBits(feature, b.float64s()[r]));
      }
    }
  }
}

// Every prefix and many one-byte changes of valid bodies: whatever the fast path still takes,
// the general path must take and answer identically.
TEST_F(OipDenseTest, DamagedBodiesAreDeclinedOrAnsweredIdentically) {
  std::mt19937 random(8);
  const char bytes[] = "{}[],:\"0-1.eE+ tnf\\\x01\xc3\xa9\xff";
  for (int i = 0; i < 12; ++i) {
    std::string body = RandomBody(random);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.pop_back();
    DenseOipRequest request;
    for (size_t n = 0; n < body.size(); ++n) {
      EXPECT_FALSE(DecodeDenseOipRequest(std::string_view(body).substr(0, n), kInputs, request))
          << body.substr(0, n);
    }
    for (int j = 0; j < 150; ++j) {
      std::string damaged = body;
      const size_t at = random() % damaged.size();
      switch (random() % 3) {
        case 0:
          damaged[at] = bytes[random() % (sizeof(bytes) - 1)];
          break;
        case 1:
          damaged.erase(at, 1);
          break;
        default:
          damaged.insert(at, 1, bytes[random() % (sizeof(bytes) - 1)]);
          break;
      }
      ExpectSameAnswer(damaged);
    }
    if (::testing::Test::HasFailure()) return;
  }
}

// Bodies the general path refuses (each with its message) or takes in a form the fast path leaves
// to it: the fast path declines them all, so the route answers them as before.
TEST_F(OipDenseTest, DeclinesWhatItDoesNotTake) {
  struct Case {
    const char* body;
    const char* general;  // the general path's error, "" when it answers
  };
  const Case cases[] = {
      {"", "the body is not valid JSON"},
      {"{not json", "the body is not valid JSON"},
      {R"({"inputs":[]} x)", "the body is not valid JSON"},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],})",
       "the body is not valid JSON"},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,03]}]})",
       "the body is not valid JSON"},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,NaN]}]})",
       "the body is not valid JSON"},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,.5]}]})",
       "the body is not valid JSON"},
      {"{\"inputs\":[{\"name\":\"x\xff\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}",
       "the body is not valid JSON"},
      {"{\"id\":\"a\tb\",\"inputs\":[{\"name\":\"x\",\"shape\":[1,3],\"datatype\":\"FP32\","
       "\"data\":[1,2,3]}]}",
       "the body is not valid JSON"},
      {R"({})", "the request needs \"inputs\""},
      {R"([])", "the request needs \"inputs\""},
      {R"({"inputs":[]})", "the request needs \"inputs\""},
      {R"({"inputs":{}})", "the request needs \"inputs\""},
      {R"({"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]})", "needs a \"name\""},
      {R"({"inputs":[{"name":7,"shape":[1],"datatype":"FP32","data":[1]}]})", "needs a \"name\""},
      {R"({"inputs":[{"name":"x","datatype":"FP32","data":[1]}]})",
       "input 'x': shape must be [rows] or [rows, columns]"},
      {R"({"inputs":[{"name":"x","shape":[1,3,1],"datatype":"FP32","data":[1,2,3]}]})",
       "input 'x': shape must be [rows] or [rows, columns]"},
      {R"({"inputs":[{"name":"x","shape":[1,-3],"datatype":"FP32","data":[1,2,3]}]})",
       "input 'x': shape must hold non-negative integers"},
      {R"({"inputs":[{"name":"x","shape":[1,3.0],"datatype":"FP32","data":[1,2,3]}]})",
       "input 'x': shape must hold non-negative integers"},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FLOAT","data":[1,2,3]}]})",
       "input 'x': datatype 'FLOAT' is not an Open Inference Protocol type"},
      {R"({"inputs":[{"name":"x","shape":[1,3],"data":[1,2,3]}]})",
       "input 'x': datatype '' is not an Open Inference Protocol type"},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32"}]})", "input 'x' has no \"data\""},
      {R"({"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3]}]})",
       "input 'x': shape [2,3] needs 6 values, data has 3"},
      {R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]})",
       "input 'x' has 2 columns per row; the model takes 3 (x1, count, flag)"},
      {R"({"inputs":[{"name":"x1","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
       "input 'x1' names a column, so its shape must be [rows] or [rows, 1], not [1,3]"},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"BYTES","data":[1,"2",3]}]})",
       "input 'count' row 0: expected a number, got \"2\""},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,{"v":2},3]}]})",
       "input 'count' row 0: expected a number, got {\"v\":2}"},
      {R"({"inputs":[{"name":"x1","shape":[1],"datatype":"FP32","data":[1]}]})",
       "input 'count' is missing; the model takes: x1, count, flag"},
      {R"({"inputs":[{"name":"x1","shape":[1],"datatype":"FP32","data":[1]},
                     {"name":"x1","shape":[1],"datatype":"FP32","data":[1]}]})",
       "input 'x1' is given twice"},
      {R"({"inputs":[{"name":"x1","shape":[1],"datatype":"FP32","data":[1]},
                     {"name":"count","shape":[2],"datatype":"FP32","data":[1,2]},
                     {"name":"flag","shape":[1],"datatype":"FP32","data":[1]}]})",
       "input 'count' has 2 rows, 'x1' has 1"},
      {R"({"inputs":[{"name":"x1","shape":[1],"datatype":"FP32","data":[1]},
                     {"name":"count","shape":[1],"datatype":"FP32","data":[1]},
                     {"name":"flag","shape":[1],"datatype":"FP32","data":[1]},
                     {"name":"extra","shape":[1],"datatype":"FP32","data":[1]}]})",
       "'extra' is not an input of the model; it takes: x1, count, flag"},
      // Taken by the general path, left to it.
      {"\xef\xbb\xbf{\"inputs\":[{\"name\":\"x\",\"shape\":[1,3],\"datatype\":\"FP32\","
       "\"data\":[1,2,3]}]}",
       ""},
      {R"({"id":"a\"b","inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
       ""},
      {R"({"inputs":[{"name":"x\u0031","shape":[1],"datatype":"FP32","data":[1]},
                     {"name":"count","shape":[1],"datatype":"FP32","data":[1]},
                     {"name":"flag","shape":[1],"datatype":"FP32","data":[1]}]})",
       ""},
      {R"({"inputs":[{"name":"x","shape":[0,3],"datatype":"FP32","data":[]}]})", ""},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],
           "inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[4,5,6]}]})",
       ""},
      {R"({"inputs":[{"name":"x","name":"y","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
       ""},
      {R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,1e999]}]})",
       "the body is not valid JSON"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    DenseOipRequest request;
    EXPECT_FALSE(DecodeDenseOipRequest(c.body, kInputs, request));
    Answer general = General((*models_)[0], c.body, "id");
    EXPECT_EQ(general.ok, std::string_view(c.general).empty()) << general.text;
    if (!general.ok) {
      EXPECT_THAT(general.text, ::testing::HasSubstr(c.general));
    }
  }
  // Nesting deeper than the scanner's stack is left to the general path too.
  std::string deep = R"({"parameters":)" + std::string(100, '[') + std::string(100, ']') +
                     R"(,"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})";
  DenseOipRequest request;
  EXPECT_FALSE(DecodeDenseOipRequest(deep, kInputs, request));
  EXPECT_TRUE(General((*models_)[0], deep, "id").ok);
}

TEST_F(OipDenseTest, TakesEveryDatatypeAndScalarSpelling) {
  for (const char* datatype : {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16",
                               "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"}) {
    const std::string body =
        fmt::format(R"({{"inputs":[{{"name":"x1","shape":[2],"datatype":"{0}","data":[1.5,null]}},)"
                    R"({{"name":"count","shape":[2,1],"datatype":"{0}","data":[[3],[-0]]}},)"
                    R"({{"name":"flag","shape":[2],"datatype":"{0}","data":[true,false]}}]}})",
                    datatype);
    EXPECT_TRUE(ExpectSameAnswer(body)) << body;
  }
}

TEST(OipResponseTest, NumbersAndIdsPrintAsNlohmannDumps) {
  std::mt19937_64 random(3);
  std::vector<double> scores;
  for (int i = 0; i < 2000; ++i) {
    uint64_t bits = random();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    scores.push_back(v);
    scores.push_back(static_cast<float>(std::ldexp(static_cast<double>(random() % 100000), -17)));
  }
  for (double special :
       {0.0, -0.0, 1.0, 1e16, 1e-5, 123456789.0, 0.1, std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN(), 3.4e38, 1e300}) {
    scores.push_back(special);
  }
  for (bool float32 : {true, false}) {
    Json values = Json::array();
    for (double v : scores) {
      values.push_back(!std::isfinite(v) ? Json(nullptr)
                       : float32         ? Json(static_cast<float>(v))
                                         : Json(v));
    }
    for (const char* id : {"", "\"x\"", "12", "1E2", "-0", "[1, {\"b\": 2, \"a\": 3.50}]"}) {
      Json expected = {{"model_name", "m\"odel\n"},
                       {"model_version", "3"},
                       {"outputs", Json::array({{{"name", "predict"},
                                                 {"shape", Json::array({scores.size() / 2, 2})},
                                                 {"datatype", float32 ? "FP32" : "FP64"},
                                                 {"data", values}}})}};
      expected["id"] = *id ? Json::parse(id) : Json("rid");
      std::string out;
      AppendOipResponse(out, {.id_json = id,
                              .request_id = "rid",
                              .model_name = "m\"odel\n",
                              .model_version = "3",
                              .rows = scores.size() / 2,
                              .outputs = 2,
                              .float32 = float32,
                              .scores = scores});
      EXPECT_EQ(out, expected.dump()) << id;
    }
  }
}

}  // namespace
}  // namespace sluice::serving
