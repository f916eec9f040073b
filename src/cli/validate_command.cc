// sluice validate run | infer | skew | list: expectation suites over data files.
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "base/clock.h"
#include "base/file_util.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "validation/validation.h"

namespace sluice::cli {
namespace {

using Json = nlohmann::json;

// ---- Where data comes from -------------------------------------------------------------------
// DATA is a file, else a dataset version of the workspace (churn, churn@2, churn@TAG). The
// workspace is opened only then, so files validate outside any workspace.
struct DataSource {
  std::string path;
  std::optional<Session> session;  // open when DATA is a dataset version
  std::optional<datasets::VersionInfo> version;
};

Result<DataSource> OpenData(const GlobalOptions& global, const std::string& data) {
  std::error_code ec;
  if (std::filesystem::exists(data, ec)) return DataSource{data, std::nullopt, std::nullopt};
  Result<Session> session = OpenSession(global);
  if (!session.ok()) {
    return NotFound(
        "'{}' is not a file, and it cannot be looked up as a dataset version ({}); give a .csv, "
        ".tsv, .jsonl or .ndjson file, or run inside a workspace that holds the dataset",
        data, session.status().message());
  }
  SLUICE_ASSIGN_OR_RETURN(std::optional<datasets::ResolvedData> resolved,
                          datasets::ResolveDataArgument(*session->datasets, data));
  if (!resolved) return DataSource{data, std::nullopt, std::nullopt};
  return DataSource{resolved->path.string(), std::move(*session), std::move(resolved->version)};
}

// DATA as one table in memory (inference and skew look at every value).
Result<table::Table> ReadData(const GlobalOptions& global, const std::string& data) {
  SLUICE_ASSIGN_OR_RETURN(DataSource source, OpenData(global, data));
  return table::ReadTable(source.path);
}

// ----------------------------------------------------------------------------------------------

// Commands here work on files and need no workspace; errors are reported the usual way.
std::function<void()> FileCommand(CommandContext& context, std::function<Status()> body) {
  return [&context, body = std::move(body)] {
    Status status = body();
    if (!status.ok()) context.exit_code = ReportError(context.global, status);
  };
}

std::string Thousands(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

std::string Cut(std::string text, size_t width) {
  if (text.size() > width) text = text.substr(0, width - 3) + "...";
  return text;
}

struct RunFlags {
  std::string data, suite, result_format, html, run_id;
  size_t threads = 0;
};

// The part of a metric or tag key (and artifact file name) that names the suite: letters, digits,
// _ - . and space, which MLflow keys allow; anything else, '/' too, becomes _.
std::string KeyPart(std::string_view name) {
  std::string key(name);
  for (char& c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("_-. ").find(c) == std::string_view::npos) {
      c = '_';
    }
  }
  return key;
}

// The tracking run a check is recorded on; checked before the data is read, so a wrong id
// changes nothing and costs nothing.
Result<tracking::Run> ActiveRun(Session& s, const std::string& run_id) {
  SLUICE_ASSIGN_OR_RETURN(tracking::Run run, s.tracking->GetRun(run_id));
  if (run.info.lifecycle_stage == tracking::kDeleted) {
    return FailedPrecondition(
        "run '{}' is deleted; restore it (sluice runs restore {}) or name "
        "another with --run-id",
        run_id, run_id);
  }
  if (!tracking::ArtifactStorePath(run.info.artifact_uri)) {
    return Unimplemented("run artifacts at '{}' are outside this workspace's artifact store",
                         run.info.artifact_uri);
  }
  return run;
}

// On the run, as MLflow users look for it (named like train --suite's data_validation.json, apart
// from the validation split's metrics): metrics data_validation.<suite>.success (1 or 0),
// .successful_expectations, .unsuccessful_expectations, .success_percent (when anything was
// evaluated) and .rows; the tag sluice.data_validation.<suite> = passed|failed; the result (Great
// Expectations' JSON) as the artifact data_validation/<suite>.json and, with --html, the report as
// data_validation/<suite>.html.
Status RecordOnRun(Session& s, const tracking::Run& run, const std::string& suite,
                   const validation::SuiteResult& result, const std::string& html) {
  const std::string key = KeyPart(suite);
  const int64_t now = SystemClock::Get().NowMillis();
  const validation::SuiteStatistics& stats = result.statistics;
  std::vector<tracking::Metric> metrics;
  auto add = [&](std::string_view name, double value) {
    metrics.push_back({.key = fmt::format("data_validation.{}.{}", key, name),
                       .value = value,
                       .timestamp = now,
                       .step = 0});
  };
  add("success", result.success ? 1.0 : 0.0);
  add("successful_expectations", static_cast<double>(stats.successful_expectations));
  add("unsuccessful_expectations", static_cast<double>(stats.unsuccessful_expectations));
  if (stats.success_percent) add("success_percent", *stats.success_percent);
  add("rows", static_cast<double>(result.rows));
  SLUICE_RETURN_IF_ERROR(s.tracking->LogBatch(
      run.info.run_id, metrics, {},
      {{"sluice.data_validation." + key, result.success ? "passed" : "failed"}}));
  const std::string root = *tracking::ArtifactStorePath(run.info.artifact_uri);
  SLUICE_RETURN_IF_ERROR(
      s.artifacts
          ->Put(fmt::format("{}/data_validation/{}.json", root, key), result.ToJson().dump(2))
          .status());
  if (!html.empty()) {
    SLUICE_ASSIGN_OR_RETURN(std::string report, ReadFileToString(html));
    SLUICE_RETURN_IF_ERROR(
        s.artifacts->Put(fmt::format("{}/data_validation/{}.html", root, key), report).status());
  }
  return Status::Ok();
}

void PrintRun(const validation::SuiteResult& r, size_t expectations) {
  std::cout << "suite    " << (r.suite_name.empty() ? "-" : r.suite_name) << " (" << expectations
            << " expectations)\n"
            << "data     " << r.data << " (" << Thousands(r.rows) << " rows, " << r.columns.size()
            << " columns) in " << fmt::format("{:.2f} s", r.seconds) << "\n"
            << "result   "
            << fmt::format("{}: {} of {} passed", r.success ? "PASSED" : "FAILED",
                           r.statistics.successful_expectations,
                           r.statistics.evaluated_expectations)
            << "\n\n";
  Table table({"#", "STATUS", "EXPECTATION", "COLUMN", "RESULT"});
  for (const validation::ExpectationResult& e : r.results) {
    const char* status = e.raised_exception ? "ERROR" : e.success ? "ok" : "FAIL";
    table.AddRow({std::to_string(e.index + 1), status, e.config.type,
                  Cut(validation::ColumnsOf(e.config), 24), Cut(validation::ResultSummary(e), 90)});
  }
  std::cout << table.Render();
}

void AddRun(CLI::App& group, CommandContext& context) {
  CLI::App* cmd = group.add_subcommand(
      "run",
      "Check DATA against a suite: every expectation in one pass over the data, streamed in "
      "chunks (files larger than memory are fine). Exit code 0 when every expectation passes, 8 "
      "when any fails");
  auto f = std::make_shared<RunFlags>();
  cmd->add_option("DATA", f->data,
                  "The data: a .csv, .tsv, .jsonl or .ndjson file, or a dataset version (churn, "
                  "churn@2, churn@TAG)")
      ->required();
  cmd->add_option("--suite,-s", f->suite,
                  "The suite: YAML (docs/formats/validation-suite.md) or Great Expectations' "
                  "JSON suite")
      ->required();
  cmd->add_option("--result-format", f->result_format,
                  "BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE for every expectation (default: each "
                  "expectation's own result_format, else BASIC); shapes --json as in Great "
                  "Expectations");
  cmd->add_option("--html", f->html,
                  "Also write a self-contained HTML report: results, failing samples, column "
                  "histograms");
  cmd->add_option("--threads", f->threads, "Threads evaluating columns (default: one per core)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--run-id", f->run_id,
                  "Also record the result on this tracking run: metrics "
                  "data_validation.<suite>.success (1/0), .successful_expectations, "
                  ".unsuccessful_expectations, .success_percent, .rows; tag "
                  "sluice.data_validation.<suite> (passed/failed); artifacts "
                  "data_validation/<suite>.json (and .html with --html)");
  AddCommonFlags(*cmd, context);
  cmd->footer(
      "Output: a table of results; with --json, Great Expectations' validation result "
      "(success, results[] with expectation_config and result, statistics).\n"
      "Examples:\n"
      "  sluice validate run data/new.csv --suite checks.yaml\n"
      "  sluice validate run churn@3 --suite checks.yaml   # the result is kept with churn@3\n"
      "  sluice validate run data/new.csv --suite checks.yaml --result-format SUMMARY --json\n"
      "  sluice validate run data/new.csv --suite ge_suite.json --html report.html\n"
      "  sluice validate run data/new.csv --suite checks.yaml --run-id 3f2a...   # on the run");
  cmd->callback(FileCommand(context, [f, &context]() -> Status {
    SLUICE_ASSIGN_OR_RETURN(validation::Suite suite, validation::ReadSuite(f->suite));
    validation::ValidateOptions options;
    options.threads = f->threads;
    options.profile_columns = !f->html.empty();
    if (!f->result_format.empty()) {
      SLUICE_ASSIGN_OR_RETURN(
          options.result_format,
          validation::ParseResultFormat(f->result_format).WithContext("--result-format"));
    }
    SLUICE_ASSIGN_OR_RETURN(DataSource source, OpenData(context.global, f->data));
    std::optional<tracking::Run> run;
    if (!f->run_id.empty()) {
      if (!source.session) {
        SLUICE_ASSIGN_OR_RETURN(source.session, OpenSession(context.global));
      }
      SLUICE_ASSIGN_OR_RETURN(run, ActiveRun(*source.session, f->run_id));
    }
    SLUICE_ASSIGN_OR_RETURN(validation::SuiteResult result,
                            validation::ValidateFile(source.path, suite, options));
    const std::string suite_name = result.suite_name.empty()
                                       ? std::filesystem::path(f->suite).stem().string()
                                       : result.suite_name;
    // A dataset version keeps its checks: `sluice data log` shows the latest.
    if (source.version) {
      result.data = fmt::format("{}@{}", source.version->name, source.version->version);
      SLUICE_RETURN_IF_ERROR(source.session->datasets->RecordValidation(
          *source.version, {.suite = suite_name,
                            .success = result.success,
                            .evaluated = result.statistics.evaluated_expectations,
                            .failed = result.statistics.unsuccessful_expectations,
                            .rows = result.rows,
                            .created_by = CurrentUser(),
                            .result = result.ToJson().dump()}));
    }
    if (!f->html.empty()) SLUICE_RETURN_IF_ERROR(validation::WriteHtmlReport(result, f->html));
    if (run) {
      SLUICE_RETURN_IF_ERROR(RecordOnRun(*source.session, *run, suite_name, result, f->html));
    }
    if (context.global.json) {
      PrintJson(result.ToJson());
    } else {
      PrintRun(result, suite.expectations.size());
      if (!f->html.empty()) std::cout << "\nreport   " << f->html << "\n";
      if (run) std::cout << "recorded on run " << run->info.run_id << "\n";
    }
    if (!result.success) context.exit_code = kExitCheckFailed;
    return Status::Ok();
  }));
}

struct InferFlags {
  std::string data, out, name;
  double margin = 0.1;
  size_t max_set_size = 20;
};

void AddInfer(CLI::App& group, CommandContext& context) {
  CLI::App* cmd = group.add_subcommand(
      "infer",
      "Write a suite describing DATA as it is: columns and row count, each column's type, "
      "nullability, range (with a margin) or set of values, length range, uniqueness. Edit it, "
      "then check new data with `sluice validate run`");
  auto f = std::make_shared<InferFlags>();
  cmd->add_option("DATA", f->data,
                  "The data: a .csv, .tsv, .jsonl or .ndjson file, or a dataset version (churn, "
                  "churn@2, churn@TAG)")
      ->required();
  cmd->add_option("--out,-o", f->out,
                  "Where to write the suite: .yaml/.yml (default form) or .json (Great "
                  "Expectations' suite JSON); default: print YAML to stdout");
  cmd->add_option("--name", f->name,
                  "Suite name (default: the dataset's name, or the data file's stem)");
  cmd->add_option("--margin", f->margin, "Ranges grow by this fraction of (max - min) on each side")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  cmd->add_option("--max-set-size", f->max_set_size,
                  "String columns with at most this many distinct values get a value set")
      ->check(CLI::Range(size_t{0}, size_t{10000}))
      ->capture_default_str();
  AddCommonFlags(*cmd, context);
  cmd->footer(
      "Examples:\n"
      "  sluice validate infer data/train.csv --out checks.yaml\n"
      "  sluice validate infer data/train.csv --out suite.json   # for Great Expectations");
  cmd->callback(FileCommand(context, [f, &context]() -> Status {
    SLUICE_ASSIGN_OR_RETURN(DataSource source, OpenData(context.global, f->data));
    SLUICE_ASSIGN_OR_RETURN(table::Table data, table::ReadTable(source.path));
    validation::InferOptions options;
    options.name = !f->name.empty() ? f->name
                   : source.version ? source.version->name
                                    : std::filesystem::path(f->data).stem().string();
    options.margin = f->margin;
    options.max_set_size = f->max_set_size;
    SLUICE_ASSIGN_OR_RETURN(validation::Suite suite, validation::InferSuite(data, options));
    const std::string header = fmt::format(
        "# Inferred by `sluice validate infer` from {} ({} rows, {} columns).\n"
        "# Edit freely: docs/formats/validation-suite.md lists every expectation.\n",
        f->data, data.num_rows(), data.num_columns());
    if (!f->out.empty()) {
      std::string ext = std::filesystem::path(f->out).extension().string();
      if (ext == ".json") {
        SLUICE_RETURN_IF_ERROR(validation::WriteSuite(suite, f->out));
      } else {
        SLUICE_RETURN_IF_ERROR(
            WriteFileAtomically(f->out, header + validation::SuiteToYaml(suite)));
      }
    }
    if (context.global.json) {
      PrintJson({{"suite", validation::SuiteToGeJson(suite)},
                 {"out", f->out.empty() ? Json(nullptr) : Json(f->out)},
                 {"expectations", suite.expectations.size()},
                 {"rows", data.num_rows()}});
    } else if (f->out.empty()) {
      std::cout << header << validation::SuiteToYaml(suite);
    } else {
      std::cout << "wrote " << f->out << ": " << suite.expectations.size()
                << " expectations inferred from " << f->data << " ("
                << Thousands(static_cast<int64_t>(data.num_rows())) << " rows)\n";
    }
    return Status::Ok();
  }));
}

struct SkewFlags {
  std::string reference, current;
  double threshold = 0.1;
  std::vector<std::string> column_thresholds, categorical, columns;
  int bins = 10;
};

void AddSkew(CLI::App& group, CommandContext& context) {
  CLI::App* cmd = group.add_subcommand(
      "skew",
      "Compare two datasets column by column with TFDV's comparators: L-infinity distance "
      "between value shares for categorical columns, Jensen-Shannon divergence between "
      "histograms for numeric ones. Exit code 8 when a column goes past its threshold or the "
      "columns differ");
  auto f = std::make_shared<SkewFlags>();
  cmd->add_option("--reference,-r", f->reference,
                  "Reference data (e.g. the training data): a file or a dataset version")
      ->required();
  cmd->add_option("--current,-c", f->current,
                  "Current data (e.g. serving traffic): a file or a dataset version")
      ->required();
  cmd->add_option("--threshold", f->threshold, "Default threshold of every column")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--column-threshold", f->column_thresholds,
                  "A column's own threshold: --column-threshold age=0.2 (repeatable)");
  cmd->add_option("--categorical", f->categorical,
                  "Compare an int64 column as categories rather than numbers (repeatable)");
  cmd->add_option("--columns", f->columns, "Only these columns (repeatable; default: all shared)");
  cmd->add_option("--bins", f->bins, "Histogram buckets for numeric columns")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  AddCommonFlags(*cmd, context);
  cmd->footer(
      "Numeric histograms: --bins equal-width buckets over each dataset's own range, aligned to "
      "the union of both sets of boundaries (TFDV). Nulls are left out.\n"
      "Examples:\n"
      "  sluice validate skew --reference train.csv --current serving.csv\n"
      "  sluice validate skew -r train.csv -c today.csv --threshold 0.05 --column-threshold "
      "country=0.2 --json");
  cmd->callback(FileCommand(context, [f, &context]() -> Status {
    validation::SkewOptions options;
    options.threshold = f->threshold;
    options.bins = f->bins;
    options.categorical = f->categorical;
    options.columns = f->columns;
    for (const std::string& item : f->column_thresholds) {
      const size_t eq = item.find('=');
      double value = 0;
      if (eq == std::string::npos || !(std::istringstream(item.substr(eq + 1)) >> value) ||
          value < 0) {
        return InvalidArgument(
            "--column-threshold '{}': expected column=threshold, e.g. --column-threshold age=0.2",
            item);
      }
      options.column_thresholds[item.substr(0, eq)] = value;
    }
    SLUICE_ASSIGN_OR_RETURN(table::Table reference,
                            ReadData(context.global, f->reference).WithContext("--reference"));
    SLUICE_ASSIGN_OR_RETURN(table::Table current,
                            ReadData(context.global, f->current).WithContext("--current"));
    SLUICE_ASSIGN_OR_RETURN(validation::SkewResult skew,
                            validation::ComputeSkew(reference, current, options));
    if (context.global.json) {
      Json out = skew.ToJson();
      out["reference"] = f->reference;
      out["current"] = f->current;
      PrintJson(out);
    } else {
      std::cout << "reference  " << f->reference << " ("
                << Thousands(static_cast<int64_t>(reference.num_rows())) << " rows)\ncurrent    "
                << f->current << " (" << Thousands(static_cast<int64_t>(current.num_rows()))
                << " rows)\n\n";
      Table table({"COLUMN", "KIND", "METRIC", "VALUE", "THRESHOLD", "STATUS", "NOTE"});
      for (const validation::ColumnSkew& c : skew.columns) {
        table.AddRow({c.column, c.categorical ? "categorical" : "numeric", c.metric,
                      c.value ? fmt::format("{:.4f}", *c.value) : "-",
                      fmt::format("{:g}", c.threshold), c.anomaly ? "SKEW" : "ok",
                      c.categorical && c.value
                          ? Cut("largest difference: " + c.max_difference_value, 40)
                          : (!c.value ? "values on one side only" : "")});
      }
      std::cout << table.Render();
      for (const std::string& name : skew.only_in_reference) {
        std::cout << "only in reference: " << name << "\n";
      }
      for (const std::string& name : skew.only_in_current) {
        std::cout << "only in current:   " << name << "\n";
      }
      for (const std::string& m : skew.type_mismatches)
        std::cout << "type mismatch:     " << m << "\n";
      std::cout << "\nresult     " << (skew.anomaly ? "SKEW" : "no skew") << "\n";
    }
    if (skew.anomaly) context.exit_code = kExitCheckFailed;
    return Status::Ok();
  }));
}

void AddList(CLI::App& group, CommandContext& context) {
  CLI::App* cmd = group.add_subcommand(
      "list", "Every expectation a suite can use, with its parameters and defaults");
  auto markdown = std::make_shared<bool>(false);
  cmd->add_flag("--markdown", *markdown,
                "Print the tables of docs/formats/validation-suite.md instead");
  AddCommonFlags(*cmd, context);
  cmd->callback(FileCommand(context, [markdown, &context]() -> Status {
    if (*markdown) {
      std::cout << validation::ExpectationsMarkdown();
      return Status::Ok();
    }
    if (!context.global.json) {
      std::cout << validation::ExpectationsHelpText();
      return Status::Ok();
    }
    Json out = Json::array();
    for (const validation::ExpectationSpec& spec : validation::AllExpectations()) {
      Json params = Json::array();
      for (const validation::ParamSpec* p : validation::ParamsOf(spec)) {
        Json param = {{"name", p->name},
                      {"type", p->type == validation::ParamType::kChoice
                                   ? std::string(p->choices)
                                   : std::string(validation::ParamTypeName(p->type))},
                      {"required", p->required},
                      {"help", p->help}};
        if (!p->required) param["default"] = Json::parse(p->default_json);
        params.push_back(std::move(param));
      }
      out.push_back({{"expectation_type", spec.type},
                     {"kind", validation::KindName(spec.kind)},
                     {"help", spec.help},
                     {"parameters", params}});
    }
    PrintJson(out);
    return Status::Ok();
  }));
}

}  // namespace

void AddValidateCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand(
      "validate",
      "Data validation with Great Expectations' semantics: run a suite over data, infer a suite "
      "from data, compare two datasets for skew");
  group->require_subcommand(1);
  AddRun(*group, context);
  AddInfer(*group, context);
  AddSkew(*group, context);
  AddList(*group, context);
}

}  // namespace sluice::cli
