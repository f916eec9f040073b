// A tree ensemble laid out a second time for walking a row through 16 trees at once with
// AVX-512 (CompiledTrees' row walk). Each group of 16 consecutive trees is padded to complete
// binary trees of the group's depth, children implicit (2p + 1 and 2p + 2), and every array is
// interleaved so that lane k of a 512-bit register finds tree k's node p at [p * 16 + k]: a level
// of 16 trees is one compare, its splits loaded (top levels) or gathered, the row held in
// registers. A group of depth d takes 16 x (8 (2^d - 1) + 4 x 2^d) bytes: 12 KB at depth 6.
//
// Thread safety: built once; Walk may then run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <vector>

namespace sluice::models::internal {

// One group of SimdForest: where its arrays start.
struct SimdGroup {
  uint32_t depth;
  uint32_t trees;
  size_t splits;   // offset in splits of position 0
  size_t leaves;   // offset in leaves of the first leaf
  size_t outputs;  // offset in outputs of lane 0
};

class SimdForest {
 public:
  static constexpr size_t kLanes = 16;
  // Deeper groups are left to the scalar walk: padded to complete trees they grow 2x per level
  // (48 KB at depth 8), whatever the trees' own sizes.
  static constexpr uint32_t kMaxDepth = 8;

  // Whether this CPU (and OS) runs Walk: AVX-512 F and DQ.
  static bool CpuSupported();

  // A row has `num_features` values.
  explicit SimdForest(size_t num_features);

  // Building, group by group in tree order. AddGroup starts a group of output_groups.size()
  // (1 to kLanes) trees, tree k adding to out[output_groups[k]], padded to `depth` levels; depth
  // above kMaxDepth adds a group Walk stops at (it holds nothing). Until SetSplit and SetLeaf
  // fill them in, a new group's splits compare row[0] with 0 and its leaves hold 0 (lanes past
  // the group's trees keep them; Walk adds no leaf of theirs).
  void AddGroup(std::span<const uint32_t> output_groups, uint32_t depth);
  // Tree `lane`'s node at `position` of the complete tree (breadth-first, root 0) sends x left when
  // x < threshold, or when x (row[feature]) is missing (NaN) and default_left.
  void SetSplit(size_t lane, uint32_t position, uint32_t feature, float threshold,
                bool default_left);
  // Tree `lane` has a leaf of `value` at `position`: above the bottom level, every leaf below the
  // position takes the value, so the walk may go either way through the splits under it.
  void SetLeaf(size_t lane, uint32_t position, float value);

  // For groups first, first + 1, ... up to the first one deeper than kMaxDepth (or the last):
  // adds the leaf each tree of the group reaches for `row` to out[its output group], tree by tree
  // in order, in float as XGBoost adds trees. Returns the group it stopped before (the number of
  // groups after the last). Only where CpuSupported().
  size_t Walk(size_t first, const float* row, float* out) const;

 private:
  // 64-byte aligned, so that a position of a group (16 lanes) takes whole cache lines.
  template <typename T>
  struct CacheLineAllocator {
    using value_type = T;
    CacheLineAllocator() = default;
    template <typename U>
    explicit CacheLineAllocator(const CacheLineAllocator<U>&) {}
    T* allocate(size_t n) {
      return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64}));
    }
    void deallocate(T* p, size_t) { ::operator delete (p, std::align_val_t{64}); }
    friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
  };

  size_t num_features_;
  std::vector<SimdGroup> groups_;
  // Per group, split position and lane: the threshold's bits, and in the high half the feature
  // with bit 31 set when a missing value goes left. Side by side, one 64-bit gather fetches both.
  std::vector<uint64_t, CacheLineAllocator<uint64_t>> splits_;
  // Per group, bottom-level position and lane: the leaf value.
  std::vector<float, CacheLineAllocator<float>> leaves_;
  // Per group and tree: the output group it adds to.
  std::vector<uint32_t> outputs_;
  bool one_output_ = true;  // every tree adds to output group 0
};

}  // namespace sluice::models::internal
