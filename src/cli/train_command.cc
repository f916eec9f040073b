// sluice train | tune | evaluate
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <iostream>

#include "base/file_util.h"
#include "base/progress.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "training/evaluate.h"
#include "training/trainer.h"
#include "training/tune.h"

namespace sluice::cli {
namespace {

using Json = nlohmann::json;

constexpr size_t kTopFeatures = 5;

// Flags every training command shares; they override the config file, and --set overrides all.
struct TrainFlags {
  std::string config_file;
  std::string data, target, algorithm, task, experiment, run_name, register_as, suite;
  std::vector<std::string> sets;
  bool help_config = false;
};

void AddTrainFlags(CLI::App& cmd, TrainFlags& f) {
  cmd.add_option("--config,-c", f.config_file, "train.yaml (see --help-config)");
  cmd.add_option(
      "--data", f.data,
      "Training data: a CSV, TSV or JSONL file, or a dataset version: churn (latest), churn@2, "
      "churn@TAG (field: data)");
  cmd.add_option("--target", f.target, "The column to predict (field: target)");
  cmd.add_option("--suite", f.suite,
                 "An expectation suite the data must pass, or training is refused (field: suite)");
  cmd.add_option("--algo", f.algorithm, "xgboost or linear (field: algorithm)");
  cmd.add_option("--task", f.task, "auto, binary, multiclass or regression (field: task)");
  cmd.add_option("--experiment", f.experiment, "Experiment name (created when missing)");
  cmd.add_option("--run-name", f.run_name, "Name of the run");
  cmd.add_option("--register", f.register_as, "Register the (best) model under this name");
  cmd.add_option("--set", f.sets, "Override one field: --set xgboost.max_depth=8 (repeatable)");
  cmd.add_flag("--help-config", f.help_config,
               "List every train.yaml field with its default, "
               "range and meaning, then exit");
}

Result<training::TrainConfig> BuildConfig(const TrainFlags& f) {
  training::TrainConfig config;
  if (!f.config_file.empty()) {
    SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(f.config_file));
    SLUICE_ASSIGN_OR_RETURN(config, training::TrainConfig::FromYaml(text, f.config_file));
  }
  const std::pair<const char*, const std::string*> flags[] = {{"data", &f.data},
                                                              {"target", &f.target},
                                                              {"algorithm", &f.algorithm},
                                                              {"task", &f.task},
                                                              {"experiment", &f.experiment},
                                                              {"run_name", &f.run_name},
                                                              {"register", &f.register_as},
                                                              {"suite", &f.suite}};
  for (const auto& [key, value] : flags) {
    if (!value->empty()) SLUICE_RETURN_IF_ERROR(config.Set(key, *value).WithContext("flag"));
  }
  for (const std::string& set : f.sets) {
    size_t eq = set.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument("--set '{}': expected key=value, e.g. --set xgboost.max_depth=8", set);
    }
    SLUICE_RETURN_IF_ERROR(config.Set(set.substr(0, eq), set.substr(eq + 1)).WithContext("--set"));
  }
  return config;
}

Json MetricsJson(const std::map<std::string, double>& metrics) {
  Json out = Json::object();
  for (const auto& [k, v] : metrics) out[k] = std::isfinite(v) ? Json(v) : Json(nullptr);
  return out;
}

Json TrainJson(const training::TrainResult& r) {
  Json importance = Json::array();
  for (const auto& [feature, value] : r.importance) {
    importance.push_back({{"feature", feature}, {"importance", value}});
  }
  Json out = {
      {"run_id", r.run_id},
      {"run_name", r.run_name},
      {"experiment_id", r.experiment_id},
      {"algorithm", r.config.String("algorithm")},
      {"task", models::TaskName(r.task)},
      {"rows", {{"train", r.train_rows}, {"validation", r.validation_rows}, {"test", r.test_rows}}},
      {"features", r.num_features},
      {"rounds", r.rounds},
      {"best_round", r.best_round ? Json(*r.best_round) : Json(nullptr)},
      {"metrics", MetricsJson(r.metrics)},
      {"feature_importance", importance},
      {"data_sha256", r.data_sha256},
      {"data_check", r.data_check
                         ? Json{{"suite", r.data_check->suite_name},
                                {"passed", r.data_check->success},
                                {"expectations", r.data_check->statistics.evaluated_expectations}}
                         : Json(nullptr)},
      {"model_sha256", r.model_sha256},
      {"model_uri", fmt::format("runs:/{}/{}", r.run_id, training::kModelArtifactPath)}};
  if (r.registered) {
    out["registered"] = {{"name", r.registered->name}, {"version", r.registered->version}};
  }
  return out;
}

