// Splits CSV text into records and fields (RFC 4180) and hands each field to a sink, so that
// callers choose what to keep: the readers tokenize a stretch once to infer types and again to
// convert values straight into the output columns, storing nothing in between; once the types are
// known, once, parsing each value as it goes (TypedSink).
//
// Thread safety: Tokenize works only on its arguments; distinct sinks may run concurrently.
#pragma once

#include <fmt/core.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::table::internal {

struct TokenizeParams {
  char delimiter = ',';
  // The text ends where the data ends, so a last record without a line break is whole.
  bool at_eof = true;
  // No record starting at or after this offset is read.
  size_t stop = SIZE_MAX;
  size_t max_rows = SIZE_MAX;
  // Fields per record; 0 takes the first record's count.
  size_t num_columns = 0;
};

// Where tokenizing stands: `pos` is the start of a record (or of a blank line); `line` counts the
// line breaks passed since the caller set it.
struct Cursor {
  size_t pos = 0;
  uint64_t line = 0;
};

enum class TokenizeStop {
  kDone,      // reached params.stop, the end of the text, or max_rows
  kNeedMore,  // a record runs past the end of a text that is not at_eof; see Tokenize
  kError,     // see the TokenizeError
};

// Records a sink's FastRecords took: `records` of them, the next starting at `end`.
struct FastRun {
  size_t records = 0;
  size_t end = 0;
};

struct TokenizeError {
  uint64_t line = 0;    // as Cursor::line
  std::string message;  // "expected 5 fields, got 4"
};

// A sink has:
//   void BeginRecord(uint64_t line);          // the line (as Cursor::line) the record starts on
//   void Field(size_t column, std::string_view value);  // unquoted, "" undone; column < width
//   void EndRecord();                         // the record had the right number of fields
//   bool ShouldStop() const;                  // optional: true ends tokenizing after EndRecord
//   FastRun FastRecords(std::string_view text, size_t pos, size_t stop, size_t max_records,
//                       char delimiter);         // optional
// A record with the wrong number of fields gets BeginRecord and some Field calls, then the error.
// FastRecords, once the width is known, is offered the records from each record start `pos`: it
// may take records as BeginRecord, Field for each field and EndRecord would, each starting
// before `stop`, at most max_records, each ending in '\n' with the right number of fields and no
// quotes, and stop at the first it does not take, which goes the usual way.
//
// Reads records from cursor.pos, skipping blank lines, and leaves the cursor after the last one
// read (kDone). On kNeedMore the cursor is at the start of the incomplete record (or blank line)
// and the sink has seen the complete records before it and part of that one: the caller either
// discards everything and starts over, or drops the partial record and resumes from the cursor
// once the text holds more.
template <typename Sink>
TokenizeStop Tokenize(std::string_view text, TokenizeParams& params, Cursor& cursor, Sink& sink,
                      TokenizeError& error);

// The offset of the first delimiter or '\n' in data[pos, size), or size. Unquoted fields are
// short and each is scanned once, so this compares 16 bytes at a time (SSE2, part of every x86-64;
// elsewhere 8 bytes in a 64-bit word) rather than calling memchr twice.
inline size_t FindFieldEnd(const char* data, size_t pos, size_t size, char delimiter);

// The number of '\n' in data[0, size), 16 bytes at a time with SSE2 (std::count is not
// vectorized at -O2).
inline size_t CountLineBreaks(const char* data, size_t size);

// Implementation.

namespace tokenizer_detail {

inline std::string Printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string(1, c);
  return fmt::format("\\x{:02x}", u);
}

// Bit 7 of each byte of the result is set where `word` has a zero byte; the lowest such bit is
// exact (a borrow only carries upward, past the first zero).
inline uint64_t ZeroBytes(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHighs = 0x8080808080808080;
  return (word - kOnes) & ~word & kHighs;
}

