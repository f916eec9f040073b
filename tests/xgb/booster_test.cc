#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "testing/status_matchers.h"
#include "xgb/test_data.h"
#include "xgb/xgb.h"

namespace sluice::xgb {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using namespace ::sluice::xgb::testing;  // NOLINT: test data helpers

std::vector<uint32_t> Bits(const std::vector<float>& values) {
  std::vector<uint32_t> bits;
  for (float v : values) bits.push_back(std::bit_cast<uint32_t>(v));
  return bits;
}

std::span<const uint8_t> AsBytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

const Params kBinary = {{"objective", "binary:logistic"}, {"max_depth", "3"}};

TEST(XgbTest, VersionIsTheLinkedLibrary) { EXPECT_EQ(Version(), "1.7.4"); }

TEST(BoosterTest, TrainsASeparableBinaryModel) {
  Data train_data = Binary(500, 5, 1);
  Data valid_data = Binary(200, 5, 2);
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(train_data));
  ASSERT_OK_AND_ASSIGN(DMatrix valid, ToDMatrix(valid_data));
  Params params = kBinary;
  params.push_back({"eval_metric", "auc"});
  params.push_back({"eval_metric", "logloss"});
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, params, 10));
  ASSERT_OK_AND_ASSIGN(int rounds, booster.BoostedRounds());
  EXPECT_EQ(rounds, 10);
  ASSERT_OK_AND_ASSIGN(int features, booster.NumFeatures());
  EXPECT_EQ(features, 5);

  const std::pair<std::string, const DMatrix*> sets[] = {{"train", &train}, {"valid", &valid}};
  ASSERT_OK_AND_ASSIGN(std::vector<EvalValue> values, booster.Eval(9, sets));
  ASSERT_THAT(values, SizeIs(4));
  EXPECT_EQ(values[0].dataset, "train");
  EXPECT_EQ(values[0].metric, "auc");
  EXPECT_GT(values[0].value, 0.95);
  EXPECT_EQ(values[1].metric, "logloss");
  EXPECT_LT(values[1].value, 0.3);
  EXPECT_EQ(values[2].dataset, "valid");
  EXPECT_GT(values[2].value, 0.9);
}

TEST(BoosterTest, EvalValuesAgreeWithPredictions) {
  Data data = Regression(400, 4, 3);
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
  ASSERT_OK_AND_ASSIGN(
      Booster booster,
      Train(train, {{"objective", "reg:squarederror"}, {"eval_metric", "rmse"}}, 20));
  ASSERT_OK_AND_ASSIGN(std::vector<float> predictions, booster.Predict(train));
  ASSERT_THAT(predictions, SizeIs(400));
  double squared = 0;
  for (size_t i = 0; i < predictions.size(); ++i) {
    squared += (predictions[i] - data.y[i]) * (predictions[i] - data.y[i]);
  }
  double rmse = std::sqrt(squared / 400);
  const std::pair<std::string, const DMatrix*> sets[] = {{"train", &train}};
  ASSERT_OK_AND_ASSIGN(std::vector<EvalValue> values, booster.Eval(19, sets));
  ASSERT_THAT(values, ElementsAre(Field(&EvalValue::metric, "rmse")));
  EXPECT_NEAR(values[0].value, rmse, 1e-5 * rmse + 1e-6);  // XGBoost prints 6 digits
  EXPECT_LT(rmse, 0.3);                                    // labels span about [-5, 3]
}

TEST(BoosterTest, TrainingIsDeterministic) {
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(Binary(500, 5, 4, 0.1)));
  // Subsampling makes the trees depend on XGBoost's random engine.
  Params params = kBinary;
  params.insert(params.end(),
                {{"subsample", "0.7"}, {"colsample_bynode", "0.6"}, {"tree_method", "hist"}});
  ASSERT_OK_AND_ASSIGN(Booster a, Train(train, params, 8));
  ASSERT_OK_AND_ASSIGN(Booster b, Train(train, params, 8));
  ASSERT_OK_AND_ASSIGN(std::string json_a, a.SaveJson());
  ASSERT_OK_AND_ASSIGN(std::string json_b, b.SaveJson());
  EXPECT_EQ(json_a, json_b);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> ubj_a, a.SaveUbj());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> ubj_b, b.SaveUbj());
  EXPECT_EQ(ubj_a, ubj_b);

  params[0].second = "binary:logitraw";  // a different model saves differently
  ASSERT_OK_AND_ASSIGN(Booster c, Train(train, params, 8));
  EXPECT_NE(c.SaveJson().value(), json_a);
}