// The headline metrics: validation and test, in the order the task lists them.
void PrintTrainResult(const training::TrainResult& r) {
  std::cout << "run        " << r.run_name << " (" << r.run_id << ")\n"
            << "model      " << r.config.String("algorithm") << " " << models::TaskName(r.task)
            << ", " << r.num_features << " features, " << r.rounds
            << (r.config.String("algorithm") == "linear" ? " iterations" : " rounds")
            << (r.best_round ? fmt::format(" (best round {})", *r.best_round) : "") << "\n"
            << "rows       " << r.train_rows << " train, " << r.validation_rows << " validation, "
            << r.test_rows << " test\n";
  if (r.data_check) {
    std::cout << "data check passed: " << r.data_check->statistics.evaluated_expectations
              << " expectations of suite '" << r.data_check->suite_name << "'\n";
  }
  Table metrics({"METRIC", "TRAIN", "VALIDATION", "TEST"});
  std::map<std::string, std::array<std::string, 3>> rows;
  for (const auto& [key, value] : r.metrics) {
    size_t underscore = key.find('_');
    std::string part = key.substr(0, underscore), name = key.substr(underscore + 1);
    int column = part == "train" ? 0 : part == "validation" ? 1 : 2;
    rows[name][column] = FormatNumber(value);
  }
  for (const auto& [name, values] : rows) {
    metrics.AddRow({name, values[0].empty() ? "-" : values[0], values[1].empty() ? "-" : values[1],
                    values[2].empty() ? "-" : values[2]});
  }
  std::cout << "\n" << metrics.Render();
  if (!r.importance.empty()) {
    std::cout << "\ntop features ("
              << (r.config.String("algorithm") == "linear" ? "|weight| x sd" : "gain") << "): ";
    for (size_t i = 0; i < std::min(kTopFeatures, r.importance.size()); ++i) {
      std::cout << (i ? ", " : "") << r.importance[i].first;
    }
    std::cout << "\n";
  }
  std::cout << "\nmodel: runs:/" << r.run_id << "/" << training::kModelArtifactPath << "\n";
  if (r.registered) {
    std::cout << "registered: models:/" << r.registered->name << "/" << r.registered->version
              << "\n";
  }
}

void AddTrain(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train a model as a tracked run: params, per-round metrics, train/validation/test metrics, "
      "the data's digest, and the model bundle (runs:/<run-id>/model)");
  auto f = std::make_shared<TrainFlags>();
  AddTrainFlags(*cmd, *f);
  AddCommonFlags(*cmd, context);
  cmd->footer(
      "Examples:\n"
      "  sluice train --data churn.csv --target churned\n"
      "  sluice train --data churn@2 --target churned --suite checks.yaml   # a dataset "
      "version, checked first\n"
      "  sluice train --config train.yaml --set xgboost.max_depth=8 --register churn\n"
      "Fields come from the defaults, then --config, then the flags, then --set.");
  const GlobalOptions& global = context.global;
  cmd->callback([f, &context, &global] {
    if (f->help_config) {
      std::cout << training::TrainConfig::HelpText();
      return;
    }
    SessionCommand(context, [f, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(training::TrainConfig config, BuildConfig(*f));
      std::unique_ptr<ProgressBar> bar;
      training::TrainOptions options;
      options.on_progress = [&bar](int64_t done, int64_t total) {
        if (!bar) bar = std::make_unique<ProgressBar>("training", total, ProgressUnit::kItems);
        bar->Advance(static_cast<uint64_t>(done) - bar->done());
      };
      Result<training::TrainResult> result = training::Train(config, TrainingServices(s), options);
      if (bar) bar->Finish();
      if (!result.ok()) return result.status();
      if (global.json) {
        PrintJson(TrainJson(*result));
      } else {
        PrintTrainResult(*result);
      }
      return Status::Ok();
    })();
  });
}

