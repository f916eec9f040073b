#include "xgb/internal/model_check.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

namespace sluice::xgb::internal {
namespace {

using nlohmann::json;

// XGBoost's models nest 6 deep; its JSON reader and nlohmann's UBJ reader both recurse.
constexpr int kMaxDepth = 64;
// XGBoost stores categories as float feature values, exact only below 2^24; a huge category
// would make it allocate a bit set that large for the node.
constexpr int64_t kMaxCategory = int64_t{1} << 24;

// A first pass that parses without building anything: it bounds nesting (so the recursive
// parsers cannot overflow the stack) and the number of values (a UBJ array of a zero-byte type
// could otherwise claim billions of elements from a few bytes).
class BoundsCheck final : public nlohmann::json_sax<json> {
 public:
  explicit BoundsCheck(size_t max_values) : max_values_(max_values) {}

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Enter(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override { return Leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = e.what();
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  bool Value() {
    if (++values_ <= max_values_) return true;
    error_ = "more values than bytes";
    return false;
  }
  bool Enter() {
    if (++depth_ <= kMaxDepth) return Value();
    error_ = fmt::format("nested deeper than {}", kMaxDepth);
    return false;
  }
  bool Leave() {
    --depth_;
    return true;
  }

  size_t max_values_;
  size_t values_ = 0;
  int depth_ = 0;
  std::string error_;
};

Status Invalid(std::string_view path, std::string_view problem) {
  return InvalidArgument("XGBoost model: {}: {}", path, problem);
}

Result<const json*> Member(const json& object, std::string_view path, const char* key) {
  std::string member = fmt::format("{}.{}", path, key);
  if (!object.is_object()) return Invalid(path, "not an object");
  auto it = object.find(key);
  if (it == object.end()) return Invalid(member, "missing");
  return &*it;
}

Result<const json*> Object(const json& parent, std::string_view path, const char* key) {
  SLUICE_ASSIGN_OR_RETURN(const json* value, Member(parent, path, key));
  if (!value->is_object()) return Invalid(fmt::format("{}.{}", path, key), "not an object");
  return value;
}

// An array of `size` elements (any size when size < 0).
Result<const json*> Array(const json& parent, std::string_view path, const char* key,
                          int64_t size = -1) {
  SLUICE_ASSIGN_OR_RETURN(const json* value, Member(parent, path, key));
  std::string member = fmt::format("{}.{}", path, key);
  if (!value->is_array()) return Invalid(member, "not an array");
  if (size >= 0 && value->size() != static_cast<size_t>(size)) {
    return Invalid(member, fmt::format("has {} elements, expected {}", value->size(), size));
  }
  return value;
}

// XGBoost writes its parameters as strings: "num_trees": "3".
Result<int64_t> IntParam(const json& parent, std::string_view path, const char* key,
                         int64_t min, int64_t max) {
  SLUICE_ASSIGN_OR_RETURN(const json* value, Member(parent, path, key));
  std::string member = fmt::format("{}.{}", path, key);
  if (!value->is_string()) return Invalid(member, "not a string");
  const std::string& text = value->get_ref<const std::string&>();
  int64_t number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Invalid(member, fmt::format("'{}' is not an integer", text));
  }
  if (number < min || number > max) {
    return Invalid(member, fmt::format("{} is outside [{}, {}]", number, min, max));
  }
  return number;
}

Result<int64_t> IntElement(const json& array, size_t index, std::string_view path, int64_t min,
                           int64_t max) {
  const json& value = array[index];
  std::string element = fmt::format("{}[{}]", path, index);
  if (!value.is_number_integer()) return Invalid(element, "not an integer");
  // An unsigned beyond int64 is out of every range asked for here.
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max)) {
    return Invalid(element, fmt::format("{} is outside [{}, {}]", value.get<uint64_t>(), min, max));
  }
  int64_t number = value.get<int64_t>();
  if (number < min || number > max) {
    return Invalid(element, fmt::format("{} is outside [{}, {}]", number, min, max));
  }
  return number;
}

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
    SLUICE_ASSIGN_OR_RETURN(int64_t segment,
                            IntElement(*segments, i, fmt::format("{}.categories_segments", path),
                                       0, total));
    SLUICE_ASSIGN_OR_RETURN(int64_t size,
                            IntElement(*sizes, i, fmt::format("{}.categories_sizes", path), 0,
                                       total - segment));
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

