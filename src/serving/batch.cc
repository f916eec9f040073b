// PredictFile: the calling thread reads chunks and writes results; a pool scores and formats them.
// Results are written strictly in chunk order, and reading waits while max_chunks_in_flight
// chunks are unwritten, which bounds memory whatever the file's size.
#include "serving/batch.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "base/file_util.h"
#include "base/json_text.h"
#include "base/random.h"
#include "base/thread_pool.h"
#include "serving/inputs.h"
#include "serving/internal/json_text.h"

namespace sluice::serving {
namespace {

using Json = nlohmann::json;
using internal::AppendJsonNumber;
using internal::AppendJsonValue;

}  // namespace

// ---- prediction fields ---------------------------------------------------------------------

PredictionFields::PredictionFields(const models::Target& target, double threshold)
    : task_(target.task), classes_(target.classes), threshold_(threshold) {
  switch (task_) {
    case models::Task::kBinary:
      names_ = {"prediction", "predicted_label"};
      break;
    case models::Task::kMulticlass:
      for (const std::string& c : classes_) names_.push_back("prob_" + c);
      names_.push_back("predicted_label");
      break;
    case models::Task::kRegression:
      names_ = {"prediction"};
      break;
  }
  for (const std::string& name : names_) {
    std::string key;
    AppendJsonString(key, name);
    json_keys_.push_back(key + ":");
  }
}

size_t PredictionFields::Label(std::span<const double> row) const {
  if (task_ == models::Task::kBinary) return row[0] >= threshold_ ? 1 : 0;
  size_t best = 0;
  for (size_t c = 1; c < row.size(); ++c) {
    if (row[c] > row[best]) best = c;
  }
  return best;
}

std::vector<table::Column> PredictionFields::Columns(std::span<const double> scores,
                                                     size_t rows) const {
  const size_t outputs = task_ == models::Task::kMulticlass ? classes_.size() : 1;
  std::vector<std::vector<double>> values(outputs, std::vector<double>(rows));
  std::vector<std::string> labels;
  if (task_ != models::Task::kRegression) labels.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    std::span<const double> row = scores.subspan(r * outputs, outputs);
    for (size_t c = 0; c < outputs; ++c) values[c][r] = row[c];
    if (!labels.empty()) labels[r] = classes_[Label(row)];
  }
  std::vector<table::Column> columns;
  for (size_t c = 0; c < outputs; ++c) {
    columns.push_back(table::Column::Float64(names_[c], std::move(values[c])));
  }
  if (!labels.empty()) columns.push_back(table::Column::String(names_.back(), std::move(labels)));
  return columns;
}

void PredictionFields::AppendJson(std::span<const double> row, std::string& out) const {
  const size_t outputs = task_ == models::Task::kMulticlass ? classes_.size() : 1;
  for (size_t c = 0; c < outputs; ++c) {
    if (c > 0) out += ',';
    out += json_keys_[c];
    AppendJsonNumber(out, row[c]);
  }
  if (task_ != models::Task::kRegression) {
    out += ',';
    out += json_keys_.back();
    AppendJsonString(out, classes_[Label(row)]);
  }
}

namespace {

// ---- formats and files ---------------------------------------------------------------------

enum class Format { kCsv, kTsv, kJsonl };

Result<Format> InputFormat(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".csv") return Format::kCsv;
  if (ext == ".tsv") return Format::kTsv;
  if (ext == ".jsonl" || ext == ".ndjson") return Format::kJsonl;
  return InvalidArgument("input '{}': unsupported extension; use .csv, .tsv, .jsonl or .ndjson",
                         path.string());
}

Result<Format> OutputFormat(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".csv") return Format::kCsv;
  if (ext == ".jsonl" || ext == ".ndjson") return Format::kJsonl;
  return InvalidArgument("output '{}': unsupported extension; use .csv, .jsonl or .ndjson",
                         path.string());
}

