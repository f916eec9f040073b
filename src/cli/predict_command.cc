// sluice predict: batch inference over a file, or streaming inference over stdin/stdout.
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <streambuf>

#include "base/progress.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "models/predictor.h"
#include "serving/batch.h"
#include "serving/stream.h"

namespace sluice::cli {
namespace {

using Json = nlohmann::json;

struct PredictFlags {
  std::string model;
  std::string input, output;
  bool stream = false;
  double threshold = 0.5;
  bool keep_columns = true;
  size_t chunk_rows = 65536;
  size_t threads = 0;
};

// Standard input with a buffer that says how much is readable without blocking (FIONREAD), so
// the stream scores together the lines that have already arrived; std::cin synced with stdio
// cannot tell.
class DescriptorInput final : public std::streambuf {
 public:
  explicit DescriptorInput(int fd) : fd_(fd) {}
  int error() const { return error_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    ssize_t n = 0;
    do {
      n = ::read(fd_, buffer_, sizeof buffer_);
    } while (n < 0 && errno == EINTR);
    if (n < 0) error_ = errno;
    if (n <= 0) return traits_type::eof();
    setg(buffer_, buffer_, buffer_ + n);
    return traits_type::to_int_type(*gptr());
  }

  std::streamsize showmanyc() override {
    int available = 0;
    if (::ioctl(fd_, FIONREAD, &available) != 0) return 0;
    return available;
  }

 private:
  const int fd_;
  int error_ = 0;
  char buffer_[1 << 16];
};

struct LoadedModel {
  std::string version;  // "" for runs:/
  models::Bundle bundle;
  std::unique_ptr<models::Predictor> predictor;
};

Result<LoadedModel> LoadModel(Session& s, const std::string& uri) {
  LoadedModel model;
  std::string pinned = uri;
  if (uri.starts_with("models:/")) {
    SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion version, s.registry->Resolve(uri));
    model.version = version.version;
    pinned = "models:/" + version.name + "/" + version.version;
  }
  SLUICE_ASSIGN_OR_RETURN(auto files, s.registry->ModelFiles(pinned, *s.artifacts));
  SLUICE_ASSIGN_OR_RETURN(model.bundle, models::ReadBundle(files).WithContext(pinned));
  SLUICE_ASSIGN_OR_RETURN(model.predictor, models::LoadPredictor(model.bundle));
  model.bundle.model_bytes.clear();  // compiled into the predictor
  return model;
}

Status RunStream(const LoadedModel& model, const PredictFlags& f) {
  DescriptorInput input(STDIN_FILENO);
  std::istream in(&input);
  SLUICE_RETURN_IF_ERROR(serving::PredictStream(model.bundle, *model.predictor, in, std::cout,
                                                {.threshold = f.threshold}));
  if (input.error() != 0)
    return Internal("cannot read standard input: {}", strerror(input.error()));
  return Status::Ok();
}

Status RunBatch(const LoadedModel& model, const PredictFlags& f, const GlobalOptions& global) {
  std::unique_ptr<ProgressBar> bar;
  serving::BatchOptions options{.input = f.input,
                                .output = f.output,
                                .keep_columns = f.keep_columns,
                                .threshold = f.threshold,
                                .rows_per_chunk = f.chunk_rows,
                                .threads = f.threads};
  options.on_progress = [&bar, &f](uint64_t done, uint64_t total) {
    if (!bar)
      bar = std::make_unique<ProgressBar>("predicting " + f.input, total, ProgressUnit::kBytes);
    if (done > bar->done()) bar->Advance(done - bar->done());
  };
  const auto start = std::chrono::steady_clock::now();
  Result<serving::BatchResult> result =
      serving::PredictFile(model.bundle, *model.predictor, options);
  if (bar) bar->Finish();
  if (!result.ok()) return result.status();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = seconds > 0 ? static_cast<double>(result->rows_written) / seconds : 0.0;
  if (global.json) {
    PrintJson({{"model", f.model},
               {"model_version", model.version.empty() ? Json(nullptr) : Json(model.version)},
               {"task", models::TaskName(model.bundle.target.task)},
               {"input", f.input},
               {"output", f.output},
               {"rows", result->rows_written},
               {"input_bytes", result->input_bytes},
               {"chunks", result->chunks},
               {"seconds", seconds},
               {"rows_per_second", rate},
               {"columns", result->columns}});
    return Status::Ok();
  }
  std::cout << "model    " << f.model
            << (model.version.empty() ? "" : " (version " + model.version + ")") << ", "
            << models::TaskName(model.bundle.target.task) << "\n"
            << "rows     " << result->rows_written << " (" << f.input << " -> " << f.output << ")\n"
            << "time     " << fmt::format("{:.2f} s, {:.0f} rows/s", seconds, rate) << "\n";
  return Status::Ok();
}

}  // namespace

void AddPredictCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand(
      "predict",
      "Score data with a model: a CSV, TSV or JSONL file of any size into a CSV or JSONL file "
      "(all cores, rows in input order, written atomically), or NDJSON lines from stdin to "
      "stdout (--stream)");
  auto f = std::make_shared<PredictFlags>();
  cmd->add_option("--model", f->model,
                  "models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/<stage> or "
                  "runs:/<run-id>/model")
      ->required();
  CLI::Option* input =
      cmd->add_option("--input", f->input,
                      "File to score: .csv, .tsv, .jsonl or .ndjson, with a header row for "
                      "CSV/TSV; columns that are not model inputs are carried along");
  CLI::Option* output = cmd->add_option(
      "--output", f->output,
      "File to write: .csv, or .jsonl/.ndjson; replaced only when every row was scored");
  CLI::Option* stream = cmd->add_flag(
      "--stream", f->stream,
      "Read NDJSON from stdin (one object of column -> value per line, optional \"id\"), write "
      "one NDJSON answer per line to stdout; a bad line gets {\"error\": ..., \"line\": N} and "
      "the stream goes on");
  stream->excludes(input)->excludes(output);
  cmd->add_option("--threshold", f->threshold,
                  "Binary models: predicted_label is the positive class when its probability is "
                  ">= this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--keep-columns", f->keep_columns,
                  "Batch: write each input row's columns before the prediction (false: the "
                  "prediction columns only)")
      ->default_str("true");
  cmd->add_option("--chunk-rows", f->chunk_rows, "Batch: rows scored together")
      ->check(CLI::Range(size_t{1}, size_t{1} << 24))
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "Batch: scoring threads (default: one per core)")
      ->check(CLI::Range(0, 1024));
  AddCommonFlags(*cmd, context);
  cmd->footer(
      "Output columns: the input's (unless --keep-columns=false), then by task\n"
      "  binary      prediction (probability of the positive class), predicted_label\n"
      "  multiclass  prob_<class> for each class, predicted_label\n"
      "  regression  prediction\n"
      "Examples:\n"
      "  sluice predict --model models:/churn/3 --input big.csv --output scores.csv\n"
      "  sluice predict --model models:/churn@production --stream < requests.ndjson > "
      "scores.ndjson");
  const GlobalOptions& global = context.global;
  cmd->callback(SessionCommand(context, [f, cmd, &global](Session& s) -> Status {
    if (!f->stream && (f->input.empty() || f->output.empty())) {
      return InvalidArgument("give --input and --output (batch), or --stream");
    }
    SLUICE_ASSIGN_OR_RETURN(LoadedModel model, LoadModel(s, f->model));
    if (cmd->count("--threshold") > 0 && model.bundle.target.task != models::Task::kBinary) {
      return InvalidArgument("--threshold applies to binary models; {} is {}", f->model,
                             models::TaskName(model.bundle.target.task));
    }
    return f->stream ? RunStream(model, *f) : RunBatch(model, *f, global);
  }));
}

}  // namespace sluice::cli
