#include "cli/cli.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/commands.h"

namespace sluice::cli {
namespace {

struct CommandGroup {
  void (*add)(CLI::App& app, CommandContext& context);
};

// Adding a command group is one row.
constexpr CommandGroup kCommandGroups[] = {
    // clang-format off
    {AddInitCommand},
    {AddServerCommand},
    {AddServeCommand},
    {AddExperimentsCommands},
    {AddRunsCommands},
    {AddModelsCommands},
    {AddTrainingCommands},
    {AddPredictCommand},
    {AddDataCommands},
    {AddValidateCommands},
    // clang-format on
};

// XGBoost's OpenMP threads spin while they wait for work. On a busy machine (other processes on
// the same cores) the spinning starves the threads doing the work: 2-thread training measured
// 10-60x slower here. libgomp reads OMP_WAIT_POLICY once, when it is loaded, before main runs, so
// the only way to set it for this process is to start it again with the variable set.
void RestartWithPassiveOpenMpWait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
  execv("/proc/self/exe", argv);
  // execv returned: not fatal, only slower under contention.
}

}  // namespace

void AddCommonFlags(CLI::App& command, CommandContext& context) {
  command.add_flag("--json", context.global.json, "Print the result as one JSON document");
  command.add_option("--workspace", context.global.workspace,
                     "Folder holding .sluice/ (default: $SLUICE_WORKSPACE, else the nearest "
                     "one at or above the current folder)");
}

int Main(int argc, char** argv) {
  RestartWithPassiveOpenMpWait(argv);
  CLI::App app{
      "Sluice: the machine-learning lifecycle in one program. Tracking that MLflow clients "
      "use, on a local workspace (.sluice/).",
      "sluice"};
  app.require_subcommand(1);
  app.set_version_flag("--version", SLUICE_VERSION);
  CommandContext context;
  for (const CommandGroup& group : kCommandGroups) group.add(app, context);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // CLI11 answers --help and --version with success; usage mistakes are exit code 2.
    return code == 0 ? 0 : 2;
  }
  return context.exit_code;
}

}  // namespace sluice::cli
