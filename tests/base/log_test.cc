#include "base/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::MatchesRegex;

// Captures lines and restores the level and sink afterwards.
class LogTest : public ::testing::Test {
 protected:
  LogTest() : saved_level_(GetLogLevel()) {}
  ~LogTest() override { SetLogLevel(saved_level_); }

  std::vector<std::string> lines_;
  ScopedLogSink sink_{[this](std::string_view line) { lines_.emplace_back(line); }};

 private:
  LogLevel saved_level_;
};

TEST_F(LogTest, FormatsLineWithUtcMillisAndLevel) {
  EXPECT_EQ(FormatLogLine(1714567496789, LogLevel::kInfo, "opened /data"),
            "2024-05-01T12:44:56.789Z INFO  opened /data");
  EXPECT_EQ(FormatLogLine(0, LogLevel::kError, "x"), "1970-01-01T00:00:00.000Z ERROR x");
  EXPECT_EQ(FormatLogLine(5, LogLevel::kWarn, "x"), "1970-01-01T00:00:00.005Z WARN  x");
  EXPECT_EQ(FormatLogLine(-1, LogLevel::kDebug, "x"), "1969-12-31T23:59:59.999Z DEBUG x");
}

TEST_F(LogTest, NewlinesAreEscapedSoOneMessageIsOneLine) {
  EXPECT_EQ(FormatLogLine(0, LogLevel::kInfo, "a\nb"), "1970-01-01T00:00:00.000Z INFO  a\\nb");
}

TEST_F(LogTest, MacrosFormatAndFilterByLevel) {
  SetLogLevel(LogLevel::kWarn);
  SLUICE_LOG_DEBUG("debug {}", 1);
  SLUICE_LOG_INFO("info {}", 2);
  SLUICE_LOG_WARN("warn {}", 3);
  SLUICE_LOG_ERROR("error {} {}", 4, "x");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_THAT(
      lines_[0],
      MatchesRegex(
          R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z WARN  warn 3)"));
  EXPECT_THAT(lines_[1], MatchesRegex(R"(.*Z ERROR error 4 x)"));

  SetLogLevel(LogLevel::kDebug);
  SLUICE_LOG_DEBUG("now visible");
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_THAT(lines_[2], MatchesRegex(".*Z DEBUG now visible"));
}

TEST_F(LogTest, DisabledLevelDoesNotEvaluateArguments) {
  SetLogLevel(LogLevel::kError);
  int evaluated = 0;
  auto count = [&evaluated] { return ++evaluated; };
  SLUICE_LOG_INFO("{}", count());
  EXPECT_EQ(evaluated, 0);
  SLUICE_LOG_ERROR("{}", count());
  EXPECT_EQ(evaluated, 1);
}

TEST_F(LogTest, ScopedSinkRestoresPrevious) {
  SetLogLevel(LogLevel::kInfo);
  std::vector<std::string> inner;
  {
    ScopedLogSink scoped([&inner](std::string_view line) { inner.emplace_back(line); });
    SLUICE_LOG_INFO("to inner");
  }
  SLUICE_LOG_INFO("to outer");
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_THAT(inner[0], MatchesRegex(".* to inner"));
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], MatchesRegex(".* to outer"));
}

TEST_F(LogTest, ConcurrentMessagesStayWhole) {
  SetLogLevel(LogLevel::kInfo);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < 200; ++i) SLUICE_LOG_INFO("thread {} message {}", t, i);
      });
    }
  }
  ASSERT_EQ(lines_.size(), 800u);
  for (const std::string& line : lines_) {
    ASSERT_THAT(line, MatchesRegex(R"(.*Z INFO  thread [0-9] message [0-9]+)"));
  }
}

TEST(LogLevelTest, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("Error"), LogLevel::kError);
  EXPECT_THAT(ParseLogLevel("verbose"),
              StatusIs(StatusCode::kInvalidArgument,
                       "unknown log level 'verbose' (expected debug, info, warn or error)"));
  EXPECT_EQ(LogLevelName(LogLevel::kWarn), "WARN");
}

// The level is read from the environment once, on first use, so this runs in a fresh process.
TEST(LogDeathTest, LevelComesFromEnvironment) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-executes, so the level is not yet read
  EXPECT_EXIT(
      {
        setenv("SLUICE_LOG_LEVEL", "error", 1);
        std::fprintf(stderr, "level=%s\n", std::string(LogLevelName(GetLogLevel())).c_str());
        SLUICE_LOG_WARN("hidden");
        SLUICE_LOG_ERROR("shown {}", 1);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "level=ERROR\n.*Z ERROR shown 1\n$");
}

TEST(LogDeathTest, BadEnvironmentLevelWarnsAndUsesInfo) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("SLUICE_LOG_LEVEL", "loud", 1);
        SLUICE_LOG_DEBUG("hidden");
        SLUICE_LOG_INFO("shown");
        std::exit(0);
      },
      ::testing::ExitedWithCode(0),
      "sluice: SLUICE_LOG_LEVEL='loud' is not one of debug\\|info\\|warn\\|error; using info\n"
      ".*Z INFO  shown\n$");
}

}  // namespace
}  // namespace sluice
