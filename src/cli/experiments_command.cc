// sluice experiments create|list|show|rename|delete|restore
#include <iostream>

#include "api/mlflow_json.h"
#include "cli/commands.h"
#include "cli/session.h"

namespace sluice::cli {
namespace {

Result<std::vector<tracking::Tag>> ParseTags(const std::vector<std::string>& specs) {
  std::vector<tracking::Tag> tags;
  for (const std::string& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("--tag '{}': expected KEY=VALUE", spec);
    }
    tags.push_back({spec.substr(0, eq), spec.substr(eq + 1)});
  }
  return tags;
}

void PrintExperiment(const tracking::Experiment& e) {
  std::cout << "experiment_id:      " << e.experiment_id << "\n"
            << "name:               " << e.name << "\n"
            << "artifact_location:  " << e.artifact_location << "\n"
            << "lifecycle_stage:    " << e.lifecycle_stage << "\n"
            << "created:            " << FormatTime(e.creation_time) << "\n"
            << "last_updated:       " << FormatTime(e.last_update_time) << "\n";
  for (const tracking::Tag& t : e.tags) std::cout << "tag " << t.key << ": " << t.value << "\n";
}

}  // namespace

void AddExperimentsCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand("experiments",
                                       "Create, list, show, rename, delete and "
                                       "restore experiments");
  group->require_subcommand(1);
  const GlobalOptions& global = context.global;

  {
    CLI::App* cmd = group->add_subcommand("create", "Create an experiment");
    struct Flags {
      std::string name, artifact_location;
      std::vector<std::string> tags;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("name", f->name, "Experiment name (unique)")->required();
    cmd->add_option("--artifact-location", f->artifact_location,
                    "Where its runs' artifacts go (default: mlflow-artifacts:/<id>, in the "
                    "workspace's blob store)");
    cmd->add_option("--tag", f->tags, "A tag KEY=VALUE (repeatable)");
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(auto tags, ParseTags(f->tags));
      SLUICE_ASSIGN_OR_RETURN(std::string id,
                              s.tracking->CreateExperiment({f->name, f->artifact_location, tags}));
      if (global.json) {
        PrintJson({{"experiment_id", id}, {"name", f->name}});
      } else {
        std::cout << "Created experiment '" << f->name << "' with id " << id << "\n";
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand("list", "List experiments, newest first");
    struct Flags {
      std::string view = "active", filter;
      int64_t max_results = 1000;
    };
    auto f = std::make_shared<Flags>();
    cmd->add_option("--view", f->view, "Which experiments: active, deleted or all")
        ->check(CLI::IsMember({"active", "deleted", "all"}))
        ->capture_default_str();
    cmd->add_option("--filter", f->filter,
                    "MLflow search filter, e.g. \"name LIKE 'churn%'\" or \"tags.team = 'risk'\"");
    cmd->add_option("--max-results", f->max_results, "At most this many")
        ->check(CLI::Range(int64_t{1}, tracking::kMaxSearchResults))
        ->capture_default_str();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [f, &global](Session& s) -> Status {
      tracking::SearchExperimentsRequest req;
      req.view_type = f->view == "all"       ? "ALL"
                      : f->view == "deleted" ? "DELETED_ONLY"
                                             : "ACTIVE_ONLY";
      req.filter = f->filter;
      req.max_results = f->max_results;
      SLUICE_ASSIGN_OR_RETURN(auto page, s.tracking->SearchExperiments(req));
      if (global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& e : page.items) list.push_back(api::ToJson(e));
        PrintJson({{"experiments", list}});
        return Status();
      }
      Table table({"ID", "NAME", "STAGE", "CREATED", "ARTIFACT LOCATION"});
      for (const auto& e : page.items) {
        table.AddRow({e.experiment_id, e.name, e.lifecycle_stage, FormatTime(e.creation_time),
                      e.artifact_location});
      }
      std::cout << table.Render();
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand("show", "Show one experiment");
    auto id = std::make_shared<std::string>();
    cmd->add_option("experiment", *id, "Experiment id or name")->required();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [id, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(tracking::Experiment e, ResolveExperiment(*s.tracking, *id));
      if (global.json) {
        PrintJson({{"experiment", api::ToJson(e)}});
      } else {
        PrintExperiment(e);
      }
      return Status();
    }));
  }
  {
    CLI::App* cmd = group->add_subcommand("rename", "Rename an experiment");
    auto id = std::make_shared<std::string>();
    auto name = std::make_shared<std::string>();
    cmd->add_option("experiment", *id, "Experiment id or name")->required();
    cmd->add_option("new-name", *name, "The new name")->required();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [id, name, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(tracking::Experiment e, ResolveExperiment(*s.tracking, *id));
      SLUICE_RETURN_IF_ERROR(s.tracking->RenameExperiment(e.experiment_id, *name));
      if (global.json) {
        PrintJson({{"experiment_id", e.experiment_id}, {"name", *name}});
      } else {
        std::cout << "Renamed experiment " << e.experiment_id << " to '" << *name << "'\n";
      }
      return Status();
    }));
  }
  for (bool restore : {false, true}) {
    CLI::App* cmd = group->add_subcommand(
        restore ? "restore" : "delete",
        restore ? "Restore a deleted experiment and the runs deleted with it"
                : "Delete an experiment and its runs (soft: `experiments restore` undoes it)");
    auto id = std::make_shared<std::string>();
    cmd->add_option("experiment", *id, "Experiment id or name")->required();
    AddCommonFlags(*cmd, context);
    cmd->callback(SessionCommand(context, [id, restore, &global](Session& s) -> Status {
      SLUICE_ASSIGN_OR_RETURN(tracking::Experiment e, ResolveExperiment(*s.tracking, *id));
      SLUICE_RETURN_IF_ERROR(restore ? s.tracking->RestoreExperiment(e.experiment_id)
                                     : s.tracking->DeleteExperiment(e.experiment_id));
      if (global.json) {
        PrintJson({{"experiment_id", e.experiment_id},
                   {"lifecycle_stage", restore ? "active" : "deleted"}});
      } else {
        std::cout << (restore ? "Restored" : "Deleted") << " experiment " << e.experiment_id
                  << " ('" << e.name << "')\n";
      }
      return Status();
    }));
  }
}

}  // namespace sluice::cli
