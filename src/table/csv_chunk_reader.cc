// CsvChunkReader: over a buffer that grows until it holds a chunk of records, the two passes of
// the whole-file reader for the first chunk (unless every type is given), then, with the types
// fixed, one pass per chunk that parses each value straight into its typed column.
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <utility>

#include "base/file_descriptor.h"
#include "base/file_util.h"
#include "table/internal/csv_convert.h"
#include "table/internal/csv_reader.h"
#include "table/internal/csv_tokenizer.h"
#include "table/internal/value_parse.h"
#include "table/table.h"

namespace sluice::table {
namespace {

constexpr size_t kReadBytes = size_t{1} << 20;
// Marks the error for a value that does not fit a type inferred from the first chunk.
constexpr std::string_view kInferredTypeNote = "the type inferred from the first";

}  // namespace

struct CsvChunkReader::State {
  State(std::filesystem::path p, CsvOptions o, size_t rows, int fd)
      : path(std::move(p)),
        options(std::move(o)),
        rows_per_chunk(rows),
        file(fd),
        is_null(options.null_values) {}

  // Appends up to `bytes` more of the file to `buffer` (fewer only at its end).
  Status ReadMore(size_t bytes) {
    size_t filled = buffer.size();
    buffer.resize(filled + bytes);
    while (filled < buffer.size()) {
      ssize_t n = ::read(file.get(), buffer.data() + filled, buffer.size() - filled);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        buffer.resize(filled);
        return ErrnoError(errno, "cannot read", path);
      }
      if (n == 0) {
        eof = true;
        break;
      }
      filled += static_cast<size_t>(n);
    }
    buffer.resize(filled);
    return Status::Ok();
  }

  // Reading more: at least kReadBytes, and as much as is buffered, so that a chunk that needs
  // many reads is scanned a number of times logarithmic in its size.
  Status ReadMore() { return ReadMore(std::max(kReadBytes, buffer.size())); }

  Status Fail(Status status) {
    error = std::move(status).WithContext(path.string());
    return error;
  }

  internal::TokenizeParams Params() const {
    return {.delimiter = options.delimiter, .at_eof = eof, .num_columns = names.size()};
  }

  Result<std::optional<Table>> Next();
  // Next once every column's type is known.
  Result<std::optional<Table>> NextTyped(const std::vector<Type>& types, bool first_chunk);
  // The error of a chunk's scan, OK if none.
  Status ChunkError(const internal::ChunkScan& scan, bool first_chunk) const;

  const std::filesystem::path path;
  const CsvOptions options;
  const size_t rows_per_chunk;
  FileDescriptor file;
  const internal::NullMatcher is_null;

  bool eof = false;
  std::string buffer;      // a stretch of the file
  size_t begin = 0;        // in `buffer`: where the unread records start
  uint64_t erased = 0;     // bytes of the file dropped from the front of `buffer`
  uint64_t line_base = 0;  // line breaks in the file before `begin`
  uint64_t file_size = 0;  // when opened, for estimates only
  std::vector<std::string> names;
  std::vector<std::optional<Type>> overrides;
  std::vector<std::optional<Type>> fixed;  // every column's type, once the first chunk is read
  std::vector<Type> typed;                 // the same without optional, or all overrides
  size_t first_chunk_rows = 0;
  Status error;  // sticky
};

