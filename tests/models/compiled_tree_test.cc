#include "models/compiled_tree.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "models/internal/simd_forest.h"
#include "models/tree_random_models.h"
#include "testing/status_matchers.h"
#include "xgb/xgb.h"

namespace sluice::models {
namespace {

using ::sluice::models::testing::RandomModel;
using ::sluice::models::testing::RandomRows;
using ::sluice::models::testing::Rng;
using ::sluice::models::testing::TrainRandomModel;
using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::span<const uint8_t> AsBytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// A tree node for HandModel: a split of `feature` at `value` when left >= 0 (the right child is
// left + 1), else a leaf whose value is `value`.
struct HandNode {
  int left = -1;
  int feature = 0;
  float value = 0;
  bool default_left = false;
};

// A complete XGBoost 1.7 JSON model (XGBoost itself loads it) with the given trees.
Json HandModel(const std::vector<std::vector<HandNode>>& trees, int num_feature = 2,
               const std::string& objective = "reg:squarederror",
               const std::string& base_score = "5E-1") {
  Json json_trees = Json::array();
  Json tree_info = Json::array();
  for (size_t t = 0; t < trees.size(); ++t) {
    const auto& nodes = trees[t];
    Json tree;
    std::vector<int> parents(nodes.size(), 2147483647);
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].left >= 0) {
        parents[static_cast<size_t>(nodes[i].left)] = static_cast<int>(i);
        parents[static_cast<size_t>(nodes[i].left) + 1] = static_cast<int>(i);
      }
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
      const HandNode& n = nodes[i];
      const bool leaf = n.left < 0;
      tree["left_children"].push_back(leaf ? -1 : n.left);
      tree["right_children"].push_back(leaf ? -1 : n.left + 1);
      tree["split_indices"].push_back(leaf ? 0 : n.feature);
      tree["split_conditions"].push_back(n.value);
      tree["default_left"].push_back(n.default_left ? 1 : 0);
      tree["split_type"].push_back(0);
      tree["parents"].push_back(parents[i]);
      tree["base_weights"].push_back(0.0);
      tree["loss_changes"].push_back(0.0);
      tree["sum_hessian"].push_back(1.0);
    }
    tree["categories"] = Json::array();
    tree["categories_nodes"] = Json::array();
    tree["categories_segments"] = Json::array();
    tree["categories_sizes"] = Json::array();
    tree["id"] = t;
    tree["tree_param"] = {{"num_deleted", "0"},
                          {"num_feature", std::to_string(num_feature)},
                          {"num_nodes", std::to_string(nodes.size())},
                          {"size_leaf_vector", "0"}};
    json_trees.push_back(tree);
    tree_info.push_back(0);
  }
  Json model;
  model["version"] = {1, 7, 4};
  Json& learner = model["learner"];
  learner["attributes"] = Json::object();
  learner["feature_names"] = Json::array();
  learner["feature_types"] = Json::array();
  learner["learner_model_param"] = {{"base_score", base_score},
                                    {"boost_from_average", "1"},
                                    {"num_class", "0"},
                                    {"num_feature", std::to_string(num_feature)},
                                    {"num_target", "1"}};
  learner["objective"] = {{"name", objective}, {"reg_loss_param", {{"scale_pos_weight", "1"}}}};
  learner["gradient_booster"] = {{"name", "gbtree"},
                                 {"model",
                                  {{"gbtree_model_param",
                                    {{"num_parallel_tree", "1"},
                                     {"num_trees", std::to_string(trees.size())},
                                     {"size_leaf_vector", "0"}}},
                                   {"tree_info", tree_info},
                                   {"trees", json_trees}}}};
  return model;
}

std::vector<uint32_t> Bits(std::span<const float> values) {
  std::vector<uint32_t> bits;
  for (float v : values) bits.push_back(std::bit_cast<uint32_t>(v));
  return bits;
}

std::string RowText(std::span<const float> row) {
  std::string text;
  for (float v : row) text += fmt::format("{} ", v);
  return text;
}

std::vector<float> Predict(const CompiledTrees& trees, const std::vector<float>& rows) {
  const size_t n = rows.size() / std::max<size_t>(trees.num_features(), 1);
  std::vector<float> out(n * trees.num_outputs());
  trees.Predict(rows, n, out);
  return out;
}

std::vector<float> PredictMargin(const CompiledTrees& trees, const std::vector<float>& rows) {
  const size_t n = rows.size() / std::max<size_t>(trees.num_features(), 1);
  std::vector<float> out(n * trees.num_groups());
  trees.PredictMargin(rows, n, out);
  return out;
}

// -------------------------------------------------------------------------------------------
// Semantics on hand-built models, against hand-computed values and XGBoost itself.

// x0 < 0.5 -> leaf 1, else leaf 2; missing goes left when default_left.
std::vector<std::vector<HandNode>> Stump(bool default_left) {
  return {{{.left = 1, .feature = 0, .value = 0.5f, .default_left = default_left},
           {.value = 1.0f},
           {.value = 2.0f}}};
}

TEST(CompiledTreesTest, SplitsLikeXgboost) {
  for (bool default_left : {true, false}) {
    SCOPED_TRACE(default_left);
    const std::string json = HandModel(Stump(default_left)).dump();
    ASSERT_OK_AND_ASSIGN(CompiledTrees trees, CompiledTrees::FromXgboostJson(json));
    const float below = std::nextafter(0.5f, 0.0f);
    const float above = std::nextafter(0.5f, 1.0f);
    // Two features per row; only x0 is split on.
    const std::vector<float> rows = {0.4f, 0, below, 0, 0.5f, 0, above, 0,
                                     kNaN, 0, -kInf, 0, kInf, 0, -0.0f, kNaN};
    const float missing = default_left ? 1.0f : 2.0f;
    // base_score 0.5 + leaf
    EXPECT_EQ(Predict(trees, rows),
              (std::vector<float>{1.5f, 1.5f, 2.5f, 2.5f, missing + 0.5f, 1.5f, 2.5f, 1.5f}));

    ASSERT_OK_AND_ASSIGN(xgb::Booster booster, xgb::Booster::Load(AsBytes(json)));
    ASSERT_OK_AND_ASSIGN(std::vector<float> expected, booster.PredictDense(rows, 8, 2));
    EXPECT_EQ(Bits(Predict(trees, rows)), Bits(expected));
  }
}

