#include "xgb/internal/model_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "testing/status_matchers.h"

namespace sluice::xgb::internal {
namespace {

using ::nlohmann::json;
using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

// Two features, two trees: the first splits on feature 1 at 0.5, the second is one leaf.
json SmallModel() {
  return json::parse(R"({
  "learner": {
    "attributes": {}, "feature_names": [], "feature_types": [],
    "gradient_booster": {
      "name": "gbtree",
      "model": {
        "gbtree_model_param": {"num_parallel_tree": "1", "num_trees": "2", "size_leaf_vector": "0"},
        "tree_info": [0, 0],
        "trees": [
          {"id": 0,
           "tree_param": {"num_deleted": "0", "num_feature": "2", "num_nodes": "3",
                          "size_leaf_vector": "0"},
           "left_children": [1, -1, -1], "right_children": [2, -1, -1],
           "parents": [2147483647, 0, 0], "split_indices": [1, 0, 0],
           "split_conditions": [0.5, -0.4, 0.3], "default_left": [1, 0, 0],
           "split_type": [0, 0, 0], "base_weights": [0.0, -0.4, 0.3],
           "loss_changes": [1.5, 0.0, 0.0], "sum_hessian": [10.0, 5.0, 5.0],
           "categories": [], "categories_nodes": [], "categories_segments": [],
           "categories_sizes": []},
          {"id": 1,
           "tree_param": {"num_deleted": "0", "num_feature": "2", "num_nodes": "1",
                          "size_leaf_vector": "0"},
           "left_children": [-1], "right_children": [-1], "parents": [2147483647],
           "split_indices": [0], "split_conditions": [0.1], "default_left": [0],
           "split_type": [0], "base_weights": [0.1], "loss_changes": [0.0],
           "sum_hessian": [10.0], "categories": [], "categories_nodes": [],
           "categories_segments": [], "categories_sizes": []}
        ]
      }
    },
    "learner_model_param": {"base_score": "5E-1", "boost_from_average": "1", "num_class": "0",
                            "num_feature": "2", "num_target": "1"},
    "objective": {"name": "binary:logistic", "reg_loss_param": {"scale_pos_weight": "1"}}
  },
  "version": [1, 7, 4]
})");
}

Result<std::string> Check(const std::string& text) {
  return CheckModel(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Result<std::string> Check(const std::vector<uint8_t>& bytes) { return CheckModel(bytes); }

TEST(CheckModelTest, AcceptsJsonAndUbjAndReturnsTheSameModelAsJson) {
  json model = SmallModel();
  ASSERT_OK_AND_ASSIGN(std::string from_json, Check(model.dump()));
  EXPECT_EQ(json::parse(from_json), model);
  ASSERT_OK_AND_ASSIGN(std::string from_ubj, Check(json::to_ubjson(model)));
  EXPECT_EQ(json::parse(from_ubj), model);
}

TEST(CheckModelTest, ReadsXgboostsNonFiniteNumbers) {
  // XGBoost writes NaN (a categorical split's condition) and infinities as bare words; inside
  // strings the same words stay text.
  json model = SmallModel();
  model["learner"]["feature_names"] = {"NaN", "say \"Infinity\""};
  std::string text = model.dump();
  for (auto [from, to] : {std::pair{"[0.5,-0.4,0.3]", "[NaN,-Infinity,Infinity]"}}) {
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, std::string_view(from).size(), to);
  }
  ASSERT_OK_AND_ASSIGN(std::string checked, Check(text));
  EXPECT_THAT(checked, HasSubstr(R"("split_conditions":[NaN,-Infinity,Infinity])"));
  EXPECT_THAT(checked, HasSubstr(R"("feature_names":["NaN","say \"Infinity\""])"));
  // Floats keep a '.' so that XGBoost reads them as floats.
  EXPECT_THAT(checked, HasSubstr(R"("sum_hessian":[10.0,5.0,5.0])"));
}

TEST(CheckModelTest, WritesEachFloatAsTheShortestTextOfTheFloatXgboostReads) {
  // Just above the midpoint of 0.3f and the next float: XGBoost rounds the text straight to the
  // upper float. Written back through a double, the text would land on the midpoint and read as
  // 0.3f.
  std::string text = SmallModel().dump();
  const std::string from = "\"split_conditions\":[0.5,";
  ASSERT_NE(text.find(from), std::string::npos) << text;
  text.replace(text.find(from), from.size(),
               "\"split_conditions\":[0.300000026822090148925781250000000000000001,");
  ASSERT_OK_AND_ASSIGN(std::string checked, Check(text));
  EXPECT_THAT(checked, HasSubstr(R"("split_conditions":[0.30000004,-0.4,0.3])"));
  // UBJ stores floats; they come back as their own shortest text, not a double's.
  json model = SmallModel();
  model["learner"]["gradient_booster"]["model"]["trees"][0]["sum_hessian"][0] = 0.1f;
  ASSERT_OK_AND_ASSIGN(std::string from_ubj, Check(json::to_ubjson(model)));
  EXPECT_THAT(from_ubj, HasSubstr(R"("sum_hessian":[0.1,5.0,5.0])"));
}

TEST(CheckModelTest, AcceptsDeletedNodesAndCategoricalSplits) {
  json model = SmallModel();
  // Node 1 splits on categories {1, 3} of feature 0, into nodes 3 and 4; node 5 is a deleted
  // (pruned) node: in the arrays, reachable from nowhere.
  json& tree = model["learner"]["gradient_booster"]["model"]["trees"][0];
  tree["tree_param"]["num_nodes"] = "6";
  tree["left_children"] = {1, 3, -1, -1, -1, -1};
  tree["right_children"] = {2, 4, -1, -1, -1, -1};
  tree["parents"] = {2147483647, 0, 0, 1, 1, 2};
  for (const char* key : {"split_indices", "default_left", "split_type"}) {
    tree[key] = {0, 0, 0, 0, 0, 0};
  }
  tree["split_type"][1] = 1;
  for (const char* key : {"split_conditions", "base_weights", "loss_changes", "sum_hessian"}) {
    tree[key] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  }
  tree["categories"] = {1, 3};
  tree["categories_nodes"] = {1};
  tree["categories_segments"] = {0};
  tree["categories_sizes"] = {2};
  EXPECT_THAT(Check(model.dump()), IsOk());
}

TEST(CheckModelTest, RejectsBrokenStructure) {
  struct Case {
    std::string pointer;
    std::optional<json> value;  // nullopt: remove the member
    std::string message;
  };
  const std::string gb = "/learner/gradient_booster";
  const std::string trees = gb + "/model/trees";
  const std::vector<Case> cases = {
      {"/learner", std::nullopt, "model.learner: missing"},
      {gb + "/name", "gbforest", "\"gbforest\" is not gbtree, dart or gblinear"},
      {gb + "/model/gbtree_model_param/num_trees", std::nullopt,
       "gbtree_model_param.num_trees: missing"},
      {gb + "/model/gbtree_model_param/num_trees", "3", "model.trees: has 2 elements, expected 3"},
      {gb + "/model/gbtree_model_param/num_trees", "2x", "num_trees: \"2x\" is not an integer"},
      {gb + "/model/gbtree_model_param/num_trees", 2, "num_trees: not a string"},
      {gb + "/model/tree_info", json{0, 1}, "model.tree_info[1]: 1 is outside [0, 0]"},
      {gb + "/model/tree_info", json{0}, "model.tree_info: has 1 elements, expected 2"},
      {"/learner/learner_model_param/num_feature", "-1", "num_feature: -1 is outside"},
      {"/learner/feature_names", json{"a"}, "feature_names: has 1 elements for 2 features"},
      {trees + "/1/id", 0, "trees[1].id: 0 is not a new tree id below 2"},
      {trees + "/1/id", 2, "trees[1].id: 2 is not a new tree id below 2"},
      {trees + "/1", 7, "trees[1]: not an object"},
      {trees + "/0/tree_param/num_nodes", "0", "num_nodes: 0 is outside [1, 2147483647]"},
      {trees + "/0/tree_param/num_nodes", "4", "split_conditions: has 3 elements, expected 4"},
      {trees + "/0/split_conditions", json{0.5, 0.1}, "split_conditions: has 2 elements"},
      {trees + "/0/sum_hessian", std::nullopt, "trees[0].sum_hessian: missing"},
      {trees + "/0/left_children/0", 5, "trees[0].left_children[0]: 5 is outside [-1, 2]"},
      {trees + "/0/left_children/0", 0, "trees[0][0]: child 0 is already in the tree"},
      {trees + "/0/right_children/0", 1, "trees[0][0]: child 1 is already in the tree"},
      {trees + "/0/left_children/0", -1, "left_children[0]: a node with only one child"},
      {trees + "/0/left_children/0", 1.5, "left_children[0]: not an integer"},
      {trees + "/0/parents/1", 3, "trees[0].parents[1]: 3 is outside [0, 2]"},
      {trees + "/0/parents/2", 1, "trees[0].parents[2]: 1 is not the node's parent 0"},
      {trees + "/0/split_indices/0", 2, "trees[0].split_indices[0]: 2 is outside [0, 1]"},
      {trees + "/0/split_type/0", 1, "split_type[0]: a categorical split without"},
      {trees + "/0/split_type/0", 2, "split_type[0]: 2 is outside [0, 1]"},
      {trees + "/0/split_type/2", 7, "split_type[2]: 7 is outside [0, 1]"},
      {trees + "/0/categories", json{-1}, "categories[0]: -1 is outside [0, 16777215]"},
      {trees + "/0/categories_nodes", json{0}, "categories_segments: has 0 elements, expected 1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pointer);
    json model = SmallModel();
    json::json_pointer pointer(c.pointer);
    if (c.value.has_value()) {
      model[pointer] = *c.value;
    } else {
      model[pointer.parent_pointer()].erase(pointer.back());
    }
    EXPECT_THAT(Check(model.dump()),
                StatusIs(StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("XGBoost model: "), HasSubstr(c.message))));
  }
}

TEST(CheckModelTest, CategoriesMustLieInsideTheirArray) {
  json model = SmallModel();
  json& tree = model["learner"]["gradient_booster"]["model"]["trees"][0];
  tree["categories"] = {1};
  tree["categories_nodes"] = {0};
  tree["categories_segments"] = {0};
  tree["categories_sizes"] = {5};
  EXPECT_THAT(Check(model.dump()), StatusIs(StatusCode::kInvalidArgument,
                                            HasSubstr("categories_sizes[0]: 5 is outside [0, 1]")));
  tree["categories_sizes"] = {1};
  tree["categories_nodes"] = {3};
  EXPECT_THAT(Check(model.dump()), StatusIs(StatusCode::kInvalidArgument,
                                            HasSubstr("categories_nodes[0]: 3 is outside [0, 2]")));
}

TEST(CheckModelTest, ChecksDartAndLinearBoosters) {
  json model = SmallModel();
  json gbtree = model["learner"]["gradient_booster"];
  json& booster = model["learner"]["gradient_booster"];
  booster = {{"name", "dart"}, {"gbtree", gbtree}, {"weight_drop", {1.0, 1.0}}};
  EXPECT_THAT(Check(model.dump()), IsOk());
  booster["weight_drop"] = {1.0};
  EXPECT_THAT(Check(model.dump()), StatusIs(StatusCode::kInvalidArgument,
                                            HasSubstr("weight_drop: has 1 elements, expected 2")));

  // (num_feature + 1) x groups weights: the last row holds the biases.
  booster = {{"name", "gblinear"}, {"model", {{"weights", {0.5, -0.5, 0.1}}}}};
  EXPECT_THAT(Check(model.dump()), IsOk());
  booster["model"]["weights"] = {0.5};
  EXPECT_THAT(Check(model.dump()),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("model.weights: has 1 elements, expected 3")));
}

TEST(CheckModelTest, QuotesStringsThatAreNotUtf8) {
  // UBJ strings are bytes; the error message must still be made (nlohmann's dump throws).
  json model = SmallModel();
  model["learner"]["gradient_booster"]["name"] = "gb\xfftree";
  EXPECT_THAT(Check(json::to_ubjson(model)),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("name: \"gb\xef\xbf\xbdtree\" is not gbtree")));
  model = SmallModel();
  model["learner"]["feature_names"] = {"a", "\xfe"};
  EXPECT_THAT(Check(json::to_ubjson(model)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("invalid UTF-8")));
}

