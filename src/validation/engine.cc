#include "validation/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>

#include "base/strings.h"
#include "base/thread_pool.h"
#include "validation/internal/column_state.h"
#include "validation/internal/csv_pieces.h"
#include "validation/internal/evaluators.h"
#include "validation/row_condition.h"

namespace sluice::validation {
namespace {

using Json = nlohmann::json;
using internal::ColumnState;
using internal::Evaluator;
using internal::Schema;

class InMemorySource final : public TableSource {
 public:
  InMemorySource(table::Table table, std::string description)
      : table_(std::move(table)), description_(std::move(description)) {}
  Result<std::optional<table::Table>> Next() override {
    if (done_) return std::optional<table::Table>();
    done_ = true;
    return std::optional<table::Table>(table_);
  }
  std::vector<std::string> ColumnNames() const override { return table_.ColumnNames(); }
  Status Rewind() override {
    done_ = false;
    return Status::Ok();
  }
  std::string Describe() const override { return description_; }

 private:
  table::Table table_;
  std::string description_;
  bool done_ = false;
};

class CsvFileSource final : public TableSource {
 public:
  CsvFileSource(std::filesystem::path path, table::CsvOptions options, size_t rows,
                table::CsvChunkReader reader)
      : path_(std::move(path)),
        options_(std::move(options)),
        rows_(rows),
        reader_(std::move(reader)) {}
  Result<std::optional<table::Table>> Next() override { return reader_.Next(); }
  std::vector<std::string> ColumnNames() const override { return reader_.column_names(); }
  Status Rewind() override {
    SLUICE_ASSIGN_OR_RETURN(reader_, table::CsvChunkReader::Open(path_, options_, rows_));
    return Status::Ok();
  }
  std::string Describe() const override { return path_.string(); }

 private:
  std::filesystem::path path_;
  table::CsvOptions options_;
  size_t rows_;
  table::CsvChunkReader reader_;
};

// Expectations of one column under one row condition: they share a ColumnState and read each
// block together.
struct ColumnGroup {
  size_t column = 0;
  int condition = -1;
  std::unique_ptr<ColumnState> state;
  std::vector<Evaluator*> evaluators;
  std::vector<uint8_t> scratch;
};

struct ChunkTask {
  Evaluator* evaluator = nullptr;
  int condition = -1;
};

std::string Suggest(const std::string& name, const std::vector<std::string>& names) {
  std::vector<std::string_view> views(names.begin(), names.end());
  std::string near = ClosestMatch(name, views);
  return near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near);
}

// The columns an expectation reads, for the existence check.
std::vector<std::string> ColumnsOf(const ExpectationConfig& c, ExpectationKind kind) {
  std::vector<std::string> out;
  switch (kind) {
    case ExpectationKind::kColumnMap:
    case ExpectationKind::kColumnAggregate:
      out.push_back(c.Arg("column").get<std::string>());
      break;
    case ExpectationKind::kColumnPair:
      out.push_back(c.Arg("column_A").get<std::string>());
      out.push_back(c.Arg("column_B").get<std::string>());
      break;
    case ExpectationKind::kMulticolumn:
      for (const Json& name : c.Arg("column_list")) out.push_back(name.get<std::string>());
      break;
    case ExpectationKind::kTable:
      break;
  }
  return out;
}

table::Table EmptyTableOf(const Schema& schema) {
  std::vector<table::Column> columns;
  for (size_t i = 0; i < schema.names.size(); ++i) {
    switch (schema.types[i]) {
      case table::Type::kFloat64:
        columns.push_back(table::Column::Float64(schema.names[i], {}));
        break;
      case table::Type::kInt64:
        columns.push_back(table::Column::Int64(schema.names[i], {}));
        break;
      case table::Type::kString:
        columns.push_back(table::Column::String(schema.names[i], {}));
        break;
      case table::Type::kBool:
        columns.push_back(table::Column::Bool(schema.names[i], {}));
        break;
      case table::Type::kTimestamp:
        columns.push_back(table::Column::Timestamp(schema.names[i], {}));
        break;
    }
  }
  return table::Table::Make(std::move(columns)).value();
}

// Takes a chunk back from the engine once it is done with it, for its memory.
using Recycler = std::function<void(table::Table)>;

class Engine {
 public:
  Engine(const Suite& suite, const ValidateOptions& options, Recycler recycle = nullptr)
      : suite_(suite),
        options_(options),
        recycle_(std::move(recycle)),
        pool_(options.threads == 0 ? ThreadPool::DefaultThreads() : options.threads) {}

