#include "datasets/chunker.h"

#include <bit>

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

}  // namespace

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

}  // namespace sluice::datasets
