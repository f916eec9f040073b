#include "table/internal/csv_number_batch.h"

#include <atomic>
#include <bit>
#include <cstring>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// GCC 12 takes the _mm512_undefined_* inside AVX-512 intrinsics for uninitialized variables
// (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace sluice::table::internal {

NumberBatchLayout::NumberBatchLayout(std::vector<void*> column_outputs,
                                     const std::vector<bool>& float64)
    : outputs(std::move(column_outputs)) {
  const size_t width = outputs.size();
  float_lanes.resize(width);
  last_lanes.resize(width);
  lane_columns.resize(width * 9);
  lane_rows.resize(width * 9);
  for (size_t c = 0; c < width; ++c) {
    for (size_t j = 0; j <= 8; ++j) {
      const size_t column = (c + j) % width;
      lane_columns[c * 9 + j] = static_cast<uint32_t>(column);
      lane_rows[c * 9 + j] = static_cast<uint8_t>((c + j) / width);
      if (j == 8) break;
      if (float64[column]) float_lanes[c] |= static_cast<uint8_t>(1u << j);
      if (column + 1 == width) last_lanes[c] |= static_cast<uint8_t>(1u << j);
    }
  }
}

#if defined(__x86_64__)

namespace {

std::atomic<bool> enabled{true};

bool CpuHasBatches() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2") &&
         __builtin_cpu_supports("bmi2");
}

#define SLUICE_NUMBER_BATCH \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512cd,avx512vbmi,avx512vbmi2,bmi,bmi2")))

// Bit j: whether lane j (bytes 8j..8j+7) has any of the bytes in `bytes`.
SLUICE_NUMBER_BATCH inline uint32_t Lanes(uint64_t bytes) {
  const __m512i b = _mm512_movm_epi8(bytes);
  return _mm512_test_epi64_mask(b, b);
}

// Byte tables for the permutes: byte i of each is a function of i.
struct Tables {
  alignas(64) int8_t iota[64];         // i
  alignas(64) int8_t lane[64];         // i / 8: broadcasts byte j of a vector to lane j
  alignas(64) int8_t lane_before[64];  // i / 8 - 1 (lane 0: 0, masked)
  alignas(64) int8_t offset[64];       // i % 8 - 8: a lane's bytes before its field's end
  constexpr Tables() : iota(), lane(), lane_before(), offset() {
    for (int i = 0; i < 64; ++i) {
      iota[i] = static_cast<int8_t>(i);
      lane[i] = static_cast<int8_t>(i / 8);
      lane_before[i] = static_cast<int8_t>(i < 8 ? 0 : i / 8 - 1);
      offset[i] = static_cast<int8_t>(i % 8 - 8);
    }
  }
};
constexpr Tables kTables;

alignas(64) constexpr double kPowersOfTen[8] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};