  Result<SuiteResult> Run(TableSource& source) {
    const auto start = std::chrono::steady_clock::now();
    SLUICE_RETURN_IF_ERROR(CheckSuite(suite_, "suite"));
    SLUICE_ASSIGN_OR_RETURN(std::optional<table::Table> chunk, source.Next());
    if (chunk) {
      schema_.names = chunk->ColumnNames();
      for (const table::Column& c : chunk->columns()) schema_.types.push_back(c.type());
    } else {
      schema_.names = source.ColumnNames();
      schema_.types.assign(schema_.names.size(), table::Type::kFloat64);
    }
    SLUICE_RETURN_IF_ERROR(Plan());

    int64_t rows = 0;
    while (chunk) {
      SLUICE_RETURN_IF_ERROR(CheckChunk(*chunk));
      // Evaluate this chunk on the pool while this thread parses the next.
      std::future<Status> work =
          pool_.Submit([this, &chunk, rows] { return ProcessChunk(*chunk, rows, false); });
      Result<std::optional<table::Table>> next = source.Next();
      SLUICE_RETURN_IF_ERROR(work.get());
      rows += static_cast<int64_t>(chunk->num_rows());
      if (!next.ok()) return std::move(next).status();
      if (recycle_) recycle_(std::move(*chunk));
      chunk = std::move(next).value();
    }
    if (NeedsSecondPass()) {
      SLUICE_RETURN_IF_ERROR(source.Rewind());
      int64_t offset = 0;
      for (;;) {
        SLUICE_ASSIGN_OR_RETURN(std::optional<table::Table> again, source.Next());
        if (!again) break;
        SLUICE_RETURN_IF_ERROR(CheckChunk(*again));
        SLUICE_RETURN_IF_ERROR(ProcessChunk(*again, offset, true));
        offset += static_cast<int64_t>(again->num_rows());
        if (recycle_) recycle_(std::move(*again));
      }
    }

    SuiteResult result;
    result.suite_name = suite_.name;
    result.data = source.Describe();
    result.rows = rows;
    result.columns = schema_.names;
    std::vector<std::optional<Result<ExpectationResult>>> finished = FinishAll();
    for (size_t k = 0; k < evaluators_.size(); ++k) {
      const size_t i = evaluators_[k]->index();
      const ExpectationConfig& config = suite_.expectations[i];
      Result<ExpectationResult> one = std::move(*finished[k]);
      if (!one.ok()) {
        if (!config.Arg("catch_exceptions").get<bool>()) {
          return std::move(one).status().WithContext(config.Describe(i));
        }
        one = internal::MakeFailure(config, i, FormatOf(config), one.status().message())
                  ->Finish(schema_);
      }
      result.results.push_back(std::move(one).value());
    }
    for (const ExpectationResult& r : result.results) result.success = result.success && r.success;
    result.statistics = ComputeStatistics(result.results);
    if (options_.profile_columns) result.profiles = Profiles();
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  ResultFormat FormatOf(const ExpectationConfig& config) const {
    if (options_.result_format) return *options_.result_format;
    Result<ResultFormat> format = ParseResultFormat(config.Arg("result_format"));
    return format.ok() ? *format : ResultFormat{};
  }

  // An expectation that cannot be evaluated: an error, or a failed result with catch_exceptions.
  Status Unable(size_t i, const Status& status) {
    const ExpectationConfig& config = suite_.expectations[i];
    if (!config.Arg("catch_exceptions").get<bool>()) {
      return Status(status.code(), fmt::format("{}: {}", config.Describe(i), status.message()));
    }
    evaluators_.push_back(internal::MakeFailure(config, i, FormatOf(config), status.message()));
    return Status::Ok();
  }

  Result<int> ConditionOf(size_t i) {
    const ExpectationConfig& config = suite_.expectations[i];
    const Json text = config.Arg("row_condition");
    if (!text.is_string() || text.get<std::string>().empty()) return -1;
    auto it = condition_ids_.find(text.get<std::string>());
    if (it != condition_ids_.end()) return it->second;
    SLUICE_ASSIGN_OR_RETURN(RowCondition condition, RowCondition::Parse(text.get<std::string>()));
    // Column and type errors show on an empty table of the same schema, before any data is read.
    SLUICE_RETURN_IF_ERROR(condition.Evaluate(EmptyTableOf(schema_)).status());
    const int id = static_cast<int>(conditions_.size());
    conditions_.push_back(std::move(condition));
    condition_ids_[text.get<std::string>()] = id;
    return id;
  }

  ColumnGroup& GroupOf(size_t column, int condition) {
    for (ColumnGroup& g : groups_) {
      if (g.column == column && g.condition == condition) return g;
    }
    ColumnGroup& g = groups_.emplace_back();
    g.column = column;
    g.condition = condition;
    g.state = std::make_unique<ColumnState>(schema_.types[column]);
    return g;
  }

  Status Plan() {
    const size_t n = suite_.expectations.size();
    errors_.assign(n, Status::Ok());
    // Groups hold pointers into groups_: reserve so they never move.
    groups_.reserve(n + schema_.names.size());
    for (size_t i = 0; i < n; ++i) {
      const ExpectationConfig& config = suite_.expectations[i];
      const ExpectationSpec* spec = FindExpectation(config.type);
      bool missing = false;
      for (const std::string& column : ColumnsOf(config, spec->kind)) {
        if (schema_.Find(column) >= 0) continue;
        SLUICE_RETURN_IF_ERROR(
            Unable(i, NotFound("no column '{}'{}", column, Suggest(column, schema_.names))));
        missing = true;
        break;
      }
      if (missing) continue;
      Result<int> condition = ConditionOf(i);
      if (!condition.ok()) {
        SLUICE_RETURN_IF_ERROR(Unable(i, condition.status()));
        continue;
      }
      ColumnState* state = nullptr;
      ColumnGroup* group = nullptr;
      const bool column_kind = spec->kind == ExpectationKind::kColumnMap ||
                               spec->kind == ExpectationKind::kColumnAggregate;
      if (column_kind) {
        group = &GroupOf(static_cast<size_t>(schema_.Find(config.Arg("column").get<std::string>())),
                         *condition);
        state = group->state.get();
      }
      Result<std::unique_ptr<Evaluator>> evaluator =
          internal::MakeEvaluator(config, i, FormatOf(config), schema_, state);
      if (!evaluator.ok()) {
        SLUICE_RETURN_IF_ERROR(Unable(i, evaluator.status()));
        continue;
      }
      Evaluator* e = evaluator->get();
      evaluators_.push_back(std::move(evaluator).value());
      if (group != nullptr) {
        group->evaluators.push_back(e);
      } else {
        chunk_tasks_.push_back({e, *condition});
      }
    }
    // Results come out in suite order.
    std::sort(evaluators_.begin(), evaluators_.end(),
              [](const auto& a, const auto& b) { return a->index() < b->index(); });
    if (options_.profile_columns) {
      for (size_t c = 0; c < schema_.names.size(); ++c) {
        ColumnGroup& g = GroupOf(c, -1);
        g.state->needs.profile = true;
        if (schema_.types[c] == table::Type::kString) g.state->needs.distinct = true;
      }
    }
    return Status::Ok();
  }

  // Every evaluator's result (or its error), in evaluators_' order. Order statistics over a whole
  // file take a while, so columns finish in parallel; the evaluators of one column share its
  // state and finish one after another.
  std::vector<std::optional<Result<ExpectationResult>>> FinishAll() {
    std::vector<std::optional<Result<ExpectationResult>>> out(evaluators_.size());
    std::map<const Evaluator*, size_t> position;
    for (size_t k = 0; k < evaluators_.size(); ++k) position[evaluators_[k].get()] = k;
    // Tasks: each column group's evaluators, then each evaluator in no group.
    std::vector<std::vector<size_t>> tasks;
    std::vector<bool> grouped(evaluators_.size(), false);
    for (const ColumnGroup& g : groups_) {
      std::vector<size_t>& task = tasks.emplace_back();
      for (const Evaluator* e : g.evaluators) {
        task.push_back(position.at(e));
        grouped[task.back()] = true;
      }
      std::sort(task.begin(), task.end());
    }
    for (size_t k = 0; k < evaluators_.size(); ++k) {
      if (!grouped[k]) tasks.push_back({k});
    }
    pool_.ParallelFor(tasks.size(), [&](size_t t) {
      for (size_t k : tasks[t]) {
        const size_t i = evaluators_[k]->index();
        if (!errors_[i].ok()) {
          out[k] = Result<ExpectationResult>(errors_[i]);
          continue;
        }
        try {
          out[k] = evaluators_[k]->Finish(schema_);
        } catch (const std::exception& e) {
          out[k] = Result<ExpectationResult>(Internal("evaluation failed: {}", e.what()));
        }
      }
    });
    return out;
  }

  Status CheckChunk(const table::Table& chunk) const {
    bool same = chunk.num_columns() == schema_.names.size();
    for (size_t c = 0; same && c < chunk.num_columns(); ++c) {
      same =
          chunk.column(c).name() == schema_.names[c] && chunk.column(c).type() == schema_.types[c];
    }
    if (!same) {
      return InvalidArgument("a chunk of the data has other columns or types than the first one");
    }
    return Status::Ok();
  }

  bool NeedsSecondPass() const {
    for (const ColumnGroup& g : groups_) {
      for (const Evaluator* e : g.evaluators) {
        if (e->NeedsSecondPass()) return true;
      }
    }
    return false;
  }

  Status ProcessChunk(const table::Table& chunk, int64_t first_row, bool second_pass) {
    std::vector<std::vector<uint8_t>> masks(conditions_.size());
    for (size_t c = 0; c < conditions_.size(); ++c) {
      SLUICE_ASSIGN_OR_RETURN(masks[c], conditions_[c].Evaluate(chunk));
    }
    const size_t tasks = groups_.size() + (second_pass ? 0 : chunk_tasks_.size());
    std::vector<Status> statuses(tasks);
    pool_.ParallelFor(tasks, [&](size_t t) {
      if (t < groups_.size()) {
        RunGroup(groups_[t], chunk, first_row, masks, second_pass);
        return;
      }
      const ChunkTask& task = chunk_tasks_[t - groups_.size()];
      const size_t i = task.evaluator->index();
      if (!errors_[i].ok()) return;
      internal::ChunkView view{&chunk, task.condition >= 0 ? masks[task.condition].data() : nullptr,
                               first_row};
      try {
        errors_[i] = task.evaluator->ConsumeChunk(view);
      } catch (const std::exception& e) {
        errors_[i] = Internal("evaluation failed: {}", e.what());
      }
    });
    return Status::Ok();
  }

  void RunGroup(ColumnGroup& g, const table::Table& chunk, int64_t first_row,
                const std::vector<std::vector<uint8_t>>& masks, bool second_pass) {
    const table::Column& column = chunk.column(g.column);
    const uint8_t* selected = g.condition >= 0 ? masks[g.condition].data() : nullptr;
    const size_t n = chunk.num_rows();
    for (size_t begin = 0; begin < n; begin += internal::kBlockRows) {
      const size_t len = std::min(internal::kBlockRows, n - begin);
      const internal::BlockView block =
          internal::MakeBlock(column, begin, len, first_row + static_cast<int64_t>(begin),
                              selected == nullptr ? nullptr : selected + begin, g.scratch);
      if (!second_pass) g.state->Consume(block);
      for (Evaluator* e : g.evaluators) {
        const size_t i = e->index();
        if (!errors_[i].ok()) continue;
        try {
          if (!second_pass) {
            e->ConsumeBlock(block);
          } else if (e->NeedsSecondPass()) {
            e->SecondPassBlock(block);
          }
        } catch (const std::exception& ex) {
          errors_[i] = Internal("evaluation failed: {}", ex.what());
        }
      }
    }
  }

  std::vector<ColumnProfile> Profiles() const {
    std::vector<ColumnProfile> out;
    for (size_t c = 0; c < schema_.names.size(); ++c) {
      for (const ColumnGroup& g : groups_) {
        if (g.column != c || g.condition != -1 || !g.state->needs.profile) continue;
        ColumnProfile p;
        p.name = schema_.names[c];
        p.type = schema_.types[c];
        p.count = g.state->element_count();
        p.null_count = g.state->element_count() - g.state->nonnull_count();
        p.numbers = g.state->profile_sample();
        if (p.type == table::Type::kString) {
          const internal::DistinctCounts& d = g.state->distinct();
          p.distinct = static_cast<int64_t>(d.str.size());
          std::vector<std::pair<std::string, int64_t>> top(d.str.begin(), d.str.end());
          std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
            return a.second != b.second ? a.second > b.second : a.first < b.first;
          });
          if (top.size() > 20) top.resize(20);
          p.top = std::move(top);
        }
        out.push_back(std::move(p));
        break;
      }
    }
    return out;
  }

