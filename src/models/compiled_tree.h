// A tree ensemble compiled from an XGBoost model into one flat node array (and, on a CPU with
// AVX-512, a second layout walking 16 trees at once), for serving: the model is parsed and
// checked once, and a prediction touches only the row and the nodes (no per-call setup, no
// allocation). Predictions equal XGBoost 1.7's own in-place prediction
// (XGBoosterPredictFromDense, nthread 1 or more) bit for bit in float32.
//
//   SLUICE_ASSIGN_OR_RETURN(CompiledTrees trees, CompiledTrees::FromXgboostJson(model_json));
//   std::vector<float> out(rows * trees.num_outputs());
//   trees.Predict(features, rows, out);   // features: rows x trees.num_features(), NaN = missing
//
// Thread safety: immutable after construction; Predict and PredictMargin may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice::models {

namespace internal {
struct XgboostModel;
class SimdForest;
}  // namespace internal

class CompiledTrees {
 public:
  // What Predict does to the margins, as XGBoost 1.7's objective does it (in float32).
  enum class Transform {
    kIdentity,  // regression, ranking, binary:logitraw
    kSigmoid,   // binary:logistic, reg:logistic: 1 / (1 + expf(-x))
    kExp,       // count:poisson, reg:gamma, reg:tweedie, survival:cox: expf(x)
    kHinge,     // binary:hinge: x > 0 ? 1 : 0
    kSoftmax,   // multi:softprob: expf(x - max) / sum, the sum in double
    kArgmax,    // multi:softmax: index of the first largest margin
  };

  // One node of the flat layout, 16 bytes. Public for the layout's tests and benchmarks only.
  struct Node {
    // The split `x < threshold` goes left. NaN at a leaf, so that every row goes "right" there,
    // and a leaf's `left` is its own index - 1 (mod 2^32): stepping from a leaf stays on it,
    // which lets a tree be walked a fixed number of steps without testing for leaves.
    float threshold;
    // Feature index in the low 31 bits; bit 31 set when a missing value goes left.
    uint32_t feature;
    // Index of the left child in nodes(); the right child is always left + 1.
    uint32_t left;
    float leaf_value;  // at a leaf (dart: already scaled by the tree's weight); 0 elsewhere
  };
  static constexpr uint32_t kDefaultLeft = 1u << 31;
  static constexpr uint32_t kFeatureMask = kDefaultLeft - 1;

  struct Tree {
    uint32_t root;   // index in nodes()
    uint32_t depth;  // steps from the root to the deepest leaf
    uint32_t group;  // output group (class) the tree adds to
  };

  // Compiles a model XGBoost saved as JSON (XGBoosterSaveModelToBuffer {"format":"json"}, Python's
  // save_model("m.json")) or UBJ. Every supported objective, gbtree and dart, numerical splits
  // (deleted nodes and num_parallel_tree > 1 included). Errors:
  // - kInvalidArgument naming the first malformed part, e.g. "XGBoost model:
  //   learner.gradient_booster.model.trees[2].left_children[5]: 9 is outside [-1, 6]";
  //   also a base_score the objective cannot take (binary:logistic needs 0 < base_score < 1).
  // - kUnimplemented for an objective not listed in SupportedObjectives(), gblinear, categorical
  //   splits, and multi-target models (num_target > 1).
  //
  // UBJ keeps every float's bits. JSON does too, except that XGBoost writes any NaN as the word
  // NaN: a diverged model whose leaves are NaN predicts NaN, but not always with the sign bit
  // the booster it was saved from gives.
  //
  // `simd`: whether prediction may take the AVX-512 walk where the CPU has it (see kBlockRows);
  // kNever keeps to the scalar walks, for tests and benchmarks that compare the two.
  enum class Simd { kIfSupported, kNever };
  static Result<CompiledTrees> FromXgboostJson(std::string_view model_json,
                                               Simd simd = Simd::kIfSupported);
  static Result<CompiledTrees> FromXgboostUbj(std::span<const uint8_t> model_ubj,
                                              Simd simd = Simd::kIfSupported);

  // The objectives whose base_score conversion and output transform are implemented (and tested
  // against XGBoost): "binary:logistic", "multi:softprob", "reg:squarederror", ...
  static std::span<const std::string_view> SupportedObjectives();

