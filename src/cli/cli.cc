#include "cli/cli.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "base/log.h"
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

// Settings that libgomp and glibc read once, when the process starts, so that the only way to
// set them for this process is to start it again with them set. A variable already set (by the
// user, or by the first start) is left as it is.
// - XGBoost's OpenMP threads spin while they wait for work. On a busy machine (other processes on
//   the same cores) the spinning starves the threads doing the work: 2-thread training measured
//   10-60x slower here. OMP_WAIT_POLICY=passive makes them sleep.
// - glibc's malloc advises its memory onto transparent huge pages (glibc.malloc.hugetlb=1): on
//   virtual machines like the build machine a first touch of a 4 KiB page costs microseconds.
//   `data add` of 100,000 small files took 42,000 page faults and 1.88 s without it, 21,000 and
//   1.75 s with it. Blocks of up to 32 MiB come from that memory too (glibc.malloc.
//   mmap_threshold), not from mappings of their own, which get huge pages only from 2 MiB: the
//   listing of 100,000 files allocates blocks of hundreds of KiB. Page faults of that add
//   12,300 -> 7,900 (1.21 -> 1.14 s), and a `data status` of it 0.30 -> 0.23 s.
// Starting again costs about 25 ms.
constexpr char kMallocTunables[] = "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432";

void RestartWithRuntimeSettings(char** argv) {
  bool changed = false;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    changed |= setenv("OMP_WAIT_POLICY", "passive", 1) == 0;
  }
  if (std::getenv("GLIBC_TUNABLES") == nullptr) {
    changed |= setenv("GLIBC_TUNABLES", kMallocTunables, 1) == 0;
  }
  if (!changed) return;
  execv("/proc/self/exe", argv);
  // execv returned: not fatal, only slower.
}

}  // namespace

void AddCommonFlags(CLI::App& command, CommandContext& context) {
  command.add_flag("--json", context.global.json, "Print the result as one JSON document");
  command.add_option("--workspace", context.global.workspace,
                     "Folder holding .sluice/ (default: $SLUICE_WORKSPACE, else the nearest "
                     "one at or above the current folder)");
}

int Main(int argc, char** argv) {
  RestartWithRuntimeSettings(argv);
  auto shown = [](const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "(unset)";
  };
  SLUICE_LOG_DEBUG("runtime: OMP_WAIT_POLICY={} GLIBC_TUNABLES={}", shown("OMP_WAIT_POLICY"),
                   shown("GLIBC_TUNABLES"));
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
