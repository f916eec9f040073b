#include "datasets/chunker.h"

#include <openssl/sha.h>

#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define SLUICE_CHUNKER_SHA_NI 1
#endif

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

#if SLUICE_CHUNKER_SHA_NI

#define SLUICE_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

alignas(16) constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// The SHA-256 state in the lane order the SHA-NI round instruction takes (ABEF and CDGH).
struct ShaState {
  __m128i abef;
  __m128i cdgh;
};

SLUICE_SHA_TARGET ShaState ShaStart() {
  alignas(16) constexpr uint32_t kInitial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const __m128i dcba =
      _mm_shuffle_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(kInitial)), 0xB1);  // CDAB
  const __m128i hgfe = _mm_shuffle_epi32(
      _mm_load_si128(reinterpret_cast<const __m128i*>(kInitial + 4)), 0x1B);  // EFGH
  return {_mm_alignr_epi8(dcba, hgfe, 8), _mm_blend_epi16(hgfe, dcba, 0xF0)};
}

// The 16 message words of a 64-byte block, big-endian, four per register.
SLUICE_SHA_TARGET inline __attribute__((always_inline)) void ShaLoad(const uint8_t* block,
                                                                     __m128i w[4]) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  for (int i = 0; i < 4; ++i) {
    w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * i)),
                            byte_swap);
  }
}

// Rounds 4g to 4g + 3 (FIPS 180-4 section 6.2.2 with the SHA-NI instructions: four rounds per
// pair of sha256rnds2, the message schedule four words at a time). Called with g = 0..15 from
// unrolled loops, so g is a constant.
SLUICE_SHA_TARGET inline __attribute__((always_inline)) void ShaRounds(int g, __m128i w[4],
                                                                       __m128i& abef,
                                                                       __m128i& cdgh) {
  if (g >= 4) {
    // W[t..t+3] from W[t-16..t-13], W[t-15..t-12], W[t-7..t-4] and W[t-4..t-1].
    __m128i x = _mm_sha256msg1_epu32(w[g % 4], w[(g + 1) % 4]);
    x = _mm_add_epi32(x, _mm_alignr_epi8(w[(g + 3) % 4], w[(g + 2) % 4], 4));
    w[g % 4] = _mm_sha256msg2_epu32(x, w[(g + 3) % 4]);
  }
  __m128i k = _mm_add_epi32(
      w[g % 4], _mm_load_si128(reinterpret_cast<const __m128i*>(kRoundConstants + 4 * g)));
  cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
  k = _mm_shuffle_epi32(k, 0x0E);
  abef = _mm_sha256rnds2_epu32(abef, cdgh, k);
}

// One 64-byte block into the state.
SLUICE_SHA_TARGET inline __attribute__((always_inline)) void ShaBlock(ShaState& state,
                                                                      const uint8_t* block) {
  __m128i abef = state.abef;
  __m128i cdgh = state.cdgh;
  __m128i w[4];
  ShaLoad(block, w);
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) ShaRounds(g, w, abef, cdgh);
  state.abef = _mm_add_epi32(state.abef, abef);
  state.cdgh = _mm_add_epi32(state.cdgh, cdgh);
}

// Hashes the last `size` bytes (at most 64) of a message of `total` bytes, pads, and returns
// the digest.
SLUICE_SHA_TARGET std::array<uint8_t, 32> ShaFinish(ShaState state, const uint8_t* tail,
                                                    size_t size, uint64_t total) {
  uint8_t last[128] = {};
  std::memcpy(last, tail, size);
  last[size] = 0x80;
  const size_t blocks = size + 1 + 8 <= 64 ? 1 : 2;
  const uint64_t bits = total * 8;
  for (int i = 0; i < 8; ++i) last[blocks * 64 - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  for (size_t b = 0; b < blocks; ++b) ShaBlock(state, last + 64 * b);
  const __m128i feba = _mm_shuffle_epi32(state.abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(state.cdgh, 0xB1);
  alignas(16) uint32_t words[8];
  _mm_store_si128(reinterpret_cast<__m128i*>(words), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_store_si128(reinterpret_cast<__m128i*>(words + 4), _mm_alignr_epi8(dchg, feba, 8));
  std::array<uint8_t, 32> digest;
  for (int i = 0; i < 8; ++i) {
    digest[4 * i] = static_cast<uint8_t>(words[i] >> 24);
    digest[4 * i + 1] = static_cast<uint8_t>(words[i] >> 16);
    digest[4 * i + 2] = static_cast<uint8_t>(words[i] >> 8);
    digest[4 * i + 3] = static_cast<uint8_t>(words[i]);
  }
  return digest;
}

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

bool DetectShaInstructions() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool ssse3 = (ecx & bit_SSSE3) != 0;
  const bool sse41 = (ecx & bit_SSE4_1) != 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool sha = (ebx & bit_SHA) != 0;
  return ssse3 && sse41 && sha;
}

#else

bool DetectShaInstructions() { return false; }

#endif  // SLUICE_CHUNKER_SHA_NI

}  // namespace

bool HasOnePassCutHash() {
  static const bool has = DetectShaInstructions();
  return has;
}

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
#if SLUICE_CHUNKER_SHA_NI
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