// FindFieldEnd 8 bytes at a time, for targets without SSE2 (and for tests of them).
inline size_t FindFieldEndWords(const char* data, size_t pos, size_t size, char delimiter) {
  if constexpr (std::endian::native == std::endian::little) {
    const uint64_t delimiters =
        uint64_t{0x0101010101010101} * static_cast<unsigned char>(delimiter);
    const uint64_t newlines = uint64_t{0x0101010101010101} * static_cast<unsigned char>('\n');
    while (pos + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, data + pos, 8);
      const uint64_t hits = ZeroBytes(word ^ delimiters) | ZeroBytes(word ^ newlines);
      if (hits != 0) return pos + static_cast<size_t>(std::countr_zero(hits)) / 8;
      pos += 8;
    }
  }
  while (pos < size && data[pos] != delimiter && data[pos] != '\n') ++pos;
  return pos;
}

}  // namespace tokenizer_detail

inline size_t FindFieldEnd(const char* data, size_t pos, size_t size, char delimiter) {
#if defined(__SSE2__)
  const __m128i delimiters = _mm_set1_epi8(delimiter);
  const __m128i newlines = _mm_set1_epi8('\n');
  while (pos + 16 <= size) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos));
    const int hits = _mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(block, delimiters), _mm_cmpeq_epi8(block, newlines)));
    if (hits != 0) return pos + static_cast<size_t>(std::countr_zero(static_cast<unsigned>(hits)));
    pos += 16;
  }
  while (pos < size && data[pos] != delimiter && data[pos] != '\n') ++pos;
  return pos;
#else
  return tokenizer_detail::FindFieldEndWords(data, pos, size, delimiter);
#endif
}

inline size_t CountLineBreaks(const char* data, size_t size) {
  size_t count = 0;
  size_t pos = 0;
#if defined(__SSE2__)
  // Each byte lane counts its own matches (a match is -1, subtracted) for up to 255 blocks, then
  // the lanes are summed; std::popcount of a mask would be a library call without -mpopcnt.
  const __m128i newlines = _mm_set1_epi8('\n');
  while (pos + 16 <= size) {
    const size_t blocks = std::min<size_t>((size - pos) / 16, 255);
    __m128i lanes = _mm_setzero_si128();
    for (size_t b = 0; b < blocks; ++b, pos += 16) {
      const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(block, newlines));
    }
    const __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());
    count += static_cast<size_t>(_mm_cvtsi128_si64(sums)) +
             static_cast<size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
#endif
  for (; pos < size; ++pos) count += data[pos] == '\n';
  return count;
}