Result<CsvChunkReader> CsvChunkReader::Open(const std::filesystem::path& path, CsvOptions options,
                                            size_t rows_per_chunk) {
  SLUICE_RETURN_IF_ERROR(internal::ValidateCsvOptions(options));
  if (rows_per_chunk == 0) return InvalidArgument("rows_per_chunk must be positive");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open", path);
  auto state = std::make_unique<State>(path, std::move(options), rows_per_chunk, fd);
  struct stat info {};
  if (::fstat(fd, &info) != 0) return ErrnoError(errno, "cannot stat", path);
  if (S_ISDIR(info.st_mode)) {
    return InvalidArgument("cannot read '{}': it is a folder, not a file", path.string());
  }
  state->file_size = static_cast<uint64_t>(std::max<off_t>(info.st_size, 0));

  SLUICE_RETURN_IF_ERROR(state->ReadMore(kReadBytes));
  state->begin = internal::ByteOrderMarkSize(state->buffer);
  // The first record: the header, or the first row, which sets the width either way.
  internal::RecordSink first;
  internal::TokenizeParams params;
  internal::Cursor cursor;
  for (;;) {
    first = {};
    params = state->Params();
    params.max_rows = 1;
    cursor = {state->begin, 0};
    internal::TokenizeError error;
    const internal::TokenizeStop stop =
        internal::Tokenize(state->buffer, params, cursor, first, error);
    if (stop == internal::TokenizeStop::kError) {
      return InvalidArgument("{}: csv line {}: {}", path.string(), error.line + 1, error.message);
    }
    if ((stop == internal::TokenizeStop::kDone && params.num_columns > 0) || state->eof) break;
    SLUICE_RETURN_IF_ERROR(state->ReadMore());
  }
  if (params.num_columns == 0) return CsvChunkReader(std::move(state));  // an empty file

  auto names = internal::ColumnNamesFrom(first.fields, first.line, state->options);
  if (!names.ok()) return std::move(names).status().WithContext(path.string());
  state->names = std::move(names).value();
  auto overrides = internal::ResolveTypeOverrides(state->options, state->names);
  if (!overrides.ok()) return std::move(overrides).status().WithContext(path.string());
  state->overrides = std::move(overrides).value();
  if (std::all_of(state->overrides.begin(), state->overrides.end(),
                  [](const std::optional<Type>& t) { return t.has_value(); })) {
    for (const std::optional<Type>& type : state->overrides) state->typed.push_back(*type);
  }
  if (state->options.header) {
    state->begin = cursor.pos;
    state->line_base = cursor.line;
  }
  return CsvChunkReader(std::move(state));
}

Result<std::optional<Table>> CsvChunkReader::State::Next() {
  if (!error.ok()) return error;
  if (names.empty()) return std::optional<Table>();
  // Read records are dropped only once they are half the buffer, so that small chunks do not move
  // the rest of a large buffer each time.
  if (begin > 0 && begin >= buffer.size() / 2) {
    buffer.erase(0, begin);
    erased += begin;
    begin = 0;
  }

  const bool first_chunk = fixed.empty();
  if (!typed.empty()) return NextTyped(typed, first_chunk);

  // Pass 1, over more and more of the file until it holds the chunk.
  internal::TokenizeParams params;
  internal::ChunkScan scan;
  for (;;) {
    params = Params();
    params.max_rows = rows_per_chunk;
    scan = internal::ScanRecords(buffer, params, begin, first_chunk ? overrides : fixed, is_null);
    if (scan.stop == internal::TokenizeStop::kError || scan.rows == rows_per_chunk || eof) break;
    Status read = ReadMore();
    if (!read.ok()) return error = std::move(read);
  }
  Status status = ChunkError(scan, first_chunk);
  if (!status.ok()) return Fail(std::move(status));
  if (scan.rows == 0) return std::optional<Table>();
  if (first_chunk) {
    first_chunk_rows = scan.rows;
    for (const std::optional<Type>& type : scan.types) {
      fixed.push_back(type.value_or(Type::kFloat64));
      typed.push_back(*fixed.back());
    }
  }

  // Pass 2.
  std::vector<internal::ColumnBuffer> buffers(names.size());
  for (size_t c = 0; c < names.size(); ++c) {
    buffers[c].Allocate(*fixed[c], scan.rows, scan.null_counts[c] > 0);
  }
  params.max_rows = scan.rows;
  internal::Cursor cursor{begin, 0};
  internal::ConvertSink sink(buffers, is_null, 0);
  internal::TokenizeError unexpected;
  SLUICE_CHECK(internal::Tokenize(buffer, params, cursor, sink, unexpected) ==
               internal::TokenizeStop::kDone);
  // Pass 1 may have gone on past blank lines after the last record; pass 2 stops at the record.
  SLUICE_CHECK(sink.row() == scan.rows && cursor.pos <= scan.end.pos);
  begin = scan.end.pos;
  line_base += scan.end.line;

  std::vector<Column> columns;
  columns.reserve(names.size());
  for (size_t c = 0; c < names.size(); ++c) columns.push_back(buffers[c].Finish(names[c]));
  SLUICE_ASSIGN_OR_RETURN(Table table, Table::Make(std::move(columns)));
  return std::optional<Table>(std::move(table));
}

