#include "models/internal/simd_forest.h"

#include <immintrin.h>

#include <bit>

#include "base/status.h"

namespace sluice::models::internal {
namespace {

constexpr uint32_t kDefaultLeft = 1u << 31;
constexpr size_t kLanes = SimdForest::kLanes;

// Measured on 500 trees of depth 6 with 28 features (AMD Zen 4, CPU time per row): 1.6 us with 4
// groups interleaved (1 group at a time, every level gathered: 4.1 us; 8 groups: 1.2x slower
// than 4); the top 3 levels loaded and blended (2 or 4 levels: 5-15% slower); threshold and
// feature gathered together in 64 bits (two 32-bit gathers: 6% slower); the leaves of 4 groups
// added before the next 4 are walked (after: 7% slower).
constexpr int kBlendLevels = 3;
constexpr int kInterleaved = 4;

// Where a lane's feature value comes from: the row held in one register (up to 16 features) or
// two (up to 32), picked by a permute, or gathered from memory.
enum class Fetch { kOneRegister, kTwoRegisters, kGather };

// Everything Walk reads, so that the AVX-512 code is free functions with a target attribute.
struct View {
  const SimdGroup* groups;
  size_t num_groups;
  const uint64_t* splits;
  const float* leaves;
  const uint32_t* outputs;
  size_t num_features;
};

#define SLUICE_AVX512 __attribute__((target("avx512f,avx512dq"), always_inline)) inline

// GCC 12 warns about the unmasked forms of these intrinsics (their undefined pass-through).
constexpr __mmask16 kAll = 0xffff;

SLUICE_AVX512 __m512 GatherFloats(__m512i at, const float* base) {
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kAll, at, base, 4);
}

SLUICE_AVX512 __m256i Half(__m512i v, int high) {
  return high ? _mm512_maskz_extracti64x4_epi64(0xf, v, 1)
              : _mm512_maskz_extracti64x4_epi64(0xf, v, 0);
}

// The row, in registers where it fits.
struct Row {
  const float* values;
  __m512 lo;  // features 0-15
  __m512 hi;  // features 16-31
};

// A split per lane, from the pairs of lanes 0-7 (lo) and 8-15 (hi).
struct Split {
  __m512 threshold;
  __m512i feature;  // with the default-left bit
};

SLUICE_AVX512 Split Unpair(__m512i lo, __m512i hi) {
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  return {_mm512_castsi512_ps(_mm512_permutex2var_epi32(lo, even, hi)),
          _mm512_permutex2var_epi32(lo, odd, hi)};
}

// The lanes that go right: XGBoost's rule sends x left when x < threshold, or when x is missing
// and the default is left.
template <Fetch kFetch>
SLUICE_AVX512 __mmask16 GoRight(const Split& split, const Row& row) {
  __m512 x;
  if constexpr (kFetch == Fetch::kOneRegister) {
    x = _mm512_mask_permutexvar_ps(row.lo, kAll, split.feature, row.lo);  // (index bits 0-3)
  } else if constexpr (kFetch == Fetch::kTwoRegisters) {
    x = _mm512_permutex2var_ps(row.lo, split.feature, row.hi);  // (index bits 0-4)
  } else {
    const __m512i feature =
        _mm512_and_si512(split.feature, _mm512_set1_epi32(static_cast<int>(~kDefaultLeft)));
    x = GatherFloats(feature, row.values);
  }
  const __mmask16 missing_left =
      _mm512_mask_cmp_ps_mask(_mm512_movepi32_mask(split.feature), x, x, _CMP_UNORD_Q);
  return static_cast<__mmask16>(_mm512_cmp_ps_mask(x, split.threshold, _CMP_NLT_UQ) &
                                ~missing_left);
}

// Lane k at position p is at p * 16 + k; its children 2p + 1 and 2p + 2 at 2 (p * 16 + k) + 16
// - k and 16 further.
SLUICE_AVX512 __m512i Child(__m512i at, __mmask16 right) {
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i sixteen = _mm512_set1_epi32(16);
  const __m512i left = _mm512_add_epi32(_mm512_add_epi32(at, at), _mm512_sub_epi32(sixteen, lane));
  return _mm512_mask_add_epi32(left, right, left, sixteen);
}

// Level kLevel of kGroups groups, if they are that deep. Its 2^kLevel positions are loaded whole
// and narrowed to each lane's by the directions taken above (rights), first by the earliest.
template <Fetch kFetch, int kGroups, int kLevel>
SLUICE_AVX512 void TopLevel(const uint64_t* const* splits, const Row& row, uint32_t depth,
                            __mmask16 (*rights)[kBlendLevels], __m512i* at) {
  if (depth <= kLevel) return;
  constexpr int kWidth = 1 << kLevel;
  for (int i = 0; i < kGroups; ++i) {
    __m512i lo[kWidth];
    __m512i hi[kWidth];
    for (int j = 0; j < kWidth; ++j) {
      lo[j] = _mm512_load_si512(splits[i] + (kWidth - 1 + j) * kLanes);
      hi[j] = _mm512_load_si512(splits[i] + (kWidth - 1 + j) * kLanes + 8);
    }
    for (int b = 0; b < kLevel; ++b) {
      const int half = kWidth >> (b + 1);
      const auto right_lo = static_cast<__mmask8>(rights[i][b]);
      const auto right_hi = static_cast<__mmask8>(rights[i][b] >> 8);
      for (int j = 0; j < half; ++j) {
        lo[j] = _mm512_mask_blend_epi64(right_lo, lo[j], lo[j + half]);
        hi[j] = _mm512_mask_blend_epi64(right_hi, hi[j], hi[j + half]);
      }
    }
    rights[i][kLevel] = GoRight<kFetch>(Unpair(lo[0], hi[0]), row);
    at[i] = Child(at[i], rights[i][kLevel]);
  }
}

// Walks kGroups groups of the same depth at once, so that their chains of gathers overlap.
// leaves[i] receives group `first + i`'s leaves.
template <Fetch kFetch, int kGroups>
SLUICE_AVX512 void WalkInterleaved(const View& view, size_t first, const Row& row, __m512* leaves) {
  const uint64_t* splits[kGroups];
  const float* group_leaves[kGroups];
  for (int i = 0; i < kGroups; ++i) {
    splits[i] = view.splits + view.groups[first + i].splits;
    group_leaves[i] = view.leaves + view.groups[first + i].leaves;
  }
  const uint32_t depth = view.groups[first].depth;
  __m512i at[kGroups];
  for (int i = 0; i < kGroups; ++i) {
    at[i] = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  }
  __mmask16 rights[kGroups][kBlendLevels];
  static_assert(kBlendLevels == 3);
  TopLevel<kFetch, kGroups, 0>(splits, row, depth, rights, at);
  TopLevel<kFetch, kGroups, 1>(splits, row, depth, rights, at);
  TopLevel<kFetch, kGroups, 2>(splits, row, depth, rights, at);
  for (uint32_t level = kBlendLevels; level < depth; ++level) {
    for (int i = 0; i < kGroups; ++i) {
      const __m512i lo =
          _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), 0xff, Half(at[i], 0), splits[i], 8);
      const __m512i hi =
          _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), 0xff, Half(at[i], 1), splits[i], 8);
      at[i] = Child(at[i], GoRight<kFetch>(Unpair(lo, hi), row));
    }
  }
  // The bottom level's positions start at 2^depth - 1.
  const __m512i first_leaf = _mm512_set1_epi32(static_cast<int>(((1u << depth) - 1) * kLanes));
  for (int i = 0; i < kGroups; ++i) {
    leaves[i] = GatherFloats(_mm512_sub_epi32(at[i], first_leaf), group_leaves[i]);
  }
}