  for (const char* key : {"parents", "split_conditions", "default_left", "base_weights",
                          "loss_changes", "sum_hessian"}) {
    SLUICE_RETURN_IF_ERROR(Array(tree, path, key, n));
  }
  SLUICE_ASSIGN_OR_RETURN(const json* left, Array(tree, path, "left_children", n));
  SLUICE_ASSIGN_OR_RETURN(const json* right, Array(tree, path, "right_children", n));
  SLUICE_ASSIGN_OR_RETURN(const json* features, Array(tree, path, "split_indices", n));
  const json* split_type = nullptr;  // absent in models older than 1.5: all numerical
  if (tree.contains("split_type")) {
    SLUICE_ASSIGN_OR_RETURN(split_type, Array(tree, path, "split_type", n));
  }

  // Walk from the root: every reachable node is reached once (no cycles, no shared children),
  // and every reachable split tests an existing feature. Unreachable nodes are deleted ones.
  const std::string left_path = fmt::format("{}.left_children", path);
  const std::string right_path = fmt::format("{}.right_children", path);
  std::vector<bool> seen(static_cast<size_t>(n), false);
  std::vector<bool> categorical(static_cast<size_t>(n), false);
  std::vector<int64_t> pending = {0};
  seen[0] = true;
  while (!pending.empty()) {
    const auto node = static_cast<size_t>(pending.back());
    pending.pop_back();
    SLUICE_ASSIGN_OR_RETURN(int64_t l, IntElement(*left, node, left_path, -1, n - 1));
    SLUICE_ASSIGN_OR_RETURN(int64_t r, IntElement(*right, node, right_path, -1, n - 1));
    if ((l == -1) != (r == -1)) {
      return Invalid(fmt::format("{}[{}]", left_path, node), "a node with only one child");
    }
    if (l == -1) continue;  // a leaf
    for (int64_t child : {l, r}) {
      if (child == 0 || seen[static_cast<size_t>(child)]) {
        return Invalid(fmt::format("{}[{}]", path, node),
                       fmt::format("child {} is already in the tree", child));
      }
      seen[static_cast<size_t>(child)] = true;
      pending.push_back(child);
    }
    if (num_feature == 0) {
      return Invalid(fmt::format("{}.split_indices[{}]", path, node),
                     "a split in a model without features");
    }
    SLUICE_RETURN_IF_ERROR(IntElement(*features, node, fmt::format("{}.split_indices", path), 0,
                                      num_feature - 1));
    if (split_type != nullptr) {
      SLUICE_ASSIGN_OR_RETURN(
          int64_t type, IntElement(*split_type, node, fmt::format("{}.split_type", path), 0, 1));
      categorical[node] = type == 1;
    }
  }
  return CheckCategories(tree, path, n, categorical);
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
      return Invalid(tree_path + ".id", fmt::format("{} is not a new tree id below {}",
                                                    id->dump(), *num_trees));
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
                 fmt::format("{} is not gbtree, dart or gblinear", name->dump()));
}

}  // namespace

Result<std::string> CheckModel(std::span<const uint8_t> bytes) {
  const bool is_json = bytes.size() >= 2 && bytes[0] == '{' && bytes[1] == '"';
  const auto format = is_json ? json::input_format_t::json : json::input_format_t::ubjson;
  const std::string_view format_name = is_json ? "JSON" : "UBJ";
  if (bytes.empty() || bytes[0] != '{') {
    return InvalidArgument(
        "not an XGBoost JSON or UBJ model (it does not start with '{{'; XGBoost's old binary "
        "format is not accepted)");
  }
  json model;
  try {
    BoundsCheck bounds(bytes.size());
    if (!json::sax_parse(bytes.begin(), bytes.end(), &bounds, format)) {
      return InvalidArgument("XGBoost model: not valid {}: {}", format_name, bounds.error());
    }
    model = is_json ? json::parse(bytes.begin(), bytes.end())
                    : json::from_ubjson(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    return InvalidArgument("XGBoost model: not valid {}: {}", format_name, e.what());
  }
  SLUICE_RETURN_IF_ERROR(CheckLearner(model));
  try {
    return model.dump();
  } catch (const std::exception& e) {  // a UBJ string that is not UTF-8
    return InvalidArgument("XGBoost model: {}", e.what());
  }
}

}  // namespace sluice::xgb::internal