bool IsInferredTypeMismatch(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument &&
         status.message().find(kInferredTypeNote) != std::string::npos;
}

Status CsvChunkReader::State::ChunkError(const internal::ChunkScan& scan, bool first_chunk) const {
  Status status = internal::ScanError(scan, line_base, names);
  if (status.ok()) return status;
  const internal::BadValue* bad = scan.bad_value ? &*scan.bad_value : nullptr;
  if (internal::BadValueComesFirst(scan) && !first_chunk && !overrides[bad->column]) {
    // Not the user's type but our guess from the first chunk: say how to fix it.
    const Type fits = internal::JoinTypes(bad->type, internal::ClassifyValue(bad->value));
    status =
        Status(status.code(), fmt::format("{} ({} {} rows); to read it, set "
                                          "CsvOptions::types[\"{}\"] to {}",
                                          status.message(), kInferredTypeNote, first_chunk_rows,
                                          names[bad->column], TypeName(fits)));
  }
  return status;
}

Result<std::optional<Table>> CsvChunkReader::State::NextTyped(const std::vector<Type>& types,
                                                              bool first_chunk) {
  internal::TypedSink sink(types, is_null);
  // Rows for the rest of the file at the density of the text buffered, up to a chunk.
  const uint64_t left = file_size > erased + begin ? file_size - erased - begin : 0;
  sink.Reserve(std::min<uint64_t>(
      rows_per_chunk, internal::EstimateRows(std::string_view(buffer).substr(begin), left)));
  // One pass over more and more of the file, resuming at the record a read cut short.
  internal::ChunkScan scan;
  scan.begin = begin;
  scan.end = internal::Cursor{begin, 0};
  for (;;) {
    internal::TokenizeParams params = Params();
    params.max_rows = rows_per_chunk - sink.rows();
    scan.stop = internal::Tokenize(buffer, params, scan.end, sink, scan.error);
    if (scan.stop == internal::TokenizeStop::kNeedMore) {
      sink.DropPartialRecord();
    } else if (scan.stop == internal::TokenizeStop::kError || sink.ShouldStop() ||
               sink.rows() == rows_per_chunk || eof) {
      break;
    }
    Status read = ReadMore();
    if (!read.ok()) return error = std::move(read);
  }
  scan.rows = sink.rows();
  scan.bad_value = sink.bad_value();
  Status status = ChunkError(scan, first_chunk);
  if (!status.ok()) return Fail(std::move(status));
  if (scan.rows == 0) return std::optional<Table>();
  if (first_chunk) {
    first_chunk_rows = scan.rows;
    for (Type type : types) fixed.emplace_back(type);
  }
  begin = scan.end.pos;
  line_base += scan.end.line;

  std::vector<Column> columns;
  columns.reserve(names.size());
  for (size_t c = 0; c < names.size(); ++c) {
    columns.push_back(sink.columns()[c].Finish(names[c]));
  }
  SLUICE_ASSIGN_OR_RETURN(Table table, Table::Make(std::move(columns)));
  return std::optional<Table>(std::move(table));
}

CsvChunkReader::CsvChunkReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
CsvChunkReader::CsvChunkReader(CsvChunkReader&&) noexcept = default;
CsvChunkReader& CsvChunkReader::operator=(CsvChunkReader&&) noexcept = default;
CsvChunkReader::~CsvChunkReader() = default;

Result<std::optional<Table>> CsvChunkReader::Next() {
  try {
    return state_->Next();
  } catch (const std::bad_alloc&) {
    return state_->Fail(
        ResourceExhausted("out of memory reading a chunk of {} rows", state_->rows_per_chunk));
  }
}

const std::vector<std::string>& CsvChunkReader::column_names() const { return state_->names; }

uint64_t CsvChunkReader::bytes_consumed() const { return state_->erased + state_->begin; }

}  // namespace sluice::table
