// sluice models register|list|show|alias|promote|rollback|history|delete|download
#include <cstdlib>
#include <iostream>

#include "api/mlflow_json.h"
#include "cli/commands.h"
#include "cli/session.h"

namespace sluice::cli {
namespace {

registry::Change ChangeFrom(const std::string& reason) {
  return {.actor = CurrentUser(), .reason = reason};
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

void PrintVersion(const registry::ModelVersion& v) {
  std::cout << "name:         " << v.name << "\n"
            << "version:      " << v.version << "\n"
            << "stage:        " << v.current_stage << "\n"
            << "aliases:      " << Join(v.aliases) << "\n"
            << "status:       " << v.status << "\n"
            << "source:       " << v.source << "\n"
            << "run_id:       " << OrDash(v.run_id) << "\n"
            << "created:      " << FormatTime(v.creation_timestamp) << "\n"
            << "user:         " << OrDash(v.user_id) << "\n"
            << "description:  " << OrDash(v.description) << "\n";
  if (!v.tags.empty()) {
    Table tags({"TAG", "VALUE"});
    for (const auto& t : v.tags) tags.AddRow({t.key, t.value});
    std::cout << "\n" << tags.Render();
  }
}

// The version's run and that run's dataset inputs; null when the version has no run.
Result<nlohmann::json> LineageJson(Session& s, const registry::ModelVersion& v) {
  if (v.run_id.empty()) return nlohmann::json(nullptr);
  Result<tracking::Run> run = s.tracking->GetRun(v.run_id);
  if (!run.ok()) {
    if (run.status().code() == StatusCode::kNotFound) {
      return nlohmann::json{{"run_id", v.run_id}, {"missing", true}};
    }
    return run.status();
  }
  nlohmann::json datasets = nlohmann::json::array();
  for (const auto& in : run->inputs) {
    datasets.push_back({{"name", in.dataset.name},
                        {"digest", in.dataset.digest},
                        {"source_type", in.dataset.source_type},
                        {"source", in.dataset.source}});
  }
  return nlohmann::json{{"run_id", run->info.run_id},
                        {"run_name", run->info.run_name},
                        {"experiment_id", run->info.experiment_id},
                        {"datasets", std::move(datasets)}};
}

void PrintLineage(const nlohmann::json& lineage) {
  if (lineage.is_null()) {
    std::cout << "\nlineage: (no run)\n";
    return;
  }
  if (lineage.contains("missing")) {
    std::cout << "\nlineage: run " << lineage["run_id"].get<std::string>() << " (missing)\n";
    return;
  }
  std::cout << "\nlineage: run " << lineage["run_id"].get<std::string>() << " ("
            << lineage["run_name"].get<std::string>() << ", experiment "
            << lineage["experiment_id"].get<std::string>() << ")\n";
  if (lineage["datasets"].empty()) {
    std::cout << "  no dataset inputs\n";
    return;
  }
  Table table({"DATASET", "DIGEST", "SOURCE"});
  for (const auto& d : lineage["datasets"]) {
    table.AddRow({d["name"].get<std::string>(), d["digest"].get<std::string>(),
                  d["source"].get<std::string>()});
  }
  std::cout << table.Render();
}

Result<std::vector<registry::ModelVersion>> AllVersions(Session& s, const std::string& name) {
  registry::SearchRequest req;
  std::string escaped;
  for (char c : name) {
    if (c == '\'') escaped += '\\';
    escaped += c;
  }
  req.filter = fmt::format("name = '{}'", escaped);
  req.order_by = {"version_number ASC"};
  req.max_results = registry::kMaxModelVersionResults;
  SLUICE_ASSIGN_OR_RETURN(auto page, s.registry->SearchModelVersions(req));
  return std::move(page.items);
}

void PrintHistory(const std::vector<registry::AuditEntry>& entries) {
  Table table({"ID", "TIME", "ACTOR", "ACTION", "VERSION", "REASON"});
  for (const auto& e : entries) {
    table.AddRow({std::to_string(e.id), FormatTime(e.time), OrDash(e.actor), e.action,
                  OrDash(e.version), OrDash(e.reason)});
  }
  std::cout << table.Render();
}

}  // namespace

void AddModelsCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand(
      "models",
      "The model registry: register run outputs as model versions, move aliases (promote, "
      "rollback), inspect versions, lineage and the audit history");
  group->require_subcommand(1);
  const GlobalOptions& global = context.global;

