// Reads a saved XGBoost 1.7 tree model (JSON text or UBJ) into plain structs, checking everything
// prediction relies on: array sizes, child indices forming a tree from each root, adjacent
// children (XGBoost's predictor takes the right child to be left + 1), split features below
// num_feature, tree ids and output groups. What is refused here is never handed to a predictor.
//
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice::models::internal {

// One node as XGBoost numbers it. Only nodes reachable from the root are filled in; deleted
// (pruned) ones keep left == right == -1 and are never visited.
struct XgboostNode {
  int32_t left = -1;  // -1 at a leaf; the right child is left + 1
  int32_t right = -1;
  uint32_t feature = 0;
  float condition = 0;  // the split threshold, or the leaf value at a leaf
  bool default_left = false;
};

struct XgboostTree {
  std::vector<XgboostNode> nodes;  // node 0 is the root
  uint32_t group = 0;              // tree_info: the output group the tree adds to
  float weight = 1;                // dart's weight_drop; 1 for gbtree
};

struct XgboostModel {
  std::string objective;  // learner.objective.name
  bool dart = false;
  float base_score = 0.5f;  // as stored: before the objective's ProbToMargin
  size_t num_features = 0;
  size_t num_groups = 1;           // max(num_class, 1)
  std::vector<XgboostTree> trees;  // in XGBoost's order (by tree id)
};

// kInvalidArgument naming the first problem ("XGBoost model: <path>: <problem>"); kUnimplemented
// for gblinear, categorical splits and multi-target models. Does not judge the objective.
Result<XgboostModel> ParseXgboostJson(std::string_view json_text);
Result<XgboostModel> ParseXgboostUbj(std::span<const uint8_t> ubj);

}  // namespace sluice::models::internal