  const Suite& suite_;
  const ValidateOptions& options_;
  Recycler recycle_;
  ThreadPool pool_;
  Schema schema_;
  std::vector<RowCondition> conditions_;
  std::map<std::string, int> condition_ids_;
  std::vector<std::unique_ptr<Evaluator>> evaluators_;
  std::vector<ColumnGroup> groups_;
  std::vector<ChunkTask> chunk_tasks_;
  std::vector<Status> errors_;  // per expectation; written only by the task that owns it
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::unique_ptr<TableSource> TableSourceOf(table::Table table, std::string description) {
  return std::make_unique<InMemorySource>(std::move(table), std::move(description));
}

Result<std::unique_ptr<TableSource>> CsvSource(const std::filesystem::path& path,
                                               table::CsvOptions options, size_t rows_per_chunk) {
  SLUICE_ASSIGN_OR_RETURN(table::CsvChunkReader reader,
                          table::CsvChunkReader::Open(path, options, rows_per_chunk));
  return std::unique_ptr<TableSource>(
      std::make_unique<CsvFileSource>(path, std::move(options), rows_per_chunk, std::move(reader)));
}

Result<std::unique_ptr<TableSource>> OpenDataSource(const std::filesystem::path& path,
                                                    size_t rows_per_chunk) {
  const std::string ext = Lower(path.extension().string());
  if (ext == ".csv" || ext == ".tsv") {
    table::CsvOptions options;
    options.delimiter = ext == ".tsv" ? '\t' : ',';
    return CsvSource(path, std::move(options), rows_per_chunk);
  }
  if (ext == ".jsonl" || ext == ".ndjson") {
    SLUICE_ASSIGN_OR_RETURN(table::Table table, table::ReadJsonl(path));
    return TableSourceOf(std::move(table), path.string());
  }
  return InvalidArgument("cannot read '{}': use a .csv, .tsv, .jsonl or .ndjson file",
                         path.string());
}

Result<SuiteResult> Validate(TableSource& source, const Suite& suite,
                             const ValidateOptions& options) {
  Engine engine(suite, options);
  return engine.Run(source);
}

Result<SuiteResult> Validate(const table::Table& table, const Suite& suite,
                             const ValidateOptions& options) {
  InMemorySource source(table, "table");
  return Validate(source, suite, options);
}

Result<SuiteResult> ValidateFile(const std::filesystem::path& path, const Suite& suite,
                                 const ValidateOptions& options) {
  const std::string ext = Lower(path.extension().string());
  if (ext == ".csv" || ext == ".tsv") {
    // Large pieces parsed on every core, unless the file has quotes or changes type late.
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<internal::CsvPieceSource> pieces,
                            internal::CsvPieceSource::Open(path, ext == ".tsv" ? '\t' : ','));
    internal::CsvPieceSource* source = pieces.get();
    Engine engine(suite, options,
                  [source](table::Table done) { source->Recycle(std::move(done)); });
    Result<SuiteResult> fast = engine.Run(*pieces);
    if (fast.ok() || pieces->fallback().empty()) return fast;
  }
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<TableSource> source, OpenDataSource(path));
  Result<SuiteResult> result = Validate(*source, suite, options);
  // CsvChunkReader fixes types from the first chunk; a later value that does not fit is no fault
  // of the data, so read it whole with types inferred from every row.
  if (!result.ok() && table::IsInferredTypeMismatch(result.status())) {
    SLUICE_ASSIGN_OR_RETURN(table::Table table, table::ReadTable(path));
    InMemorySource whole(std::move(table), path.string());
    return Validate(whole, suite, options);
  }
  return result;
}

}  // namespace sluice::validation
