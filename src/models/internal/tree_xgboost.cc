#include "models/internal/tree_xgboost.h"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>

#include "xgb/model_document.h"

namespace sluice::models::internal {
namespace {

using nlohmann::json;
using xgb::model_json::Array;
using xgb::model_json::IntElement;
using xgb::model_json::IntParam;
using xgb::model_json::Invalid;
using xgb::model_json::Member;
using xgb::model_json::Object;

// Every number in the model is a float: ReadModelDocument rounds a JSON number's text straight to
// a float as XGBoost does, and UBJ stores the float itself, so the double narrows exactly.
Result<float> FloatElement(const json& array, size_t index, std::string_view path) {
  const json& value = array[index];
  if (!value.is_number()) return Invalid(fmt::format("{}[{}]", path, index), "not a number");
  return static_cast<float>(value.get<double>());  // NaN and infinities stay what they are
}

// 1.7 writes 0/1; older versions wrote booleans.
Result<bool> BoolElement(const json& array, size_t index, std::string_view path) {
  const json& value = array[index];
  if (value.is_boolean()) return value.get<bool>();
  SLUICE_ASSIGN_OR_RETURN(int64_t number, IntElement(array, index, path, 0, 1));
  return number == 1;
}

Result<XgboostTree> ParseTree(const json& tree, std::string_view path, int64_t num_features) {
  SLUICE_ASSIGN_OR_RETURN(const json* param, Object(tree, path, "tree_param"));
  const std::string param_path = fmt::format("{}.tree_param", path);
  SLUICE_ASSIGN_OR_RETURN(const int64_t n,
                          IntParam(*param, param_path, "num_nodes", 1, INT32_MAX - 1));
  if (param->contains("size_leaf_vector")) {
    SLUICE_ASSIGN_OR_RETURN(int64_t leaf_vector,
                            IntParam(*param, param_path, "size_leaf_vector", 0, INT32_MAX));
    if (leaf_vector > 1) {
      return Unimplemented(
          "XGBoost model: {}: vector leaves (multi-target trees) are not supported", path);
    }
  }
  SLUICE_ASSIGN_OR_RETURN(const json* lefts, Array(tree, path, "left_children", n));
  SLUICE_ASSIGN_OR_RETURN(const json* rights, Array(tree, path, "right_children", n));
  SLUICE_ASSIGN_OR_RETURN(const json* features, Array(tree, path, "split_indices", n));
  SLUICE_ASSIGN_OR_RETURN(const json* conditions, Array(tree, path, "split_conditions", n));
  SLUICE_ASSIGN_OR_RETURN(const json* defaults, Array(tree, path, "default_left", n));
  const json* split_types = nullptr;  // absent before 1.5: all numerical
  if (tree.contains("split_type")) {
    SLUICE_ASSIGN_OR_RETURN(split_types, Array(tree, path, "split_type", n));
  }

  const std::string left_path = fmt::format("{}.left_children", path);
  const std::string right_path = fmt::format("{}.right_children", path);
  const std::string feature_path = fmt::format("{}.split_indices", path);
  const std::string condition_path = fmt::format("{}.split_conditions", path);
  const std::string default_path = fmt::format("{}.default_left", path);
  const std::string type_path = fmt::format("{}.split_type", path);

  // Walk from the root: each reachable node is reached once (no cycles, no shared children).
  // Unreachable nodes are deleted (pruned) ones, which XGBoost keeps in the arrays.
  XgboostTree result;
  result.nodes.resize(static_cast<size_t>(n));
  std::vector<bool> seen(static_cast<size_t>(n), false);
  std::vector<size_t> pending = {0};
  seen[0] = true;
  while (!pending.empty()) {
    const size_t i = pending.back();
    pending.pop_back();
    XgboostNode& node = result.nodes[i];
    SLUICE_ASSIGN_OR_RETURN(const int64_t left, IntElement(*lefts, i, left_path, -1, n - 1));
    SLUICE_ASSIGN_OR_RETURN(const int64_t right, IntElement(*rights, i, right_path, -1, n - 1));
    SLUICE_ASSIGN_OR_RETURN(node.condition, FloatElement(*conditions, i, condition_path));
    if ((left == -1) != (right == -1)) {
      return Invalid(fmt::format("{}[{}]", left_path, i), "a node with only one child");
    }
    if (left == -1) continue;  // a leaf: condition holds its value

    if (split_types != nullptr) {
      SLUICE_ASSIGN_OR_RETURN(int64_t type, IntElement(*split_types, i, type_path, 0, 1));
      if (type == 1) {
        return Unimplemented(
            "XGBoost model: {}[{}]: categorical splits are not supported (train with numerical "
            "or one-hot encoded features)",
            type_path, i);
      }
    }
    if (right != left + 1) {
      return Invalid(fmt::format("{}[{}]", right_path, i),
                     fmt::format("{} is not left child + 1 ({}): XGBoost's predictor takes the "
                                 "right child to follow the left one",
                                 right, left + 1));
    }
    for (int64_t child : {left, right}) {
      const auto c = static_cast<size_t>(child);
      if (child == 0 || seen[c]) {
        return Invalid(fmt::format("{}[{}]", left_path, i),
                       fmt::format("child {} is already in the tree", child));
      }
      seen[c] = true;
      pending.push_back(c);
    }
    if (num_features == 0) {
      return Invalid(fmt::format("{}[{}]", feature_path, i), "a split in a model without features");
    }
    SLUICE_ASSIGN_OR_RETURN(int64_t feature,
                            IntElement(*features, i, feature_path, 0, num_features - 1));
    SLUICE_ASSIGN_OR_RETURN(node.default_left, BoolElement(*defaults, i, default_path));
    node.left = static_cast<int32_t>(left);
    node.right = static_cast<int32_t>(right);
    node.feature = static_cast<uint32_t>(feature);
  }
  return result;
}

// learner.gradient_booster.model (gbtree) or learner.gradient_booster.gbtree.model (dart).
Status ParseTrees(const json& gbtree, std::string_view path, XgboostModel* model) {
  SLUICE_ASSIGN_OR_RETURN(const json* trees_model, Object(gbtree, path, "model"));
  const std::string model_path = fmt::format("{}.model", path);
  SLUICE_ASSIGN_OR_RETURN(const json* param,
                          Object(*trees_model, model_path, "gbtree_model_param"));
  SLUICE_ASSIGN_OR_RETURN(const int64_t num_trees,
                          IntParam(*param, fmt::format("{}.gbtree_model_param", model_path),
                                   "num_trees", 0, INT32_MAX));
  SLUICE_ASSIGN_OR_RETURN(const json* trees, Array(*trees_model, model_path, "trees", num_trees));
  SLUICE_ASSIGN_OR_RETURN(const json* info,
                          Array(*trees_model, model_path, "tree_info", num_trees));
  const std::string info_path = fmt::format("{}.tree_info", model_path);

  // XGBoost places each tree by its "id" (so ids are 0..num_trees-1, each once) and reads
  // tree_info by position.
  model->trees.resize(static_cast<size_t>(num_trees));
  std::vector<bool> placed(static_cast<size_t>(num_trees), false);
  for (size_t i = 0; i < trees->size(); ++i) {
    const std::string tree_path = fmt::format("{}.trees[{}]", model_path, i);
    const json& tree = (*trees)[i];
    SLUICE_ASSIGN_OR_RETURN(const json* id, Member(tree, tree_path, "id"));
    if (!id->is_number_integer() || id->get<int64_t>() < 0 || id->get<int64_t>() >= num_trees ||
        placed[id->get<size_t>()]) {
      return Invalid(tree_path + ".id",
                     fmt::format("{} is not a new tree id below {}", id->dump(), num_trees));
    }
    const auto position = id->get<size_t>();
    placed[position] = true;
    SLUICE_ASSIGN_OR_RETURN(model->trees[position],
                            ParseTree(tree, tree_path, static_cast<int64_t>(model->num_features)));
  }
  for (size_t i = 0; i < model->trees.size(); ++i) {
    SLUICE_ASSIGN_OR_RETURN(int64_t group, IntElement(*info, i, info_path, 0,
                                                      static_cast<int64_t>(model->num_groups) - 1));
    model->trees[i].group = static_cast<uint32_t>(group);
  }
  return Status::Ok();
}

Result<XgboostModel> ParseModel(const json& root) {
  XgboostModel model;
  SLUICE_ASSIGN_OR_RETURN(const json* learner, Object(root, "model", "learner"));
  const std::string path = "learner";

  SLUICE_ASSIGN_OR_RETURN(const json* param, Object(*learner, path, "learner_model_param"));
  const std::string param_path = "learner.learner_model_param";
  SLUICE_ASSIGN_OR_RETURN(int64_t num_features,
                          IntParam(*param, param_path, "num_feature", 0, INT32_MAX));
  SLUICE_ASSIGN_OR_RETURN(int64_t num_class,
                          IntParam(*param, param_path, "num_class", 0, INT32_MAX));
  if (param->contains("num_target")) {
    SLUICE_ASSIGN_OR_RETURN(int64_t num_target,
                            IntParam(*param, param_path, "num_target", 1, INT32_MAX));
    if (num_target > 1) {
      return Unimplemented("XGBoost model: {}.num_target: multi-target models are not supported",
                           param_path);
    }
  }
  model.num_features = static_cast<size_t>(num_features);
  model.num_groups = static_cast<size_t>(std::max<int64_t>(num_class, 1));

  // XGBoost writes base_score as the shortest text that reads back as the same float ("5E-1").
  SLUICE_ASSIGN_OR_RETURN(const json* base_score, Member(*param, param_path, "base_score"));
  const std::string base_path = param_path + ".base_score";
  if (!base_score->is_string()) return Invalid(base_path, "not a string");
  const auto& base_text = base_score->get_ref<const std::string&>();
  auto [end, error] =
      std::from_chars(base_text.data(), base_text.data() + base_text.size(), model.base_score);
  if (error != std::errc() || end != base_text.data() + base_text.size() ||
      !std::isfinite(model.base_score)) {
    return Invalid(base_path, fmt::format("'{}' is not a finite float", base_text));
  }

  SLUICE_ASSIGN_OR_RETURN(const json* objective, Object(*learner, path, "objective"));
  SLUICE_ASSIGN_OR_RETURN(const json* objective_name,
                          Member(*objective, "learner.objective", "name"));
  if (!objective_name->is_string()) return Invalid("learner.objective.name", "not a string");
  model.objective = objective_name->get<std::string>();

  SLUICE_ASSIGN_OR_RETURN(const json* booster, Object(*learner, path, "gradient_booster"));
  const std::string booster_path = "learner.gradient_booster";
  SLUICE_ASSIGN_OR_RETURN(const json* name, Member(*booster, booster_path, "name"));
  if (*name == "gbtree") {
    SLUICE_RETURN_IF_ERROR(ParseTrees(*booster, booster_path, &model));
  } else if (*name == "dart") {
    model.dart = true;
    SLUICE_ASSIGN_OR_RETURN(const json* gbtree, Object(*booster, booster_path, "gbtree"));
    SLUICE_RETURN_IF_ERROR(ParseTrees(*gbtree, booster_path + ".gbtree", &model));
    SLUICE_ASSIGN_OR_RETURN(const json* weights, Array(*booster, booster_path, "weight_drop",
                                                       static_cast<int64_t>(model.trees.size())));
    for (size_t i = 0; i < model.trees.size(); ++i) {
      SLUICE_ASSIGN_OR_RETURN(model.trees[i].weight,
                              FloatElement(*weights, i, booster_path + ".weight_drop"));
    }
  } else if (*name == "gblinear") {
    return Unimplemented("XGBoost model: {}.name: gblinear is a linear model, not a tree ensemble",
                         booster_path);
  } else {
    return Invalid(booster_path + ".name",
                   fmt::format("{} is not gbtree, dart or gblinear", name->dump()));
  }
  return model;
}

// JSON text only needs its nesting bounded, which a scan does at a fraction of a SAX pass.
}  // namespace

Result<XgboostModel> ParseXgboostJson(std::string_view json_text) {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(json_text.data()),
                                 json_text.size());
  SLUICE_ASSIGN_OR_RETURN(json root, xgb::ReadModelDocument(bytes, xgb::ModelFormat::kJson));
  return ParseModel(root);
}

Result<XgboostModel> ParseXgboostUbj(std::span<const uint8_t> ubj) {
  SLUICE_ASSIGN_OR_RETURN(json root, xgb::ReadModelDocument(ubj, xgb::ModelFormat::kUbj));
  return ParseModel(root);
}

}  // namespace sluice::models::internal
