#include "validation/internal/csv_pieces.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "base/file_util.h"

namespace sluice::validation::internal {

Result<std::unique_ptr<CsvPieceSource>> CsvPieceSource::Open(const std::filesystem::path& path,
                                                             char delimiter, size_t piece_bytes) {
  std::unique_ptr<CsvPieceSource> source(new CsvPieceSource(path, delimiter, piece_bytes));
  SLUICE_RETURN_IF_ERROR(source->Rewind());
  return source;
}

CsvPieceSource::~CsvPieceSource() {
  if (fd_ >= 0) ::close(fd_);
}

Status CsvPieceSource::Rewind() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return ErrnoError(errno, "cannot open", path_);
  if (std::filesystem::is_directory(path_)) {
    return InvalidArgument("cannot read '{}': it is a folder, not a file", path_.string());
  }
  eof_ = false;
  begin_ = end_ = 0;
  first_ = true;
  types_.clear();
  fallback_.clear();
  return ReadHeader();
}

Status CsvPieceSource::Fill(size_t bytes) {
  const size_t kept = end_ - begin_;
  if (kept + bytes > capacity_ - begin_) {
    // The rest moves to the front (a partial line, usually), into a larger buffer if need be.
    if (kept + bytes > capacity_) {
      const size_t capacity = std::max(kept + bytes, 2 * capacity_);
      std::unique_ptr<char[]> grown = std::make_unique_for_overwrite<char[]>(capacity);
      if (kept > 0) std::memcpy(grown.get(), data_.get() + begin_, kept);
      data_ = std::move(grown);
      capacity_ = capacity;
    } else if (kept > 0) {
      std::memmove(data_.get(), data_.get() + begin_, kept);
    }
    begin_ = 0;
    end_ = kept;
  }
  const size_t want = end_ + bytes;
  while (end_ < want) {
    const ssize_t n = ::read(fd_, data_.get() + end_, want - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "cannot read", path_);
    if (n == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status CsvPieceSource::ReadHeader() {
  size_t end = std::string::npos;
  while ((end = Text().find('\n')) == std::string::npos && !eof_) {
    SLUICE_RETURN_IF_ERROR(Fill(std::min(piece_bytes_, size_t{1} << 16)));
  }
  end = end == std::string::npos ? Text().size() : end + 1;
  // The header stays in the buffer: the first piece is parsed with it.
  header_ = std::string(Text().substr(0, end));
  if (header_.find('"') != std::string::npos) fallback_ = "the header has quoted fields";
  table::CsvOptions options;
  options.delimiter = delimiter_;
  Result<table::Table> header = table::ParseCsv(header_, options);
  if (!header.ok()) return std::move(header).status().WithContext(path_.string());
  names_ = header->ColumnNames();
  return Status::Ok();
}

Result<std::optional<table::Table>> CsvPieceSource::Next() {
  for (;;) {
    if (!fallback_.empty()) return FailedPrecondition("{}: {}", path_.string(), fallback_);
    if (Text().size() < piece_bytes_ && !eof_) {
      SLUICE_RETURN_IF_ERROR(Fill(piece_bytes_ - Text().size()));
    }
    if ((Text().empty() || (first_ && Text().size() == header_.size())) && eof_) {
      if (!first_) return std::optional<table::Table>();
      // A header and no rows: its columns, as ReadCsv gives them.
      first_ = false;
      begin_ = end_ = 0;
      table::CsvOptions options;
      options.delimiter = delimiter_;
      SLUICE_ASSIGN_OR_RETURN(table::Table empty,
                              table::ParseCsv(header_, options).WithContext(path_.string()));
      return std::optional<table::Table>(std::move(empty));
    }
    // The piece ends at its last line end; a line longer than a piece makes it grow, and the
    // first piece holds at least one line after the header.
    const size_t least = first_ ? header_.size() : 0;
    size_t cut = eof_ ? Text().size() : Text().rfind('\n');
    while (cut == std::string::npos || (!eof_ && cut < least)) {
      SLUICE_RETURN_IF_ERROR(Fill(piece_bytes_));
      cut = eof_ ? Text().size() : Text().rfind('\n');
    }
    if (!eof_) ++cut;
    // A cut inside a quoted field would leave it unterminated: an error for a later piece, which
    // falls back below, but the first piece's errors are reported, so it is checked here.
    if (first_ && std::memchr(Text().data(), '"', cut) != nullptr) {
      fallback_ = "the file has quoted fields";
      continue;
    }
    table::CsvOptions options;
    options.delimiter = delimiter_;
    Result<table::Table> parsed = table::Table();
    if (first_) {
      // The header and the first piece: errors here name the right lines.
      parsed = table::ParseCsv(Text().substr(0, cut), options);
      if (!parsed.ok()) return std::move(parsed).status().WithContext(path_.string());
      const bool last = eof_ && cut == Text().size();
      if (parsed->num_rows() == 0 && !last) {  // blank lines only so far: read on
        SLUICE_RETURN_IF_ERROR(Fill(piece_bytes_));
        continue;
      }
      for (size_t c = 0; c < parsed->num_columns(); ++c) {
        const table::Column& column = parsed->column(c);
        // A column with no value yet has no type yet (float64 is only the reader's default).
        if (column.null_count() == column.size() && !last) {
          fallback_ = "column '" + column.name() + "' has no values in the first part";
        }
        types_["column_" + std::to_string(c)] = column.type();
      }
      if (!fallback_.empty()) continue;
      first_ = false;
    } else {
      options.header = false;
      options.types = types_;
      options.column_memory = memory_;
      parsed = table::ParseCsv(Text().substr(0, cut), options);
      if (!parsed.ok()) {
        fallback_ =
            "a later part does not parse with the first part's types: " + parsed.status().message();
        continue;
      }
      if (parsed->num_columns() == 0) {  // blank lines only
        begin_ += cut;
        continue;
      }
      if (parsed->num_columns() != names_.size()) {
        fallback_ = "a later part has another number of fields";
        continue;
      }
      std::vector<table::Column> renamed;
      for (size_t c = 0; c < names_.size(); ++c) {
        renamed.push_back(parsed->column(c).Renamed(names_[c]));
      }
      SLUICE_ASSIGN_OR_RETURN(parsed, table::Table::Make(std::move(renamed)));
    }
    begin_ += cut;
    return std::optional<table::Table>(std::move(parsed).value());
  }
}

}  // namespace sluice::validation::internal
