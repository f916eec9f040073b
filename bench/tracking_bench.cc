// Tracking throughput and latency over MLflow's REST API, against any MLflow-compatible server:
//
//   tracking_bench --url http://127.0.0.1:5000 [--runs 10000] [--threads 8] [--seconds 10]
//
// Measures what the MLflow reference (shared/reference/mlflow-rest-api.md) measured for MLflow
// 2.12 on this kind of machine, and prints both side by side with the ratio:
//   log_batch      1000 metrics per call, one client, for --seconds
//   create runs    --runs runs, each create-run + log-batch (2 params, 2 metrics, 3 tags),
//                  from --threads clients
//   search         over that experiment: the reference's four queries, median of --repeats
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  std::string url = "http://127.0.0.1:5000";
  int runs = 10000;
  int threads = 32;
  double seconds = 10;
  int repeats = 15;
  bool json_output = false;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "tracking_bench: %s\n", message.c_str());
  std::exit(1);
}

json Call(sluice::http::Client& client, const std::string& path, const json& body) {
  auto response = client.Post("/api/2.0/mlflow/" + path, body.dump());
  if (!response.ok()) Die(path + ": " + response.status().ToString());
  if (response->status != 200) {
    Die(fmt::format("{}: HTTP {}: {}", path, response->status, response->body));
  }
  return json::parse(response->body);
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewExperiment(sluice::http::Client& client, const std::string& prefix) {
  std::string name = fmt::format("{}-{}", prefix, NowMillis());
  return Call(client, "experiments/create", {{"name", name}})["experiment_id"];
}

std::string NewRun(sluice::http::Client& client, const std::string& experiment_id) {
  json run =
      Call(client, "runs/create", {{"experiment_id", experiment_id}, {"start_time", NowMillis()}});
  return run["run"]["info"]["run_id"];
}

// (b) log_batch with 1000 metrics per call.
double LogBatchMetricsPerSecond(const Options& o) {
  sluice::http::Client client(o.url);
  std::string experiment = NewExperiment(client, "bench-log-batch");
  std::string run = NewRun(client, experiment);
  int64_t step = 0;
  int64_t logged = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(o.seconds);
  while (Clock::now() < deadline) {
    json metrics = json::array();
    int64_t ts = NowMillis();
    for (int i = 0; i < 1000; ++i) {
      metrics.push_back({{"key", fmt::format("m{}", i % 10)},
                         {"value", 0.5 + i},
                         {"timestamp", ts},
                         {"step", step++}});
    }
    Call(client, "runs/log-batch", {{"run_id", run}, {"metrics", metrics}});
    logged += 1000;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(logged) / elapsed;
}

// (c) setup: create runs with params, metrics and tags from several clients.
double CreateRuns(const Options& o, const std::string& experiment) {
  std::atomic<int> next{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&] {
      sluice::http::Client client(o.url);
      for (int i = next++; i < o.runs; i = next++) {
        std::string run = NewRun(client, experiment);
        int64_t ts = NowMillis();
        json body = {{"run_id", run},
                     {"metrics",
                      {{{"key", "m"},
                        {"value", (i * 7919 % 10000) / 10000.0},
                        {"timestamp", ts},
                        {"step", 0}},
                       {{"key", "n"},
                        {"value", (i * 104729 % 10000) / 10000.0},
                        {"timestamp", ts},
                        {"step", 0}}}},
                     {"params",
                      {{{"key", "p"}, {"value", i % 2 == 0 ? "a" : "b"}},
                       {{"key", "q"}, {"value", std::to_string(i % 7)}}}},
                     {"tags",
                      {{{"key", "grp"}, {"value", fmt::format("g{}", (i / 2) % 10)}},
                       {{"key", "bucket"}, {"value", std::to_string(i % 100)}}}}};
        Call(client, "runs/log-batch", body);
      }
    });
  }
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double MedianSearchMillis(const Options& o, const json& body, size_t expected_runs) {
  sluice::http::Client client(o.url);
  std::vector<double> times;
  for (int i = 0; i < o.repeats; ++i) {
    auto start = Clock::now();
    json out = Call(client, "runs/search", body);
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    size_t got = out.contains("runs") ? out["runs"].size() : 0;
    if (got != expected_runs) {
      Die(fmt::format("search {} returned {} runs, expected {}", body.dump(), got, expected_runs));
    }
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + arg);
      return argv[++i];
    };
    if (arg == "--url")
      o.url = value();
    else if (arg == "--runs")
      o.runs = std::stoi(value());
    else if (arg == "--threads")
      o.threads = std::stoi(value());
    else if (arg == "--seconds")
      o.seconds = std::stod(value());
    else if (arg == "--repeats")
      o.repeats = std::stoi(value());
    else if (arg == "--json")
      o.json_output = true;
    else if (arg == "--help" || arg == "-h") {
      std::printf(
          "tracking_bench: tracking throughput and latency over MLflow's REST API\n"
          "  --url URL       server to measure (default http://127.0.0.1:5000); any MLflow server\n"
          "  --runs N        runs to create for the search experiment (default 10000)\n"
          "  --threads N     clients creating runs (default 32)\n"
          "  --seconds S     duration of the log_batch measurement (default 10)\n"
          "  --repeats N     searches per query; the median is reported (default 15)\n"
          "  --json          print the results as JSON\n");
      std::exit(0);
    } else {
      Die("unknown argument '" + arg + "' (see --help)");
    }
  }
  if (o.runs < 1000) Die("--runs must be at least 1000");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  std::fprintf(stderr, "measuring %s: log_batch for %.0f s...\n", o.url.c_str(), o.seconds);
  double metrics_per_second = LogBatchMetricsPerSecond(o);

  std::fprintf(stderr, "creating %d runs from %d clients...\n", o.runs, o.threads);
  std::string experiment;
  {
    sluice::http::Client client(o.url);
    experiment = NewExperiment(client, "bench-search");
  }
  double create_seconds = CreateRuns(o, experiment);

  std::fprintf(stderr, "searching...\n");
  // The reference's queries; the expected counts follow from how CreateRuns assigns values.
  size_t half = 0, p_and_grp = 0;
  for (int i = 0; i < o.runs; ++i) {
    if ((i * 7919 % 10000) / 10000.0 < 0.5) ++half;
    if (i % 2 == 0 && (i / 2) % 10 == 3) ++p_and_grp;
  }
  json ids = json::array({experiment});
  double no_filter_1000 = MedianSearchMillis(o, {{"experiment_ids", ids}, {"max_results", 1000}},
                                             std::min<size_t>(1000, o.runs));
  double metric_filter_order = MedianSearchMillis(o,
                                                  {{"experiment_ids", ids},
                                                   {"filter", "metrics.m < 0.5"},
                                                   {"order_by", {"metrics.m DESC"}},
                                                   {"max_results", 100}},
                                                  std::min<size_t>(100, half));
  double param_tag = MedianSearchMillis(o,
                                        {{"experiment_ids", ids},
                                         {"filter", "params.p = 'a' and tags.grp = 'g3'"},
                                         {"max_results", 100}},
                                        std::min<size_t>(100, p_and_grp));
  double first_page = MedianSearchMillis(o, {{"experiment_ids", ids}, {"max_results", 10}}, 10);
  double other_metric_order = MedianSearchMillis(o,
                                                 {{"experiment_ids", ids},
                                                  {"filter", "metrics.m < 0.5"},
                                                  {"order_by", {"metrics.n DESC"}},
                                                  {"max_results", 100}},
                                                 std::min<size_t>(100, half));

  // MLflow 2.12.2 with SQLite on this kind of machine (median of the reference's three runs).
  struct Row {
    const char* what;
    double sluice;
    double mlflow;
    const char* unit;
    bool higher_is_better;
  };
  double runs_per_second = o.runs / create_seconds;
  std::vector<Row> rows = {
      {"log_batch, 1000 metrics per call", metrics_per_second, 3366, "metrics/s", true},
      {"create run + log_batch (runs/s)", runs_per_second, 9.9, "runs/s", true},
      {"search: no filter, 1000 results", no_filter_1000, 1030, "ms", false},
      {"search: metrics.m < 0.5 order metrics.m DESC, 100", metric_filter_order, 3726, "ms", false},
      {"search: params.p = 'a' and tags.grp = 'g3', 100", param_tag, 117, "ms", false},
      {"search: first page of 10", first_page, 30, "ms", false},
      {"search: metrics.m < 0.5 order metrics.n DESC, 100", other_metric_order, 0, "ms", false},
  };
  if (o.json_output) {
    json out = json::array();
    for (const Row& r : rows) {
      out.push_back(
          {{"measure", r.what}, {"value", r.sluice}, {"unit", r.unit}, {"mlflow_2_12", r.mlflow}});
    }
    std::printf("%s\n", json{{"url", o.url},
                             {"runs", o.runs},
                             {"threads", o.threads},
                             {"create_seconds", create_seconds},
                             {"results", out}}
                            .dump(2)
                            .c_str());
    return 0;
  }
  std::printf("%-52s %14s %14s %9s\n", "measure", "this server", "MLflow 2.12", "ratio");
  for (const Row& r : rows) {
    std::string ratio = "-";
    if (r.mlflow > 0) {
      ratio =
          fmt::format("{:.0f}x", r.higher_is_better ? r.sluice / r.mlflow : r.mlflow / r.sluice);
    }
    std::string mlflow = r.mlflow > 0 ? fmt::format("{:.1f} {}", r.mlflow, r.unit) : "-";
    std::printf("%-52s %14s %14s %9s\n", r.what, fmt::format("{:.1f} {}", r.sluice, r.unit).c_str(),
                mlflow.c_str(), ratio.c_str());
  }
  std::printf("%d runs created in %.1f s (MLflow: about 17 minutes)\n", o.runs, create_seconds);
  return 0;
}