// Adds a group's leaves to out in tree order, one by one, as XGBoost adds trees.
template <bool kOneOutput>
SLUICE_AVX512 void AddLeaves(const View& view, size_t g, __m512 leaves, float* margin, float* out) {
  alignas(64) float values[kLanes];
  _mm512_store_ps(values, leaves);
  const SimdGroup& group = view.groups[g];
  if constexpr (kOneOutput) {
    for (uint32_t k = 0; k < group.trees; ++k) *margin += values[k];
  } else {
    const uint32_t* outputs = view.outputs + group.outputs;
    for (uint32_t k = 0; k < group.trees; ++k) out[outputs[k]] += values[k];
  }
}

template <Fetch kFetch, bool kOneOutput>
__attribute__((target("avx512f,avx512dq"))) size_t WalkGroups(const View& view, size_t first,
                                                              const float* values, float* out) {
  Row row{.values = values, .lo = _mm512_setzero_ps(), .hi = _mm512_setzero_ps()};
  if constexpr (kFetch == Fetch::kOneRegister) {
    row.lo = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << view.num_features) - 1), values);
  } else if constexpr (kFetch == Fetch::kTwoRegisters) {
    row.lo = _mm512_loadu_ps(values);
    row.hi = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << (view.num_features - 16)) - 1),
                                   values + 16);
  }
  // kOneOutput: the margin stays in a register.
  float margin = kOneOutput ? out[0] : 0.0f;
  size_t g = first;
  while (g < view.num_groups && view.groups[g].depth <= SimdForest::kMaxDepth) {
    size_t same = 1;  // groups from g on as deep as g, up to kInterleaved
    while (same < kInterleaved && g + same < view.num_groups &&
           view.groups[g + same].depth == view.groups[g].depth) {
      ++same;
    }
    __m512 leaves[kInterleaved];
    if (same == kInterleaved) {
      WalkInterleaved<kFetch, kInterleaved>(view, g, row, leaves);
    } else if (same >= 2) {
      same = 2;
      WalkInterleaved<kFetch, 2>(view, g, row, leaves);
    } else {
      WalkInterleaved<kFetch, 1>(view, g, row, leaves);
    }
    for (size_t i = 0; i < same; ++i) AddLeaves<kOneOutput>(view, g + i, leaves[i], &margin, out);
    g += same;
  }
  if constexpr (kOneOutput) out[0] = margin;
  return g;
}

