// Reads a saved XGBoost model (JSON text or UBJ) and checks what XGBoost 1.7 uses unchecked, so
// that a truncated, corrupted or hostile model is an error instead of a crash. Measured with
// XGBoost 1.7.4: of random truncations and byte changes of small models, ~15% of UBJ ones crashed
// or hung XGBoosterLoadModelFromBuffer (its UBJ reader trusts lengths), and some JSON ones that
// still parsed crashed the first prediction (a missing num_trees, a child index past the tree).
//
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"

namespace sluice::xgb::internal {

// Parses `bytes` as JSON text when they start with '{"', else as UBJ, refusing nesting deeper
// than 64 and more values than bytes, then checks the model's structure: the booster kind
// (gbtree, dart, gblinear), tree counts against tree_info and tree ids, per-node array sizes
// against num_nodes, child and parent indices forming a tree from the root, split feature
// indices below num_feature, category lists inside their arrays, linear weights against
// features x groups. Returns the model as JSON text: XGBoost is given that, never the caller's
// bytes, so it parses exactly what was checked (and its UBJ reader never sees untrusted input).
// Every number keeps its value (NaN and infinities, which XGBoost writes as bare words, too), so
// predictions are bit-identical. kInvalidArgument naming the first problem, e.g. "XGBoost model:
// learner.gradient_booster.model.trees[2].left_children[5]: 9 is outside [-1, 6]".
Result<std::string> CheckModel(std::span<const uint8_t> bytes);

}  // namespace sluice::xgb::internal
