#include "models/compiled_tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>

#include "models/internal/simd_forest.h"
#include "models/internal/tree_xgboost.h"

namespace sluice::models {
namespace {

using Transform = CompiledTrees::Transform;
using Node = CompiledTrees::Node;

// How an objective turns base_score into the starting margin (XGBoost's ProbToMargin).
enum class Link { kIdentity, kLogit, kLog };

struct Objective {
  std::string_view name;
  Link link;
  Transform transform;
};

// Each row is checked against XGBoost 1.7.4 by the property test.
constexpr Objective kObjectives[] = {
    {"reg:squarederror", Link::kIdentity, Transform::kIdentity},
    {"reg:squaredlogerror", Link::kIdentity, Transform::kIdentity},
    {"reg:pseudohubererror", Link::kIdentity, Transform::kIdentity},
    {"reg:absoluteerror", Link::kIdentity, Transform::kIdentity},
    {"reg:logistic", Link::kLogit, Transform::kSigmoid},
    {"binary:logistic", Link::kLogit, Transform::kSigmoid},
    {"binary:logitraw", Link::kIdentity, Transform::kIdentity},
    {"binary:hinge", Link::kIdentity, Transform::kHinge},
    {"count:poisson", Link::kLog, Transform::kExp},
    {"reg:gamma", Link::kLog, Transform::kExp},
    {"reg:tweedie", Link::kLog, Transform::kExp},
    {"survival:cox", Link::kLog, Transform::kExp},
    {"rank:pairwise", Link::kIdentity, Transform::kIdentity},
    {"rank:ndcg", Link::kIdentity, Transform::kIdentity},
    {"rank:map", Link::kIdentity, Transform::kIdentity},
    {"multi:softprob", Link::kIdentity, Transform::kSoftmax},
    {"multi:softmax", Link::kIdentity, Transform::kArgmax},
};

constexpr auto kObjectiveNames = [] {
  std::array<std::string_view, std::size(kObjectives)> names{};
  for (size_t i = 0; i < names.size(); ++i) names[i] = kObjectives[i].name;
  return names;
}();

const Objective* FindObjective(std::string_view name) {
  for (const Objective& objective : kObjectives) {
    if (objective.name == name) return &objective;
  }
  return nullptr;
}

// One step down a tree: XGBoost's rule, `x < threshold` goes left and a missing (NaN) value goes
// the default way, written without branches. From a leaf it stays on the leaf (see Node).
inline uint32_t Step(const Node& node, const float* row) {
  const float x = row[node.feature & CompiledTrees::kFeatureMask];
  const uint32_t go_left = static_cast<uint32_t>(x < node.threshold) |
                           (static_cast<uint32_t>(std::isnan(x)) & (node.feature >> 31));
  return node.left + 1 - go_left;
}

// Adds every tree's leaf to out (kBlockRows rows x groups, already holding the base margin), in
// tree order as XGBoost does. Each tree is walked for all rows of the block in lockstep: the walks
// are independent chains the CPU overlaps, and the tree stays in cache for the whole block.
template <bool kOneGroup>
void WalkBlock(const Node* nodes, std::span<const CompiledTrees::Tree> trees, const float* rows,
               size_t num_features, float* out, size_t num_groups) {
  constexpr size_t kRows = CompiledTrees::kBlockRows;
  uint32_t at[kRows];
  for (const CompiledTrees::Tree& tree : trees) {
    for (size_t r = 0; r < kRows; ++r) at[r] = tree.root;
    for (uint32_t d = 0; d < tree.depth; ++d) {
      for (size_t r = 0; r < kRows; ++r) at[r] = Step(nodes[at[r]], rows + r * num_features);
    }
    for (size_t r = 0; r < kRows; ++r) {
      out[kOneGroup ? r : r * num_groups + tree.group] += nodes[at[r]].leaf_value;
    }
  }
}

// Adds the leaves of `chunk` (kTreesInStep consecutive trees or fewer, the deepest `depth` deep)
// to out (one row's groups), in tree order. For one row the chains to overlap are trees: a whole
// chunk is walked in lockstep for the deepest tree's depth, a shorter one tree by tree.
void WalkChunk(const Node* nodes, std::span<const CompiledTrees::Tree> chunk, uint32_t depth,
               const float* row, float* out) {
  constexpr size_t kTrees = CompiledTrees::kTreesInStep;
  if (chunk.size() == kTrees) {
    uint32_t at[kTrees];
    for (size_t k = 0; k < kTrees; ++k) at[k] = chunk[k].root;
    for (uint32_t d = 0; d < depth; ++d) {
      for (size_t k = 0; k < kTrees; ++k) at[k] = Step(nodes[at[k]], row);
    }
    for (size_t k = 0; k < kTrees; ++k) out[chunk[k].group] += nodes[at[k]].leaf_value;
    return;
  }
  for (const CompiledTrees::Tree& tree : chunk) {
    uint32_t at = tree.root;
    for (uint32_t d = 0; d < tree.depth; ++d) at = Step(nodes[at], row);
    out[tree.group] += nodes[at].leaf_value;
  }
}

// XGBoost's common::Sigmoid (1.7).
inline float Sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// XGBoost's common::Softmax (1.7): the maximum by fmaxf, the sum in double.
void Softmax(float* values, size_t count) {
  float max = values[0];
  for (size_t i = 1; i < count; ++i) max = fmaxf(values[i], max);
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    values[i] = expf(values[i] - max);
    sum += values[i];
  }
  for (size_t i = 0; i < count; ++i) values[i] /= static_cast<float>(sum);
}

// XGBoost's common::FindMaxIndex: the first of equal maxima.
size_t ArgMax(const float* values, size_t count) {
  size_t best = 0;
  for (size_t i = 1; i < count; ++i) {
    if (values[i] > values[best]) best = i;
  }
  return best;
}

// Rows of margins per chunk when multi:softmax needs them beside the output.
constexpr size_t kScratchFloats = 4096;

}  // namespace

