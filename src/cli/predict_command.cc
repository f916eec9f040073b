// sluice predict: batch inference over a file, streaming inference over stdin/stdout, or a
// consumer of a Redis stream.
#include <fmt/format.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>
#include <stop_token>
#include <streambuf>
#include <thread>

#include "base/clock.h"
#include "base/progress.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "models/predictor.h"
#include "serving/batch.h"
#include "serving/model_host.h"
#include "serving/redis_stream.h"
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
  // --redis-stream
  std::string redis_stream;
  std::string group = "sluice";
  std::string consumer;  // default: the host name
  std::string output_stream;
  std::string group_start = "$";
  bool fields = false;
  std::string data_field = "data";
  size_t batch = 256;
  int64_t block_ms = 500;
  int64_t claim_idle_ms = 60000;
  uint64_t max_len = 0;
  uint64_t max_messages = 0;
  int64_t exit_when_idle_ms = 0;
  int64_t reconnect_timeout_ms = 0;
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

// The stop signals, blocked in every thread so that only WaitForStopSignal sees them.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "sluice";
  return name;
}

Status CheckThreshold(const models::Bundle& bundle, const PredictFlags& f, bool threshold_given) {
  if (threshold_given && bundle.target.task != models::Task::kBinary) {
    return InvalidArgument("--threshold applies to binary models; {} is {}", f.model,
                           models::TaskName(bundle.target.task));
  }
  return Status::Ok();
}

// A long-running consumer follows the model as `sluice serve` does: a moved alias (or stage)
// scores from the next batch on.
Status RunRedis(Session& s, const PredictFlags& f, bool threshold_given,
                const GlobalOptions& global) {
  SLUICE_ASSIGN_OR_RETURN(serving::RedisLocation location,
                          serving::ParseRedisStreamUrl(f.redis_stream));
  serving::ModelHost host(*s.registry, *s.artifacts, SystemClock::Get());
  constexpr std::string_view kEndpoint = "model";
  SLUICE_RETURN_IF_ERROR(host.Add(std::string(kEndpoint), f.model));
  SLUICE_RETURN_IF_ERROR(CheckThreshold(host.Get(kEndpoint)->bundle, f, threshold_given));
  host.StartFollowing();
  serving::RedisStreamOptions options{
      .location = location,
      .group = f.group,
      .consumer = f.consumer.empty() ? HostName() : f.consumer,
      .output_stream = f.output_stream.empty() ? location.stream + ":predictions" : f.output_stream,
      .output_max_len = f.max_len,
      .group_start_id = f.group_start,
      .format =
          f.fields ? serving::RedisRequestFormat::kFields : serving::RedisRequestFormat::kJson,
      .data_field = f.data_field,
      .threshold = f.threshold,
      .batch = f.batch,
      .block = std::chrono::milliseconds(f.block_ms),
      .claim_idle = std::chrono::milliseconds(f.claim_idle_ms),
      .max_messages = f.max_messages,
      .exit_when_idle = std::chrono::milliseconds(f.exit_when_idle_ms),
      .reconnect_timeout = std::chrono::milliseconds(f.reconnect_timeout_ms)};

  // SIGINT/SIGTERM stop the consumer after the batch in hand (answered and acknowledged).
  std::stop_source stop;
  std::jthread watcher([&stop](std::stop_token done) {
    const sigset_t signals = StopSignals();
    const timespec tick{0, 100'000'000};
    while (!done.stop_requested()) {
      if (sigtimedwait(&signals, nullptr, &tick) > 0) {
        stop.request_stop();
        return;
      }
    }
  });

  const bool terminal = IsTerminal(stderr);
  if (terminal) {
    std::cerr << fmt::format("consuming {} as {}/{}, answers to {}; stop with Ctrl-C\n",
                             f.redis_stream, options.group, options.consumer,
                             options.output_stream);
  }
  ProgressBar bar("answered", 0, ProgressUnit::kItems);
  options.on_batch = [&bar](const serving::RedisStreamStats& stats) {
    const uint64_t handled = stats.answered + stats.errors;
    if (handled > bar.done()) bar.Advance(handled - bar.done());
  };
  serving::RedisStreamStats stats;
  const auto start = std::chrono::steady_clock::now();
  Status status = serving::ConsumeRedisStream([&host] { return host.Get(kEndpoint); }, options,
                                              stop.get_token(), &stats);
  bar.Finish();
  watcher.request_stop();
  watcher.join();
  SLUICE_RETURN_IF_ERROR(status);
  // The version serving at the end (the alias may have moved while consuming).
  const std::shared_ptr<const serving::ServedModel> model = host.Get(kEndpoint);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t handled = stats.answered + stats.errors;
  const double rate = seconds > 0 ? static_cast<double>(handled) / seconds : 0.0;
  if (global.json) {
    PrintJson({{"model", f.model},
               {"model_version", model->version.empty() ? Json(nullptr) : Json(model->version)},
               {"stream", location.stream},
               {"output_stream", options.output_stream},
               {"group", options.group},
               {"consumer", options.consumer},
               {"read", stats.read},
               {"answered", stats.answered},
               {"errors", stats.errors},
               {"acked", stats.acked},
               {"redelivered", stats.redelivered},
               {"reclaimed", stats.reclaimed},
               {"batches", stats.batches},
               {"reconnects", stats.reconnects},
               {"seconds", seconds},
               {"messages_per_second", rate}});
    return Status::Ok();
  }
  std::cout << "model     " << f.model
            << (model->version.empty() ? "" : " (version " + model->version + ")") << ", "
            << models::TaskName(model->bundle.target.task) << "\n"
            << "stream    " << location.stream << " -> " << options.output_stream << " (group "
            << options.group << ", consumer " << options.consumer << ")\n"
            << "answered  " << handled << " (" << stats.errors << " with an error; "
            << stats.redelivered << " redelivered, " << stats.reclaimed << " reclaimed)\n"
            << "time      " << fmt::format("{:.2f} s, {:.0f} messages/s", seconds, rate) << "\n";
  return Status::Ok();
}

}  // namespace

void AddPredictCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand(
      "predict",
      "Score data with a model: a CSV, TSV or JSONL file of any size into a CSV or JSONL file "
      "(all cores, rows in input order, written atomically), NDJSON lines from stdin to "
      "stdout (--stream), or requests from a Redis stream to an output stream (--redis-stream)");
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
  CLI::Option* redis_stream = cmd->add_option(
      "--redis-stream", f->redis_stream,
      "Consume requests from a Redis stream, redis://HOST:PORT[/DB]/STREAM, as a "
      "consumer group; each entry's field 'data' holds a JSON object of column -> "
      "value (optional \"id\"); a result entry (request_id, then prediction or "
      "error) is XADDed to the output stream and the request XACKed only after "
      "that (at-least-once). A model alias or stage is followed: when it moves, the "
      "next batch is scored by the new version. Runs until SIGINT/SIGTERM");
  redis_stream->excludes(input)->excludes(output)->excludes(stream);
  cmd->add_option("--group", f->group,
                  "Redis: consumer group (created at --group-start if missing)")
      ->capture_default_str();
  cmd->add_option("--consumer", f->consumer,
                  "Redis: this consumer's name in the group (default: the host name); keep it "
                  "across restarts so unacknowledged requests are re-read");
  cmd->add_option("--output-stream", f->output_stream,
                  "Redis: stream the results go to (default: <stream>:predictions)");
  cmd->add_option("--maxlen", f->max_len,
                  "Redis: trim the output stream to about this many entries (XADD MAXLEN ~)");
  cmd->add_option("--group-start", f->group_start,
                  "Redis: where a new group starts: $ (entries added from now on) or 0 (the "
                  "whole stream)")
      ->capture_default_str();
  cmd->add_flag("--fields", f->fields,
                "Redis: entries hold one field per model input (column -> value text) instead "
                "of a JSON 'data' field");
  cmd->add_option("--data-field", f->data_field, "Redis: the field holding the JSON request")
      ->capture_default_str();
  cmd->add_option("--batch", f->batch, "Redis: entries read and scored together at most")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--block-ms", f->block_ms,
                  "Redis: how long one read waits for new entries (bounds the time to stop)")
      ->check(CLI::Range(int64_t{1}, int64_t{60000}))
      ->capture_default_str();
  cmd->add_option("--claim-idle-ms", f->claim_idle_ms,
                  "Redis: take over entries other consumers left pending this long (XAUTOCLAIM); "
                  "0 never")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("--max-messages", f->max_messages,
                  "Redis: stop after answering this many entries");
  cmd->add_option("--exit-when-idle-ms", f->exit_when_idle_ms,
                  "Redis: stop when no entry arrived for this long")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  cmd->add_option("--reconnect-timeout-ms", f->reconnect_timeout_ms,
                  "Redis: give up when Redis stays unreachable this long (default: retry with "
                  "backoff forever)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
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
      "scores.ndjson\n"
      "  sluice predict --model models:/churn@production --redis-stream "
      "redis://127.0.0.1:6379/requests\n"
      "    (XADD requests * data '{\"id\":1,\"age\":42}' -> requests:predictions)");
  const GlobalOptions& global = context.global;
  std::function<void()> run = SessionCommand(context, [f, cmd, &global](Session& s) -> Status {
    const bool redis = !f->redis_stream.empty();
    if (!f->stream && !redis && (f->input.empty() || f->output.empty())) {
      return InvalidArgument(
          "give --input and --output (batch), or --stream, or --redis-stream URL");
    }
    const bool threshold_given = cmd->count("--threshold") > 0;
    if (redis) return RunRedis(s, *f, threshold_given, global);
    SLUICE_ASSIGN_OR_RETURN(LoadedModel model, LoadModel(s, f->model));
    SLUICE_RETURN_IF_ERROR(CheckThreshold(model.bundle, *f, threshold_given));
    return f->stream ? RunStream(model, *f) : RunBatch(model, *f, global);
  });
  cmd->callback([f, run = std::move(run)] {
    if (!f->redis_stream.empty()) {
      // Before any thread starts (the session may start some), so that every thread inherits
      // the mask and the consumer's signal watcher alone receives SIGINT and SIGTERM.
      const sigset_t signals = StopSignals();
      pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    }
    run();
  });
}

}  // namespace sluice::cli
