#include "table/internal/csv_reader.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "base/thread_pool.h"
#include "table/internal/big_buffer.h"

namespace sluice::table::internal {
namespace {

constexpr size_t kMinAutoChunkBytes = size_t{1} << 20;
constexpr size_t kMaxAutoChunkBytes = size_t{16} << 20;

// Runs body(0..n-1) on the pool, or inline without one.
void RunAll(ThreadPool* pool, size_t n, const std::function<void(size_t)>& body) {
  if (pool == nullptr || n <= 1) {
    for (size_t i = 0; i < n; ++i) body(i);
  } else {
    pool->ParallelFor(n, body);
  }
}

std::string ListNames(const std::vector<std::string>& names) {
  constexpr size_t kShown = 10;
  std::string shown;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) shown += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > kShown) shown += fmt::format(" and {} more", names.size() - kShown);
  return shown;
}

// `v` holding n values, in the memory it has when that is enough (values past its old size are
// value-initialized, the rest left as they were), else in fresh advised memory with some room to
// spare: the pieces of a file parsed into recycled columns (CsvColumnMemory) differ a little in
// length, and one a row longer than the memory it is given would otherwise get (and fill) a whole
// fresh column. Room not written is never touched, so it costs address space only.
template <typename T>
void Fit(std::vector<T>& v, size_t n) {
  if (v.capacity() < n) {
    std::vector<T>().swap(v);
    const size_t room = n + n / 8;
    v.reserve(room);
    AdviseHugePages(v.data(), room * sizeof(T));
  }
  v.resize(n);
}

// Moves rows [from, from + n) of the column's values to [to, to + n), to <= from.
void MoveRowsDown(ColumnBuffer& b, size_t from, size_t to, size_t n) {
  auto move = [&](auto& v) {
    std::move(v.begin() + static_cast<ptrdiff_t>(from),
              v.begin() + static_cast<ptrdiff_t>(from + n), v.begin() + static_cast<ptrdiff_t>(to));
  };
  switch (b.type) {
    case Type::kFloat64:
      move(b.f64);
      break;
    case Type::kInt64:
    case Type::kTimestamp:
      move(b.i64);
      break;
    case Type::kBool:
      move(b.u8);
      break;
    case Type::kString:
      move(b.str);
      break;
  }
}

// A chunk's records written in place by PlacedSink.
struct PlacedScan {
  ChunkScan scan;
  std::vector<std::vector<size_t>> null_rows;
  bool overflowed = false;
};