std::span<const std::string_view> CompiledTrees::SupportedObjectives() { return kObjectiveNames; }

Result<CompiledTrees> CompiledTrees::FromXgboostJson(std::string_view model_json, Simd simd) {
  SLUICE_ASSIGN_OR_RETURN(internal::XgboostModel model, internal::ParseXgboostJson(model_json));
  return Compile(model, simd);
}

Result<CompiledTrees> CompiledTrees::FromXgboostUbj(std::span<const uint8_t> model_ubj, Simd simd) {
  SLUICE_ASSIGN_OR_RETURN(internal::XgboostModel model, internal::ParseXgboostUbj(model_ubj));
  return Compile(model, simd);
}

Result<CompiledTrees> CompiledTrees::Compile(const internal::XgboostModel& model, Simd simd) {
  const Objective* objective = FindObjective(model.objective);
  if (objective == nullptr) {
    return Unimplemented(
        "XGBoost model: learner.objective.name: '{}' is not supported (supported: {})",
        model.objective, fmt::join(kObjectiveNames, ", "));
  }
  CompiledTrees compiled;
  compiled.objective_ = model.objective;
  compiled.transform_ = objective->transform;
  compiled.num_features_ = model.num_features;
  compiled.num_groups_ = model.num_groups;
  compiled.num_outputs_ = objective->transform == Transform::kArgmax ? 1 : model.num_groups;

  // As XGBoost's ProbToMargin, in float.
  const float base_score = model.base_score;
  switch (objective->link) {
    case Link::kIdentity:
      compiled.base_margin_ = base_score;
      break;
    case Link::kLogit:
      if (!(base_score > 0.0f && base_score < 1.0f)) {
        return InvalidArgument(
            "XGBoost model: learner.learner_model_param.base_score: {} is outside (0, 1), as {} "
            "needs",
            base_score, model.objective);
      }
      compiled.base_margin_ = -logf(1.0f / base_score - 1.0f);
      break;
    case Link::kLog:
      if (!(base_score > 0.0f)) {
        return InvalidArgument(
            "XGBoost model: learner.learner_model_param.base_score: {} is not positive, as {} "
            "needs",
            base_score, model.objective);
      }
      compiled.base_margin_ = logf(base_score);
      break;
  }

  size_t total_nodes = 0;
  for (const internal::XgboostTree& tree : model.trees) total_nodes += tree.nodes.size();
  if (total_nodes >= std::numeric_limits<uint32_t>::max()) {
    return InvalidArgument("XGBoost model: {} nodes are more than this predictor indexes",
                           total_nodes);
  }
  compiled.nodes_.reserve(total_nodes);
  compiled.trees_.reserve(model.trees.size());

  // Breadth-first, children side by side: the top levels every row visits share cache lines.
  struct Pending {
    int32_t node;  // XGBoost's index in the tree
    uint32_t depth;
  };
  std::vector<Pending> order;
  for (const internal::XgboostTree& tree : model.trees) {
    const auto base = static_cast<uint32_t>(compiled.nodes_.size());
    Tree compiled_tree{.root = base, .depth = 0, .group = tree.group};
    order.assign(1, {0, 0});
    for (size_t k = 0; k < order.size(); ++k) {
      const internal::XgboostNode& node = tree.nodes[static_cast<size_t>(order[k].node)];
      const auto index = static_cast<uint32_t>(base + k);
      if (node.left < 0) {
        // dart: XGBoost predicts each tree alone from the base margin and adds
        // (prediction - base margin) * weight, all in float.
        float value = node.condition;
        if (model.dart) {
          const float alone = compiled.base_margin_ + value;
          value = (alone - compiled.base_margin_) * tree.weight;
        }
        compiled.nodes_.push_back({.threshold = std::numeric_limits<float>::quiet_NaN(),
                                   .feature = 0,
                                   .left = index - 1,  // (for node 0 wraps, and back in Step)
                                   .leaf_value = value});
        compiled_tree.depth = std::max(compiled_tree.depth, order[k].depth);
        continue;
      }
      const auto left = static_cast<uint32_t>(base + order.size());
      order.push_back({node.left, order[k].depth + 1});
      order.push_back({node.right, order[k].depth + 1});
      compiled.nodes_.push_back({.threshold = node.condition,
                                 .feature = node.feature | (node.default_left ? kDefaultLeft : 0u),
                                 .left = left,
                                 .leaf_value = 0});
    }
    compiled.trees_.push_back(compiled_tree);
  }
  for (size_t t = 0; t < compiled.trees_.size(); t += kTreesInStep) {
    uint32_t depth = 0;
    for (size_t k = t; k < std::min(t + kTreesInStep, compiled.trees_.size()); ++k) {
      depth = std::max(depth, compiled.trees_[k].depth);
    }
    compiled.chunk_depths_.push_back(depth);
  }
  if (simd == Simd::kIfSupported && internal::SimdForest::CpuSupported()) {
    compiled.BuildSimdForest();
  }
  return compiled;
}