SLUICE_NUMBER_BATCH NumberBatchRun Batches(const NumberBatchLayout& layout, const char* text,
                                           const char* last, size_t max_records, size_t row,
                                           char delimiter) {
  const __m512i iota = _mm512_load_si512(kTables.iota);
  const __m512i lane = _mm512_load_si512(kTables.lane);
  const __m512i lane_before = _mm512_load_si512(kTables.lane_before);
  const __m512i offset = _mm512_load_si512(kTables.offset);
  const __m512i delimiters = _mm512_set1_epi8(delimiter);
  const __m512i newlines = _mm512_set1_epi8('\n');
  const __m512i returns = _mm512_set1_epi8('\r');
  const __m512i zeros = _mm512_set1_epi8('0');
  const __m512i ten = _mm512_set1_epi8(10);
  const __m512i points = _mm512_set1_epi8('.');
  const __m512i minuses = _mm512_set1_epi8('-');
  const __m512i pluses = _mm512_set1_epi8('+');
  const __m512i minus_one = _mm512_set1_epi8(-1);
  const __m512i tens = _mm512_set1_epi16(0x010A);          // byte pairs (10, 1)
  const __m512i hundreds = _mm512_set1_epi32(0x00010064);  // 16-bit pairs (100, 1)
  const __m512i ten_thousand = _mm512_set1_epi64(10000);
  const __m512d powers = _mm512_load_pd(kPowersOfTen);
  const __m512i sign_bits = _mm512_set1_epi64(static_cast<int64_t>(uint64_t{1} << 63));
  constexpr uint64_t kLaneFirstBytes = 0x0101010101010101;

  NumberBatchRun run{0, text, false};
  const char* p = text;  // the next field
  size_t column = 0;     // its column
  alignas(64) uint64_t values[8];
  while (p <= last && max_records - run.records >= 8) {
    const __m512i window = _mm512_loadu_si512(p);
    const uint64_t line_ends = _mm512_cmpeq_epi8_mask(window, newlines);
    const uint64_t ends = _mm512_cmpeq_epi8_mask(window, delimiters) | line_ends;
    // The first eight ends: each lane's field ends at one.
    const uint64_t lane_ends = _pdep_u64(0xFF, ends);
    if (lane_ends == 0) {
      run.refused = true;  // a field longer than the window
      break;
    }
    const uint32_t fields = static_cast<uint32_t>(std::popcount(lane_ends));
    const auto record_ends = static_cast<uint32_t>(_pext_u64(line_ends, lane_ends));
    // Where each field's text ends: before the '\r' of a "\r\n".
    const uint64_t crlf = (_mm512_cmpeq_epi8_mask(window, returns) << 1) & line_ends & lane_ends;
    const __m512i end_at = _mm512_maskz_compress_epi8(lane_ends, iota);  // byte j: lane j's end
    const __m512i text_end_at =
        crlf == 0 ? end_at : _mm512_maskz_compress_epi8((lane_ends & ~crlf) | (crlf >> 1), iota);
    // Per byte of lane j: the window offset of the field's byte it takes (its field's text
    // right-aligned in the lane), and the end before the field (-1 for lane 0).
    const __m512i at = _mm512_add_epi8(_mm512_permutexvar_epi8(lane, text_end_at), offset);
    const __m512i before =
        _mm512_mask_permutexvar_epi8(minus_one, ~uint64_t{0xFF}, lane_before, end_at);
    const uint64_t in_field = _mm512_cmpgt_epi8_mask(at, before);
    // A lane holds its field's first byte only if the field has 1 to 8 bytes.
    const uint64_t first = _mm512_cmpeq_epi8_mask(at, _mm512_sub_epi8(before, minus_one));
    const __m512i bytes = _mm512_maskz_permutexvar_epi8(in_field, at, window);

    const uint64_t digits = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(bytes, zeros), ten);
    const uint64_t point = _mm512_cmpeq_epi8_mask(bytes, points);
    const uint64_t minus = _mm512_cmpeq_epi8_mask(bytes, minuses);
    const uint64_t sign = minus | _mm512_cmpeq_epi8_mask(bytes, pluses);
    // Each lane's bytes below its point (toward the field's start), as 0xFF.
    const __m512i point_bytes = _mm512_movm_epi8(point);
    __m512i below = _mm512_srli_epi64(point_bytes, 8);
    below = _mm512_or_si512(below, _mm512_srli_epi64(below, 8));
    below = _mm512_or_si512(below, _mm512_srli_epi64(below, 16));
    below = _mm512_or_si512(below, _mm512_srli_epi64(below, 32));

    const uint32_t float_lanes = layout.float_lanes[column];
    const uint32_t pointed = Lanes(point);
    uint32_t ok =
        Lanes(first) & Lanes(digits) & ~Lanes(in_field & ~(digits | point | (sign & first)));
    ok &= ~static_cast<uint32_t>(_mm512_test_epi64_mask(below, point_bytes));  // two points
    ok &= ~(pointed & ~float_lanes);  // an int64 column takes no point
    ok &= ~(record_ends ^ layout.last_lanes[column]);
    // (Lanes past the last end hold no field's first byte: `before` is at or past their bytes.)
    const auto taken = static_cast<uint32_t>(std::countr_one(ok));

    // The digits, the point squeezed out: the bytes up to it move up one.
    const __m512i up_to_point = _mm512_or_si512(below, point_bytes);
    const __m512i squeezed =
        _mm512_maskz_permutexvar_epi8(~(_mm512_movepi8_mask(up_to_point) & kLaneFirstBytes),
                                      _mm512_add_epi8(iota, up_to_point), bytes);
    const __m512i digit_values = _mm512_sub_epi8(squeezed, zeros);
    const __m512i clean =
        _mm512_maskz_mov_epi8(_mm512_cmplt_epu8_mask(digit_values, ten), digit_values);
    const __m512i pairs = _mm512_maddubs_epi16(clean, tens);
    const __m512i quads = _mm512_madd_epi16(pairs, hundreds);
    const __m512i magnitude =
        _mm512_add_epi64(_mm512_mul_epu32(quads, ten_thousand), _mm512_srli_epi64(quads, 32));
    const auto negative = static_cast<__mmask8>(Lanes(minus & first));
    const __m512i integers =
        _mm512_mask_sub_epi64(magnitude, negative, _mm512_setzero_si512(), magnitude);
    // Digits after the point: a lane's leading zero bits over 8 (8 without a point, taken as 0).
    const __m512i fraction_digits = _mm512_and_si512(
        _mm512_srli_epi64(_mm512_lzcnt_epi64(point_bytes), 3), _mm512_set1_epi64(7));
    // As NumberField::Double: an exact integer over an exact power of ten, then the sign.
    const __m512d quotients = _mm512_div_pd(_mm512_cvtepi64_pd(magnitude),
                                            _mm512_permutexvar_pd(fraction_digits, powers));
    const __m512i doubles = _mm512_mask_xor_epi64(_mm512_castpd_si512(quotients), negative,
                                                  _mm512_castpd_si512(quotients), sign_bits);
    _mm512_store_si512(
        values, _mm512_mask_blend_epi64(static_cast<__mmask8>(float_lanes), integers, doubles));

    const uint32_t* const columns = &layout.lane_columns[column * 9];
    const uint8_t* const rows = &layout.lane_rows[column * 9];
    for (uint32_t j = 0; j < taken; ++j) {
      std::memcpy(static_cast<char*>(layout.outputs[columns[j]]) + (row + rows[j]) * 8, &values[j],
                  8);
    }
    const uint32_t taken_ends = record_ends & ((1u << taken) - 1);
    if (taken_ends != 0) {
      const auto last_record_lane = static_cast<uint32_t>(31 - std::countl_zero(taken_ends));
      run.records += static_cast<size_t>(std::popcount(taken_ends));
      run.end = p + std::countr_zero(_pdep_u64(uint64_t{1} << last_record_lane, lane_ends)) + 1;
    }
    if (taken < fields) {
      run.refused = true;
      break;
    }
    row += rows[taken];
    column = columns[taken];
    p += 64 - std::countl_zero(lane_ends);  // past the last lane's end
  }
  return run;
}

}  // namespace

bool NumberBatchesAvailable() {
  static const bool cpu = CpuHasBatches();
  return cpu && enabled.load(std::memory_order_relaxed);
}

void SetNumberBatchesEnabled(bool on) { enabled.store(on, std::memory_order_relaxed); }

NumberBatchRun ParseNumberBatches(const NumberBatchLayout& layout, const char* text,
                                  const char* last, size_t max_records, size_t row,
                                  char delimiter) {
  return Batches(layout, text, last, max_records, row, delimiter);
}

#else  // not x86-64: no batches

bool NumberBatchesAvailable() { return false; }
void SetNumberBatchesEnabled(bool) {}
NumberBatchRun ParseNumberBatches(const NumberBatchLayout&, const char* text, const char*, size_t,
                                  size_t, char) {
  return {0, text, true};
}

#endif

}  // namespace sluice::table::internal
