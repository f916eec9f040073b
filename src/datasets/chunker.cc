#include "datasets/chunker.h"

#include <openssl/sha.h>

#include <bit>
#include <cstring>

#include "datasets/internal/sha_ni.h"

namespace sluice::datasets {
namespace {

constexpr uint64_t kGearSeed = 0x736c7569636563ULL;  // "sluicec"

constexpr std::array<uint64_t, 256> MakeGearTable() {
  std::array<uint64_t, 256> table{};
  uint64_t state = kGearSeed;
  for (uint64_t& value : table) {
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    value = z ^ (z >> 31);
  }
  return table;
}

constexpr std::array<uint64_t, 256> kGear = MakeGearTable();

// Where a chunk starting at data[0] may end (for limit > min): the gear hash starts at min - 64,
// no cut test before `min`, the stricter mask below `normal`, the looser one up to `limit`, and
// a cut at `limit` at the latest: NextChunkSize's rule.
struct CutRule {
  size_t min;
  size_t normal;
  size_t limit;
  uint64_t mask_small;
  uint64_t mask_large;
};

HashedChunk HashWhole(const uint8_t* data, size_t size) {
  HashedChunk out;
  out.size_bytes = size;
  ::SHA256(data, size, out.sha256.data());
  return out;
}

#if SLUICE_SHA_NI

using internal::ShaBlock;
using internal::ShaFinish;
using internal::ShaLoad;
using internal::ShaRounds;
using internal::ShaStart;
using internal::ShaState;

// Rolls the gear hash over block[0, 64) testing every position against `mask`; returns the cut
// (1..64, the bytes of the block the chunk keeps) or 0.
inline __attribute__((always_inline)) size_t GearBlock(uint64_t& hash, const uint8_t* block,
                                                       uint64_t mask) {
  uint64_t h = hash;
#pragma GCC unroll 64
  for (size_t k = 0; k < 64; ++k) {
    h = (h << 1) + kGear[block[k]];
    if ((h & mask) == 0) [[unlikely]] {
      return k + 1;
    }
  }
  hash = h;
  return 0;
}

// The general case, byte by byte, for positions [begin, end) of the chunk: rolls from
// rule.min - 64 on and tests from rule.min on. Returns the chunk's size when it ends there, else 0.
inline size_t GearRange(uint64_t& hash, const uint8_t* data, size_t begin, size_t end,
                        const CutRule& rule) {
  for (size_t i = std::max(begin, rule.min - 64); i < end; ++i) {
    hash = (hash << 1) + kGear[data[i]];
    if (i >= rule.min && (hash & (i < rule.normal ? rule.mask_small : rule.mask_large)) == 0) {
      return i + 1;
    }
  }
  return 0;
}

// One 64-byte block into the SHA state while the gear rolls over the next block: four gear bytes
// per four SHA rounds, so the two dependent chains sit side by side in the instruction window
// (run one after the other, a block's ~300 instructions of gear fill the window and stall the SHA
// chain). Returns the gear's cut in `gear_block` (1..64) or 0. On a cut `state` is left
// unchanged and `hash` is stale: the caller hashes `sha_block` again alone (cuts are rare).
SLUICE_SHA_TARGET inline __attribute__((always_inline)) size_t ShaGearBlock(
    ShaState& state, const uint8_t* sha_block, uint64_t& hash, const uint8_t* gear_block,
    uint64_t mask) {
  __m128i abef = state.abef;
  __m128i cdgh = state.cdgh;
  __m128i w[4];
  ShaLoad(sha_block, w);
  uint64_t h = hash;
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {
    ShaRounds(g, w, abef, cdgh);
    // Keeps the rounds here: without it the compiler sinks them below the gear's exits (they are
    // used only on the no-cut path), which undoes the interleaving.
    __asm__ volatile("" : "+x"(abef), "+x"(cdgh));
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      h = (h << 1) + kGear[gear_block[4 * g + j]];
      if ((h & mask) == 0) [[unlikely]] {
        return static_cast<size_t>(4 * g + j + 1);
      }
    }
  }
  hash = h;
  state.abef = _mm_add_epi32(state.abef, abef);
  state.cdgh = _mm_add_epi32(state.cdgh, cdgh);
  return 0;
}

// One chunk from data[0]. Each 64-byte block is run through the gear first (it may hold the
// cut) and hashed after: in the regions tested with one mask throughout, the hashing of a block
// is fused with the gear of the next (ShaGearBlock); elsewhere they run one after the other.
SLUICE_SHA_TARGET HashedChunk OnePassChunk(const uint8_t* data, const CutRule& rule) {
  ShaState state = ShaStart();
  uint64_t hash = 0;
  size_t offset = 0;
  size_t cut = 0;
  const size_t gear_from = rule.min - 64;
  // The block before `offset` when it has been through the gear (no cut) but not hashed yet.
  const uint8_t* pending = nullptr;
  for (; offset + 64 <= rule.limit; offset += 64) {
    const uint8_t* block = data + offset;
    const bool small_region = offset >= rule.min && offset + 64 <= rule.normal;
    const bool large_region = offset >= rule.normal;
    if (pending != nullptr && (small_region || large_region)) {
      const size_t k = ShaGearBlock(state, pending, hash, block,
                                    small_region ? rule.mask_small : rule.mask_large);
      if (k != 0) {
        ShaBlock(state, pending);
        pending = nullptr;
        cut = offset + k;
        break;
      }
      pending = block;
      continue;
    }
    if (pending != nullptr) {
      ShaBlock(state, pending);
      pending = nullptr;
    }
    if (offset + 64 <= gear_from) {
      // Before the gear window: hash only (FastCDC's cut-point skipping).
      ShaBlock(state, block);
      continue;
    }
    if (small_region || large_region) {
      if (size_t k = GearBlock(hash, block, small_region ? rule.mask_small : rule.mask_large);
          k != 0) {
        cut = offset + k;
        break;
      }
    } else if (size_t end = GearRange(hash, data, offset, offset + 64, rule); end != 0) {
      cut = end;
      break;
    }
    pending = block;
  }
  if (pending != nullptr) ShaBlock(state, pending);
  if (cut == 0) {
    cut = rule.limit;
    if (rule.limit > rule.min) {
      if (size_t end = GearRange(hash, data, offset, rule.limit, rule); end != 0) cut = end;
    }
  }
  // Blocks before `offset` are hashed; the rest of the chunk (at most 64 bytes) is the tail.
  HashedChunk out;
  out.size_bytes = cut;
  out.sha256 = ShaFinish(state, data + offset, cut - offset, cut);
  return out;
}

#endif  // SLUICE_SHA_NI

}  // namespace

