// How commands speak: a human form on stdout (tables, key: value lines), or one JSON document
// with --json; errors on stderr as "error: <message>" (or {"error": {...}} with --json), and an
// exit code per Status code so scripts can tell failures apart.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice::cli {

// Exit codes: 0 success, 1 internal error, 2 invalid arguments or usage, 3 not found,
// 4 already exists, 5 refused by the current state, 6 unavailable (try again), 7 unimplemented,
// 8 the command ran and a check it makes failed (an evaluation gate, a reproduction).
int ExitCodeFor(StatusCode code);
inline constexpr int kExitCheckFailed = 8;

struct GlobalOptions {
  bool json = false;
  std::string workspace;  // "" = the nearest folder holding .sluice/ from the current one
};

// Prints `status` to stderr in the chosen form and returns its exit code.
int ReportError(const GlobalOptions& options, const Status& status);
// Indented for people; `one_line` for output other programs read line by line.
void PrintJson(const nlohmann::json& document, bool one_line = false);

// Column-aligned text table.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void AddRow(std::vector<std::string> cells);
  std::string Render() const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "2026-11-29 02:44:19" (UTC) for a millisecond timestamp; "-" when absent.
std::string FormatTime(std::optional<int64_t> millis);
// A metric value the way a person reads it: up to 6 significant digits, NaN, inf.
std::string FormatNumber(double value);

}  // namespace sluice::cli