// The output file while it is written: a temporary file beside it, renamed over it by Commit and
// removed otherwise.
class TempOutput {
 public:
  TempOutput() = default;
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;
  ~TempOutput() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_.empty() && !committed_) {
      std::error_code ignored;
      std::filesystem::remove(temp_, ignored);
    }
  }

  Status Open(const std::filesystem::path& file) {
    file_ = file;
    std::filesystem::path dir = file.parent_path();
    if (dir.empty()) dir = ".";
    std::error_code error;
    if (!std::filesystem::is_directory(dir, error)) {
      return NotFound("output '{}': the folder '{}' does not exist", file.string(), dir.string());
    }
    temp_ = dir / fmt::format(".{}.tmp-{}", file.filename().string(), RandomHex(12));
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      const int saved = errno;
      temp_.clear();
      return ErrnoError(saved, "cannot create a file in", dir);
    }
    return Status::Ok();
  }

  Status Write(std::string_view bytes) { return WriteAll(fd_, bytes, temp_); }

  Status Commit() {
    if (::fsync(fd_) != 0) return ErrnoError(errno, "cannot sync", temp_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoError(errno, "cannot close", temp_);
    std::error_code error;
    std::filesystem::rename(temp_, file_, error);
    if (error) return ErrnoError(error.value(), "cannot rename a temporary file to", file_);
    committed_ = true;
    std::filesystem::path dir = file_.parent_path();
    return FsyncDirectory(dir.empty() ? "." : dir);
  }

 private:
  std::filesystem::path file_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

std::string NameList(const std::vector<std::string>& names) {
  constexpr size_t kShown = 10;
  if (names.empty()) return "none";
  std::vector<std::string_view> shown(names.begin(),
                                      names.begin() + std::min(names.size(), kShown));
  return fmt::format("{}{}", fmt::join(shown, ", "), names.size() > kShown ? ", ..." : "");
}

Status CheckNoClash(const std::vector<std::string>& columns, const PredictionFields& fields,
                    std::string_view what) {
  for (const std::string& name : fields.names()) {
    if (std::find(columns.begin(), columns.end(), name) != columns.end()) {
      return InvalidArgument(
          "{} '{}' has the name of a prediction field the output adds; rename it, or write the "
          "predictions only (keep_columns false, --keep-columns=false)",
          what, name);
    }
  }
  return Status::Ok();
}

// ---- chunks --------------------------------------------------------------------------------

struct Line {
  uint64_t number = 0;  // 1-based, in the file
  std::string text;
};

struct Chunk {
  uint64_t first_row = 0;   // 0-based index of its first data row in the file
  table::Table table;       // CSV input
  std::vector<Line> lines;  // JSONL input
  size_t rows() const { return lines.empty() ? table.num_rows() : lines.size(); }
};

class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  virtual Result<std::optional<Chunk>> Next() = 0;
  virtual uint64_t bytes_done() const = 0;
};

class CsvSource final : public ChunkSource {
 public:
  static Result<std::unique_ptr<CsvSource>> Open(const std::filesystem::path& path, char delimiter,
                                                 const models::Bundle& bundle,
                                                 const PredictionFields& fields, bool keep_columns,
                                                 size_t rows_per_chunk) {
    table::CsvOptions options;
    options.delimiter = delimiter;
    // Read once for the header, then again with every column's type fixed: model inputs as the
    // model was trained (numbers as float64, so a later 2.5 in an integer column is no error),
    // other columns as strings (passed through, never a type error in row 900,000).
    SLUICE_ASSIGN_OR_RETURN(table::CsvChunkReader probe,
                            table::CsvChunkReader::Open(path, options, 1));
    const std::vector<std::string> names = probe.column_names();
    for (const models::InputColumn& input : bundle.encoder.inputs()) {
      if (std::find(names.begin(), names.end(), input.name) == names.end()) {
        return InvalidArgument("{}: the model's input '{}' is not a column; the file has: {}",
                               path.string(), input.name, NameList(names));
      }
    }
    if (keep_columns) {
      SLUICE_RETURN_IF_ERROR(CheckNoClash(names, fields, "column").WithContext(path.string()));
    }
    for (const std::string& name : names) options.types[name] = table::Type::kString;
    for (const models::InputColumn& input : bundle.encoder.inputs()) {
      switch (input.type) {
        case table::Type::kFloat64:
        case table::Type::kInt64:
          options.types[input.name] = table::Type::kFloat64;
          break;
        case table::Type::kBool:  // "true" and 1 both encode; let the file say which it holds
          options.types.erase(input.name);
          break;
        case table::Type::kString:
        case table::Type::kTimestamp:
          options.types[input.name] = input.type;
          break;
      }
    }
    SLUICE_ASSIGN_OR_RETURN(table::CsvChunkReader reader,
                            table::CsvChunkReader::Open(path, options, rows_per_chunk));
    return std::unique_ptr<CsvSource>(new CsvSource(std::move(reader)));
  }

