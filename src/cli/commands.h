// The command groups. Each adds its subcommands to the parent app; cli.cc holds the table.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/output.h"

namespace sluice::cli {

struct CommandContext {
  GlobalOptions global;
  int exit_code = 0;
};

// Adds --json and --workspace to a leaf command: every command has both.
void AddCommonFlags(CLI::App& command, CommandContext& context);

void AddInitCommand(CLI::App& app, CommandContext& context);
void AddServerCommand(CLI::App& app, CommandContext& context);
void AddServeCommand(CLI::App& app, CommandContext& context);
void AddExperimentsCommands(CLI::App& app, CommandContext& context);
void AddRunsCommands(CLI::App& app, CommandContext& context);
void AddModelsCommands(CLI::App& app, CommandContext& context);
void AddTrainingCommands(CLI::App& app, CommandContext& context);  // train, tune, evaluate
void AddPredictCommand(CLI::App& app, CommandContext& context);
void AddDataCommands(CLI::App& app, CommandContext& context);
void AddValidateCommands(CLI::App& app, CommandContext& context);

}  // namespace sluice::cli
