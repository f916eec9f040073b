#include "xgb/internal/messages.h"

#include <cctype>

namespace sluice::xgb::internal {
namespace {

bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "[12:34:56] " as XGBoost's logger prefixes every line.
std::string_view StripTime(std::string_view text) {
  if (text.size() >= 11 && text[0] == '[' && text[9] == ']' && text[10] == ' ') {
    return text.substr(11);
  }
  return text;
}

// "./src/learner.cc:123: ": a path without spaces, a colon, a line number, ": ".
std::string_view StripLocation(std::string_view text) {
  size_t end = text.find(": ");
  if (end == std::string_view::npos) return text;
  std::string_view location = text.substr(0, end);
  size_t colon = location.rfind(':');
  if (colon == std::string_view::npos || location.find(' ') != std::string_view::npos ||
      !IsDigits(location.substr(colon + 1))) {
    return text;
  }
  return text.substr(end + 2);
}

std::string TrimEnd(std::string_view text) {
  while (!text.empty() &&
         (std::isspace(static_cast<unsigned char>(text.back())) || text.back() == ':')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

}  // namespace

std::string CleanErrorText(std::string_view raw) {
  std::string_view text = raw;
  if (size_t trace = text.find("Stack trace:"); trace != std::string_view::npos) {
    text = text.substr(0, trace);
  }
  return TrimEnd(StripLocation(StripTime(text)));
}

LogLine ParseLogLine(std::string_view raw) {
  std::string_view text = StripTime(raw);
  LogLine line;
  struct Label {
    std::string_view prefix;
    LogLevel level;
  };
  for (const Label& label : {Label{"WARNING: ", LogLevel::kWarn}, Label{"INFO: ", LogLevel::kInfo},
                             Label{"DEBUG: ", LogLevel::kDebug}}) {
    if (text.starts_with(label.prefix)) {
      text.remove_prefix(label.prefix.size());
      line.level = label.level;
      break;
    }
  }
  text = StripLocation(text);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  line.message = TrimEnd(text);
  return line;
}

}  // namespace sluice::xgb::internal