bool HasOnePassCutHash() { return internal::HasShaInstructions(); }

const std::array<uint64_t, 256>& GearTable() { return kGear; }

uint64_t SpreadMask(int bits) {
  uint64_t mask = 0;
  for (int i = 0; i < bits; ++i) mask |= uint64_t{1} << (63 - (i * 48) / bits);
  return mask;
}

Status ChunkingParams::Validate() const {
  if (min_bytes < 64) return InvalidArgument("chunking: min_bytes {} is below 64", min_bytes);
  if (!std::has_single_bit(avg_bytes) || avg_bytes < (1u << 10) || avg_bytes > (64u << 20)) {
    return InvalidArgument("chunking: avg_bytes {} must be a power of two between 1 KiB and 64 MiB",
                           avg_bytes);
  }
  if (min_bytes >= avg_bytes || avg_bytes >= max_bytes) {
    return InvalidArgument(
        "chunking: sizes must satisfy min_bytes < avg_bytes < max_bytes (got {} / {} / {})",
        min_bytes, avg_bytes, max_bytes);
  }
  if (max_bytes > (256u << 20)) {
    return InvalidArgument("chunking: max_bytes {} is above 256 MiB", max_bytes);
  }
  if (threshold_bytes < max_bytes) {
    return InvalidArgument("chunking: threshold_bytes {} must be at least max_bytes {}",
                           threshold_bytes, max_bytes);
  }
  return Status::Ok();
}

Chunker::Chunker(const ChunkingParams& params) : params_(params) {
  SLUICE_CHECK(params.Validate().ok());
  const int bits = std::countr_zero(params.avg_bytes);
  // Normalization level 2 (FastCDC 2016, section 3.3): two more bits below the target size
  // make early cuts rarer, two fewer above it make late ones likelier, which narrows the
  // distribution of chunk sizes around avg_bytes.
  mask_small_ = SpreadMask(bits + 2);
  mask_large_ = SpreadMask(bits - 2);
}

size_t Chunker::NextChunkSize(std::span<const uint8_t> data, bool at_end) const {
  const size_t available = data.size();
  SLUICE_CHECK(at_end || available >= params_.max_bytes);
  const size_t limit = std::min<size_t>(available, params_.max_bytes);
  if (limit <= params_.min_bytes) return limit;
  const size_t normal = std::min<size_t>(limit, params_.avg_bytes);
  const uint8_t* bytes = data.data();
  uint64_t hash = 0;
  // Bytes before min_bytes - 64 are not hashed at all (FastCDC's cut-point skipping); the 64
  // before min_bytes only fill the window, so the test at every position depends on the 64
  // bytes ending there and on nothing else (candidates could be searched in parallel lanes or
  // with SIMD without moving a boundary; measured here, four interleaved lanes were no faster
  // than this loop, ~3 GB/s per core, twice SHA-256's speed).
  size_t i = params_.min_bytes - 64;
  for (; i < params_.min_bytes; ++i) hash = (hash << 1) + kGear[bytes[i]];
  for (; i < normal; ++i) {
    hash = (hash << 1) + kGear[bytes[i]];
    if ((hash & mask_small_) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    hash = (hash << 1) + kGear[bytes[i]];
    if ((hash & mask_large_) == 0) return i + 1;
  }
  return limit;
}

size_t Chunker::CutAndHash(std::span<const uint8_t> data, bool at_end,
                           std::vector<HashedChunk>& out, CutHashPath path) const {
  const size_t max = params_.max_bytes;
  size_t pos = 0;
#if SLUICE_SHA_NI
  if (path == CutHashPath::kAuto && HasOnePassCutHash()) {
    while (pos < data.size() && (at_end || data.size() - pos >= max)) {
      const size_t limit = std::min<size_t>(data.size() - pos, max);
      HashedChunk chunk;
      if (limit <= params_.min_bytes) {
        chunk = HashWhole(data.data() + pos, limit);
      } else {
        const CutRule rule{params_.min_bytes, std::min<size_t>(limit, params_.avg_bytes), limit,
                           mask_small_, mask_large_};
        chunk = OnePassChunk(data.data() + pos, rule);
      }
      out.push_back(chunk);
      pos += chunk.size_bytes;
    }
    return pos;
  }
#endif
  (void)path;
  while (pos < data.size() && (at_end || data.size() - pos >= max)) {
    const size_t n = NextChunkSize(data.subspan(pos), at_end);
    out.push_back(HashWhole(data.data() + pos, n));
    pos += n;
  }
  return pos;
}

}  // namespace sluice::datasets