TEST(CheckModelTest, RejectsWhatIsNotJsonOrUbj) {
  const std::string json_text = SmallModel().dump();
  std::vector<uint8_t> ubj = json::to_ubjson(SmallModel());
  std::vector<uint8_t> truncated_ubj(ubj.begin(), ubj.begin() + static_cast<long>(ubj.size() / 2));
  std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  // A UBJ array claiming 2^31 elements of a type that takes no bytes: "[$Z#l" + count.
  std::vector<uint8_t> zero_size = {'{', 'i', 1,    'a',  '[',  '$',  'Z',
                                    '#', 'l', 0x7f, 0xff, 0xff, 0xff, '}'};

  EXPECT_THAT(Check(std::string()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("does not start with '{'")));
  EXPECT_THAT(Check(std::string("binf\x01\x02")),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("XGBoost's old binary format is not accepted")));
  EXPECT_THAT(Check(json_text.substr(0, json_text.size() / 2)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("XGBoost model: not valid JSON")));
  EXPECT_THAT(Check(json_text + "x"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(Check(truncated_ubj),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("XGBoost model: not valid UBJ")));
  EXPECT_THAT(Check(deep), StatusIs(StatusCode::kInvalidArgument,
                                    HasSubstr("not valid JSON: nested deeper than 64")));
  EXPECT_THAT(Check(zero_size), StatusIs(StatusCode::kInvalidArgument, HasSubstr("not valid UBJ")));
}

}  // namespace
}  // namespace sluice::xgb::internal