#undef SLUICE_AVX512

}  // namespace

bool SimdForest::CpuSupported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

SimdForest::SimdForest(size_t num_features) : num_features_(num_features) {}

void SimdForest::AddGroup(std::span<const uint32_t> output_groups, uint32_t depth) {
  SLUICE_CHECK(!output_groups.empty() && output_groups.size() <= kLanes);
  groups_.push_back({.depth = depth,
                     .trees = static_cast<uint32_t>(output_groups.size()),
                     .splits = splits_.size(),
                     .leaves = leaves_.size(),
                     .outputs = outputs_.size()});
  if (depth <= kMaxDepth) {
    // A new split reads row[0]: there must be one.
    SLUICE_CHECK(depth == 0 || num_features_ > 0);
    splits_.resize(splits_.size() + ((size_t{1} << depth) - 1) * kLanes, 0);
    leaves_.resize(leaves_.size() + (size_t{1} << depth) * kLanes, 0.0f);
  }
  for (const uint32_t output : output_groups) {
    outputs_.push_back(output);
    one_output_ = one_output_ && output == 0;
  }
}

void SimdForest::SetSplit(size_t lane, uint32_t position, uint32_t feature, float threshold,
                          bool default_left) {
  const SimdGroup& group = groups_.back();
  SLUICE_CHECK(group.depth <= kMaxDepth && lane < group.trees);
  SLUICE_CHECK(position < (1u << group.depth) - 1);
  // The gather reads row[feature].
  SLUICE_CHECK(feature < num_features_ && feature < kDefaultLeft);
  const uint32_t word = feature | (default_left ? kDefaultLeft : 0);
  splits_[group.splits + position * kLanes + lane] =
      std::bit_cast<uint32_t>(threshold) | (uint64_t{word} << 32);
}

void SimdForest::SetLeaf(size_t lane, uint32_t position, float value) {
  const SimdGroup& group = groups_.back();
  SLUICE_CHECK(group.depth <= kMaxDepth && lane < group.trees);
  const uint32_t first_leaf = (1u << group.depth) - 1;
  SLUICE_CHECK(position < 2 * first_leaf + 1);
  // The bottom-level positions under `position`: from its leftmost descendant on.
  uint32_t first = position;
  uint32_t count = 1;
  while (first < first_leaf) {
    first = 2 * first + 1;
    count *= 2;
  }
  for (uint32_t p = first; p < first + count; ++p) {
    leaves_[group.leaves + (p - first_leaf) * kLanes + lane] = value;
  }
}

size_t SimdForest::Walk(size_t first, const float* row, float* out) const {
  const View view{.groups = groups_.data(),
                  .num_groups = groups_.size(),
                  .splits = splits_.data(),
                  .leaves = leaves_.data(),
                  .outputs = outputs_.data(),
                  .num_features = num_features_};
  if (num_features_ <= 16) {
    return one_output_ ? WalkGroups<Fetch::kOneRegister, true>(view, first, row, out)
                       : WalkGroups<Fetch::kOneRegister, false>(view, first, row, out);
  }
  if (num_features_ <= 32) {
    return one_output_ ? WalkGroups<Fetch::kTwoRegisters, true>(view, first, row, out)
                       : WalkGroups<Fetch::kTwoRegisters, false>(view, first, row, out);
  }
  return one_output_ ? WalkGroups<Fetch::kGather, true>(view, first, row, out)
                     : WalkGroups<Fetch::kGather, false>(view, first, row, out);
}

}  // namespace sluice::models::internal