TEST(CompiledTreesTest, RoundsAThresholdsTextToFloatOnceAsXgboostDoes) {
  // A text just above the midpoint of 0.3f and the next float: as a double it rounds to the
  // midpoint itself, which then narrows (ties to even) to 0.3f; XGBoost rounds the text straight
  // to float and gets the next float up, so 0.3f itself goes left.
  const float low = 0.3f;
  const float high = std::nextafter(low, 1.0f);
  ASSERT_EQ(static_cast<float>(0.300000026822090148925781250000000000000001), low);
  std::vector<std::vector<HandNode>> stump = Stump(false);
  stump[0][0].value = 1234.5f;
  std::string json = HandModel(stump).dump();
  ASSERT_NE(json.find("1234.5"), std::string::npos) << json;
  json.replace(json.find("1234.5"), 6, "0.300000026822090148925781250000000000000001");
  ASSERT_OK_AND_ASSIGN(CompiledTrees trees, CompiledTrees::FromXgboostJson(json));
  const std::vector<float> rows = {low, 0, high, 0};
  EXPECT_EQ(Predict(trees, rows), (std::vector<float>{1.5f, 2.5f}));
  ASSERT_OK_AND_ASSIGN(xgb::Booster booster, xgb::Booster::Load(AsBytes(json)));
  ASSERT_OK_AND_ASSIGN(std::vector<float> expected, booster.PredictDense(rows, 2, 2));
  EXPECT_EQ(Bits(Predict(trees, rows)), Bits(expected));
}

TEST(CompiledTreesTest, ReadsXgboostsWordsForNonFiniteFloats) {
  // XGBoost writes NaN and Infinity bare, as in a categorical split's condition.
  std::vector<std::vector<HandNode>> stump = Stump(true);
  stump[0][0].value = 123.0f;
  stump[0][2].value = -7.0f;
  std::string json = HandModel(stump).dump();
  for (auto [from, to] : {std::pair{"123.0", "NaN"}, std::pair{"-7.0", "-Infinity"}}) {
    ASSERT_NE(json.find(from), std::string::npos) << json;
    json.replace(json.find(from), std::string_view(from).size(), to);
  }
  ASSERT_OK_AND_ASSIGN(CompiledTrees trees, CompiledTrees::FromXgboostJson(json));
  // x < NaN is false: every present value goes right, a missing one the default way (left).
  const std::vector<float> rows = {0.4f, 0, -kInf, 0, kNaN, 0};
  EXPECT_EQ(Predict(trees, rows), (std::vector<float>{-kInf, -kInf, 1.5f}));
}

TEST(CompiledTreesTest, LaysTreesOutBreadthFirstWithLeavesThatHoldTheWalk) {
  // Tree 0: root splits x1; its left child splits x0; depth 2. Tree 1: a lone leaf.
  const std::vector<std::vector<HandNode>> model = {
      {{.left = 1, .feature = 1, .value = 0.0f, .default_left = true},
       {.left = 3, .feature = 0, .value = 0.25f},
       {.value = 3.0f},
       {.value = 1.0f},
       {.value = 2.0f}},
      {{.value = 0.125f}}};
  ASSERT_OK_AND_ASSIGN(CompiledTrees trees,
                       CompiledTrees::FromXgboostJson(HandModel(model).dump()));
  ASSERT_EQ(trees.trees().size(), 2u);
  EXPECT_EQ(trees.trees()[0].root, 0u);
  EXPECT_EQ(trees.trees()[0].depth, 2u);
  EXPECT_EQ(trees.trees()[1].root, 5u);
  EXPECT_EQ(trees.trees()[1].depth, 0u);
  std::span<const CompiledTrees::Node> nodes = trees.nodes();
  ASSERT_EQ(nodes.size(), 6u);
  EXPECT_EQ(nodes[0].feature, 1u | CompiledTrees::kDefaultLeft);
  EXPECT_EQ(nodes[0].left, 1u);
  EXPECT_EQ(nodes[1].feature, 0u);
  EXPECT_EQ(nodes[1].left, 3u);
  EXPECT_EQ(nodes[2].leaf_value, 3.0f);
  EXPECT_EQ(nodes[3].leaf_value, 1.0f);
  EXPECT_EQ(nodes[4].leaf_value, 2.0f);
  for (uint32_t leaf : {2u, 3u, 4u}) {
    EXPECT_TRUE(std::isnan(nodes[leaf].threshold));
    EXPECT_EQ(nodes[leaf].left + 1, leaf);  // every row steps "right", onto the leaf itself
  }
  // Rows reaching leaves at depth 1 and 2 from both sides.
  const std::vector<float> rows = {0.1f, -1.0f, 0.3f, -1.0f, 0.0f, 1.0f, 0.0f, kNaN};
  EXPECT_EQ(Predict(trees, rows), (std::vector<float>{1.625f, 2.625f, 3.625f, 1.625f}));
}