TEST(BoosterTest, SetParamDuringTrainingLeavesTheRandomEngineAlone) {
  // SetParam checks values on a throwaway learner; were that on this thread, configuring it
  // would reseed XGBoost's per-thread random engine and change the trees after round 4.
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(Binary(300, 5, 5)));
  Params params = kBinary;
  params.push_back({"subsample", "0.5"});
  ASSERT_OK_AND_ASSIGN(Booster plain, Train(train, params, 8));

  ASSERT_OK_AND_ASSIGN(Booster touched, Train(train, params, 4));
  ASSERT_OK(touched.SetParam("nthread", "1"));
  for (int i = 4; i < 8; ++i) ASSERT_OK(touched.UpdateOneIter(i, train));
  EXPECT_EQ(touched.SaveJson().value(), plain.SaveJson().value());
}

TEST(BoosterTest, LoadedModelsPredictBitIdentically) {
  Data data = Binary(300, 5, 6, 0.2);  // with NaNs
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
  ASSERT_OK_AND_ASSIGN(Booster original, Train(train, kBinary, 12));
  ASSERT_OK_AND_ASSIGN(std::vector<float> expected, original.Predict(train));
  ASSERT_OK_AND_ASSIGN(std::vector<float> expected_margin, original.Predict(train, 0, true));
  ASSERT_OK_AND_ASSIGN(std::string json, original.SaveJson());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> ubj, original.SaveUbj());

  ASSERT_OK_AND_ASSIGN(Booster from_json, Booster::Load(AsBytes(json)));
  ASSERT_OK_AND_ASSIGN(Booster from_ubj, Booster::Load(ubj));
  for (const Booster* loaded : {&from_json, &from_ubj}) {
    EXPECT_EQ(Bits(loaded->Predict(train).value()), Bits(expected));
    EXPECT_EQ(Bits(loaded->Predict(train, 0, true).value()), Bits(expected_margin));
    EXPECT_EQ(Bits(loaded->PredictDense(data.x, data.rows, data.cols).value()), Bits(expected));
    EXPECT_EQ(loaded->BoostedRounds().value(), 12);
    EXPECT_EQ(loaded->SaveJson().value(), json);  // nothing lost on the way
  }
}

