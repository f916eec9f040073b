#include "xgb/internal/messages.h"

#include <gtest/gtest.h>

namespace sluice::xgb::internal {
namespace {

TEST(CleanErrorTextTest, KeepsWhatTheUserCanActOn) {
  struct Case {
    std::string raw;
    std::string clean;
  };
  const std::vector<Case> cases = {
      {"[05:13:38] ./src/data/data.cc:455: Check failed: this->labels.Size() % this->num_row_ == "
       "0 (199 vs. 0) : Incorrect size for labels.\nStack trace:\n  [bt] (0) "
       "/lib/x86_64-linux-gnu/libxgboost.so.0(+0x1) [0x7fd6]\n\n",
       "Check failed: this->labels.Size() % this->num_row_ == 0 (199 vs. 0) : Incorrect size for "
       "labels."},
      {"value -1 for Parameter max_depth should be greater equal to 0\nmax_depth: Maximum depth "
       "of the tree",
       "value -1 for Parameter max_depth should be greater equal to 0\nmax_depth: Maximum depth "
       "of the tree"},
      {"[05:14:33] ./src/gbm/gbtree.cc:488: Check failed: layer_end > layer_begin (1 vs. 1) : \n"
       "Stack trace:\n",
       "Check failed: layer_end > layer_begin (1 vs. 1)"},
      {"[05:13:38] ./src/objective/objective.cc:26: Unknown objective function: `nope`\n"
       "Objective candidate: survival:aft\n\nStack trace:",
       "Unknown objective function: `nope`\nObjective candidate: survival:aft"},
      // Not a source location: the text before ": " holds a space.
      {"Invalid Input: 'nope', valid values are: {'approx', 'hist'}",
       "Invalid Input: 'nope', valid values are: {'approx', 'hist'}"},
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(CleanErrorText(c.raw), c.clean) << c.raw;
}

TEST(ParseLogLineTest, ReadsLevelAndMessage) {
  struct Case {
    std::string raw;
    LogLevel level;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"[05:14:56] WARNING: ./src/learner.cc:767: \nParameters: { \"x\" } are not used.\n",
       LogLevel::kWarn, "Parameters: { \"x\" } are not used."},
      {"[05:14:33] INFO: ./src/tree/updater_prune.cc:98: tree pruning end, 2 extra nodes",
       LogLevel::kInfo, "tree pruning end, 2 extra nodes"},
      {"[05:14:33] DEBUG: ./src/gbm/gbtree.cc:157: Using tree method: 2", LogLevel::kDebug,
       "Using tree method: 2"},
      {"[05:14:33] ======== Monitor (0):  ========", LogLevel::kInfo,
       "======== Monitor (0):  ========"},
  };
  for (const Case& c : cases) {
    LogLine line = ParseLogLine(c.raw);
    EXPECT_EQ(line.level, c.level) << c.raw;
    EXPECT_EQ(line.message, c.message) << c.raw;
  }
}

}  // namespace
}  // namespace sluice::xgb::internal