void CompiledTrees::BuildSimdForest() {
  static_assert(kTreesInStep == internal::SimdForest::kLanes);
  static_assert(kMaxSimdDepth == internal::SimdForest::kMaxDepth);
  auto forest = std::make_shared<internal::SimdForest>(num_features_);
  std::vector<uint32_t> outputs;
  struct Visit {
    uint32_t node;      // index in nodes_
    uint32_t position;  // in the complete tree
  };
  std::vector<Visit> stack;
  for (size_t c = 0; c < chunk_depths_.size(); ++c) {
    const std::span<const Tree> chunk =
        std::span(trees_)
            .subspan(c * kTreesInStep)
            .first(std::min(kTreesInStep, trees_.size() - c * kTreesInStep));
    outputs.clear();
    for (const Tree& tree : chunk) outputs.push_back(tree.group);
    forest->AddGroup(outputs, chunk_depths_[c]);
    if (chunk_depths_[c] > kMaxSimdDepth) continue;
    simd_trees_ += chunk.size();
    for (size_t lane = 0; lane < chunk.size(); ++lane) {
      stack.assign(1, {chunk[lane].root, 0});
      while (!stack.empty()) {
        const Visit visit = stack.back();
        stack.pop_back();
        const Node& node = nodes_[visit.node];
        if (node.left + 1 == visit.node) {  // a leaf (see Node)
          forest->SetLeaf(lane, visit.position, node.leaf_value);
          continue;
        }
        forest->SetSplit(lane, visit.position, node.feature & kFeatureMask, node.threshold,
                         (node.feature & kDefaultLeft) != 0);
        stack.push_back({node.left, 2 * visit.position + 1});
        stack.push_back({node.left + 1, 2 * visit.position + 2});
      }
    }
  }
  if (simd_trees_ > 0) simd_ = std::move(forest);
}