TEST(BoosterTest, LoadsAHandWrittenModel) {
  // One split on feature 1 at 0.5 (missing goes left) into leaves -0.4 and 0.3, plus a tree
  // that is one leaf of 0.1; base_score 0.5 is a margin of 0.
  nlohmann::json tree0 = {
      {"id", 0},
      {"tree_param",
       {{"num_deleted", "0"}, {"num_feature", "2"}, {"num_nodes", "3"}, {"size_leaf_vector", "0"}}},
      {"left_children", {1, -1, -1}},
      {"right_children", {2, -1, -1}},
      {"parents", {2147483647, 0, 0}},
      {"split_indices", {1, 0, 0}},
      {"split_conditions", {0.5, -0.4, 0.3}},
      {"default_left", {1, 0, 0}},
      {"split_type", {0, 0, 0}},
      {"base_weights", {0.0, -0.4, 0.3}},
      {"loss_changes", {1.0, 0.0, 0.0}},
      {"sum_hessian", {10.0, 5.0, 5.0}},
      {"categories", nlohmann::json::array()},
      {"categories_nodes", nlohmann::json::array()},
      {"categories_segments", nlohmann::json::array()},
      {"categories_sizes", nlohmann::json::array()}};
  nlohmann::json tree1 = tree0;
  tree1["id"] = 1;
  tree1["tree_param"]["num_nodes"] = "1";
  for (const char* key : {"left_children", "right_children"}) tree1[key] = {-1};
  for (const char* key : {"parents", "split_indices", "default_left", "split_type"}) {
    tree1[key] = {0};
  }
  tree1["split_conditions"] = {0.1};
  tree1["base_weights"] = {0.1};
  tree1["loss_changes"] = {0.0};
  tree1["sum_hessian"] = {10.0};
  nlohmann::json model = {
      {"learner",
       {{"attributes", nlohmann::json::object()},
        {"feature_names", {"a", "b"}},
        {"feature_types", {"q", "q"}},
        {"gradient_booster",
         {{"name", "gbtree"},
          {"model",
           {{"gbtree_model_param",
             {{"num_parallel_tree", "1"}, {"num_trees", "2"}, {"size_leaf_vector", "0"}}},
            {"tree_info", {0, 0}},
            {"trees", {tree0, tree1}}}}}},
        {"learner_model_param",
         {{"base_score", "5E-1"},
          {"boost_from_average", "1"},
          {"num_class", "0"},
          {"num_feature", "2"},
          {"num_target", "1"}}},
        {"objective",
         {{"name", "binary:logistic"}, {"reg_loss_param", {{"scale_pos_weight", "1"}}}}}}},
      {"version", {1, 7, 4}}};
  ASSERT_OK_AND_ASSIGN(Booster booster, Booster::Load(nlohmann::json::to_ubjson(model)));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {0, 0.2f, 0, 0.9f, 0, nan};
  ASSERT_OK_AND_ASSIGN(std::vector<float> margins, booster.PredictDense(x, 3, 2, 0, true));
  EXPECT_THAT(margins, ElementsAre(::testing::FloatEq(-0.3f), ::testing::FloatEq(0.4f),
                                   ::testing::FloatEq(-0.3f)));
  ASSERT_OK_AND_ASSIGN(std::vector<float> first_tree, booster.PredictDense(x, 3, 2, 1, true));
  EXPECT_THAT(first_tree, ElementsAre(::testing::FloatEq(-0.4f), ::testing::FloatEq(0.3f),
                                      ::testing::FloatEq(-0.4f)));
  ASSERT_OK_AND_ASSIGN(auto importance, booster.FeatureImportance("weight"));
  EXPECT_THAT(importance, ElementsAre(std::pair<const std::string, double>("b", 1.0)));
}

// Every kind of model XGBoost 1.7 trains here loads back through the structure check.
TEST(BoosterTest, EveryModelKindRoundTrips) {
  struct Case {
    std::string name;
    Params params;
    bool categorical = false;
  };
  const std::vector<Case> cases = {
      {"gbtree", kBinary},
      {"multiclass", {{"objective", "multi:softprob"}, {"num_class", "3"}}},
      {"dart", {{"booster", "dart"}, {"rate_drop", "0.2"}, {"objective", "binary:logistic"}}},
      {"gblinear", {{"booster", "gblinear"}, {"objective", "binary:logistic"}}},
      {"forest", {{"num_parallel_tree", "3"}, {"subsample", "0.8"}, {"colsample_bynode", "0.8"}}},
      // exact + gamma prunes, leaving deleted nodes in the trees.
      {"pruned", {{"tree_method", "exact"}, {"gamma", "2"}, {"max_depth", "6"}}},
      {"categorical",
       {{"tree_method", "hist"}, {"max_cat_to_onehot", "1"}, {"objective", "binary:logistic"}},
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Data data = c.name == "multiclass" ? Multiclass(300, 4, 3, 8) : Binary(300, 4, 8, 0.1);
    if (c.categorical) {  // column 3 becomes a category in 0..5 that decides the label
      for (size_t r = 0; r < data.rows; ++r) {
        float category = std::floor((data.x[r * 4 + 3] + 1) * 3);
        data.x[r * 4 + 3] = category;
        data.y[r] = (category == 1 || category == 4) ? 1.0f : 0.0f;
      }
    }
    ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
    if (c.categorical) {
      ASSERT_OK(train.SetFeatureTypes({"q", "q", "q", "c"}));
    }
    ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, c.params, 6));
    ASSERT_OK_AND_ASSIGN(std::vector<float> expected, booster.Predict(train));
    ASSERT_OK_AND_ASSIGN(std::string json, booster.SaveJson());
    if (c.categorical) {
      EXPECT_THAT(json, ::testing::ContainsRegex(R"("categories_sizes":\[[0-9])"))
          << "no categorical split";
    }
    ASSERT_OK_AND_ASSIGN(Booster from_json, Booster::Load(AsBytes(json)));
    ASSERT_OK_AND_ASSIGN(Booster from_ubj, Booster::Load(booster.SaveUbj().value()));
    EXPECT_EQ(Bits(from_json.Predict(train).value()), Bits(expected));
    EXPECT_EQ(Bits(from_ubj.Predict(train).value()), Bits(expected));
  }
}