TEST(CompiledTreesTest, PlacesTreesByIdAsXgboostDoes) {
  // Leaves 1, -1 and 1e-8 summed from 0 in id order give 1e-8; in the stored order (1e-8 first)
  // they would give 0.
  Json model = HandModel({{{.value = 1.0f}}, {{.value = -1.0f}}, {{.value = 1e-8f}}}, 1,
                         "reg:squarederror", "0E0");
  Json& stored = model["learner"]["gradient_booster"]["model"]["trees"];
  stored = Json::array({stored[2], stored[0], stored[1]});
  ASSERT_OK_AND_ASSIGN(CompiledTrees trees, CompiledTrees::FromXgboostJson(model.dump()));
  EXPECT_EQ(trees.nodes()[0].leaf_value, 1.0f);
  const std::vector<float> row = {0.0f};
  EXPECT_EQ(Predict(trees, row), std::vector<float>{1e-8f});
  ASSERT_OK_AND_ASSIGN(xgb::Booster booster, xgb::Booster::Load(AsBytes(model.dump())));
  ASSERT_OK_AND_ASSIGN(std::vector<float> expected, booster.PredictDense(row, 1, 1));
  EXPECT_EQ(Bits(Predict(trees, row)), Bits(expected));
}

// The objective's own parameters, as XGBoost 1.7 saves them (its loader wants them).
Json ObjectiveJson(const std::string& name) {
  Json objective = {{"name", name}};
  if (name == "count:poisson") {
    objective["poisson_regression_param"] = {{"max_delta_step", "0.699999988"}};
  } else if (name == "reg:tweedie") {
    objective["tweedie_regression_param"] = {{"tweedie_variance_power", "1.5"}};
  } else if (name == "reg:gamma" || name == "survival:cox" || name == "binary:hinge" ||
             name == "reg:absoluteerror") {
  } else {
    objective["reg_loss_param"] = {{"scale_pos_weight", "1"}};
  }
  return objective;
}

TEST(CompiledTreesTest, ConvertsBaseScoreWithTheObjectivesLink) {
  struct Case {
    std::string objective;
    std::string base_score;
    float approximately;
  };
  const Case cases[] = {
      {"binary:logistic", "5E-1", 0.0f},      {"binary:logistic", "2.5E-1", -1.0986123f},
      {"reg:logistic", "8.3E-1", 1.5856273f}, {"binary:logitraw", "2.5E-1", 0.25f},
      {"binary:hinge", "2.5E-1", 0.25f},      {"count:poisson", "5E-1", -0.6931472f},
      {"reg:gamma", "3.1E0", 1.1314021f},     {"reg:tweedie", "7E-1", -0.35667494f},
      {"survival:cox", "2E0", 0.6931472f},    {"reg:squarederror", "4.2E1", 42.0f},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.objective + " " + c.base_score);
    // One leaf of -0: the margin is the base margin exactly, sign of zero included.
    Json model = HandModel({{{.value = -0.0f}}}, 1, c.objective, c.base_score);
    model["learner"]["objective"] = ObjectiveJson(c.objective);
    ASSERT_OK_AND_ASSIGN(CompiledTrees trees, CompiledTrees::FromXgboostJson(model.dump()));
    EXPECT_EQ(trees.objective(), c.objective);
    EXPECT_NEAR(trees.base_margin(), c.approximately, 1e-6);
    ASSERT_OK_AND_ASSIGN(xgb::Booster booster, xgb::Booster::Load(AsBytes(model.dump())));
    const std::vector<float> row = {0.0f};
    ASSERT_OK_AND_ASSIGN(std::vector<float> margin, booster.PredictDense(row, 1, 1, 0, true));
    EXPECT_EQ(std::bit_cast<uint32_t>(trees.base_margin()), std::bit_cast<uint32_t>(margin[0]));
    EXPECT_EQ(Bits(PredictMargin(trees, row)), Bits(margin));
    ASSERT_OK_AND_ASSIGN(std::vector<float> prediction, booster.PredictDense(row, 1, 1));
    EXPECT_EQ(Bits(Predict(trees, row)), Bits(prediction));
  }
}

TEST(CompiledTreesTest, ReadsUbjLikeJson) {
  ASSERT_OK_AND_ASSIGN(RandomModel model, TrainRandomModel(3));
  ASSERT_OK_AND_ASSIGN(std::string json, model.booster.SaveJson());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> ubj, model.booster.SaveUbj());
  ASSERT_OK_AND_ASSIGN(CompiledTrees from_json, CompiledTrees::FromXgboostJson(json));
  ASSERT_OK_AND_ASSIGN(CompiledTrees from_ubj, CompiledTrees::FromXgboostUbj(ubj));
  Rng rng(5);
  std::vector<float> rows = RandomRows(rng, 300, model.setup.num_features, 0.1, 1);
  EXPECT_EQ(Bits(PredictMargin(from_json, rows)), Bits(PredictMargin(from_ubj, rows)));
}

TEST(CompiledTreesTest, MultiSoftmaxPredictsTheClassIndex) {
  Rng rng(11);
  const size_t rows = 300;
  std::vector<float> x = RandomRows(rng, rows, 4, 0.0, 2);
  std::vector<float> y(rows);
  for (size_t r = 0; r < rows; ++r) y[r] = static_cast<float>(x[r * 4] > 0) + (x[r * 4 + 1] > 0);
  ASSERT_OK_AND_ASSIGN(xgb::DMatrix train, xgb::DMatrix::FromDense(x, rows, 4));
  ASSERT_OK(train.SetLabels(y));
  const xgb::DMatrix* cache[] = {&train};
  ASSERT_OK_AND_ASSIGN(xgb::Booster booster, xgb::Booster::Create(cache));
  ASSERT_OK(booster.SetParam("nthread", "1"));
  ASSERT_OK(booster.SetParam("objective", "multi:softmax"));
  ASSERT_OK(booster.SetParam("num_class", "3"));
  for (int i = 0; i < 5; ++i) ASSERT_OK(booster.UpdateOneIter(i, train));
  ASSERT_OK_AND_ASSIGN(std::string json, booster.SaveJson());
  ASSERT_OK_AND_ASSIGN(CompiledTrees trees, CompiledTrees::FromXgboostJson(json));
  EXPECT_EQ(trees.num_groups(), 3u);
  EXPECT_EQ(trees.num_outputs(), 1u);
  std::vector<float> classes = Predict(trees, x);
  ASSERT_EQ(classes.size(), rows);
  size_t right = 0;
  for (size_t r = 0; r < rows; ++r) right += classes[r] == y[r];
  EXPECT_GT(right, rows * 9 / 10);
  ASSERT_OK_AND_ASSIGN(std::vector<float> expected, booster.PredictDense(x, rows, 4));
  EXPECT_EQ(Bits(classes), Bits(expected));
}

