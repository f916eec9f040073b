// CSV parsing into typed columns, one thread: the share of `sluice validate run` and every
// dataset read that is spent in table::ParseCsv and table::CsvChunkReader. bytes_per_second is
// the figure to compare (GB per CPU-second: the parse runs on the benchmark's thread only).
//
//   build/bench/csv_parse_bench [--benchmark_filter=...]
//
// The numeric data has the shape of bench/validate_bench/gen_data.awk (an id and nine numeric
// columns, one 1% empty), generated in memory (64 MB); CSV_PARSE_BENCH_FILE=path parses that
// file instead (e.g. the file validate_bench.sh generated). The mixed data adds strings, quoted
// fields with delimiters and doubled quotes, bools and nulls.
#include <benchmark/benchmark.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

#include "table/internal/csv_number_batch.h"
#include "table/table.h"

namespace sluice::table {
namespace {

constexpr size_t kGeneratedBytes = size_t{64} << 20;

std::string NumericCsv() {
  if (const char* file = std::getenv("CSV_PARSE_BENCH_FILE")) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u01(0, 1);
  std::normal_distribution<double> normal(0, 1);
  std::string text = "id,c0,c1,c2,c3,c4,c5,c6,c7,c8\n";
  for (int64_t i = 0; text.size() < kGeneratedBytes; ++i) {
    const double u = u01(rng) * 100;
    const std::string c0 = u01(rng) < 0.01 ? "" : fmt::format("{:.3f}", u);
    fmt::format_to(
        std::back_inserter(text), "{},{},{:.4f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.4f},{}\n", i,
        c0, normal(rng), -std::log(1 - u01(rng)) * 100, u + u01(rng) * 10, u01(rng) * 1000,
        u01(rng) * 100, 50 + 10 * normal(rng), u01(rng), 1 + static_cast<int>(u01(rng) * 5));
  }
  return text;
}

std::string MixedCsv() {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u01(0, 1);
  const char* words[] = {"alpha", "beta", "gamma delta", "say \"\"hi\"\"", "a,b", "NA"};
  std::string text = "id,name,score,flag,city,note\n";
  for (int64_t i = 0; text.size() < kGeneratedBytes; ++i) {
    const size_t w = rng() % 6;
    const bool quote = w == 3 || w == 4;
    fmt::format_to(std::back_inserter(text), "{},{}{}{},{},{},{},{}\n", i, quote ? "\"" : "",
                   words[w], quote ? "\"" : "",
                   u01(rng) < 0.05 ? "" : fmt::format("{:.2f}", u01(rng) * 10),
                   u01(rng) < 0.5 ? "true" : "False", fmt::format("city{}", rng() % 500),
                   u01(rng) < 0.2 ? "\"multi\nline, note\"" : "plain");
  }
  return text;
}

const std::string& Numeric() {
  static const std::string text = NumericCsv();
  return text;
}

const std::string& Mixed() {
  static const std::string text = MixedCsv();
  return text;
}

// The types ParseCsv infers for `text`, as CsvOptions::types: what CsvPieceSource passes for every
// piece after the first.
std::map<std::string, Type> InferredTypes(const std::string& text) {
  CsvOptions options;
  options.threads = 1;
  // The first megabyte, cut after a line end.
  const size_t cut = text.size() < (1 << 20) ? text.size() : text.rfind('\n', 1 << 20) + 1;
  Result<Table> table = ParseCsv(std::string_view(text).substr(0, cut), options);
  std::map<std::string, Type> types;
  for (const Column& column : table->columns()) types[column.name()] = column.type();
  return types;
}

void Parse(benchmark::State& state, const std::string& text, bool typed) {
  CsvOptions options;
  options.threads = 1;
  if (typed) options.types = InferredTypes(text);
  size_t rows = 0;
  for (auto _ : state) {
    Result<Table> table = ParseCsv(text, options);
    if (!table.ok()) {
      state.SkipWithError(table.status().message().c_str());
      return;
    }
    rows = table->num_rows();
    benchmark::DoNotOptimize(table->column(0).size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["rows"] = static_cast<double>(rows);
}

// As validation's CsvPieceSource reads a file: 8 MiB pieces cut at line ends, each parsed on
// every core with the types of the first (columns named column_<i>, as without a header). With
// `recycle`, each piece's columns are given back for the next to parse into, as the engine does
// (CsvColumnMemory).
void Pieces(benchmark::State& state, const std::string& text, bool recycle) {
  constexpr size_t kPieceBytes = size_t{8} << 20;
  const size_t body = text.find('\n') + 1;
  CsvOptions options;
  options.header = false;
  if (recycle) options.column_memory = std::make_shared<CsvColumnMemory>();
  CsvOptions infer;
  infer.threads = 1;
  const size_t cut = text.rfind('\n', 1 << 20) + 1;
  Result<Table> head = ParseCsv(std::string_view(text).substr(0, cut), infer);
  for (size_t i = 0; i < head->num_columns(); ++i) {
    options.types[fmt::format("column_{}", i)] = head->column(i).type();
  }
  for (auto _ : state) {
    for (size_t begin = body; begin < text.size();) {
      size_t end = std::min(text.size(), begin + kPieceBytes);
      if (end < text.size()) end = text.rfind('\n', end - 1) + 1;
      Result<Table> table = ParseCsv(std::string_view(text).substr(begin, end - begin), options);
      if (!table.ok()) {
        state.SkipWithError(table.status().message().c_str());
        return;
      }
      benchmark::DoNotOptimize(table->num_rows());
      if (recycle) options.column_memory->Recycle(std::move(table).value());
      begin = end;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (text.size() - body)));
}

void ChunkReader(benchmark::State& state, const std::string& text) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / fmt::format("csv_parse_bench_{}.csv", ::getpid());
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  for (auto _ : state) {
    Result<CsvChunkReader> reader = CsvChunkReader::Open(path, {}, 100'000);
    if (!reader.ok()) {
      state.SkipWithError(reader.status().message().c_str());
      break;
    }
    for (;;) {
      Result<std::optional<Table>> chunk = reader->Next();
      if (!chunk.ok()) {
        state.SkipWithError(chunk.status().message().c_str());
        break;
      }
      if (!chunk->has_value()) break;
      benchmark::DoNotOptimize((*chunk)->num_rows());
    }
  }
  std::filesystem::remove(path);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_ParseCsvNumericInferred(benchmark::State& state) { Parse(state, Numeric(), false); }
void BM_ParseCsvNumericTyped(benchmark::State& state) { Parse(state, Numeric(), true); }
// Without the eight-field batches (csv_number_batch.h), as on a CPU without AVX-512 VBMI2.
void BM_ParseCsvNumericTypedNoBatches(benchmark::State& state) {
  internal::SetNumberBatchesEnabled(false);
  Parse(state, Numeric(), true);
  internal::SetNumberBatchesEnabled(true);
}
void BM_ChunkReaderNumeric(benchmark::State& state) { ChunkReader(state, Numeric()); }
void BM_PiecesNumeric(benchmark::State& state) { Pieces(state, Numeric(), false); }
void BM_PiecesNumericRecycled(benchmark::State& state) { Pieces(state, Numeric(), true); }
void BM_ParseCsvMixedInferred(benchmark::State& state) { Parse(state, Mixed(), false); }
void BM_ParseCsvMixedTyped(benchmark::State& state) { Parse(state, Mixed(), true); }
void BM_ChunkReaderMixed(benchmark::State& state) { ChunkReader(state, Mixed()); }

BENCHMARK(BM_ParseCsvNumericInferred)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_ParseCsvNumericTyped)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_ParseCsvNumericTypedNoBatches)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_ChunkReaderNumeric)->Unit(benchmark::kMillisecond)->MinTime(2);
// On every core: CPU time is the process's.
BENCHMARK(BM_PiecesNumeric)->Unit(benchmark::kMillisecond)->MinTime(2)->MeasureProcessCPUTime();
BENCHMARK(BM_PiecesNumericRecycled)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2)
    ->MeasureProcessCPUTime();
BENCHMARK(BM_ParseCsvMixedInferred)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_ParseCsvMixedTyped)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_ChunkReaderMixed)->Unit(benchmark::kMillisecond)->MinTime(2);

}  // namespace
}  // namespace sluice::table

BENCHMARK_MAIN();
