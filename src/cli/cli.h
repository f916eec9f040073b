// The `sluice` command line. Each command group lives in its own file and registers itself in
// the table in cli.cc; every command takes --json and has complete --help.
#pragma once

namespace sluice::cli {

// Runs the command named by argv and returns the process exit code (cli/output.h lists them).
int Main(int argc, char** argv);

}  // namespace sluice::cli