template <typename Sink>
TokenizeStop Tokenize(std::string_view text, TokenizeParams& params, Cursor& cursor, Sink& sink,
                      TokenizeError& error) {
  const char* const data = text.data();
  const size_t size = text.size();
  const char delimiter = params.delimiter;
  const bool at_eof = params.at_eof;
  size_t pos = cursor.pos;
  uint64_t line = cursor.line;
  size_t rows = 0;
  std::string unescaped;  // for quoted fields with doubled quotes
  auto fail = [&](uint64_t at_line, std::string message) {
    error.line = at_line;
    error.message = std::move(message);
    return TokenizeStop::kError;
  };
  // Where the incomplete record (or blank line) began.
  size_t record_pos = pos;
  uint64_t record_line = line;
  auto need_more = [&] {
    cursor.pos = record_pos;
    cursor.line = record_line;
    return TokenizeStop::kNeedMore;
  };

  while (rows < params.max_rows && pos < params.stop && pos < size) {
    record_pos = pos;
    record_line = line;
    // Blank lines.
    if (data[pos] == '\n') {
      ++pos;
      ++line;
      continue;
    }
    if (data[pos] == '\r') {
      if (pos + 1 < size && data[pos + 1] == '\n') {
        pos += 2;
        ++line;
        continue;
      }
      if (pos + 1 == size) {
        if (!at_eof) return need_more();  // may begin a CRLF
        ++pos;
        continue;
      }
    }

    if constexpr (requires { sink.FastRecords(text, pos, params.stop, rows, delimiter); }) {
      if (params.num_columns != 0) {
        const FastRun run =
            sink.FastRecords(text, pos, params.stop, params.max_rows - rows, delimiter);
        if (run.records != 0) {
          pos = run.end;
          line += run.records;
          rows += run.records;
          if constexpr (requires { sink.ShouldStop(); }) {
            if (sink.ShouldStop()) break;
          }
          continue;
        }
      }
    }

    sink.BeginRecord(record_line);
    const size_t width = params.num_columns;  // 0 while reading the first record of unknown width
    size_t num_fields = 0;
    bool record_done = false;
    while (!record_done) {
      const size_t column = num_fields++;
      if (pos < size && data[pos] == '"') {
        const uint64_t field_line = line;
        const size_t content = pos + 1;
        size_t q = content;
        bool doubled = false;
        for (;;) {
          const void* hit = std::memchr(data + q, '"', size - q);
          if (hit == nullptr) {
            if (!at_eof) return need_more();
            return fail(field_line,
                        fmt::format("unterminated quoted field starting in column {}", num_fields));
          }
          q = static_cast<size_t>(static_cast<const char*>(hit) - data);
          if (q + 1 < size && data[q + 1] == '"') {
            doubled = true;
            q += 2;
            continue;
          }
          if (q + 1 == size && !at_eof) return need_more();  // "" split by the end
          break;
        }
        line += static_cast<uint64_t>(std::count(data + content, data + q, '\n'));
        if (width == 0 || column < width) {
          if (doubled) {
            unescaped.clear();
            for (size_t i = content; i < q; ++i) {
              unescaped.push_back(data[i]);
              if (data[i] == '"') ++i;  // the second of a doubled quote
            }
            sink.Field(column, unescaped);
          } else {
            sink.Field(column, std::string_view(data + content, q - content));
          }
        }
        pos = q + 1;
        // After the closing quote: a delimiter, a line end, or the end of the data.
        if (pos == size) {
          record_done = true;  // at_eof, or kNeedMore was returned above
        } else if (data[pos] == delimiter) {
          ++pos;
        } else if (data[pos] == '\n') {
          ++pos;
          ++line;
          record_done = true;
        } else if (data[pos] == '\r' && pos + 1 < size && data[pos + 1] == '\n') {
          pos += 2;
          ++line;
          record_done = true;
        } else if (data[pos] == '\r' && pos + 1 == size) {
          if (!at_eof) return need_more();
          ++pos;
          record_done = true;
        } else {
          return fail(line, fmt::format("unexpected '{}' after the closing quote in column {}",
                                        tokenizer_detail::Printable(data[pos]), num_fields));
        }
      } else {
        const size_t start = pos;
        pos = FindFieldEnd(data, pos, size, delimiter);
        if (pos == size && !at_eof) return need_more();
        size_t end = pos;
        if (end > start && data[end - 1] == '\r' && (pos == size || data[pos] == '\n')) --end;
        if (width == 0 || column < width) {
          sink.Field(column, std::string_view(data + start, end - start));
        }
        if (pos == size) {
          record_done = true;
        } else if (data[pos] == delimiter) {
          ++pos;
        } else {
          ++pos;
          ++line;
          record_done = true;
        }
      }
    }
    if (params.num_columns == 0) params.num_columns = num_fields;
    if (num_fields != params.num_columns) {
      return fail(record_line,
                  fmt::format("expected {} fields, got {}", params.num_columns, num_fields));
    }
    sink.EndRecord();
    ++rows;
    if constexpr (requires { sink.ShouldStop(); }) {
      if (sink.ShouldStop()) break;
    }
  }
  cursor.pos = pos;
  cursor.line = line;
  return TokenizeStop::kDone;
}

}  // namespace sluice::table::internal
