#include "testing/sluice_binary.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <sstream>

#include "testing/temp_dir.h"

namespace sluice::testing {

std::string SluiceBinary() {
  const char* path = std::getenv("SLUICE_BINARY");
  if (path == nullptr) {
    ADD_FAILURE() << "set SLUICE_BINARY to the sluice binary (ctest does)";
    return "sluice";
  }
  return path;
}

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

CommandOutcome RunSluice(const std::filesystem::path& dir, const std::vector<std::string>& args,
                         const std::string& stdin_file) {
  const std::filesystem::path out = dir / ".sluice-test-out", err = dir / ".sluice-test-err";
  std::string command = "cd " + ShellQuote(dir.string()) + " && " + ShellQuote(SluiceBinary());
  for (const std::string& arg : args) command += " " + ShellQuote(arg);
  command += " < " + (stdin_file.empty() ? std::string("/dev/null") : ShellQuote(stdin_file));
  command += " > " + ShellQuote(out.string()) + " 2> " + ShellQuote(err.string());
  const int status = std::system(command.c_str());
  CommandOutcome outcome;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = ReadFile(out);
  outcome.err = ReadFile(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return outcome;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace sluice::testing