TEST(BoosterTest, PredictDenseMatchesPredict) {
  Data data = Binary(257, 6, 9, 0.3);
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, kBinary, 10));
  for (int end : {0, 1, 5}) {
    for (bool margin : {false, true}) {
      EXPECT_EQ(Bits(booster.PredictDense(data.x, data.rows, data.cols, end, margin).value()),
                Bits(booster.Predict(train, end, margin).value()))
          << end << " " << margin;
    }
  }
  ASSERT_OK_AND_ASSIGN(std::vector<float> none, booster.PredictDense({}, 0, 6));
  EXPECT_TRUE(none.empty());
}

TEST(BoosterTest, AnotherMissingValueMeansTheSameInBothPredictions) {
  Data data = Binary(200, 4, 10);
  for (size_t i = 1; i < data.x.size(); i += 7) {
    if (i % 4 != 0) data.x[i] = -999.0f;
  }
  ASSERT_OK_AND_ASSIGN(DMatrix train, DMatrix::FromDense(data.x, data.rows, data.cols, -999.0f));
  ASSERT_OK(train.SetLabels(data.y));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, kBinary, 5));
  ASSERT_OK_AND_ASSIGN(std::vector<float> dense,
                       booster.PredictDense(data.x, data.rows, data.cols, 0, false, -999.0f));
  EXPECT_EQ(Bits(dense), Bits(booster.Predict(train).value()));
  // Read as a value rather than as missing, -999 sends rows elsewhere.
  EXPECT_NE(Bits(booster.PredictDense(data.x, data.rows, data.cols).value()), Bits(dense));
}

TEST(BoosterTest, MulticlassProbabilitiesAreRowsTimesClasses) {
  Data data = Multiclass(240, 4, 4, 11);
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
  ASSERT_OK_AND_ASSIGN(Booster booster,
                       Train(train, {{"objective", "multi:softprob"}, {"num_class", "4"}}, 5));
  ASSERT_OK_AND_ASSIGN(std::vector<float> p, booster.PredictDense(data.x, data.rows, data.cols));
  ASSERT_THAT(p, SizeIs(240 * 4));
  int correct = 0;
  for (size_t r = 0; r < 240; ++r) {
    float sum = p[r * 4] + p[r * 4 + 1] + p[r * 4 + 2] + p[r * 4 + 3];
    EXPECT_NEAR(sum, 1.0f, 1e-5f) << "row " << r;
    size_t best = std::max_element(p.begin() + static_cast<long>(r * 4),
                                   p.begin() + static_cast<long>(r * 4 + 4)) -
                  (p.begin() + static_cast<long>(r * 4));
    correct += best == static_cast<size_t>(data.y[r]);
  }
  EXPECT_GT(correct, 220);
  EXPECT_EQ(booster.BoostedRounds().value(), 5);  // rounds, not trees (20)
}