void AddTune(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand(
      "tune",
      "Random search over train.yaml fields: one parent run, one child training run per trial, "
      "the best trial by a validation metric");
  auto f = std::make_shared<TrainFlags>();
  auto trials = std::make_shared<int>(0);
  AddTrainFlags(*cmd, *f);
  cmd->add_option("--trials", *trials, "Number of trials (default: tune.trials, else 20)")
      ->check(CLI::Range(1, 10000));
  AddCommonFlags(*cmd, context);
  cmd->footer(
      "The search space is the `tune:` section of the config:\n"
      "  tune:\n"
      "    metric: validation_auc\n"
      "    space:\n"
      "      xgboost.max_depth: {min: 3, max: 10}\n"
      "      xgboost.learning_rate: {min: 0.01, max: 0.3, log: true}\n"
      "      xgboost.tree_method: [hist, approx]");
  const GlobalOptions& global = context.global;
  cmd->callback([f, trials, &context, &global] {
    if (f->help_config) {
      std::cout << training::TrainConfig::HelpText();
      return;
    }
    SessionCommand(context, [f, trials, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(training::TrainConfig config, BuildConfig(*f));
      SLUICE_ASSIGN_OR_RETURN(
          training::TuneSpec spec,
          training::ParseTuneSpec(config.tune_section(),
                                  f->config_file.empty() ? "config" : f->config_file));
      if (*trials > 0) spec.trials = *trials;
      ProgressBar bar("trials", static_cast<uint64_t>(spec.trials), ProgressUnit::kItems);
      SLUICE_ASSIGN_OR_RETURN(
          training::TuneResult result,
          training::Tune(config, spec, TrainingServices(s),
                         [&bar](const training::Trial&, size_t) { bar.Advance(1); }));
      bar.Finish();
      if (global.json) {
        Json trials_json = Json::array();
        for (const training::Trial& t : result.trials) {
          trials_json.push_back({{"run_id", t.run_id},
                                 {"values", t.values},
                                 {"score", t.score ? Json(*t.score) : Json(nullptr)},
                                 {"error", t.error}});
        }
        Json out = {{"parent_run_id", result.parent_run_id},
                    {"metric", result.metric},
                    {"trials", trials_json},
                    {"best_run_id", result.trials[*result.best].run_id}};
        if (result.registered) {
          out["registered"] = {{"name", result.registered->name},
                               {"version", result.registered->version}};
        }
        PrintJson(out);
        return Status::Ok();
      }
      std::vector<std::string> header = {"TRIAL", "RUN"};
      for (const auto& dim : spec.space) header.push_back(dim.key);
      header.push_back(result.metric);
      Table table(header);
      for (size_t i = 0; i < result.trials.size(); ++i) {
        const training::Trial& t = result.trials[i];
        std::vector<std::string> row = {std::to_string(i + 1) + (result.best == i ? " *" : ""),
                                        t.run_id.empty() ? "-" : t.run_id.substr(0, 8)};
        for (const auto& dim : spec.space) row.push_back(t.values.at(dim.key));
        row.push_back(t.score ? FormatNumber(*t.score) : "failed");
        table.AddRow(std::move(row));
      }
      std::cout << "parent run " << result.parent_run_name << " (" << result.parent_run_id
                << ")\n\n"
                << table.Render() << "\nbest: trial " << *result.best + 1 << ", " << result.metric
                << " " << FormatNumber(*result.trials[*result.best].score) << ", model runs:/"
                << result.trials[*result.best].run_id << "/model\n";
      if (result.registered) {
        std::cout << "registered: models:/" << result.registered->name << "/"
                  << result.registered->version << "\n";
      }
      return Status::Ok();
    })();
  });
}