// The typed parse with every chunk's records written straight into the final columns (taken from
// `memory` when it has them), at rows reserved by counting each chunk's line breaks, instead of
// into columns per chunk joined by copying afterwards. nullopt when a chunk holds more records
// than that (a quoted line break across a chunk boundary): the caller parses another way.
std::optional<Result<Table>> ParseTypedInPlace(std::string_view text, const TokenizeParams& params,
                                               const std::vector<size_t>& starts,
                                               uint64_t first_line, const std::vector<Type>& types,
                                               const std::vector<std::string>& names,
                                               const NullMatcher& is_null, ThreadPool* pool,
                                               CsvColumnMemory* memory) {
  const size_t num_chunks = starts.size() - 1;
  const size_t num_columns = types.size();
  // Every record but the text's last ends with a line break in its chunk, unless it is quoted
  // across the boundary.
  std::vector<size_t> room(num_chunks);
  RunAll(pool, num_chunks, [&](size_t i) {
    room[i] = CountLineBreaks(text.data() + starts[i], starts[i + 1] - starts[i]) +
              (i + 1 == num_chunks ? 1 : 0);
  });
  std::vector<size_t> offset(num_chunks + 1, 0);
  for (size_t i = 0; i < num_chunks; ++i) offset[i + 1] = offset[i] + room[i];

  std::vector<std::optional<Column::Vectors>> reuse;
  if (memory != nullptr) reuse = memory->Take();
  std::vector<ColumnBuffer> buffers(num_columns);
  RunAll(pool, num_columns, [&](size_t c) {
    ColumnBuffer& b = buffers[c];
    b.type = types[c];
    if (c < reuse.size() && reuse[c]) {
      Column::Vectors& v = *reuse[c];
      b.f64 = std::move(v.f64);
      b.i64 = std::move(v.i64);
      b.u8 = std::move(v.u8);
      b.str = std::move(v.str);
      b.valid = std::move(v.valid);
    }
    switch (b.type) {
      case Type::kFloat64:
        Fit(b.f64, offset[num_chunks]);
        break;
      case Type::kInt64:
      case Type::kTimestamp:
        Fit(b.i64, offset[num_chunks]);
        break;
      case Type::kBool:
        Fit(b.u8, offset[num_chunks]);
        break;
      case Type::kString:
        Fit(b.str, offset[num_chunks]);
        break;
    }
  });

  auto scan_chunk = [&](size_t i, size_t begin) {
    PlacedScan out;
    out.scan.begin = begin;
    out.scan.end = Cursor{begin, 0};
    TokenizeParams p = params;
    p.stop = starts[i + 1];
    PlacedSink sink(buffers, is_null, offset[i], room[i]);
    out.scan.stop = Tokenize(text, p, out.scan.end, sink, out.scan.error);
    out.scan.rows = sink.rows();
    out.scan.bad_value = sink.bad_value();
    out.null_rows = std::move(sink.null_rows());
    out.overflowed = sink.overflowed();
    return out;
  };
  std::vector<PlacedScan> scans(num_chunks);
  RunAll(pool, num_chunks, [&](size_t i) { scans[i] = scan_chunk(i, starts[i]); });

  // As in ParseCsvWithChunkSize: chunks that started inside a quoted field again, errors in file
  // order.
  std::vector<size_t> first_row(num_chunks + 1, 0);
  uint64_t line = first_line;
  for (size_t i = 0; i < num_chunks; ++i) {
    if (i > 0 && scans[i].scan.begin != scans[i - 1].scan.end.pos) {
      scans[i] = scan_chunk(i, scans[i - 1].scan.end.pos);
    }
    if (scans[i].overflowed) return std::nullopt;
    Status error = ScanError(scans[i].scan, line, names);
    if (!error.ok()) return Result<Table>(std::move(error));
    line += scans[i].scan.end.line;
    first_row[i + 1] = first_row[i] + scans[i].scan.rows;
  }
  const size_t num_rows = first_row[num_chunks];

  std::vector<Column> columns(num_columns);
  RunAll(pool, num_columns, [&](size_t c) {
    ColumnBuffer& b = buffers[c];
    bool has_nulls = false;
    for (size_t i = 0; i < num_chunks; ++i) {
      // Rows left unused by blank lines (and the room for a last record without a line break)
      // close up.
      if (first_row[i] != offset[i] && scans[i].scan.rows > 0) {
        MoveRowsDown(b, offset[i], first_row[i], scans[i].scan.rows);
      }
      has_nulls = has_nulls || !scans[i].null_rows[c].empty();
    }
    b.Truncate(num_rows);
    if (has_nulls) {
      Fit(b.valid, num_rows);
      std::fill(b.valid.begin(), b.valid.end(), uint8_t{1});
      for (size_t i = 0; i < num_chunks; ++i) {
        for (size_t row : scans[i].null_rows[c]) b.valid[row - offset[i] + first_row[i]] = 0;
      }
    } else {
      b.valid.clear();
    }
    columns[c] = b.Finish(names[c]);
  });
  return Table::Make(std::move(columns));
}

}  // namespace

Status ValidateCsvOptions(const CsvOptions& options) {
  if (options.delimiter == '"' || options.delimiter == '\n' || options.delimiter == '\r') {
    return InvalidArgument("csv delimiter cannot be a quote or a line break");
  }
  return Status::Ok();
}

size_t ByteOrderMarkSize(std::string_view text) { return text.starts_with("\xEF\xBB\xBF") ? 3 : 0; }

Result<std::vector<std::string>> ColumnNamesFrom(const std::vector<std::string>& first_record,
                                                 uint64_t first_line, const CsvOptions& options) {
  std::vector<std::string> names;
  names.reserve(first_record.size());
  for (size_t c = 0; c < first_record.size(); ++c) {
    const bool named = options.header && !first_record[c].empty();
    names.push_back(named ? first_record[c] : fmt::format("column_{}", c));
  }
  std::map<std::string_view, size_t> seen;
  for (size_t c = 0; c < names.size(); ++c) {
    auto [it, inserted] = seen.emplace(names[c], c);
    if (!inserted) {
      return InvalidArgument("csv line {}: duplicate column name '{}' (columns {} and {})",
                             first_line + 1, names[c], it->second + 1, c + 1);
    }
  }
  return names;
}

