#include "datasets/internal/sha_ni.h"

#include <openssl/sha.h>

#if SLUICE_SHA_NI
#include <cpuid.h>
#endif

namespace sluice::datasets::internal {
namespace {

#if SLUICE_SHA_NI

bool DetectShaInstructions() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool ssse3 = (ecx & bit_SSSE3) != 0;
  const bool sse41 = (ecx & bit_SSE4_1) != 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool sha = (ebx & bit_SHA) != 0;
  return ssse3 && sse41 && sha;
}

// One block of each message; the two chains of round instructions are independent, so the CPU
// runs them side by side.
SLUICE_SHA_TARGET inline __attribute__((always_inline)) void ShaBlockPair(ShaState& a,
                                                                          const uint8_t* a_block,
                                                                          ShaState& b,
                                                                          const uint8_t* b_block) {
  __m128i a_abef = a.abef, a_cdgh = a.cdgh, b_abef = b.abef, b_cdgh = b.cdgh;
  __m128i a_w[4], b_w[4];
  ShaLoad(a_block, a_w);
  ShaLoad(b_block, b_w);
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {
    ShaRounds(g, a_w, a_abef, a_cdgh);
    ShaRounds(g, b_w, b_abef, b_cdgh);
  }
  a.abef = _mm_add_epi32(a.abef, a_abef);
  a.cdgh = _mm_add_epi32(a.cdgh, a_cdgh);
  b.abef = _mm_add_epi32(b.abef, b_abef);
  b.cdgh = _mm_add_epi32(b.cdgh, b_cdgh);
}

SLUICE_SHA_TARGET void ShaPairWithInstructions(const uint8_t* a, size_t a_size, const uint8_t* b,
                                               size_t b_size, Sha256Digest& a_digest,
                                               Sha256Digest& b_digest) {
  // Whole blocks before each message's tail of 1 to 64 bytes (ShaFinish pads the tail).
  const size_t a_blocks = a_size == 0 ? 0 : (a_size - 1) / 64;
  const size_t b_blocks = b_size == 0 ? 0 : (b_size - 1) / 64;
  ShaState a_state = ShaStart();
  ShaState b_state = ShaStart();
  size_t i = 0;
  for (; i < a_blocks && i < b_blocks; ++i) ShaBlockPair(a_state, a + 64 * i, b_state, b + 64 * i);
  for (size_t k = i; k < a_blocks; ++k) ShaBlock(a_state, a + 64 * k);
  for (size_t k = i; k < b_blocks; ++k) ShaBlock(b_state, b + 64 * k);
  a_digest = ShaFinish(a_state, a + 64 * a_blocks, a_size - 64 * a_blocks, a_size);
  b_digest = ShaFinish(b_state, b + 64 * b_blocks, b_size - 64 * b_blocks, b_size);
}

#else

bool DetectShaInstructions() { return false; }

#endif  // SLUICE_SHA_NI

}  // namespace

bool HasShaInstructions() {
  static const bool has = DetectShaInstructions();
  return has;
}

void Sha256Pair(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size,
                Sha256Digest& a_digest, Sha256Digest& b_digest) {
#if SLUICE_SHA_NI
  if (HasShaInstructions()) {
    ShaPairWithInstructions(a, a_size, b, b_size, a_digest, b_digest);
    return;
  }
#endif
  ::SHA256(a, a_size, a_digest.data());
  ::SHA256(b, b_size, b_digest.data());
}

}  // namespace sluice::datasets::internal
