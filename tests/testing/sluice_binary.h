// Runs the built `sluice` binary as a user would, for the tests of commands: in a folder, with
// arguments, optionally a file on standard input, capturing exit code, stdout and stderr. The
// binary's path comes from $SLUICE_BINARY, which ctest sets (cmake/SluiceModule.cmake).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sluice::testing {

struct CommandOutcome {
  int exit_code = -1;  // -1 when the process did not exit normally
  std::string out;
  std::string err;
};

// $SLUICE_BINARY; a test failure (and "sluice") when it is unset.
std::string SluiceBinary();

// `text` quoted for /bin/sh.
std::string ShellQuote(const std::string& text);

// Runs `sluice args...` in `dir` (stdout and stderr go through files there: .sluice-test-out,
// .sluice-test-err). `stdin_file`, relative to `dir` or absolute, is its standard input;
// /dev/null when empty.
CommandOutcome RunSluice(const std::filesystem::path& dir, const std::vector<std::string>& args,
                         const std::string& stdin_file = "");

// `text` split at '\n' (a final newline ends the last line, it does not add an empty one).
std::vector<std::string> Lines(const std::string& text);

}  // namespace sluice::testing