Result<std::vector<std::optional<Type>>> ResolveTypeOverrides(
    const CsvOptions& options, const std::vector<std::string>& names) {
  std::vector<std::optional<Type>> overrides(names.size());
  for (const auto& [name, type] : options.types) {
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      return InvalidArgument(
          "a type is given for column '{}', which the csv does not have; columns: {}", name,
          ListNames(names));
    }
    overrides[static_cast<size_t>(it - names.begin())] = type;
  }
  return overrides;
}

Status BadValueError(uint64_t line, std::string_view column, std::string_view value, Type type) {
  return InvalidArgument("csv line {}: column '{}': '{}' is not a valid {}", line + 1, column,
                         Abbreviate(value), TypeName(type));
}

ChunkScan ScanRecords(std::string_view text, TokenizeParams params, size_t begin,
                      const std::vector<std::optional<Type>>& fixed, const NullMatcher& is_null) {
  ChunkScan scan;
  scan.begin = begin;
  scan.end = Cursor{begin, 0};
  InferSink sink(fixed, is_null);
  scan.stop = Tokenize(text, params, scan.end, sink, scan.error);
  scan.rows = sink.rows();
  scan.types = sink.types();
  scan.null_counts = sink.null_counts();
  scan.bad_value = sink.bad_value();
  return scan;
}

ChunkScan ScanTypedRecords(std::string_view text, TokenizeParams params, size_t begin,
                           const std::vector<Type>& types, const NullMatcher& is_null) {
  ChunkScan scan;
  scan.begin = begin;
  scan.end = Cursor{begin, 0};
  TypedSink sink(types, is_null);
  const size_t end = std::min(params.stop, text.size());
  if (begin < end) sink.Reserve(EstimateRows(text.substr(begin), end - begin));
  scan.stop = Tokenize(text, params, scan.end, sink, scan.error);
  scan.rows = sink.rows();
  scan.bad_value = sink.bad_value();
  scan.columns = std::move(sink.columns());
  return scan;
}

bool BadValueComesFirst(const ChunkScan& scan) {
  // A bad value in the broken record itself (row == rows) does not count.
  return scan.bad_value && (scan.stop != TokenizeStop::kError || scan.bad_value->row < scan.rows);
}

Status ScanError(const ChunkScan& scan, uint64_t line_base, const std::vector<std::string>& names) {
  if (BadValueComesFirst(scan)) {
    const BadValue& bad = *scan.bad_value;
    return BadValueError(line_base + bad.line, names[bad.column], bad.value, bad.type);
  }
  if (scan.stop == TokenizeStop::kError) {
    return InvalidArgument("csv line {}: {}", line_base + scan.error.line + 1, scan.error.message);
  }
  return Status::Ok();
}