void CompiledTrees::Margins(const float* rows, size_t n, float* out) const {
  std::fill(out, out + n * num_groups_, base_margin_);
  const Node* nodes = nodes_.data();
  size_t start = 0;
  // With AVX-512 walking every tree, rows one by one beat blocks (see kBlockRows).
  const bool blocks = simd_trees_ < trees_.size();
  for (; blocks && start + kBlockRows <= n; start += kBlockRows) {
    const float* block = rows + start * num_features_;
    float* block_out = out + start * num_groups_;
    if (num_groups_ == 1) {
      WalkBlock<true>(nodes, trees_, block, num_features_, block_out, 1);
    } else {
      WalkBlock<false>(nodes, trees_, block, num_features_, block_out, num_groups_);
    }
  }
  for (; start < n; ++start) WalkRow(rows + start * num_features_, out + start * num_groups_);
}

void CompiledTrees::WalkRow(const float* row, float* out) const {
  // Chunks of kTreesInStep trees, with AVX-512 where it walks them, in tree order.
  const size_t num_chunks = chunk_depths_.size();
  size_t c = 0;
  while (c < num_chunks) {
    if (simd_ != nullptr) {
      c = simd_->Walk(c, row, out);
      if (c == num_chunks) break;
    }
    const size_t first = c * kTreesInStep;
    const size_t size = std::min(kTreesInStep, trees_.size() - first);
    WalkChunk(nodes_.data(), std::span(trees_).subspan(first, size), chunk_depths_[c], row, out);
    ++c;
  }
}

void CompiledTrees::PredictMargin(std::span<const float> rows, size_t n,
                                  std::span<float> out) const {
  SLUICE_CHECK(rows.size() == n * num_features_);
  SLUICE_CHECK(out.size() == n * num_groups_);
  Margins(rows.data(), n, out.data());
}

void CompiledTrees::Predict(std::span<const float> rows, size_t n, std::span<float> out) const {
  SLUICE_CHECK(rows.size() == n * num_features_);
  SLUICE_CHECK(out.size() == n * num_outputs_);
  if (transform_ == Transform::kArgmax) {
    // The margins need their own room: chunks of rows through a stack buffer.
    float stack_scratch[kScratchFloats];
    std::unique_ptr<float[]> heap_scratch;
    float* scratch = stack_scratch;
    size_t chunk = kScratchFloats / num_groups_;
    if (chunk == 0) {
      heap_scratch = std::make_unique<float[]>(num_groups_);
      scratch = heap_scratch.get();
      chunk = 1;
    }
    for (size_t start = 0; start < n; start += chunk) {
      const size_t m = std::min(chunk, n - start);
      Margins(rows.data() + start * num_features_, m, scratch);
      for (size_t r = 0; r < m; ++r) {
        out[start + r] = static_cast<float>(ArgMax(scratch + r * num_groups_, num_groups_));
      }
    }
    return;
  }

  Margins(rows.data(), n, out.data());
  switch (transform_) {
    case Transform::kIdentity:
    case Transform::kArgmax:
      break;
    case Transform::kSigmoid:
      for (float& value : out) value = Sigmoid(value);
      break;
    case Transform::kExp:
      for (float& value : out) value = expf(value);
      break;
    case Transform::kHinge:
      for (float& value : out) value = value > 0.0f ? 1.0f : 0.0f;
      break;
    case Transform::kSoftmax:
      for (size_t r = 0; r < n; ++r) Softmax(out.data() + r * num_groups_, num_groups_);
      break;
  }
}

}  // namespace sluice::models
