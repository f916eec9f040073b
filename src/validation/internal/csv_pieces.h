// A CSV file read in large pieces cut at line ends, each parsed by table::ParseCsv on every core.
// A cut inside a quoted field leaves that piece's last quote open, an error like any other; so
// quotes are only ruled out in the first piece, whose errors are reported as the file's. Types
// come from the first piece (all its rows) and are fixed for the rest. Anything this fast path
// cannot promise — a quote in the first piece, a later piece that does not parse with those
// types — stops it with fallback() set, and the caller starts again with table::CsvChunkReader,
// whose errors name the exact line. Memory: one piece of text (8 MiB) and its parsed columns,
// twice while the next piece is parsed; the columns of pieces the caller gives back (Recycle) are
// parsed into again.
//
// Thread safety: one thread at a time, like any TableSource.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "table/table.h"
#include "validation/engine.h"

namespace sluice::validation::internal {

class CsvPieceSource final : public TableSource {
 public:
  static Result<std::unique_ptr<CsvPieceSource>> Open(const std::filesystem::path& path,
                                                      char delimiter,
                                                      size_t piece_bytes = size_t{8} << 20);
  ~CsvPieceSource() override;

  Result<std::optional<table::Table>> Next() override;
  std::vector<std::string> ColumnNames() const override { return names_; }
  Status Rewind() override;
  std::string Describe() const override { return path_.string(); }

  // Why the fast path gave up ("" while it has not): the caller should read the file another way.
  const std::string& fallback() const { return fallback_; }

  // A table Next returned, once the caller is done with it: later pieces are parsed into its
  // memory instead of fresh pages (table::CsvColumnMemory).
  void Recycle(table::Table table) { memory_->Recycle(std::move(table)); }

 private:
  CsvPieceSource(std::filesystem::path path, char delimiter, size_t piece_bytes)
      : path_(std::move(path)), delimiter_(delimiter), piece_bytes_(piece_bytes) {}
  Status ReadHeader();
  Status Fill(size_t bytes);

  const std::filesystem::path path_;
  const char delimiter_;
  const size_t piece_bytes_;
  int fd_ = -1;
  bool eof_ = false;
  // Unparsed text, data_[begin_, end_): the rest of the last piece read. Not a std::string, whose
  // resize would zero every piece's bytes before read() overwrites them.
  std::string_view Text() const { return {data_.get() + begin_, end_ - begin_}; }
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  std::vector<std::string> names_;
  std::string header_;  // the header line, for the first piece
  bool first_ = true;
  std::map<std::string, table::Type> types_;  // column_<i> -> type, after the first piece
  std::string fallback_;
  std::shared_ptr<table::CsvColumnMemory> memory_ = std::make_shared<table::CsvColumnMemory>();
};

}  // namespace sluice::validation::internal