  size_t num_features() const { return num_features_; }
  // Values per row of PredictMargin: 1, or num_class for multi:softprob and multi:softmax.
  size_t num_groups() const { return num_groups_; }
  // Values per row of Predict: num_groups(), except 1 for multi:softmax (the class index).
  size_t num_outputs() const { return num_outputs_; }
  std::string_view objective() const { return objective_; }
  Transform transform() const { return transform_; }
  // The margin every row starts from: base_score converted by the objective (0 for
  // binary:logistic with base_score 0.5).
  float base_margin() const { return base_margin_; }

  // `rows`: n x num_features() float32, row-major; NaN is a missing value (it follows the node's
  // default direction). `out`: n x num_outputs(), overwritten with what XGBoost's prediction
  // gives: the margin transformed by the objective (sigmoid for binary:logistic, softmax for
  // multi:softprob, the class index for multi:softmax, exp for count:poisson, ...). Single
  // threaded; allocates nothing (except scratch for multi:softmax with over 4096 classes).
  // Sizes that do not match are a bug in the caller and abort.
  void Predict(std::span<const float> rows, size_t n, std::span<float> out) const;
  // As Predict, but the raw margins: `out` is n x num_groups().
  void PredictMargin(std::span<const float> rows, size_t n, std::span<float> out) const;

  // The layout, for tests and benchmarks.
  std::span<const Node> nodes() const { return nodes_; }
  std::span<const Tree> trees() const { return trees_; }
  // How many trees the AVX-512 walk takes: 0 on a CPU without AVX-512 F and DQ or with
  // Simd::kNever, else those of the chunks of kTreesInStep trees at most kMaxSimdDepth deep.
  size_t simd_trees() const { return simd_trees_; }

  // How rows are walked. With AVX-512 (checked at run time) a row walks a chunk of kTreesInStep
  // consecutive trees at once, a tree per lane of a 512-bit register, in a second layout that
  // pads the chunk to complete trees (internal/simd_forest.h, 390 KB for 500 trees of depth 6);
  // a chunk deeper than kMaxSimdDepth takes the scalar walk. When every chunk takes the AVX-512
  // walk, batches too go row by row; else in blocks of kBlockRows rows, each tree for a whole
  // block in lockstep, and the rows left over one by one, the trees of a chunk in lockstep.
  // Measured (Release, this 2-core Zen 4 machine, CPU time; tests/models/tree_benchmark_test.cc):
  // 500 trees of depth 6 on 28 features, one row 1.7 us with AVX-512 against 6.8 us for the
  // scalar walk, and a batch 3.0x the rows/s of the scalar blocks; 100 trees of depth 4, 0.35 us
  // against 1.04 us, batches 2.2x. Scalar walks, measured before: blocks of 16-64 rows alike, 16
  // trees 1.2-1.7x faster per row than 1 tree (2 or 4 trees: no gain); AVX-512 gathers over 16 rows
  // (a row per lane) were 10-25% slower than the scalar block, and a depth-first layout no faster
  // than breadth-first.
  static constexpr size_t kBlockRows = 32;
  static constexpr size_t kTreesInStep = 16;
  static constexpr uint32_t kMaxSimdDepth = 8;

 private:
  CompiledTrees() = default;
  static Result<CompiledTrees> Compile(const internal::XgboostModel& model, Simd simd);
  void BuildSimdForest();
  // out (n x num_groups()) = margins of rows [0, n).
  void Margins(const float* rows, size_t n, float* out) const;
  // Adds every tree's leaf for one row to out (its num_groups() margins).
  void WalkRow(const float* row, float* out) const;

  std::vector<Node> nodes_;
  std::vector<Tree> trees_;
  // Per chunk of kTreesInStep consecutive trees (the last one may be shorter), the deepest one's
  // depth.
  std::vector<uint32_t> chunk_depths_;
  // The chunks again for the AVX-512 single-row walk; null without it.
  std::shared_ptr<const internal::SimdForest> simd_;
  size_t simd_trees_ = 0;
  std::string objective_;
  Transform transform_ = Transform::kIdentity;
  size_t num_features_ = 0;
  size_t num_groups_ = 1;
  size_t num_outputs_ = 1;
  float base_margin_ = 0;
};

}  // namespace sluice::models