TEST(CompiledTreesTest, PredictsWithNoRows) {
  ASSERT_OK_AND_ASSIGN(CompiledTrees trees,
                       CompiledTrees::FromXgboostJson(HandModel(Stump(true)).dump()));
  std::vector<float> out;
  trees.Predict({}, 0, out);
  trees.PredictMargin({}, 0, out);
}

TEST(CompiledTreesDeathTest, AbortsOnSizesThatDoNotMatch) {
  ASSERT_OK_AND_ASSIGN(CompiledTrees trees,
                       CompiledTrees::FromXgboostJson(HandModel(Stump(true)).dump()));
  std::vector<float> rows(3);  // not a whole number of 2-feature rows
  std::vector<float> out(1);
  EXPECT_DEATH(trees.Predict(rows, 1, out), "rows.size");
}

// -------------------------------------------------------------------------------------------
// Refusals.

TEST(CompiledTreesTest, RefusesMalformedModelsNamingTheProblem) {
  const Json good = HandModel({{{.left = 1, .feature = 1, .value = 0.5f},
                                {.left = 3, .feature = 0, .value = 0.0f},
                                {.value = 1.0f},
                                {.value = 2.0f},
                                {.value = 3.0f}}});
  ASSERT_OK(CompiledTrees::FromXgboostJson(good.dump()));
  const std::string tree = "learner.gradient_booster.model.trees[0]";
  struct Case {
    std::string name;
    std::function<void(Json&)> edit;
    std::string message;
  };
  auto tree_of = [](Json& m) -> Json& {
    return m["learner"]["gradient_booster"]["model"]["trees"][0];
  };
  const Case cases[] = {
      {"no learner", [](Json& m) { m.erase("learner"); }, "XGBoost model: model.learner: missing"},
      {"child past the end", [&](Json& m) { tree_of(m)["left_children"][1] = 7; },
       tree + ".left_children[1]: 7 is outside [-1, 4]"},
      {"only one child", [&](Json& m) { tree_of(m)["right_children"][1] = -1; },
       tree + ".left_children[1]: a node with only one child"},
      {"children not adjacent",
       [&](Json& m) {
         tree_of(m)["left_children"][0] = 2;
         tree_of(m)["right_children"][0] = 1;
       },
       tree + ".right_children[0]: 1 is not left child + 1 (3)"},
      {"a cycle to the root",
       [&](Json& m) {
         tree_of(m)["left_children"][1] = 0;
         tree_of(m)["right_children"][1] = 1;
       },
       tree + ".left_children[1]: child 0 is already in the tree"},
      {"feature past num_feature", [&](Json& m) { tree_of(m)["split_indices"][1] = 2; },
       tree + ".split_indices[1]: 2 is outside [0, 1]"},
      {"short array", [&](Json& m) { tree_of(m)["split_conditions"].erase(0); },
       tree + ".split_conditions: has 4 elements, expected 5"},
      {"a threshold that is no number", [&](Json& m) { tree_of(m)["split_conditions"][0] = "x"; },
       tree + ".split_conditions[0]: not a number"},
      {"num_nodes not an integer", [&](Json& m) { tree_of(m)["tree_param"]["num_nodes"] = "5x"; },
       tree + ".tree_param.num_nodes: \"5x\" is not an integer"},
      {"more trees than num_trees",
       [](Json& m) {
         m["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] = "2";
       },
       "learner.gradient_booster.model.trees: has 1 elements, expected 2"},
      {"a group past num_class",
       [](Json& m) { m["learner"]["gradient_booster"]["model"]["tree_info"][0] = 1; },
       "learner.gradient_booster.model.tree_info[0]: 1 is outside [0, 0]"},
      {"a tree id past the end", [&](Json& m) { tree_of(m)["id"] = 1; },
       tree + ".id: 1 is not a new tree id below 1"},
      {"base_score no float",
       [](Json& m) { m["learner"]["learner_model_param"]["base_score"] = "half"; },
       "learner.learner_model_param.base_score: 'half' is not a finite float"},
      {"unknown booster", [](Json& m) { m["learner"]["gradient_booster"]["name"] = "forest"; },
       "learner.gradient_booster.name: \"forest\" is not gbtree, dart or gblinear"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Json model = good;
    c.edit(model);
    EXPECT_THAT(CompiledTrees::FromXgboostJson(model.dump()),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(CompiledTreesTest, RefusesBytesThatAreNoModel) {
  EXPECT_THAT(CompiledTrees::FromXgboostJson("{\"learner\": "),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("XGBoost model: not valid JSON")));
  EXPECT_THAT(CompiledTrees::FromXgboostJson(std::string(100, '[') + std::string(100, ']')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("nested deeper than 64")));
  EXPECT_THAT(CompiledTrees::FromXgboostJson("[]"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("model: not an object")));
  const std::string ubj = "{i\x01xZ}";
  EXPECT_THAT(CompiledTrees::FromXgboostUbj(AsBytes(ubj.substr(0, 4))),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("XGBoost model: not valid UBJ")));
}

TEST(CompiledTreesTest, RefusesABaseScoreTheObjectiveCannotTake) {
  EXPECT_THAT(CompiledTrees::FromXgboostJson(
                  HandModel({{{.value = 0.0f}}}, 1, "binary:logistic", "1E0").dump()),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("base_score: 1 is outside (0, 1), as binary:logistic needs")));
  EXPECT_THAT(CompiledTrees::FromXgboostJson(
                  HandModel({{{.value = 0.0f}}}, 1, "count:poisson", "0E0").dump()),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("base_score: 0 is not positive, as count:poisson needs")));
}

TEST(CompiledTreesTest, RefusesWhatItDoesNotImplement) {
  EXPECT_THAT(
      CompiledTrees::FromXgboostJson(HandModel({{{.value = 0.0f}}}, 1, "survival:aft").dump()),
      StatusIs(StatusCode::kUnimplemented,
               HasSubstr("learner.objective.name: 'survival:aft' is not supported (supported: "
                         "reg:squarederror,")));
  Json multi_target = HandModel({{{.value = 0.0f}}});
  multi_target["learner"]["learner_model_param"]["num_target"] = "2";
  EXPECT_THAT(CompiledTrees::FromXgboostJson(multi_target.dump()),
              StatusIs(StatusCode::kUnimplemented,
                       HasSubstr("num_target: multi-target models are not supported")));
}

// Trains a small model with the given parameters and feature types.
Result<std::string> TrainJson(const std::vector<std::pair<std::string, std::string>>& params,
                              const std::vector<std::string>& feature_types = {}) {
  Rng rng(9);
  const size_t rows = 200;
  std::vector<float> x(rows * 2);
  std::vector<float> y(rows);
  for (size_t r = 0; r < rows; ++r) {
    x[r * 2] = static_cast<float>(rng.Int(0, 4));
    x[r * 2 + 1] = static_cast<float>(rng.Uniform());
    y[r] = (x[r * 2] == 1 || x[r * 2] == 3) ? 1.0f : 0.0f;
  }
  SLUICE_ASSIGN_OR_RETURN(xgb::DMatrix train, xgb::DMatrix::FromDense(x, rows, 2));
  SLUICE_RETURN_IF_ERROR(train.SetLabels(y));
  if (!feature_types.empty()) SLUICE_RETURN_IF_ERROR(train.SetFeatureTypes(feature_types));
  const xgb::DMatrix* cache[] = {&train};
  SLUICE_ASSIGN_OR_RETURN(xgb::Booster booster, xgb::Booster::Create(cache));
  SLUICE_RETURN_IF_ERROR(booster.SetParam("nthread", "1"));
  for (const auto& [name, value] : params) SLUICE_RETURN_IF_ERROR(booster.SetParam(name, value));
  for (int i = 0; i < 3; ++i) SLUICE_RETURN_IF_ERROR(booster.UpdateOneIter(i, train));
  return booster.SaveJson();
}

TEST(CompiledTreesTest, RefusesCategoricalSplits) {
  ASSERT_OK_AND_ASSIGN(
      std::string json,
      TrainJson({{"objective", "binary:logistic"}, {"tree_method", "hist"}}, {"c", "q"}));
  EXPECT_THAT(CompiledTrees::FromXgboostJson(json),
              StatusIs(StatusCode::kUnimplemented,
                       HasSubstr("].split_type[0]: categorical splits are not supported")));
}

TEST(CompiledTreesTest, RefusesLinearBoosters) {
  ASSERT_OK_AND_ASSIGN(std::string json,
                       TrainJson({{"objective", "binary:logistic"}, {"booster", "gblinear"}}));
  EXPECT_THAT(CompiledTrees::FromXgboostJson(json),
              StatusIs(StatusCode::kUnimplemented,
                       HasSubstr("learner.gradient_booster.name: gblinear is a linear model")));
}

// -------------------------------------------------------------------------------------------
// The AVX-512 walk (16 trees at once, where the CPU has it) against the scalar walks and
// XGBoost, on random forests of every shape it treats apart.

// A tree of random shape: every node at depth d < max_depth splits with probability `grow`.
// Thresholds come from a few values (the rows take them too) or anywhere in [-2, 2].
std::vector<HandNode> RandomTree(Rng& rng, int max_depth, double grow, int num_feature) {
  static const std::vector<float> kValues = {-1.0f, -0.0f, 0.25f, 0.5f, 1.0f};
  std::vector<HandNode> nodes(1);
  std::vector<int> depths(1, 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (depths[i] < max_depth && rng.Chance(grow)) {
      nodes[i].left = static_cast<int>(nodes.size());
      nodes[i].feature = rng.Int(0, num_feature - 1);
      nodes[i].value =
          rng.Chance(0.5) ? rng.Pick(kValues) : static_cast<float>(rng.Uniform() * 4 - 2);
      nodes[i].default_left = rng.Chance(0.5);
      nodes.resize(nodes.size() + 2);
      depths.resize(nodes.size(), depths[i] + 1);
    } else {
      nodes[i].value = static_cast<float>(rng.Uniform() - 0.5);
    }
  }
  return nodes;
}

// Rows of values near the thresholds, NaN, infinities and negative zero.
std::vector<float> WalkRows(Rng& rng, size_t n, int num_feature) {
  static const std::vector<float> kValues = {
      -1.0f, -0.0f, 0.0f, 0.25f, 0.5f, 1.0f, std::nextafter(0.5f, 0.0f), kNaN, kNaN, kInf, -kInf};
  std::vector<float> rows(n * static_cast<size_t>(num_feature));
  for (float& v : rows) {
    v = rng.Chance(0.5) ? rng.Pick(kValues) : static_cast<float>(rng.Uniform() * 4 - 2);
  }
  return rows;
}

// A HandModel made multi:softprob with `num_class` classes (tree t adds to class t % num_class).
Json MultiClass(Json model, int num_class) {
  Json& learner = model["learner"];
  learner["learner_model_param"]["num_class"] = std::to_string(num_class);
  learner["objective"] = {{"name", "multi:softprob"},
                          {"softmax_multiclass_param", {{"num_class", std::to_string(num_class)}}}};
  Json& info = learner["gradient_booster"]["model"]["tree_info"];
  for (size_t t = 0; t < info.size(); ++t) info[t] = static_cast<int>(t) % num_class;
  return model;
}

// A HandModel made dart, with random tree weights.
Json Dart(Json model, Rng& rng) {
  Json& booster = model["learner"]["gradient_booster"];
  Json weights = Json::array();
  for (size_t t = 0; t < booster["model"]["trees"].size(); ++t) {
    weights.push_back(static_cast<float>(0.25 + rng.Uniform()));
  }
  booster = {{"name", "dart"},
             {"gbtree", {{"name", "gbtree"}, {"model", booster["model"]}}},
             {"weight_drop", weights}};
  return model;
}

TEST(CompiledTreesTest, WalksSingleRowsWithAvx512WhereTheCpuHasIt) {
  // 20 trees: the first 16 of depth 1; tree 16 of depth 9, so that its group of 16 is walked by
  // the scalar walk.
  std::vector<std::vector<HandNode>> trees(16, Stump(true)[0]);
  std::vector<HandNode> deep = {{.value = 1.0f}};
  for (int d = 0; d < 9; ++d) {
    deep.back() = {.left = static_cast<int>(deep.size()), .value = 0.5f};
    deep.push_back({.value = 1.0f});
    deep.push_back({.value = 2.0f});
  }
  trees.push_back(deep);
  trees.resize(20, Stump(false)[0]);
  const std::string json = HandModel(trees).dump();
  ASSERT_OK_AND_ASSIGN(CompiledTrees simd, CompiledTrees::FromXgboostJson(json));
  ASSERT_OK_AND_ASSIGN(CompiledTrees scalar,
                       CompiledTrees::FromXgboostJson(json, CompiledTrees::Simd::kNever));
  EXPECT_EQ(simd.simd_trees(), internal::SimdForest::CpuSupported() ? 16u : 0u);
  EXPECT_EQ(scalar.simd_trees(), 0u);
  const std::vector<float> row = {0.25f, 0};
  EXPECT_EQ(Predict(simd, row), (std::vector<float>{0.5f + 16 * 1.0f + 1.0f + 3 * 1.0f}));
  EXPECT_EQ(Predict(scalar, row), Predict(simd, row));
}

TEST(CompiledTreesTest, Avx512WalkEqualsTheScalarWalkAndXgboostOnRandomForests) {
  // Row widths that fetch features differently: 1 or 2 registers, or gathers.
  static const std::vector<int> kFeatures = {1, 5, 16, 17, 28, 32, 33, 90};
  size_t simd_trees = 0;
  for (uint32_t seed = 0; seed < 32; ++seed) {
    Rng rng(seed);
    const int num_feature = kFeatures[seed % kFeatures.size()];
    const int max_depth = rng.Int(0, 12);
    std::vector<std::vector<HandNode>> trees(static_cast<size_t>(rng.Int(1, 40)));
    for (auto& tree : trees) {
      // Mostly trees of the same depth; some deeper or shallower; complete or lopsided (complete
      // only up to depth 8, which the AVX-512 walk takes, to keep the test quick).
      const int depth = rng.Chance(0.8) ? max_depth : rng.Int(0, 12);
      tree = RandomTree(rng, depth, depth <= 8 && rng.Chance(0.5) ? 1.0 : 0.7, num_feature);
    }
    Json model = HandModel(trees, num_feature);
    const int kind = rng.Int(0, 2);
    if (kind == 1) model = MultiClass(model, 3);
    if (kind == 2) model = Dart(model, rng);
    const std::string json = model.dump();
    SCOPED_TRACE(fmt::format("seed {}: {} trees up to depth {}, {} features, {}", seed,
                             trees.size(), max_depth, num_feature,
                             kind == 0 ? "regression" : (kind == 1 ? "3 classes" : "dart")));
    ASSERT_OK_AND_ASSIGN(CompiledTrees simd, CompiledTrees::FromXgboostJson(json));
    ASSERT_OK_AND_ASSIGN(CompiledTrees scalar,
                         CompiledTrees::FromXgboostJson(json, CompiledTrees::Simd::kNever));
    ASSERT_OK_AND_ASSIGN(xgb::Booster booster, xgb::Booster::Load(AsBytes(json)));
    ASSERT_OK(booster.SetParam("nthread", "1"));  // (OpenMP's spinning threads cost seconds)
    simd_trees += simd.simd_trees();

    constexpr size_t kRows = 50;
    const std::vector<float> rows = WalkRows(rng, kRows, num_feature);
    ASSERT_OK_AND_ASSIGN(std::vector<float> expected,
                         booster.PredictDense(rows, kRows, static_cast<size_t>(num_feature), 0,
                                              /*output_margin=*/true));
    EXPECT_EQ(Bits(PredictMargin(simd, rows)), Bits(expected));
    EXPECT_EQ(Bits(PredictMargin(scalar, rows)), Bits(expected));
    const size_t width = simd.num_groups();
    for (size_t r = 0; r < kRows; ++r) {
      const auto row_begin = rows.begin() + static_cast<std::ptrdiff_t>(r * num_feature);
      const std::vector<float> row(row_begin, row_begin + num_feature);
      const std::vector<float> theirs(
          expected.begin() + static_cast<std::ptrdiff_t>(r * width),
          expected.begin() + static_cast<std::ptrdiff_t>((r + 1) * width));
      ASSERT_EQ(Bits(PredictMargin(simd, row)), Bits(theirs))
          << "row " << r << ": " << RowText(row);
      ASSERT_EQ(Bits(PredictMargin(scalar, row)), Bits(theirs))
          << "row " << r << ": " << RowText(row);
      ASSERT_EQ(Bits(Predict(simd, row)), Bits(Predict(scalar, row))) << "row " << r;
    }
  }
  // Most trees are walked with AVX-512 on a CPU that has it.
  EXPECT_EQ(simd_trees > 200, internal::SimdForest::CpuSupported());
}

// -------------------------------------------------------------------------------------------
// The property test: random models trained by XGBoost, random rows, bit-for-bit equality.

struct Coverage {
  std::set<std::string> objectives;
  uint32_t max_depth = 0;
  size_t models = 0;
  size_t threshold_hits = 0;  // row values exactly on a split threshold
  bool dart = false;
  bool deleted_nodes = false;
  bool parallel_trees = false;  // num_parallel_tree > 1
};

// Test rows: like the training rows, then a share of them moved onto split thresholds or the
// floats next to them, where `<` against `<=` or a float rounding would show.
std::vector<float> TestRows(const RandomModel& model, const CompiledTrees& trees, size_t n,
                            uint32_t seed, size_t* threshold_hits) {
  Rng rng(seed);
  const size_t features = model.setup.num_features;
  std::vector<float> rows =
      RandomRows(rng, n, features, model.setup.missing, model.setup.kinds_seed);
  std::vector<std::pair<uint32_t, float>> splits;
  for (const CompiledTrees::Node& node : trees.nodes()) {
    if (!std::isnan(node.threshold)) {
      splits.emplace_back(node.feature & CompiledTrees::kFeatureMask, node.threshold);
    }
  }
  if (splits.empty()) return rows;
  for (size_t r = 0; r < n; ++r) {
    if (!rng.Chance(0.4)) continue;
    for (int k = rng.Int(1, 4); k > 0; --k) {
      const auto& [feature, threshold] = rng.Pick(splits);
      float value = threshold;
      switch (rng.Int(0, 2)) {
        case 0:
          ++*threshold_hits;
          break;
        case 1:
          value = std::nextafter(threshold, -kInf);
          break;
        default:
          value = std::nextafter(threshold, kInf);
          break;
      }
      rows[r * features + feature] = value;
    }
  }
  return rows;
}

// The same model cut to its first `rounds` boosting rounds, as XGBoost's iteration_end cuts it.
Result<CompiledTrees> FirstRounds(const Json& model, size_t rounds, size_t trees_per_round) {
  Json cut = model;
  Json& booster = cut["learner"]["gradient_booster"];
  const bool dart = booster["name"] == "dart";
  Json& trees = dart ? booster["gbtree"]["model"] : booster["model"];
  const auto keep = static_cast<std::ptrdiff_t>(rounds * trees_per_round);
  trees["trees"].erase(trees["trees"].begin() + keep, trees["trees"].end());
  trees["tree_info"].erase(trees["tree_info"].begin() + keep, trees["tree_info"].end());
  trees["gbtree_model_param"]["num_trees"] = std::to_string(keep);
  if (dart) {
    booster["weight_drop"].erase(booster["weight_drop"].begin() + keep,
                                 booster["weight_drop"].end());
  }
  return CompiledTrees::FromXgboostUbj(Json::to_ubjson(cut));
}

// Explains a margin that differs: the first boosting round after which XGBoost's margin (its
// prediction with iteration_end) and ours (the model cut after that round) part.
std::string Diagnose(const RandomModel& model, const std::vector<uint8_t>& ubj, size_t num_trees,
                     std::span<const float> row, size_t group) {
  const Json parsed = Json::from_ubjson(ubj);
  const size_t trees_per_round = num_trees / model.setup.rounds;
  for (size_t round = 1; round <= model.setup.rounds; ++round) {
    auto theirs = model.booster.PredictDense(row, 1, row.size(), static_cast<int>(round), true);
    auto cut = FirstRounds(parsed, round, trees_per_round);
    if (!theirs.ok() || !cut.ok()) return "diagnosis failed";
    std::vector<float> ours(cut->num_groups());
    cut->PredictMargin(row, 1, ours);
    if (std::bit_cast<uint32_t>(ours[group]) != std::bit_cast<uint32_t>((*theirs)[group])) {
      return fmt::format("first differs after round {} (trees [{}, {})): ours {} xgboost {}", round,
                         (round - 1) * trees_per_round, round * trees_per_round, ours[group],
                         (*theirs)[group]);
    }
  }
  return "margins agree after every round";
}

// Compares ours with XGBoost's (expected), reporting the first difference. `any_nan`: all NaNs
// are alike (XGBoost's JSON writes every NaN as the word NaN, so their signs and payloads do not
// survive it; UBJ keeps the float's bits).
bool SameValues(const RandomModel& model, const std::vector<uint8_t>& ubj,
                const CompiledTrees& trees, const std::vector<float>& rows,
                const std::vector<float>& expected, const std::vector<float>& ours, bool margin,
                bool any_nan, const std::string& format) {
  const size_t features = model.setup.num_features;
  const size_t n = rows.size() / features;
  EXPECT_EQ(ours.size(), expected.size());
  if (ours.size() != expected.size()) return false;
  const size_t width = ours.size() / n;
  for (size_t i = 0; i < ours.size(); ++i) {
    const float theirs = expected[i];
    if (std::bit_cast<uint32_t>(ours[i]) == std::bit_cast<uint32_t>(theirs)) continue;
    if (any_nan && std::isnan(ours[i]) && std::isnan(theirs)) continue;
    const size_t r = i / width;
    std::span<const float> row(rows.data() + r * features, features);
    ADD_FAILURE() << "from " << format << ", " << (margin ? "margin" : "prediction") << " of row "
                  << r << " output " << i % width << ": ours "
                  << fmt::format("{} ({:#010x})", ours[i], std::bit_cast<uint32_t>(ours[i]))
                  << ", xgboost "
                  << fmt::format("{} ({:#010x})", theirs, std::bit_cast<uint32_t>(theirs)) << "\n  "
                  << (margin ? Diagnose(model, ubj, trees.trees().size(), row, i % width)
                             : "(the margins are equal)")
                  << "\n  row: " << RowText(row);
    return false;
  }
  return true;
}

// Predicts rows with `trees` both all at once and one row at a time, and compares each with
// XGBoost's prediction.
bool SameAsXgboost(const RandomModel& model, const std::vector<uint8_t>& ubj,
                   const CompiledTrees& trees, const std::vector<float>& rows, bool margin,
                   bool any_nan, const char* format) {
  const size_t features = model.setup.num_features;
  const size_t n = rows.size() / features;
  auto expected = model.booster.PredictDense(rows, n, features, 0, margin);
  EXPECT_OK(expected);
  if (!expected.ok()) return false;
  // All rows at once (blocks of kBlockRows), and one at a time (the single-row walk, AVX-512 on a
  // CPU that has it).
  for (bool one_at_a_time : {false, true}) {
    std::vector<float> ours;
    if (one_at_a_time) {
      for (size_t r = 0; r < n; ++r) {
        const std::vector<float> row(
            rows.begin() + static_cast<std::ptrdiff_t>(r * features),
            rows.begin() + static_cast<std::ptrdiff_t>((r + 1) * features));
        const std::vector<float> one = margin ? PredictMargin(trees, row) : Predict(trees, row);
        ours.insert(ours.end(), one.begin(), one.end());
      }
    } else {
      ours = margin ? PredictMargin(trees, rows) : Predict(trees, rows);
    }
    if (!SameValues(model, ubj, trees, rows, *expected, ours, margin, any_nan,
                    fmt::format("{}{}", format, one_at_a_time ? " one row at a time" : ""))) {
      return false;
    }
  }
  return true;
}

void CheckAgainstXgboost(uint32_t seed, bool big, size_t n, Coverage* coverage) {
  SCOPED_TRACE(fmt::format("seed {}", seed));
  ASSERT_OK_AND_ASSIGN(RandomModel model, TrainRandomModel(seed, big));
  SCOPED_TRACE(model.setup.description);
  ASSERT_OK_AND_ASSIGN(std::string json, model.booster.SaveJson());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> ubj, model.booster.SaveUbj());
  ASSERT_OK_AND_ASSIGN(CompiledTrees from_json, CompiledTrees::FromXgboostJson(json));
  ASSERT_OK_AND_ASSIGN(CompiledTrees from_ubj, CompiledTrees::FromXgboostUbj(ubj));
  // The scalar walks too (blocks of rows, and rows one by one), where the CPU has AVX-512.
  ASSERT_OK_AND_ASSIGN(CompiledTrees scalar,
                       CompiledTrees::FromXgboostUbj(ubj, CompiledTrees::Simd::kNever));
  ASSERT_EQ(from_json.num_features(), model.setup.num_features);

  const std::vector<float> rows =
      TestRows(model, from_json, n, seed + 77, &coverage->threshold_hits);
  for (bool margin : {true, false}) {
    if (!SameAsXgboost(model, ubj, from_ubj, rows, margin, false, "UBJ")) return;
    if (!SameAsXgboost(model, ubj, from_json, rows, margin, true, "JSON")) return;
    if (!SameAsXgboost(model, ubj, scalar, rows, margin, false, "UBJ, scalar walk")) return;
  }

  // XGBoost writes its JSON without spaces.
  for (size_t at = json.find("\"num_deleted\":\""); at != std::string::npos;
       at = json.find("\"num_deleted\":\"", at + 1)) {
    coverage->deleted_nodes |= json.compare(at + 15, 2, "0\"") != 0;
  }
  coverage->dart |= json.find("\"name\":\"dart\"") != std::string::npos;
  const CompiledTrees& trees = from_json;
  coverage->parallel_trees |= trees.trees().size() > model.setup.rounds * trees.num_groups();
  coverage->objectives.insert(model.setup.objective);
  for (const CompiledTrees::Tree& tree : trees.trees()) {
    coverage->max_depth = std::max(coverage->max_depth, tree.depth);
  }
  ++coverage->models;
}