  const std::vector<std::string>& column_names() const { return reader_.column_names(); }

  Result<std::optional<Chunk>> Next() override {
    SLUICE_ASSIGN_OR_RETURN(std::optional<table::Table> table, reader_.Next());
    if (!table) return std::optional<Chunk>();
    Chunk chunk{.first_row = rows_, .table = std::move(*table)};
    rows_ += chunk.table.num_rows();
    return std::optional<Chunk>(std::move(chunk));
  }

  uint64_t bytes_done() const override { return reader_.bytes_consumed(); }

 private:
  explicit CsvSource(table::CsvChunkReader reader) : reader_(std::move(reader)) {}

  table::CsvChunkReader reader_;
  uint64_t rows_ = 0;
};

class JsonlSource final : public ChunkSource {
 public:
  JsonlSource(const std::filesystem::path& path, size_t rows_per_chunk, uint64_t total_bytes)
      : path_(path), rows_per_chunk_(rows_per_chunk), total_bytes_(total_bytes) {}

  Status Open() {
    in_.rdbuf()->pubsetbuf(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    in_.open(path_, std::ios::binary);
    if (!in_) return ErrnoError(errno, "cannot open", path_);
    return Status::Ok();
  }

  Result<std::optional<Chunk>> Next() override {
    Chunk chunk{.first_row = rows_};
    std::string text;
    while (chunk.lines.size() < rows_per_chunk_ && std::getline(in_, text)) {
      ++line_;
      bytes_ += text.size() + 1;
      if (line_ == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.find_first_not_of(" \t") == std::string::npos) continue;  // blank: skipped
      chunk.lines.push_back({.number = line_, .text = std::move(text)});
    }
    if (in_.bad()) return ErrnoError(errno, "cannot read", path_);
    bytes_ = std::min(bytes_, total_bytes_);
    if (chunk.lines.empty()) return std::optional<Chunk>();
    rows_ += chunk.lines.size();
    return std::optional<Chunk>(std::move(chunk));
  }

  uint64_t bytes_done() const override { return bytes_; }

 private:
  const std::filesystem::path path_;
  const size_t rows_per_chunk_;
  const uint64_t total_bytes_;
  std::vector<char> buffer_ = std::vector<char>(size_t{1} << 20);
  std::ifstream in_;
  uint64_t line_ = 0;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
};

// ---- scoring and formatting one chunk ------------------------------------------------------

struct Job {
  const models::Bundle& bundle;
  const models::Predictor& predictor;
  const PredictionFields& fields;
  std::string input_name;
  Format input;
  Format output;
  bool keep_columns;
  std::string csv_header;  // of the output, stripped from each chunk's CSV text
};

struct ChunkOutput {
  std::string text;
  size_t skip = 0;  // bytes at the start of `text` that are not written (a repeated CSV header)
  size_t rows = 0;
};

// An ostream target appending to a string: WriteCsv's output lands in the chunk's text without
// the copies an ostringstream makes.
class StringOutput final : public std::streambuf {
 public:
  explicit StringOutput(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* data, std::streamsize n) override {
    out_.append(data, static_cast<size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) out_ += traits_type::to_char_type(c);
    return traits_type::not_eof(c);
  }