  {
    CLI::App* cmd = group->add_subcommand(
        "register", "Register a run's model as a new version of NAME (creating NAME if needed)");
    struct Flags {
      std::string name, run_id, path = "model", source, description;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("name", f->name, "Registered model name")->required();
    cmd->add_option("--run", f->run_id, "Run that produced the model")->required();
    cmd->add_option("--path", f->path, "Artifact path of the model inside the run")
        ->capture_default_str();
    cmd->add_option("--source", f->source,
                    "Where the model's files are (default: runs:/<run>/<path>)");
    cmd->add_option("--description", f->description, "Description of the version");
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      registry::CreateModelVersionRequest req;
      req.name = f->name;
      req.run_id = f->run_id;
      req.source = f->source.empty() ? fmt::format("runs:/{}/{}", f->run_id, f->path) : f->source;
      req.description = f->description;
      req.change = ChangeFrom("");
      SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion v, s.registry->CreateModelVersion(req));
      if (global.json) {
        PrintJson({{"model_version", api::ToJson(v)}});
      } else {
        std::cout << "Registered " << v.name << " version " << v.version << " from " << v.source
                  << "\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand("list", "List registered models");
    struct Flags {
      std::string filter;
      int64_t max_results = 100;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("--filter", f->filter,
                    "MLflow filter on name and tags, e.g. \"name LIKE 'churn%'\"");
    cmd->add_option("--max-results", f->max_results, "At most this many models")
        ->check(CLI::Range(int64_t{1}, registry::kMaxRegisteredModelResults))
        ->capture_default_str();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      registry::SearchRequest req;
      req.filter = f->filter;
      req.max_results = f->max_results;
      req.order_by = {"name ASC"};
      SLUICE_ASSIGN_OR_RETURN(auto page, s.registry->SearchRegisteredModels(req));
      if (global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& m : page.items) list.push_back(api::ToJson(m));
        PrintJson({{"registered_models", list}});
        return Status();
      }
      Table table({"NAME", "LATEST", "ALIASES", "UPDATED"});
      for (const auto& m : page.items) {
        std::string latest = "-";
        int64_t best = -1;
        for (const auto& v : m.latest_versions) {
          int64_t n = std::atoll(v.version.c_str());
          if (n > best) best = n, latest = v.version;
        }
        std::vector<std::string> aliases;
        for (const auto& a : m.aliases) aliases.push_back(a.alias + "=" + a.version);
        table.AddRow({m.name, latest, Join(aliases), FormatTime(m.last_updated_timestamp)});
      }
      std::cout << table.Render();
      if (!page.next_page_token.empty()) {
        std::cout << "(more models match; raise --max-results to see them)\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "show",
        "Show a model: its versions, aliases, stages and tags; with --version, one version and "
        "its lineage (version -> run -> the run's datasets)");
    struct Flags {
      std::string name, version;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("name", f->name, "Registered model name")->required();
    cmd->add_option("--version", f->version, "One version (its details and lineage)");
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      if (!f->version.empty()) {
        SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion v,
                                s.registry->GetModelVersion(f->name, f->version));
        SLUICE_ASSIGN_OR_RETURN(nlohmann::json lineage, LineageJson(s, v));
        if (global.json) {
          PrintJson({{"model_version", api::ToJson(v)}, {"lineage", lineage}});
        } else {
          PrintVersion(v);
          PrintLineage(lineage);
        }
        return Status();
      }
      SLUICE_ASSIGN_OR_RETURN(registry::RegisteredModel m, s.registry->GetRegisteredModel(f->name));
      SLUICE_ASSIGN_OR_RETURN(auto versions, AllVersions(s, f->name));
      if (global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& v : versions) {
          nlohmann::json item = api::ToJson(v);
          SLUICE_ASSIGN_OR_RETURN(item["lineage"], LineageJson(s, v));
          list.push_back(std::move(item));
        }
        PrintJson({{"registered_model", api::ToJson(m)}, {"model_versions", list}});
        return Status();
      }
      std::cout << "name:         " << m.name << "\n"
                << "created:      " << FormatTime(m.creation_timestamp) << "\n"
                << "updated:      " << FormatTime(m.last_updated_timestamp) << "\n"
                << "description:  " << OrDash(m.description) << "\n";
      if (!m.aliases.empty()) {
        Table aliases({"ALIAS", "VERSION"});
        for (const auto& a : m.aliases) aliases.AddRow({a.alias, a.version});
        std::cout << "\n" << aliases.Render();
      }
      if (!m.tags.empty()) {
        Table tags({"TAG", "VALUE"});
        for (const auto& t : m.tags) tags.AddRow({t.key, t.value});
        std::cout << "\n" << tags.Render();
      }
      Table table({"VERSION", "STAGE", "ALIASES", "RUN", "SOURCE", "CREATED"});
      for (const auto& v : versions) {
        table.AddRow({v.version, v.current_stage, Join(v.aliases), OrDash(v.run_id), v.source,
                      FormatTime(v.creation_timestamp)});
      }
      std::cout << "\n" << table.Render();
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "alias", "Point ALIAS of model NAME at VERSION (moving it if it exists)");
    struct Flags {
      std::string name, alias, version, reason;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("name", f->name, "Registered model name")->required();
    cmd->add_option("alias", f->alias, "Alias, e.g. production ('latest' and v<N> are reserved)")
        ->required();
    cmd->add_option("version", f->version, "Version number")->required();
    cmd->add_option("--reason", f->reason, "Why, recorded in the history");
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      SLUICE_RETURN_IF_ERROR(
          s.registry->SetAlias(f->name, f->alias, f->version, ChangeFrom(f->reason)));
      if (global.json) {
        PrintJson({{"name", f->name}, {"alias", f->alias}, {"version", f->version}});
      } else {
        std::cout << f->name << "@" << f->alias << " -> version " << f->version << "\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd =
        group->add_subcommand("promote", "Point alias --to at the version alias --from points at");
    struct Flags {
      std::string name, from, to, reason;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("name", f->name, "Registered model name")->required();
    cmd->add_option("--from", f->from, "Source alias, e.g. staging")->required();
    cmd->add_option("--to", f->to, "Target alias, e.g. production")->required();
    cmd->add_option("--reason", f->reason, "Why, recorded in the history");
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion v,
                              s.registry->Promote(f->name, f->from, f->to, ChangeFrom(f->reason)));
      if (global.json) {
        PrintJson({{"model_version", api::ToJson(v)}});
      } else {
        std::cout << f->name << "@" << f->to << " -> version " << v.version << " (from @" << f->from
                  << ")\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "rollback", "Point ALIAS back at the version it pointed at before its last move");
    struct Flags {
      std::string name, alias, reason;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("name", f->name, "Registered model name")->required();
    cmd->add_option("alias", f->alias, "Alias to roll back")->required();
    cmd->add_option("--reason", f->reason, "Why, recorded in the history");
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(registry::ModelVersion v,
                              s.registry->Rollback(f->name, f->alias, ChangeFrom(f->reason)));
      if (global.json) {
        PrintJson({{"model_version", api::ToJson(v)}});
      } else {
        std::cout << f->name << "@" << f->alias << " rolled back to version " << v.version << "\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "history", "Every change of a model, oldest first: who, when, what, and why");
    struct Flags {
      std::string name;
      int64_t limit = 1000;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("name", f->name, "Registered model name")->required();
    cmd->add_option("--limit", f->limit, "At most this many entries")
        ->check(CLI::Range(int64_t{1}, int64_t{100000}))
        ->capture_default_str();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      SLUICE_RETURN_IF_ERROR(s.registry->GetRegisteredModel(f->name).status());
      SLUICE_ASSIGN_OR_RETURN(auto entries, s.registry->History(f->name, f->limit));
      if (global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& e : entries) list.push_back(api::ToJson(e));
        PrintJson({{"entries", list}});
      } else {
        PrintHistory(entries);
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "delete",
        "Delete a registered model with all its versions, or one version with --version "
        "(refused while an alias points at it, unless --force)");
    struct Flags {
      std::string name, version, reason;
      bool force = false;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("name", f->name, "Registered model name")->required();
    cmd->add_option("--version", f->version, "Delete only this version");
    cmd->add_flag("--force", f->force, "Delete a version even if aliases point at it (and them)");
    cmd->add_option("--reason", f->reason, "Why, recorded in the history");
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      if (f->version.empty()) {
        SLUICE_RETURN_IF_ERROR(s.registry->DeleteRegisteredModel(f->name, ChangeFrom(f->reason)));
      } else {
        SLUICE_RETURN_IF_ERROR(
            s.registry->DeleteModelVersion(f->name, f->version, f->force, ChangeFrom(f->reason)));
      }
      if (global.json) {
        nlohmann::json out = {{"name", f->name}, {"deleted", true}};
        if (!f->version.empty()) out["version"] = f->version;
        PrintJson(out);
      } else if (f->version.empty()) {
        std::cout << "Deleted model " << f->name << "\n";
      } else {
        std::cout << "Deleted " << f->name << " version " << f->version << "\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand(
        "download",
        "Copy a model's files (the bundle: model, MLmodel, signature, example) to a local folder, "
        "each checked against its digest");
    struct Flags {
      std::string uri;
      std::string dest;
      bool force = false;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("model-uri", f->uri,
                    "models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/<stage> or "
                    "runs:/<run-id>/<path>")
        ->required();
    cmd->add_option("dest", f->dest, "Folder to create (it must not exist or be empty)")
        ->required();
    cmd->add_flag("--force", f->force, "Replace DEST when it exists and is not empty");
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(std::string folder, s.registry->ArtifactFolder(f->uri));
      Result<std::vector<tracking::ArtifactFile>> downloaded =
          s.artifacts->Download(folder, f->dest, f->force);
      if (downloaded.status().code() == StatusCode::kAlreadyExists) {
        return AlreadyExists("{} (--force replaces it)", downloaded.status().message());
      }
      SLUICE_ASSIGN_OR_RETURN(std::vector<tracking::ArtifactFile> files, std::move(downloaded));
      int64_t bytes = 0;
      for (const auto& file : files) bytes += file.size_bytes;
      if (global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& file : files) {
          list.push_back({{"path", file.path.substr(folder.size() + 1)},
                          {"size_bytes", file.size_bytes},
                          {"sha256", file.digest}});
        }
        PrintJson({{"model_uri", f->uri}, {"dest", f->dest}, {"files", list}});
      } else {
        std::cout << "Downloaded " << files.size() << " files (" << bytes << " bytes) of " << f->uri
                  << " to " << f->dest << "\n";
      }
      return Status();
    }));
  }
}

}  // namespace sluice::cli