TEST(BoosterTest, SliceKeepsTheFirstRounds) {
  Data data = Binary(300, 5, 12, 0.1);
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, kBinary, 10));
  for (int k : {1, 4, 10}) {
    ASSERT_OK_AND_ASSIGN(Booster sliced, booster.Slice(0, k));
    EXPECT_EQ(sliced.BoostedRounds().value(), k);
    EXPECT_EQ(Bits(sliced.Predict(train).value()), Bits(booster.Predict(train, k).value()));
  }
  ASSERT_OK_AND_ASSIGN(Booster middle, booster.Slice(3, 5));
  EXPECT_EQ(middle.BoostedRounds().value(), 2);

  EXPECT_THAT(booster.Slice(0, 11), StatusIs(StatusCode::kOutOfRange,
                                             HasSubstr("[0, 11) is past the model's 10 rounds")));
  EXPECT_THAT(booster.Slice(2, 2), StatusIs(StatusCode::kInvalidArgument,
                                            HasSubstr("XGBoosterSlice: [2, 2) is not a range")));
  EXPECT_THAT(booster.Slice(-1, 2), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(booster.Predict(train, 11),
              StatusIs(StatusCode::kOutOfRange, HasSubstr("iteration_end 11 is outside [0, 10]")));
  EXPECT_THAT(booster.PredictDense(data.x, data.rows, data.cols, -1),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(BoosterTest, FeatureImportanceIsKeyedByName) {
  Data data = Binary(400, 4, 13);
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
  ASSERT_OK(train.SetFeatureNames({"alpha", "beta", "gamma", "delta"}));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, kBinary, 8));
  for (const char* type : {"weight", "gain", "total_gain", "cover", "total_cover"}) {
    SCOPED_TRACE(type);
    ASSERT_OK_AND_ASSIGN(auto importance, booster.FeatureImportance(type));
    ASSERT_TRUE(importance.contains("alpha"));
    for (const auto& [name, score] : importance) {
      EXPECT_THAT((std::vector<std::string>{"alpha", "beta", "gamma", "delta"}), Contains(name));
      EXPECT_GT(score, 0);
    }
  }
  // The label is x0 + 0.5 x1: alpha carries the most gain.
  ASSERT_OK_AND_ASSIGN(auto gain, booster.FeatureImportance("total_gain"));
  for (const auto& [name, score] : gain) EXPECT_LE(score, gain["alpha"]) << name;
  // The names are saved with the model.
  ASSERT_OK_AND_ASSIGN(Booster loaded, Booster::Load(AsBytes(booster.SaveJson().value())));
  EXPECT_EQ(loaded.FeatureImportance("gain").value(), booster.FeatureImportance("gain").value());

  EXPECT_THAT(
      booster.FeatureImportance("bogus"),
      StatusIs(StatusCode::kInvalidArgument, AllOf(HasSubstr("XGBoosterFeatureScore bogus: "),
                                                   HasSubstr("Unknown feature importance type"))));
}

TEST(BoosterTest, FeatureImportanceWithoutNamesUsesIndices) {
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(Binary(300, 3, 14)));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, kBinary, 4));
  ASSERT_OK_AND_ASSIGN(auto importance, booster.FeatureImportance("weight"));
  EXPECT_TRUE(importance.contains("f0"));
  for (const auto& [name, score] : importance) {
    EXPECT_THAT(name, ::testing::MatchesRegex("f[0-2]"));
  }
}

TEST(BoosterTest, BadParameterValuesNameTheParameter) {
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(Binary(100, 3, 15)));
  const DMatrix* cache[] = {&train};
  ASSERT_OK_AND_ASSIGN(Booster booster, Booster::Create(cache));
  EXPECT_THAT(booster.SetParam("max_depth", "-1"),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("XGBoosterSetParam max_depth: "),
                             HasSubstr("value -1 for Parameter max_depth should be greater equal "
                                       "to 0"))));
  EXPECT_THAT(booster.SetParam("objective", "nope"),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("XGBoosterSetParam objective: "),
                             HasSubstr("Unknown objective function: `nope`"))));
  EXPECT_THAT(booster.SetParam("tree_method", "nope"),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("XGBoosterSetParam tree_method: "),
                             HasSubstr("Invalid Input: 'nope', valid values are"))));
  EXPECT_THAT(booster.SetParam("eta", "fast"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("XGBoosterSetParam eta: ")));
  EXPECT_THAT(
      booster.SetParam("eval_metric", "nope"),
      StatusIs(StatusCode::kInvalidArgument, AllOf(HasSubstr("XGBoosterSetParam eval_metric: "),
                                                   HasSubstr("Unknown metric function nope"))));
  // Rejected values never reached the booster: it trains with the defaults.
  ASSERT_OK(booster.SetParam("nthread", "1"));
  ASSERT_OK(booster.SetParam("objective", "multi:softprob"));  // needs num_class, set next
  ASSERT_OK(booster.SetParam("num_class", "3"));
  EXPECT_THAT(booster.UpdateOneIter(0, train), IsOk());
}

