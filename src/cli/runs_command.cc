// sluice runs list|show|compare|delete|restore|reproduce
#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "api/mlflow_json.h"
#include "base/progress.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "training/reproduce.h"

namespace sluice::cli {
namespace {

constexpr size_t kMaxMetricColumns = 6;

std::string RunLabel(const tracking::Run& run) {
  return run.info.run_name.empty() ? run.info.run_id.substr(0, 8) : run.info.run_name;
}

void PrintRun(const tracking::Run& run) {
  const tracking::RunInfo& i = run.info;
  std::cout << "run_id:         " << i.run_id << "\n"
            << "run_name:       " << i.run_name << "\n"
            << "experiment_id:  " << i.experiment_id << "\n"
            << "status:         " << i.status << "\n"
            << "user:           " << (i.user_id.empty() ? "-" : i.user_id) << "\n"
            << "started:        " << FormatTime(i.start_time) << "\n"
            << "ended:          " << FormatTime(i.end_time) << "\n"
            << "artifact_uri:   " << i.artifact_uri << "\n"
            << "lifecycle:      " << i.lifecycle_stage << "\n";
  if (!run.params.empty()) {
    Table params({"PARAM", "VALUE"});
    for (const auto& p : run.params) params.AddRow({p.key, p.value});
    std::cout << "\n" << params.Render();
  }
  if (!run.metrics.empty()) {
    Table metrics({"METRIC", "VALUE", "STEP", "TIME"});
    for (const auto& m : run.metrics) {
      metrics.AddRow(
          {m.key, FormatNumber(m.value), std::to_string(m.step), FormatTime(m.timestamp)});
    }
    std::cout << "\n" << metrics.Render();
  }
  if (!run.tags.empty()) {
    Table tags({"TAG", "VALUE"});
    for (const auto& t : run.tags) tags.AddRow({t.key, t.value});
    std::cout << "\n" << tags.Render();
  }
  if (!run.inputs.empty()) {
    Table inputs({"DATASET", "DIGEST", "SOURCE"});
    for (const auto& in : run.inputs) {
      inputs.AddRow({in.dataset.name, in.dataset.digest, in.dataset.source});
    }
    std::cout << "\n" << inputs.Render();
  }
}

// One compared key: its value in each run (nullopt where the run lacks it) and whether they
// differ. Metric values are the latest point, formatted as people read them.
struct ComparedKey {
  std::string kind;  // "param" or "metric"
  std::string key;
  std::vector<std::optional<std::string>> values;
  bool differs = false;
};

std::vector<ComparedKey> Compare(const std::vector<tracking::Run>& runs) {
  std::vector<std::map<std::string, std::string>> params(runs.size()), metrics(runs.size());
  std::set<std::string> param_keys, metric_keys;
  for (size_t i = 0; i < runs.size(); ++i) {
    for (const auto& p : runs[i].params) {
      params[i][p.key] = p.value;
      param_keys.insert(p.key);
    }
    for (const auto& m : runs[i].metrics) {
      metrics[i][m.key] = FormatNumber(m.value);
      metric_keys.insert(m.key);
    }
  }
  std::vector<ComparedKey> out;
  auto add = [&](std::string_view kind, const std::set<std::string>& keys,
                 const std::vector<std::map<std::string, std::string>>& values) {
    for (const std::string& key : keys) {
      ComparedKey row{std::string(kind), key, {}, false};
      for (const auto& by_key : values) {
        auto it = by_key.find(key);
        row.values.push_back(it == by_key.end() ? std::nullopt
                                                : std::optional<std::string>(it->second));
      }
      row.differs = std::any_of(row.values.begin(), row.values.end(),
                                [&](const auto& v) { return v != row.values.front(); });
      out.push_back(std::move(row));
    }
  };
  add("param", param_keys, params);
  add("metric", metric_keys, metrics);
  return out;
}

// Rows "param x" / "metric y" across runs; a leading '*' marks rows whose values differ.
void PrintComparison(const std::vector<tracking::Run>& runs) {
  std::vector<std::string> header = {"", "KEY"};
  for (const auto& run : runs) header.push_back(RunLabel(run));
  Table table(header);
  for (const ComparedKey& c : Compare(runs)) {
    std::vector<std::string> row = {c.differs ? "*" : "", fmt::format("{} {}", c.kind, c.key)};
    for (const auto& v : c.values) row.push_back(v.value_or("-"));
    table.AddRow(std::move(row));
  }
  std::cout << table.Render();
}

nlohmann::json ComparisonJson(const std::vector<tracking::Run>& runs) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& run : runs) ids.push_back(run.info.run_id);
  nlohmann::json keys = nlohmann::json::array();
  for (const ComparedKey& c : Compare(runs)) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& v : c.values) values.push_back(v ? nlohmann::json(*v) : nlohmann::json());
    keys.push_back({{"kind", c.kind}, {"key", c.key}, {"values", values}, {"differs", c.differs}});
  }
  return {{"run_ids", ids}, {"keys", keys}};
}

}  // namespace

void AddRunsCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand(
      "runs", "List, show, compare, delete, restore and reproduce runs; list their artifacts");
  group->require_subcommand(1);
  const GlobalOptions& global = context.global;

  {
    CLI::App* cmd = group->add_subcommand(
        "list", "Search the runs of one or more experiments with MLflow's filter and order rules");
    struct Flags {
      std::vector<std::string> experiments;
      std::string filter, view = "active";
      std::vector<std::string> order_by;
      int64_t max_results = 100;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("--experiment,-e", f->experiments,
                    "Experiment id or name (repeatable; default: the Default experiment)");
    cmd->add_option("--filter", f->filter,
                    "MLflow filter, e.g. \"metrics.auc > 0.8 and params.depth = '6'\"");
    cmd->add_option("--order-by", f->order_by,
                    "Order key (repeatable), e.g. \"metrics.auc DESC\"; missing values sort last");
    cmd->add_option("--view", f->view, "Which runs: active, deleted or all")
        ->check(CLI::IsMember({"active", "deleted", "all"}))
        ->capture_default_str();
    cmd->add_option("--max-results", f->max_results, "At most this many runs")
        ->check(CLI::Range(int64_t{1}, tracking::kMaxSearchResults))
        ->capture_default_str();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      tracking::SearchRunsRequest req;
      if (f->experiments.empty())
        req.experiment_ids.push_back(std::string(tracking::kDefaultExperimentId));
      for (const std::string& e : f->experiments) {
        SLUICE_ASSIGN_OR_RETURN(tracking::Experiment experiment, ResolveExperiment(*s.tracking, e));
        req.experiment_ids.push_back(experiment.experiment_id);
      }
      req.filter = f->filter;
      req.order_by = f->order_by;
      req.view_type = f->view == "all"       ? "ALL"
                      : f->view == "deleted" ? "DELETED_ONLY"
                                             : "ACTIVE_ONLY";
      req.max_results = f->max_results;
      SLUICE_ASSIGN_OR_RETURN(auto page, s.tracking->SearchRuns(req));
      if (global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& run : page.items) list.push_back(api::ToJson(run));
        PrintJson({{"runs", list}});
        return Status();
      }
      // Metric columns: those named in the filter or order first, then the rest by name.
      std::vector<std::string> columns;
      std::set<std::string> all;
      for (const auto& run : page.items) {
        for (const auto& m : run.metrics) all.insert(m.key);
      }
      for (const std::string& key : all) {
        bool named = f->filter.find(key) != std::string::npos ||
                     std::any_of(f->order_by.begin(), f->order_by.end(), [&](const std::string& o) {
                       return o.find(key) != std::string::npos;
                     });
        if (named) columns.push_back(key);
      }
      for (const std::string& key : all) {
        if (columns.size() >= kMaxMetricColumns) break;
        if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
      }
      std::vector<std::string> header = {"RUN ID", "NAME", "STATUS", "STARTED"};
      header.insert(header.end(), columns.begin(), columns.end());
      Table table(header);
      for (const auto& run : page.items) {
        std::vector<std::string> row = {run.info.run_id, run.info.run_name, run.info.status,
                                        FormatTime(run.info.start_time)};
        for (const std::string& key : columns) {
          auto it = std::find_if(run.metrics.begin(), run.metrics.end(),
                                 [&](const tracking::Metric& m) { return m.key == key; });
          row.push_back(it == run.metrics.end() ? "-" : FormatNumber(it->value));
        }
        table.AddRow(std::move(row));
      }
      std::cout << table.Render();
      if (!page.next_page_token.empty()) {
        std::cout << "(more runs match; raise --max-results to see them)\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "show", "Show one run: its info, params, latest metrics, tags and datasets");
    auto id = std::make_shared<std::string>();
    cmd->add_option("run-id", *id, "Run id")->required();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [id, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(tracking::Run run, s.tracking->GetRun(*id));
      if (global.json) {
        PrintJson({{"run", api::ToJson(run)}});
      } else {
        PrintRun(run);
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "artifacts",
        "List a run's artifact files (every file under PATH, default the whole run) with sizes "
        "and digests");
    struct Flags {
      std::string id, path;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("run-id", f->id, "Run id")->required();
    cmd->add_option("path", f->path, "A folder or file within the run's artifacts");
    AddCommonFlags(*cmd, context);
    cmd->footer(
        "Copy them out, each checked against its digest: sluice models download "
        "runs:/<run-id>/<path> DEST");
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(tracking::Run run, s.tracking->GetRun(f->id));
      std::optional<std::string> root = tracking::ArtifactStorePath(run.info.artifact_uri);
      if (!root) {
        return Unimplemented("run artifacts at '{}' are outside this workspace's artifact store",
                             run.info.artifact_uri);
      }
      std::string dir = *root;
      if (!f->path.empty()) dir += "/" + f->path;
      SLUICE_ASSIGN_OR_RETURN(std::vector<tracking::ArtifactFile> files,
                              s.artifacts->ListRecursive(dir));
      if (files.empty()) {
        // A file rather than a folder, or nothing at all.
        Result<tracking::ArtifactFile> file = s.artifacts->Stat(dir);
        if (!file.ok()) {
          return NotFound("run {} has no artifact at '{}'", f->id, f->path.empty() ? "/" : f->path);
        }
        files.push_back(*file);
      }
      if (global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& file : files) {
          list.push_back({{"path", file.path.substr(root->size() + 1)},
                          {"size_bytes", file.size_bytes},
                          {"sha256", file.digest}});
        }
        PrintJson({{"run_id", f->id}, {"artifact_uri", run.info.artifact_uri}, {"files", list}});
        return Status();
      }
      Table table({"PATH", "SIZE", "SHA256"});
      for (const auto& file : files) {
        table.AddRow({file.path.substr(root->size() + 1), FormatBytes(file.size_bytes),
                      file.digest.substr(0, 12)});
      }
      std::cout << table.Render();
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "compare", "Params and latest metrics of several runs side by side; '*' marks differences");
    auto ids = std::make_shared<std::vector<std::string>>();
    cmd->add_option("run-ids", *ids, "Two or more run ids")->required()->expected(2, 1000);
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [ids, &global](Session& s) -> Status {
      std::vector<tracking::Run> runs;
      for (const std::string& id : *ids) {
        SLUICE_ASSIGN_OR_RETURN(tracking::Run run, s.tracking->GetRun(id));
        runs.push_back(std::move(run));
      }
      if (global.json) {
        PrintJson(ComparisonJson(runs));
      } else {
        PrintComparison(runs);
      }
      return Status();
    }));
  }
  for (bool restore : {false, true}) {
    CLI::App* cmd = group->add_subcommand(
        restore ? "restore" : "delete",
        restore ? "Restore a deleted run" : "Delete a run (soft: `runs restore` undoes it)");
    auto id = std::make_shared<std::string>();
    cmd->add_option("run-id", *id, "Run id")->required();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [id, restore, &global](Session& s) -> Status {
      SLUICE_RETURN_IF_ERROR(restore ? s.tracking->RestoreRun(*id) : s.tracking->DeleteRun(*id));
      if (global.json) {
        PrintJson({{"run_id", *id}, {"lifecycle_stage", restore ? "active" : "deleted"}});
      } else {
        std::cout << (restore ? "Restored" : "Deleted") << " run " << *id << "\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "reproduce",
        "Retrain a training run from its record (stored config, data checked by digest) into a "
        "new run; exit code 0 when the model bytes are identical, 8 when they differ");
    auto id = std::make_shared<std::string>();
    cmd->add_option("run-id", *id, "Id of a run made by `sluice train`")->required();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [id, &global, &context](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(training::ReproduceResult result,
                              training::Reproduce(*id, TrainingServices(s)));
      if (!result.identical) context.exit_code = kExitCheckFailed;
      if (global.json) {
        PrintJson({{"run_id", result.original_run_id},
                   {"reproduced_run_id", result.retrained.run_id},
                   {"model_sha256", result.original_model_sha256},
                   {"reproduced_model_sha256", result.retrained.model_sha256},
                   {"identical", result.identical}});
      } else {
        std::cout << "original    " << result.original_run_id << "  model sha256 "
                  << result.original_model_sha256 << "\n"
                  << "reproduced  " << result.retrained.run_id << "  model sha256 "
                  << result.retrained.model_sha256 << "\n"
                  << (result.identical ? "identical: the same model bytes\n"
                                       : "DIFFERENT: the model bytes do not match\n");
      }
      return Status();
    }));
  }
}

}  // namespace sluice::cli