Result<Table> ParseCsvWithChunkSize(std::string_view text, const CsvOptions& options,
                                    size_t chunk_bytes, bool typed_one_pass) {
  SLUICE_RETURN_IF_ERROR(ValidateCsvOptions(options));
  const size_t start = ByteOrderMarkSize(text);

  // The first record: the header, or the first row, which sets the width either way.
  RecordSink first;
  TokenizeParams params{.delimiter = options.delimiter, .max_rows = 1};
  Cursor cursor{start, 0};
  TokenizeError error;
  if (Tokenize(text, params, cursor, first, error) == TokenizeStop::kError) {
    return InvalidArgument("csv line {}: {}", error.line + 1, error.message);
  }
  if (params.num_columns == 0) return Table();  // nothing but blank lines, if anything
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          ColumnNamesFrom(first.fields, first.line, options));
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::optional<Type>> overrides,
                          ResolveTypeOverrides(options, names));
  const Cursor body = options.header ? cursor : Cursor{start, 0};
  const size_t num_columns = names.size();
  params.max_rows = SIZE_MAX;

  // Chunks of about chunk_bytes, each after the first starting just past a line break: a guess at
  // a record start, checked below.
  const size_t threads = options.threads != 0 ? options.threads : ThreadPool::DefaultThreads();
  // With every type given there is nothing to infer: one pass per chunk into its own columns,
  // joined at the end, instead of a pass to check the values and one to convert them.
  std::vector<Type> types;
  if (typed_one_pass && std::all_of(overrides.begin(), overrides.end(),
                                    [](const auto& t) { return t.has_value(); })) {
    for (const std::optional<Type>& type : overrides) types.push_back(*type);
  }
  const bool typed = !types.empty();
  if (chunk_bytes == 0 && typed && threads == 1) {
    chunk_bytes = text.size();  // nothing to gain from chunks, and they would have to be joined
  } else if (chunk_bytes == 0) {
    chunk_bytes = std::clamp((text.size() - body.pos) / (threads * 4), kMinAutoChunkBytes,
                             kMaxAutoChunkBytes);
  }
  std::vector<size_t> starts = {body.pos};
  for (size_t from = body.pos + chunk_bytes - 1; from < text.size(); from += chunk_bytes) {
    const void* hit = std::memchr(text.data() + from, '\n', text.size() - from);
    if (hit == nullptr) break;
    const size_t next = static_cast<size_t>(static_cast<const char*>(hit) - text.data()) + 1;
    if (next < text.size()) starts.push_back(next);
    from = next - 1;  // the next boundary comes chunk_bytes past this one
  }
  const size_t num_chunks = starts.size();
  starts.push_back(text.size());

  const NullMatcher is_null(options.null_values);
  auto scan_chunk = [&](size_t i, size_t begin) {
    TokenizeParams p = params;
    p.stop = starts[i + 1];
    if (typed) return ScanTypedRecords(text, p, begin, types, is_null);
    return ScanRecords(text, p, begin, overrides, is_null);
  };
  std::unique_ptr<ThreadPool> pool;
  if (threads > 1 && num_chunks > 1) {
    pool = std::make_unique<ThreadPool>(std::min(threads, num_chunks) - 1);  // the caller works too
  }
  if (typed) {
    std::optional<Result<Table>> placed =
        ParseTypedInPlace(text, params, starts, body.line, types, names, is_null, pool.get(),
                          options.column_memory.get());
    if (placed) return std::move(*placed);
  }
  std::vector<ChunkScan> scans(num_chunks);
  RunAll(pool.get(), num_chunks, [&](size_t i) { scans[i] = scan_chunk(i, starts[i]); });

  // A chunk whose guessed start is not where the previous one really ended (the guess fell inside
  // a quoted field) is scanned again from there. In file order, so the first error is reported.
  std::vector<size_t> first_row(num_chunks + 1, 0);
  uint64_t line = body.line;
  for (size_t i = 0; i < num_chunks; ++i) {
    if (i > 0 && scans[i].begin != scans[i - 1].end.pos) {
      scans[i] = scan_chunk(i, scans[i - 1].end.pos);
    }
    SLUICE_RETURN_IF_ERROR(ScanError(scans[i], line, names));
    line += scans[i].end.line;
    first_row[i + 1] = first_row[i] + scans[i].rows;
  }
  const size_t num_rows = first_row[num_chunks];

  if (typed) {
    std::vector<Column> columns(num_columns);
    RunAll(pool.get(), num_columns, [&](size_t c) {
      std::vector<ColumnBuffer*> parts;
      parts.reserve(num_chunks);
      for (ChunkScan& scan : scans) parts.push_back(&scan.columns[c]);
      columns[c] = JoinColumnBuffers(parts, names[c]);
    });
    return Table::Make(std::move(columns));
  }

  // Each column's type over all chunks, then pass 2 into the final buffers.
  std::vector<ColumnBuffer> buffers(num_columns);
  RunAll(pool.get(), num_columns, [&](size_t c) {
    std::optional<Type> type;
    size_t nulls = 0;
    for (const ChunkScan& scan : scans) {
      const std::optional<Type>& t = scan.types[c];
      if (t) type = type ? JoinTypes(*type, *t) : *t;
      nulls += scan.null_counts[c];
    }
    buffers[c].Allocate(type.value_or(Type::kFloat64), num_rows, nulls > 0);
  });
  RunAll(pool.get(), num_chunks, [&](size_t i) {
    TokenizeParams p = params;
    p.stop = starts[i + 1];
    p.max_rows = scans[i].rows;
    Cursor c{scans[i].begin, 0};
    ConvertSink sink(buffers, is_null, first_row[i]);
    TokenizeError unexpected;
    SLUICE_CHECK(Tokenize(text, p, c, sink, unexpected) == TokenizeStop::kDone);
    SLUICE_CHECK(sink.row() == first_row[i + 1]);
  });

  std::vector<Column> columns;
  columns.reserve(num_columns);
  for (size_t c = 0; c < num_columns; ++c) columns.push_back(buffers[c].Finish(names[c]));
  return Table::Make(std::move(columns));
}

}  // namespace sluice::table::internal
