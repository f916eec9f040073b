#include "xgb/internal/model_check.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>
#include <vector>

#include "xgb/model_document.h"

namespace sluice::xgb::internal {
namespace {

using model_json::Array;
using model_json::IntElement;
using model_json::IntParam;
using model_json::Invalid;
using model_json::Member;
using model_json::Object;
using model_json::Show;
using nlohmann::json;

// XGBoost stores categories as float feature values, exact only below 2^24; a huge category
// would make it allocate a bit set that large for the node.
constexpr int64_t kMaxCategory = int64_t{1} << 24;

Status CheckCategories(const json& tree, std::string_view path, int64_t num_nodes,
                       const std::vector<bool>& categorical) {
  SLUICE_ASSIGN_OR_RETURN(const json* categories, Array(tree, path, "categories"));
  SLUICE_ASSIGN_OR_RETURN(const json* nodes, Array(tree, path, "categories_nodes"));
  const auto count = static_cast<int64_t>(nodes->size());
  SLUICE_ASSIGN_OR_RETURN(const json* segments, Array(tree, path, "categories_segments", count));
  SLUICE_ASSIGN_OR_RETURN(const json* sizes, Array(tree, path, "categories_sizes", count));
  const auto total = static_cast<int64_t>(categories->size());
  for (size_t i = 0; i < categories->size(); ++i) {
    SLUICE_RETURN_IF_ERROR(
        IntElement(*categories, i, fmt::format("{}.categories", path), 0, kMaxCategory - 1));
  }
  std::vector<bool> listed(static_cast<size_t>(num_nodes), false);
  int64_t previous = -1;
  for (size_t i = 0; i < nodes->size(); ++i) {
    std::string nodes_path = fmt::format("{}.categories_nodes", path);
    SLUICE_ASSIGN_OR_RETURN(int64_t node, IntElement(*nodes, i, nodes_path, 0, num_nodes - 1));
    if (node <= previous) return Invalid(fmt::format("{}[{}]", nodes_path, i), "not increasing");
    previous = node;
    listed[static_cast<size_t>(node)] = true;
    SLUICE_ASSIGN_OR_RETURN(
        int64_t segment,
        IntElement(*segments, i, fmt::format("{}.categories_segments", path), 0, total));
    SLUICE_ASSIGN_OR_RETURN(
        int64_t size,
        IntElement(*sizes, i, fmt::format("{}.categories_sizes", path), 0, total - segment));
    (void)size;
  }
  for (size_t node = 0; node < categorical.size(); ++node) {
    if (categorical[node] && !listed[node]) {
      return Invalid(fmt::format("{}.split_type[{}]", path, node),
                     "a categorical split without categories_nodes entry");
    }
  }
  return Status::Ok();
}

Status CheckTree(const json& tree, std::string_view path, int64_t num_feature) {
  SLUICE_ASSIGN_OR_RETURN(const json* param, Object(tree, path, "tree_param"));
  std::string param_path = fmt::format("{}.tree_param", path);
  // Past 2^31 nodes XGBoost's int32 node ids overflow.
  SLUICE_ASSIGN_OR_RETURN(int64_t n, IntParam(*param, param_path, "num_nodes", 1, INT32_MAX));
  SLUICE_RETURN_IF_ERROR(IntParam(*param, param_path, "size_leaf_vector", 0, 0));

  for (const char* key :
       {"split_conditions", "default_left", "base_weights", "loss_changes", "sum_hessian"}) {
    SLUICE_RETURN_IF_ERROR(Array(tree, path, key, n));
  }
  SLUICE_ASSIGN_OR_RETURN(const json* left, Array(tree, path, "left_children", n));
  SLUICE_ASSIGN_OR_RETURN(const json* right, Array(tree, path, "right_children", n));
  SLUICE_ASSIGN_OR_RETURN(const json* parents, Array(tree, path, "parents", n));
  SLUICE_ASSIGN_OR_RETURN(const json* features, Array(tree, path, "split_indices", n));
  const json* split_type = nullptr;  // absent in models older than 1.5: all numerical
  if (tree.contains("split_type")) {
    SLUICE_ASSIGN_OR_RETURN(split_type, Array(tree, path, "split_type", n));
  }

  // Every node, deleted ones included: XGBoost reads them all, and indexes the nodes array
  // with each non-root node's parent while loading.
  const std::string left_path = fmt::format("{}.left_children", path);
  const std::string right_path = fmt::format("{}.right_children", path);
  const std::string parents_path = fmt::format("{}.parents", path);
  const auto size = static_cast<size_t>(n);
  std::vector<int64_t> lefts(size);
  std::vector<int64_t> rights(size);
  std::vector<int64_t> parent_of(size, -1);
  std::vector<bool> categorical(size, false);
  for (size_t node = 0; node < size; ++node) {
    SLUICE_ASSIGN_OR_RETURN(lefts[node], IntElement(*left, node, left_path, -1, n - 1));
    SLUICE_ASSIGN_OR_RETURN(rights[node], IntElement(*right, node, right_path, -1, n - 1));
    if (node > 0) {
      SLUICE_ASSIGN_OR_RETURN(parent_of[node], IntElement(*parents, node, parents_path, 0, n - 1));
    }
    if (split_type != nullptr) {
      SLUICE_ASSIGN_OR_RETURN(
          int64_t type, IntElement(*split_type, node, fmt::format("{}.split_type", path), 0, 1));
      categorical[node] = type == 1;
    }
  }

  // Walk from the root: every reachable node is reached once (no cycles, no shared children)
  // from its recorded parent, and every reachable split tests an existing feature. Unreachable
  // nodes are deleted (pruned) ones.
  std::vector<bool> seen(size, false);
  std::vector<bool> split_categorically(size, false);
  std::vector<size_t> pending = {0};
  seen[0] = true;
  while (!pending.empty()) {
    const size_t node = pending.back();
    pending.pop_back();
    if ((lefts[node] == -1) != (rights[node] == -1)) {
      return Invalid(fmt::format("{}[{}]", left_path, node), "a node with only one child");
    }
    if (lefts[node] == -1) continue;  // a leaf
    for (int64_t child : {lefts[node], rights[node]}) {
      const auto c = static_cast<size_t>(child);
      if (child == 0 || seen[c]) {
        return Invalid(fmt::format("{}[{}]", path, node),
                       fmt::format("child {} is already in the tree", child));
      }
      if (parent_of[c] != static_cast<int64_t>(node)) {
        return Invalid(fmt::format("{}[{}]", parents_path, c),
                       fmt::format("{} is not the node's parent {}", parent_of[c], node));
      }
      seen[c] = true;
      pending.push_back(c);
    }
    if (num_feature == 0) {
      return Invalid(fmt::format("{}.split_indices[{}]", path, node),
                     "a split in a model without features");
    }
    SLUICE_RETURN_IF_ERROR(
        IntElement(*features, node, fmt::format("{}.split_indices", path), 0, num_feature - 1));
    split_categorically[node] = categorical[node];
  }
  return CheckCategories(tree, path, n, split_categorically);
}

Status CheckTrees(const json& gbtree, std::string_view path, int64_t num_feature, int64_t groups,
                  int64_t* num_trees) {
  SLUICE_ASSIGN_OR_RETURN(const json* model, Object(gbtree, path, "model"));
  std::string model_path = fmt::format("{}.model", path);
  SLUICE_ASSIGN_OR_RETURN(const json* param, Object(*model, model_path, "gbtree_model_param"));
  std::string param_path = fmt::format("{}.gbtree_model_param", model_path);
  SLUICE_ASSIGN_OR_RETURN(*num_trees, IntParam(*param, param_path, "num_trees", 0, INT32_MAX));
  if (param->contains("num_parallel_tree")) {
    SLUICE_RETURN_IF_ERROR(IntParam(*param, param_path, "num_parallel_tree", 1, INT32_MAX));
  }
  SLUICE_ASSIGN_OR_RETURN(const json* trees, Array(*model, model_path, "trees", *num_trees));
  SLUICE_ASSIGN_OR_RETURN(const json* info, Array(*model, model_path, "tree_info", *num_trees));
  std::string info_path = fmt::format("{}.tree_info", model_path);
  // XGBoost places each tree by its "id": ids must be 0..num_trees-1, each once.
  std::vector<bool> ids(static_cast<size_t>(*num_trees), false);
  for (size_t i = 0; i < trees->size(); ++i) {
    std::string tree_path = fmt::format("{}.trees[{}]", model_path, i);
    const json& tree = (*trees)[i];
    if (!tree.is_object()) return Invalid(tree_path, "not an object");
    SLUICE_ASSIGN_OR_RETURN(const json* id, Member(tree, tree_path, "id"));
    if (!id->is_number_integer() || id->get<int64_t>() < 0 || id->get<int64_t>() >= *num_trees ||
        ids[id->get<size_t>()]) {
      return Invalid(tree_path + ".id",
                     fmt::format("{} is not a new tree id below {}", Show(*id), *num_trees));
    }
    ids[id->get<size_t>()] = true;
    SLUICE_RETURN_IF_ERROR(IntElement(*info, i, info_path, 0, groups - 1));
    SLUICE_RETURN_IF_ERROR(CheckTree(tree, tree_path, num_feature));
  }
  return Status::Ok();
}

Status CheckLearner(const json& model) {
  SLUICE_ASSIGN_OR_RETURN(const json* learner, Object(model, "model", "learner"));
  const std::string path = "learner";
  SLUICE_ASSIGN_OR_RETURN(const json* param, Object(*learner, path, "learner_model_param"));
  const std::string param_path = "learner.learner_model_param";
  SLUICE_ASSIGN_OR_RETURN(int64_t num_feature,
                          IntParam(*param, param_path, "num_feature", 0, INT32_MAX));
  SLUICE_ASSIGN_OR_RETURN(int64_t num_class,
                          IntParam(*param, param_path, "num_class", 0, INT32_MAX));
  int64_t num_target = 1;
  if (param->contains("num_target")) {
    SLUICE_ASSIGN_OR_RETURN(num_target, IntParam(*param, param_path, "num_target", 1, INT32_MAX));
  }
  const int64_t groups = std::max({num_class, num_target, int64_t{1}});

  for (const char* key : {"feature_names", "feature_types"}) {
    if (!learner->contains(key)) continue;
    SLUICE_ASSIGN_OR_RETURN(const json* names, Array(*learner, path, key));
    if (!names->empty() && names->size() != static_cast<size_t>(num_feature)) {
      return Invalid(fmt::format("{}.{}", path, key),
                     fmt::format("has {} elements for {} features", names->size(), num_feature));
    }
    for (const json& name : *names) {
      if (!name.is_string()) return Invalid(fmt::format("{}.{}", path, key), "not all strings");
    }
  }

  SLUICE_ASSIGN_OR_RETURN(const json* booster, Object(*learner, path, "gradient_booster"));
  const std::string booster_path = "learner.gradient_booster";
  SLUICE_ASSIGN_OR_RETURN(const json* name, Member(*booster, booster_path, "name"));
  if (*name == "gbtree") {
    int64_t num_trees = 0;
    return CheckTrees(*booster, booster_path, num_feature, groups, &num_trees);
  }
  if (*name == "dart") {
    SLUICE_ASSIGN_OR_RETURN(const json* gbtree, Object(*booster, booster_path, "gbtree"));
    int64_t num_trees = 0;
    SLUICE_RETURN_IF_ERROR(
        CheckTrees(*gbtree, booster_path + ".gbtree", num_feature, groups, &num_trees));
    return Array(*booster, booster_path, "weight_drop", num_trees).status();
  }
  if (*name == "gblinear") {
    SLUICE_ASSIGN_OR_RETURN(const json* linear, Object(*booster, booster_path, "model"));
    return Array(*linear, booster_path + ".model", "weights", (num_feature + 1) * groups).status();
  }
  return Invalid(booster_path + ".name",
                 fmt::format("{} is not gbtree, dart or gblinear", Show(*name)));
}

// JSON as XGBoost reads it: non-finite numbers as NaN/Infinity, and every float with a '.' or an
// exponent (XGBoost reads "3" as an integer and refuses it where it expects a float). Throws
// nlohmann's type_error for a string that is not UTF-8.
void WriteJson(const json& value, std::string* out) {
  switch (value.type()) {
    case json::value_t::object: {
      *out += '{';
      bool first = true;
      for (const auto& [key, member] : value.items()) {
        if (!first) *out += ',';
        first = false;
        *out += json(key).dump();
        *out += ':';
        WriteJson(member, out);
      }
      *out += '}';
      return;
    }
    case json::value_t::array: {
      *out += '[';
      for (size_t i = 0; i < value.size(); ++i) {
        if (i > 0) *out += ',';
        WriteJson(value[i], out);
      }
      *out += ']';
      return;
    }
    case json::value_t::number_float: {
      double number = value.get<double>();
      if (std::isnan(number)) {
        *out += "NaN";
      } else if (std::isinf(number)) {
        *out += number > 0 ? "Infinity" : "-Infinity";
      } else {
        // The shortest text that reads back the same: as a float where the number is one (all of
        // a model's are), which XGBoost reads straight into a float.
        const auto narrow = static_cast<float>(number);
        std::string text = static_cast<double>(narrow) == number ? fmt::format("{}", narrow)
                                                                 : fmt::format("{}", number);
        if (text.find_first_of(".e") == std::string::npos) text += ".0";
        *out += text;
      }
      return;
    }
    default:  // null, booleans, integers, strings (escaped by nlohmann)
      *out += value.dump();
      return;
  }
}

}  // namespace

Result<std::string> CheckModel(std::span<const uint8_t> bytes) {
  if (bytes.empty() || bytes[0] != '{') {
    return InvalidArgument(
        "not an XGBoost JSON or UBJ model (it does not start with '{{'; XGBoost's old binary "
        "format is not accepted)");
  }
  SLUICE_ASSIGN_OR_RETURN(json model, ReadModelDocument(bytes, FormatOf(bytes)));
  SLUICE_RETURN_IF_ERROR(CheckLearner(model));
  std::string text;
  text.reserve(bytes.size());
  try {
    WriteJson(model, &text);
  } catch (const std::exception& e) {  // a UBJ string that is not UTF-8
    return InvalidArgument("XGBoost model: {}", e.what());
  }
  return text;
}

}  // namespace sluice::xgb::internal