void AddEvaluate(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand(
      "evaluate",
      "Score a model on labelled data, beside a baseline, against gates; exit code 0 when every "
      "gate passes, 8 when one fails");
  auto request = std::make_shared<training::EvaluateRequest>();
  auto gate_file = std::make_shared<std::string>();
  auto metrics = std::make_shared<std::string>();
  cmd->add_option("--model", request->model_uri,
                  "models:/<name>/<version>, models:/<name>@<alias> "
                  "or runs:/<run-id>/model")
      ->required();
  cmd->add_option(
         "--data", request->data,
         "Labelled data with the target column: a CSV, TSV or JSONL file, or a dataset version "
         "(churn, churn@2, churn@TAG)")
      ->required();
  cmd->add_option("--baseline", request->baseline_uri, "The model to compare with (delta gates)");
  cmd->add_option("--gate", *gate_file,
                  "gates.yaml: `gates: [{metric: auc, min: 0.8}, "
                  "{metric: auc, min_delta: -0.005}]`");
  cmd->add_option("--metrics", *metrics, "Comma-separated metrics (default: all for the task)");
  cmd->add_option("--threshold", request->threshold,
                  "Probability above which a binary prediction is positive (default 0.5)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--experiment", request->experiment, "Experiment of the evaluation run");
  AddCommonFlags(*cmd, context);
  const GlobalOptions& global = context.global;
  cmd->callback(SessionCommand(
      context, [request, gate_file, metrics, &global, &context](Session& s) -> Status {
        training::EvaluateRequest r = *request;
        r.metrics = SplitList(*metrics);
        if (!gate_file->empty()) {
          SLUICE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(*gate_file));
          SLUICE_ASSIGN_OR_RETURN(r.gates, training::ParseGates(text, *gate_file));
        }
        SLUICE_ASSIGN_OR_RETURN(training::EvaluateResult result,
                                training::Evaluate(r, TrainingServices(s)));
        if (!result.passed) context.exit_code = kExitCheckFailed;
        if (global.json) {
          Json gates = Json::array();
          for (const auto& g : result.gates) {
            gates.push_back(
                {{"gate", g.gate.Describe()}, {"passed", g.passed}, {"detail", g.detail}});
          }
          PrintJson({{"run_id", result.run_id},
                     {"model", r.model_uri},
                     {"model_version", result.model_version},
                     {"rows", result.rows},
                     {"metrics", MetricsJson(result.metrics)},
                     {"baseline_metrics", MetricsJson(result.baseline_metrics)},
                     {"gates", gates},
                     {"passed", result.passed}});
          return Status::Ok();
        }
        std::vector<std::string> header = {"METRIC", "MODEL"};
        if (!r.baseline_uri.empty()) {
          header.push_back("BASELINE");
          header.push_back("DELTA");
        }
        Table table(header);
        for (const auto& [name, value] : result.metrics) {
          std::vector<std::string> row = {name, FormatNumber(value)};
          if (!r.baseline_uri.empty()) {
            auto base = result.baseline_metrics.find(name);
            row.push_back(base == result.baseline_metrics.end() ? "-" : FormatNumber(base->second));
            row.push_back(base == result.baseline_metrics.end()
                              ? "-"
                              : fmt::format("{:+.4g}", value - base->second));
          }
          table.AddRow(std::move(row));
        }
        std::cout << "evaluation run " << result.run_name << " (" << result.run_id << "), "
                  << result.rows << " rows\n\n"
                  << table.Render();
        if (!result.gates.empty()) {
          Table gates({"GATE", "RESULT", "DETAIL"});
          for (const auto& g : result.gates) {
            gates.AddRow({g.gate.Describe(), g.passed ? "pass" : "FAIL", g.detail});
          }
          std::cout << "\n"
                    << gates.Render() << "\n"
                    << (result.passed ? "gate passed" : "gate FAILED") << "\n";
        }
        return Status::Ok();
      }));
}

}  // namespace

void AddTrainingCommands(CLI::App& app, CommandContext& context) {
  AddTrain(app, context);
  AddTune(app, context);
  AddEvaluate(app, context);
}

}  // namespace sluice::cli