 private:
  std::string& out_;
};

// Parsed JSON takes ~100 bytes per value, so lines are decoded this many at a time.
constexpr size_t kDecodeLines = 1024;

// Lines [begin, end) of the chunk: the table of the model's inputs, or the first error naming
// its line.
Result<table::Table> DecodeLineRange(const Job& job, const Chunk& chunk, size_t begin, size_t end) {
  const std::vector<models::InputColumn>& inputs = job.bundle.encoder.inputs();
  Json records = Json::array();
  for (size_t i = begin; i < end; ++i) {
    const Line& line = chunk.lines[i];
    auto fail = [&](const Status& status) {
      return status.WithContext(fmt::format("jsonl line {}", line.number));
    };
    Json object = Json::parse(line.text, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded()) return fail(InvalidArgument("not valid JSON"));
    if (!object.is_object()) {
      return fail(InvalidArgument("expected a JSON object, got {}", object.type_name()));
    }
    if (job.keep_columns && job.output == Format::kJsonl) {
      for (const std::string& name : job.fields.names()) {
        if (object.contains(name)) return fail(CheckNoClash({name}, job.fields, "field"));
      }
    }
    Json record = Json::object();
    for (const models::InputColumn& input : inputs) {
      auto it = object.find(input.name);
      if (it == object.end() && chunk.first_row == 0 && i == 0) {
        return fail(
            InvalidArgument("the model's input '{}' is missing (the first line must name "
                            "every input; later lines may leave some out)",
                            input.name));
      }
      record[input.name] = it == object.end() ? Json(nullptr) : std::move(*it);
    }
    records.push_back(std::move(record));
  }
  Result<table::Table> decoded = DecodeRecords(records, inputs);
  if (decoded.ok()) return decoded;
  // Only now one line at a time, to name the line of the bad value.
  for (size_t i = 0; i < records.size(); ++i) {
    Result<table::Table> one = DecodeRecords(records[i], inputs);
    if (!one.ok()) {
      // DecodeRecords numbers the rows of its request, "row 0" here; the line number says more.
      std::string message = one.status().message();
      if (size_t at = message.find("' row 0: "); at != std::string::npos) {
        message.replace(at, 9, "': ");
      }
      return Status(one.status().code(), std::move(message))
          .WithContext(fmt::format("jsonl line {}", chunk.lines[begin + i].number));
    }
  }
  return decoded;
}

// The table of the model's inputs from JSONL lines: other keys are ignored, an absent key is a
// missing value. The file's first line must hold every input, so a file of the wrong columns
// fails at once instead of scoring nulls.
Result<table::Table> DecodeLines(const Job& job, const Chunk& chunk) {
  std::vector<table::Table> parts;
  for (size_t begin = 0; begin < chunk.lines.size(); begin += kDecodeLines) {
    const size_t end = std::min(begin + kDecodeLines, chunk.lines.size());
    SLUICE_ASSIGN_OR_RETURN(table::Table part, DecodeLineRange(job, chunk, begin, end));
    parts.push_back(std::move(part));
  }
  if (parts.size() == 1) return std::move(parts.front());
  return table::Concat(parts);
}

Result<ChunkOutput> FormatCsv(const Job& job, const table::Table& kept,
                              std::span<const double> scores, size_t rows) {
  std::vector<table::Column> columns;
  if (job.keep_columns) columns = kept.columns();
  for (table::Column& c : job.fields.Columns(scores, rows)) columns.push_back(std::move(c));
  SLUICE_ASSIGN_OR_RETURN(table::Table out, table::Table::Make(std::move(columns)));
  ChunkOutput result{.rows = rows};
  StringOutput buffer(result.text);
  std::ostream text(&buffer);
  SLUICE_RETURN_IF_ERROR(table::WriteCsv(out, text));
  if (!result.text.starts_with(job.csv_header)) {
    return Internal("csv chunk header differs from the file's");
  }
  result.skip = job.csv_header.size();
  return result;
}

ChunkOutput FormatJsonl(const Job& job, const Chunk& chunk, std::span<const double> scores,
                        size_t rows) {
  const size_t outputs = job.predictor.num_outputs();
  std::vector<std::string> keys;
  const table::Table& kept = chunk.table;
  if (job.keep_columns && job.input != Format::kJsonl) {
    for (const table::Column& c : kept.columns()) {
      std::string key;
      AppendJsonString(key, c.name());
      keys.push_back(key + ":");
    }
  }
  std::string out;
  for (size_t r = 0; r < rows; ++r) {
    std::span<const double> row = scores.subspan(r * outputs, outputs);
    if (job.keep_columns && job.input == Format::kJsonl) {
      // The line as it came, with the fields before its closing brace.
      std::string_view line = chunk.lines[r].text;
      line = line.substr(0, line.find_last_not_of(" \t\r\n") + 1);
      line.remove_suffix(1);  // the '}' (the line parsed as an object)
      const bool empty = line.find_last_not_of(" \t\r\n") == line.find_first_of('{');
      out += line;
      if (!empty) out += ',';
    } else {
      out += '{';
      for (size_t c = 0; c < keys.size(); ++c) {
        out += keys[c];
        AppendJsonValue(out, kept.column(c), r);
        out += ',';
      }
    }
    job.fields.AppendJson(row, out);
    out += "}\n";
  }
  return ChunkOutput{.text = std::move(out), .rows = rows};
}

Result<ChunkOutput> ScoreChunk(const Job& job, const Chunk& chunk) {
  table::Table inputs = chunk.table;
  if (job.input == Format::kJsonl) {
    SLUICE_ASSIGN_OR_RETURN(inputs, DecodeLines(job, chunk));
  }
  const size_t rows = chunk.rows();
  auto context = [&] {
    return fmt::format("rows {}-{}", chunk.first_row + 1, chunk.first_row + rows);
  };
  Result<std::vector<double>> scores = job.predictor.Predict(inputs);
  if (!scores.ok()) return scores.status().WithContext(context());
  if (scores->size() != rows * job.predictor.num_outputs()) {
    return Internal("{}: the model gave {} scores for {} rows of {} outputs", context(),
                    scores->size(), rows, job.predictor.num_outputs());
  }
  if (job.output == Format::kCsv) return FormatCsv(job, inputs, *scores, rows);
  return FormatJsonl(job, chunk, *scores, rows);
}

Result<ChunkOutput> ScoreChunkSafely(const Job& job, const Chunk& chunk) {
  try {
    return ScoreChunk(job, chunk).WithContext(job.input_name);
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("{}: out of memory scoring a chunk of {} rows", job.input_name,
                             chunk.rows());
  } catch (const std::exception& e) {
    return Internal("{}: scoring rows {}-: {}", job.input_name, chunk.first_row + 1, e.what());
  }
}

Status ValidateOptions(const BatchOptions& options) {
  if (!(options.threshold >= 0.0 && options.threshold <= 1.0)) {
    return InvalidArgument("threshold {} is outside [0, 1]", options.threshold);
  }
  if (options.rows_per_chunk == 0) return InvalidArgument("rows_per_chunk must be positive");
  std::error_code error;
  if (std::filesystem::equivalent(options.input, options.output, error)) {
    return InvalidArgument("the output '{}' is the input file", options.output.string());
  }
  return Status::Ok();
}

std::string CsvHeader(const std::vector<std::string>& names) {
  std::vector<table::Column> columns;
  for (const std::string& name : names) columns.push_back(table::Column::Float64(name, {}));
  Result<table::Table> empty = table::Table::Make(std::move(columns));
  if (!empty.ok()) return "";
  std::ostringstream text;
  if (!table::WriteCsv(*empty, text).ok()) return "";
  return std::move(text).str();
}

}  // namespace