TEST(BoosterTest, ParametersThatOnlyFailTogetherFailInTraining) {
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(Binary(100, 3, 16)));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, {{"objective", "multi:softprob"}}, 0));
  EXPECT_THAT(booster.UpdateOneIter(0, train),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("XGBoosterUpdateOneIter 0: "), HasSubstr("num_class"))));

  Data data = Binary(100, 3, 16);
  for (float& y : data.y) y *= 5;
  ASSERT_OK_AND_ASSIGN(DMatrix bad_labels, ToDMatrix(data));
  ASSERT_OK_AND_ASSIGN(Booster logistic, Train(bad_labels, kBinary, 0));
  EXPECT_THAT(logistic.UpdateOneIter(0, bad_labels),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("label must be in [0,1] for logistic regression")));
  EXPECT_THAT(logistic.UpdateOneIter(-1, bad_labels), StatusIs(StatusCode::kInvalidArgument));
}

TEST(BoosterTest, PredictionInputMustMatchTheModel) {
  Data data = Binary(50, 5, 17);
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, kBinary, 2));
  std::vector<float> four_columns(40);
  EXPECT_THAT(
      booster.PredictDense(four_columns, 10, 4),
      StatusIs(StatusCode::kInvalidArgument,
               HasSubstr("XGBoosterPredictFromDense: the data has 4 columns, the model 5")));
  EXPECT_THAT(booster.PredictDense(four_columns, 9, 5),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("40 values for 9 x 5")));
  ASSERT_OK_AND_ASSIGN(DMatrix narrow, DMatrix::FromDense(four_columns, 10, 4));
  ASSERT_OK_AND_ASSIGN(DMatrix wide, DMatrix::FromDense(std::vector<float>(60), 10, 6));
  // XGBoost accepts fewer columns in a DMatrix (the rest count as missing), not more.
  EXPECT_THAT(booster.Predict(narrow), IsOk());
  EXPECT_THAT(booster.Predict(wide),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("XGBoosterPredictFromDMatrix: ")));
}

