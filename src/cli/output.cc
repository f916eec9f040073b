#include "cli/output.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>

namespace sluice::cli {

int ExitCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kPermissionDenied:
      return 2;
    case StatusCode::kNotFound:
      return 3;
    case StatusCode::kAlreadyExists:
      return 4;
    case StatusCode::kFailedPrecondition:
      return 5;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kResourceExhausted:
      return 6;
    case StatusCode::kUnimplemented:
      return 7;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
      return 1;
  }
  return 1;
}

void PrintJson(const nlohmann::json& document, bool one_line) {
  std::cout << document.dump(one_line ? -1 : 2, ' ', false,
                             nlohmann::json::error_handler_t::replace)
            << "\n";
}

int ReportError(const GlobalOptions& options, const Status& status) {
  if (options.json) {
    nlohmann::json error = {
        {"error", {{"code", StatusCodeName(status.code())}, {"message", status.message()}}}};
    std::cerr << error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cerr << "error: " << status.message() << "\n";
  }
  return ExitCodeFor(status.code());
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(header_.size());
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  std::string out;
  auto render = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  render(header_);
  for (const auto& row : rows_) render(row);
  return out;
}

std::string FormatTime(std::optional<int64_t> millis) {
  if (!millis) return "-";
  std::time_t seconds = static_cast<std::time_t>(*millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &tm);
  return buffer;
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return fmt::format("{:.6g}", value);
}

}  // namespace sluice::cli