Result<BatchResult> PredictFile(const models::Bundle& bundle, const models::Predictor& predictor,
                                const BatchOptions& options) {
  SLUICE_RETURN_IF_ERROR(ValidateOptions(options));
  SLUICE_ASSIGN_OR_RETURN(Format input, InputFormat(options.input));
  SLUICE_ASSIGN_OR_RETURN(Format output, OutputFormat(options.output));
  const PredictionFields fields(bundle.target, options.threshold);
  std::error_code size_error;
  const uint64_t total_bytes = std::filesystem::file_size(options.input, size_error);
  if (size_error) {
    return ErrnoError(size_error.value(), "cannot read", options.input);
  }

  BatchResult result;
  result.input_bytes = total_bytes;
  std::unique_ptr<ChunkSource> source;
  std::vector<std::string> kept_names;
  if (input == Format::kJsonl) {
    auto jsonl = std::make_unique<JsonlSource>(options.input, options.rows_per_chunk, total_bytes);
    SLUICE_RETURN_IF_ERROR(jsonl->Open());
    source = std::move(jsonl);
    for (const models::InputColumn& in : bundle.encoder.inputs()) kept_names.push_back(in.name);
    if (options.keep_columns && output == Format::kCsv) {
      SLUICE_RETURN_IF_ERROR(CheckNoClash(kept_names, fields, "input"));
    }
  } else {
    SLUICE_ASSIGN_OR_RETURN(
        std::unique_ptr<CsvSource> csv,
        CsvSource::Open(options.input, input == Format::kTsv ? '\t' : ',', bundle, fields,
                        options.keep_columns, options.rows_per_chunk));
    kept_names = csv->column_names();
    source = std::move(csv);
  }
  if (options.keep_columns) result.columns = kept_names;
  for (const std::string& name : fields.names()) result.columns.push_back(name);

  const Job job{.bundle = bundle,
                .predictor = predictor,
                .fields = fields,
                .input_name = options.input.string(),
                .input = input,
                .output = output,
                .keep_columns = options.keep_columns,
                .csv_header = CsvHeader(result.columns)};
  TempOutput file;
  SLUICE_RETURN_IF_ERROR(file.Open(options.output));
  if (output == Format::kCsv) SLUICE_RETURN_IF_ERROR(file.Write(job.csv_header));

  const size_t threads = options.threads > 0 ? options.threads : ThreadPool::DefaultThreads();
  const size_t max_in_flight =
      options.max_chunks_in_flight > 0 ? options.max_chunks_in_flight : threads + 2;
  // Chunks submitted and not yet written: the queue, plus the one the writer holds.
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::future<Result<ChunkOutput>>> queue;  // guarded by mutex
  size_t in_flight = 0;                                // guarded by mutex
  bool reading_done = false;                           // guarded by mutex
  Status error;                                        // guarded by mutex; the first one
  std::atomic<uint64_t> bytes_read = 0;                // for progress: the source's estimate
  // Declared after everything its tasks use, so that its destructor, which runs the tasks still
  // queued, comes first on every return path.
  ThreadPool pool(threads);

  // Writing on its own thread keeps the reader, the slowest stage, reading.
  std::jthread writer([&] {
    for (;;) {
      std::future<Result<ChunkOutput>> next;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return !queue.empty() || reading_done || !error.ok(); });
        if (!error.ok() || queue.empty()) return;
        next = std::move(queue.front());
        queue.pop_front();
      }
      Result<ChunkOutput> chunk = next.get();
      Status written = chunk.ok() ? file.Write(std::string_view(chunk->text).substr(chunk->skip))
                                  : chunk.status();
      if (written.ok()) {
        result.rows_written += chunk->rows;
        if (options.on_progress) options.on_progress(bytes_read.load(), total_bytes);
      }
      std::lock_guard lock(mutex);
      --in_flight;
      if (!written.ok() && error.ok()) error = std::move(written);
      changed.notify_all();
    }
  });

  // Reading; an exception (out of memory) must still let the writer finish, or join would hang.
  try {
    for (;;) {
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return in_flight < max_in_flight || !error.ok(); });
        if (!error.ok()) break;
      }
      Result<std::optional<Chunk>> next = source->Next();
      if (!next.ok() || !next->has_value()) {
        std::lock_guard lock(mutex);
        if (!next.ok() && error.ok()) error = next.status();
        break;
      }
      bytes_read = source->bytes_done();
      auto chunk = std::make_shared<const Chunk>(std::move(**next));
      result.rows_read += chunk->rows();
      ++result.chunks;
      std::future<Result<ChunkOutput>> scored =
          pool.Submit([&job, chunk] { return ScoreChunkSafely(job, *chunk); });
      std::lock_guard lock(mutex);
      queue.push_back(std::move(scored));
      ++in_flight;
      result.peak_chunks_in_flight = std::max(result.peak_chunks_in_flight, in_flight);
      changed.notify_all();
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex);
    if (error.ok()) error = Internal("{}: reading: {}", options.input.string(), e.what());
  }
  {
    std::lock_guard lock(mutex);
    reading_done = true;
    changed.notify_all();
  }
  writer.join();
  if (!error.ok()) return error;  // the pool finishes the chunks still queued before it goes
  if (result.rows_written != result.rows_read) {
    return Internal("{}: read {} rows but wrote {}", options.input.string(), result.rows_read,
                    result.rows_written);
  }
  SLUICE_RETURN_IF_ERROR(file.Commit());
  if (options.on_progress) options.on_progress(total_bytes, total_bytes);
  return result;
}

}  // namespace sluice::serving