void ExpectWideCoverage(const Coverage& coverage, size_t models) {
  EXPECT_EQ(coverage.models, models);
  for (std::string_view objective : CompiledTrees::SupportedObjectives()) {
    EXPECT_TRUE(coverage.objectives.count(std::string(objective))) << objective;
  }
  EXPECT_GE(coverage.max_depth, 10u);
  EXPECT_GT(coverage.threshold_hits, 1000u);
  EXPECT_TRUE(coverage.dart);
  EXPECT_TRUE(coverage.deleted_nodes);
  EXPECT_TRUE(coverage.parallel_trees);
}

TEST(CompiledTreesPropertyTest, EqualsXgboostBitForBitOnRandomModels) {
  constexpr size_t kModels = 36;  // each objective at least once
  Coverage coverage;
  for (uint32_t seed = 0; seed < kModels; ++seed) {
    CheckAgainstXgboost(seed, false, 1000, &coverage);
    if (::testing::Test::HasFailure()) return;
  }
  ExpectWideCoverage(coverage, kModels);
}

// Bigger: more models, more training rows, more test rows. Run by hand:
//   models_tests --gtest_also_run_disabled_tests --gtest_filter='*DISABLED_Bigger*'
TEST(CompiledTreesPropertyTest, DISABLED_BiggerEqualsXgboostBitForBitOnRandomModels) {
  constexpr size_t kModels = 1000;
  Coverage coverage;
  for (uint32_t seed = 0; seed < kModels; ++seed) {
    CheckAgainstXgboost(100000 + seed, true, 5000, &coverage);
    if (::testing::Test::HasFailure()) return;
  }
  ExpectWideCoverage(coverage, kModels);
}

}  // namespace
}  // namespace sluice::models