TEST(BoosterTest, EvalChecksSetNames) {
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(Binary(50, 3, 18)));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, kBinary, 1));
  using Sets = std::vector<std::pair<std::string, const DMatrix*>>;
  EXPECT_THAT(booster.Eval(0, Sets{{"my set", &train}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("set name 'my set' is empty or")));
  EXPECT_THAT(booster.Eval(0, Sets{{"a:b", &train}}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(booster.Eval(0, Sets{{"t", &train}, {"t", &train}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'t' appears twice")));
  EXPECT_THAT(booster.Eval(0, Sets{{"t", nullptr}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("set 't' has no DMatrix")));
  // The objective's default metric.
  ASSERT_OK_AND_ASSIGN(std::vector<EvalValue> values, booster.Eval(0, Sets{{"t", &train}}));
  EXPECT_THAT(values, ElementsAre(Field(&EvalValue::metric, "logloss")));
}

TEST(BoosterTest, LoadRejectsGarbage) {
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(Binary(100, 3, 19)));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, kBinary, 3));
  ASSERT_OK_AND_ASSIGN(std::string json, booster.SaveJson());
  std::string no_trees = json;
  no_trees.replace(no_trees.find("\"num_trees\""), 11, "\"num_trems\"");
  const std::vector<std::string> cases = {
      "",       "hello garbage", "{", "{\"learner\":{}}", json.substr(0, json.size() - 1),
      no_trees, "[" + json + "]"};
  for (const std::string& bytes : cases) {
    EXPECT_THAT(Booster::Load(AsBytes(bytes)), StatusIs(StatusCode::kInvalidArgument))
        << bytes.substr(0, 40);
  }
  EXPECT_THAT(Booster::Load(AsBytes(no_trees)),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("XGBoost model: learner.gradient_booster.model."
                                 "gbtree_model_param.num_trees: missing")));
}

// Truncated and corrupted models: each either loads and predicts or is an error; none may crash
// (XGBoost 1.7 alone crashes on many of these).
TEST(BoosterTest, LoadSurvivesDamagedModels) {
  Data data = Binary(200, 4, 20, 0.1);
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
  ASSERT_OK_AND_ASSIGN(Booster booster, Train(train, kBinary, 4));
  ASSERT_OK_AND_ASSIGN(std::string json, booster.SaveJson());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> ubj, booster.SaveUbj());
  const std::vector<uint8_t> json_bytes(json.begin(), json.end());
  std::mt19937 random(21);
  int loaded = 0;
  int attempts = 0;
  auto attempt = [&](const std::vector<uint8_t>& bytes) {
    ++attempts;
    Result<Booster> damaged = Booster::Load(bytes);
    if (!damaged.ok()) return;
    ++loaded;
    // A load that passed may still fail to predict (XGBoost's own checks), never crash.
    (void)damaged->PredictDense(data.x, data.rows, data.cols);
    (void)damaged->Predict(train);
  };
  for (const std::vector<uint8_t>* model : {&json_bytes, &std::as_const(ubj)}) {
    for (size_t size = 0; size < model->size(); size += 1 + model->size() / 150) {
      attempt(std::vector<uint8_t>(model->begin(), model->begin() + static_cast<long>(size)));
    }
    for (int i = 0; i < 300; ++i) {
      std::vector<uint8_t> bytes = *model;
      for (int changes = 1 + static_cast<int>(random() % 3); changes > 0; --changes) {
        bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
      }
      attempt(bytes);
    }
  }
  EXPECT_GT(attempts, 800);
  EXPECT_GT(loaded, 0);  // some changes are harmless (a digit of a weight)
}

TEST(BoosterTest, MovesAndEarlyDestructionAreSafe) {
  Data data = Binary(100, 3, 22);
  std::optional<DMatrix> train;
  {
    ASSERT_OK_AND_ASSIGN(DMatrix m, ToDMatrix(data));
    train.emplace(std::move(m));
    EXPECT_EQ(m.rows(), 0u);  // NOLINT: checking the moved-from state
    EXPECT_EQ(m.handle(), nullptr);
  }
  ASSERT_OK_AND_ASSIGN(Booster first, Train(*train, kBinary, 2));
  Booster second = std::move(first);
  ASSERT_OK_AND_ASSIGN(DMatrix other, ToDMatrix(Binary(80, 3, 23)));
  const DMatrix* cache[] = {&other};
  ASSERT_OK_AND_ASSIGN(Booster third, Booster::Create(cache));
  third = std::move(second);  // frees third's own booster
  EXPECT_EQ(third.BoostedRounds().value(), 2);

  // The booster does not own its cached matrix: destroying it first is fine.
  train.reset();
  EXPECT_THAT(third.PredictDense(data.x, data.rows, data.cols), IsOk());
  EXPECT_THAT(third.UpdateOneIter(2, other), IsOk());
  EXPECT_EQ(third.BoostedRounds().value(), 3);

  DMatrix moved = std::move(other);
  other = std::move(moved);
  EXPECT_EQ(other.rows(), 80u);
  // A moved-from booster fails cleanly rather than crashing.
  EXPECT_THAT(first.BoostedRounds(), Not(IsOk()));  // NOLINT: deliberate use after move
}

TEST(BoosterTest, ConcurrentPredictionsMatchSerialOnes) {
  Data data = Binary(300, 5, 24, 0.1);
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(data));
  ASSERT_OK_AND_ASSIGN(Booster trained, Train(train, kBinary, 10));
  // A freshly loaded booster is configured by its first prediction: race that too.
  ASSERT_OK_AND_ASSIGN(Booster booster, Booster::Load(trained.SaveUbj().value()));
  ASSERT_OK_AND_ASSIGN(std::vector<float> expected, trained.Predict(train));
  ASSERT_OK_AND_ASSIGN(std::string json, trained.SaveJson());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Result<std::vector<float>> p = (i + t) % 2 == 0
                                           ? booster.PredictDense(data.x, data.rows, data.cols)
                                           : booster.Predict(train);
        if (!p.ok() || Bits(*p) != Bits(expected)) ++mismatches;
        if (i % 10 == 0 && booster.SaveJson().value_or("") != json) ++mismatches;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(DMatrixTest, ChecksItsInputs) {
  std::vector<float> values(12, 1.0f);
  EXPECT_THAT(DMatrix::FromDense(values, 5, 3),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("XGDMatrixCreateFromMat: 12 values for 5 x 3")));
  EXPECT_THAT(DMatrix::FromDense(values, 12, 0),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("a matrix needs columns")));
  values[4] = std::numeric_limits<float>::infinity();
  EXPECT_THAT(DMatrix::FromDense(values, 4, 3),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("XGDMatrixCreateFromMat: "), HasSubstr("inf"))));
  // Unless infinity is what marks missing values.
  EXPECT_THAT(DMatrix::FromDense(values, 4, 3, std::numeric_limits<float>::infinity()), IsOk());
  ASSERT_OK_AND_ASSIGN(DMatrix empty, DMatrix::FromDense({}, 0, 3));
  EXPECT_EQ(empty.rows(), 0u);
  EXPECT_EQ(empty.cols(), 3u);

  values[4] = 1.0f;
  ASSERT_OK_AND_ASSIGN(DMatrix m, DMatrix::FromDense(values, 4, 3));
  EXPECT_THAT(m.SetLabels(std::vector<float>(3)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("labels: 3 values for 4 rows")));
  EXPECT_THAT(
      m.SetLabels(std::vector<float>{1, 0, std::numeric_limits<float>::quiet_NaN(), 1}),
      StatusIs(StatusCode::kInvalidArgument,
               AllOf(HasSubstr("XGDMatrixSetFloatInfo label: "), HasSubstr("Label contains NaN"))));
  EXPECT_THAT(m.SetWeights(std::vector<float>(5)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("weights: 5 values for 4 rows")));
  EXPECT_THAT(m.SetWeights(std::vector<float>{1, 2, 1, 2}), IsOk());
  EXPECT_THAT(m.SetFeatureNames({"a", "b"}),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("XGDMatrixSetStrFeatureInfo feature_name: "),
                             HasSubstr("Length of feature_name must be equal to number of "
                                       "columns"))));
  EXPECT_THAT(m.SetFeatureNames({"a", "b", "a"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'a' appears twice")));
  EXPECT_THAT(m.SetFeatureNames({"a", "", "c"}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(m.SetFeatureTypes({"q", "x", "c"}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("All feature_types must be one of {int, float, i, q, c}")));
  ASSERT_OK(m.SetFeatureNames({"a", "b", "c"}));
  ASSERT_OK(m.SetFeatureTypes({"q", "int", "c"}));
  EXPECT_THAT(m.feature_names(), ElementsAre("a", "b", "c"));
  EXPECT_THAT(m.feature_types(), ElementsAre("q", "int", "c"));
  EXPECT_THAT(m.feature_names(), Not(Contains("")));
}

TEST(ConfigureTest, RoutesXgboostWarningsThroughTheLog) {
  std::vector<std::string> lines;
  ScopedLogSink sink([&](std::string_view line) { lines.emplace_back(line); });
  EXPECT_THAT(Configure(4), StatusIs(StatusCode::kInvalidArgument, HasSubstr("verbosity 4")));
  ASSERT_OK(Configure(1));
  ASSERT_OK_AND_ASSIGN(DMatrix train, ToDMatrix(Binary(50, 3, 25)));
  // validate_parameters (set by Create) makes XGBoost warn about an unknown name.
  Result<Booster> booster = Train(train, {{"not_a_parameter", "1"}}, 1);
  ASSERT_OK(Configure(0));
  ASSERT_OK(booster.status());
  EXPECT_THAT(lines, Contains(AllOf(HasSubstr("WARN "), HasSubstr("xgboost: "),
                                    HasSubstr("not_a_parameter"))));

  lines.clear();
  ASSERT_OK(Train(train, {{"not_a_parameter", "1"}}, 1).status());
  EXPECT_THAT(lines, Not(Contains(HasSubstr("xgboost"))));  // silent again
}

}  // namespace
}  // namespace sluice::xgb
