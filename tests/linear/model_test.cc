#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "linear/linear.h"
#include "testing/status_matchers.h"

namespace sluice::linear {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Model Logistic() {
  return Model{.objective = Objective::kLogistic,
               .num_outputs = 1,
               .weights = {0.5, -2},
               .intercepts = {0.25},
               .feature_names = {"age", "income"},
               .impute_values = {40, 1.5}};
}

Model Softmax() {
  return Model{.objective = Objective::kSoftmax,
               .num_outputs = 3,
               .weights = {1, 0, 0, 1, -1, -1},
               .intercepts = {0, 0.5, -0.5},
               .feature_names = {"a", "b"},
               .impute_values = {0, 0}};
}

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(Model, PredictAppliesTheLinkFunction) {
  const Model model = Logistic();
  std::vector<double> out(1);
  model.PredictMarginRow(std::vector<double>{2, 0.5}, out);
  EXPECT_DOUBLE_EQ(out[0], 0.25 + 1 - 1);
  model.PredictRow(std::vector<double>{2, 0.5}, out);
  EXPECT_DOUBLE_EQ(out[0], 1 / (1 + std::exp(-0.25)));
  // Far tails stay finite and ordered.
  model.PredictRow(std::vector<double>{-5000, 0}, out);
  EXPECT_EQ(out[0], 0.0);
  model.PredictRow(std::vector<double>{5000, 0}, out);
  EXPECT_EQ(out[0], 1.0);

  Model regression = Logistic();
  regression.objective = Objective::kSquaredError;
  regression.PredictRow(std::vector<double>{2, 0.5}, out);
  EXPECT_DOUBLE_EQ(out[0], 0.25);
}

TEST(Model, PredictImputesMissingValues) {
  const Model model = Logistic();
  std::vector<double> out(1);
  model.PredictMarginRow(std::vector<double>{kNaN, kNaN}, out);
  EXPECT_DOUBLE_EQ(out[0], 0.25 + 0.5 * 40 - 2 * 1.5);
}

TEST(Model, SoftmaxProbabilitiesSumToOne) {
  const Model model = Softmax();
  const std::vector<double> rows = {0, 0, 3, -1, 1000, -1000};
  const std::vector<double> p = model.Predict(rows, 3);
  ASSERT_EQ(p.size(), 9u);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(p[3 * i] + p[3 * i + 1] + p[3 * i + 2], 1, 1e-15);
  // Row 0: margins (0, 0.5, -0.5).
  const double z = 1 + std::exp(0.5) + std::exp(-0.5);
  EXPECT_THAT(std::vector<double>(p.begin(), p.begin() + 3),
              ElementsAre(DoubleNear(1 / z, 1e-15), DoubleNear(std::exp(0.5) / z, 1e-15),
                          DoubleNear(std::exp(-0.5) / z, 1e-15)));
  // Huge margins do not overflow.
  EXPECT_EQ(p[6], 1.0);
}

TEST(Model, JsonHasTheDocumentedFormat) {
  EXPECT_EQ(Logistic().ToJson(),
            R"({"format":"sluice-linear","version":1,"objective":"logistic","num_outputs":1,)"
            R"("feature_names":["age","income"],"weights":[[0.5,-2.0]],"intercepts":[0.25],)"
            R"("impute_values":[40.0,1.5]})");
}

TEST(Model, JsonRoundTripIsBitIdentical) {
  Model model = Softmax();
  model.weights = {0.1, 1.0 / 3, -2.0 / 7, 1e-300, 5e-324, -0.0};
  model.intercepts = {std::nextafter(1.0, 2.0), 123456789.123456789, -1e300};
  model.impute_values = {std::acos(-1.0), 2.2250738585072014e-308};
  model.feature_names = {"a \"quoted\" name", "ünïcode\n"};
  const std::string json = model.ToJson();
  ASSERT_OK_AND_ASSIGN(Model back, Model::FromJson(json));
  EXPECT_EQ(back.objective, model.objective);
  EXPECT_EQ(back.num_outputs, model.num_outputs);
  EXPECT_EQ(back.feature_names, model.feature_names);
  EXPECT_TRUE(SameBits(back.weights, model.weights));
  EXPECT_TRUE(SameBits(back.intercepts, model.intercepts));
  EXPECT_TRUE(SameBits(back.impute_values, model.impute_values));
  EXPECT_EQ(back.ToJson(), json);
}

TEST(Model, FittedModelRoundTrips) {
  const std::vector<double> x = {0.3, 1, -1.7, 2, 0.2, -0.4, 1.1, 0.9, -0.6, 0.05};
  const std::vector<double> y = {1, 0, 1, 0, 1};
  ASSERT_OK_AND_ASSIGN(auto fitted, Fit(x, 5, 2, y, {}, {"p", "q"}, {}));
  ASSERT_OK_AND_ASSIGN(Model back, Model::FromJson(fitted.first.ToJson()));
  EXPECT_TRUE(SameBits(back.weights, fitted.first.weights));
  EXPECT_TRUE(SameBits(back.intercepts, fitted.first.intercepts));
  EXPECT_TRUE(SameBits(back.impute_values, fitted.first.impute_values));
}

TEST(Model, FromJsonRejectsBadDocuments) {
  const std::string good = Logistic().ToJson();
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  struct Case {
    std::string json;
    StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{", StatusCode::kInvalidArgument, "linear model: not valid JSON"},
      {"[]", StatusCode::kInvalidArgument, "expected a JSON object"},
      {replace("sluice-linear", "xgboost"), StatusCode::kInvalidArgument,
       "\"format\" must be \"sluice-linear\""},
      {replace("\"version\":1", "\"version\":2"), StatusCode::kUnimplemented,
       "version 2 is not supported"},
      {replace("\"objective\":\"logistic\"", "\"objective\":\"poisson\""),
       StatusCode::kInvalidArgument, "unknown objective 'poisson'"},
      {replace("\"num_outputs\":1", "\"num_outputs\":3"), StatusCode::kInvalidArgument,
       "\"num_outputs\" = 3 does not fit objective \"logistic\""},
      {replace("[[0.5,-2.0]]", "[[0.5]]"), StatusCode::kInvalidArgument,
       "\"weights\"[0] has 1 numbers, expected one per feature (2)"},
      {replace("[[0.5,-2.0]]", "[[0.5,null]]"), StatusCode::kInvalidArgument,
       "\"weights\"[0][1] must be a number"},
      {replace("[[0.5,-2.0]]", "[0.5,-2.0]"), StatusCode::kInvalidArgument,
       "\"weights\" must be an array of num_outputs (1) arrays"},
      {replace("[[0.5,-2.0]]", "[{}]"), StatusCode::kInvalidArgument,
       "\"weights\"[0] must be an array of numbers"},
      {replace("\"intercepts\":[0.25]", "\"intercepts\":[]"), StatusCode::kInvalidArgument,
       "\"intercepts\" has 0 numbers, expected num_outputs (1)"},
      {replace(",\"impute_values\":[40.0,1.5]", ""), StatusCode::kInvalidArgument,
       "missing \"impute_values\""},
      {replace("[40.0,1.5]", "[40.0]"), StatusCode::kInvalidArgument,
       "\"impute_values\" has 1 numbers, expected one per feature (2)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    EXPECT_THAT(Model::FromJson(c.json), StatusIs(c.code, HasSubstr(c.message)));
  }
}

TEST(Objective, NamesRoundTrip) {
  for (Objective o : {Objective::kSquaredError, Objective::kLogistic, Objective::kSoftmax}) {
    ASSERT_OK_AND_ASSIGN(Objective back, ParseObjective(ObjectiveName(o)));
    EXPECT_EQ(back, o);
  }
  EXPECT_THAT(ParseObjective("linear"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown objective 'linear'")));
}

}  // namespace
}  // namespace sluice::linear
