#include "base/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"

namespace sluice {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A FILE* whose contents the test can read back.
class MemoryFile {
 public:
  MemoryFile() : file_(open_memstream(&buffer_, &size_)) {}
  ~MemoryFile() {
    std::fclose(file_);
    std::free(buffer_);
  }
  FILE* get() const { return file_; }
  std::string contents() {
    std::fflush(file_);
    return std::string(buffer_, size_);
  }

 private:
  char* buffer_ = nullptr;
  size_t size_ = 0;
  FILE* file_;
};

size_t Count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(FormatBytesTest, UsesBinaryUnits) {
  struct Case {
    uint64_t bytes;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {0, "0 B"},
           {1023, "1023 B"},
           {1024, "1.0 KiB"},
           {1536, "1.5 KiB"},
           {12'897'485, "12.3 MiB"},
           {1'048'575, "1.0 MiB"},  // not "1024.0 KiB"
           {uint64_t{5} << 40, "5.0 TiB"},
           {uint64_t{2048} << 40, "2048.0 TiB"},
       }) {
    EXPECT_EQ(FormatBytes(c.bytes), c.expected) << c.bytes;
  }
}

TEST(FormatDurationTest, MinutesAndHours) {
  EXPECT_EQ(FormatDuration(0), "0:00");
  EXPECT_EQ(FormatDuration(65), "1:05");
  EXPECT_EQ(FormatDuration(3723), "1:02:03");
  EXPECT_EQ(FormatDuration(-5), "0:00");
}

class ProgressBarTest : public ::testing::Test {
 protected:
  ProgressOptions Options(bool enabled) {
    ProgressOptions options;
    options.out = out_.get();
    options.enabled = enabled;
    options.clock = &clock_;
    options.columns = 80;
    return options;
  }

  FakeClock clock_{1'000'000};
  MemoryFile out_;
};

TEST_F(ProgressBarTest, LineWithKnownTotalInBytes) {
  ProgressBar bar("upload", 100 << 20, ProgressUnit::kBytes, Options(true));
  clock_.AdvanceMillis(5000);
  // The bar takes what the text leaves of 79 columns (the last one stays empty to avoid a wrap).
  EXPECT_EQ(bar.RenderLine(50 << 20, clock_.NowMillis(), false).size(), 79u);
  EXPECT_EQ(bar.RenderLine(50 << 20, clock_.NowMillis(), /*final=*/false),
            "upload [#############             ]  50% 50.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:05");
  EXPECT_EQ(bar.RenderLine(100 << 20, clock_.NowMillis(), /*final=*/true),
            "upload [##########################] 100% 100.0 MiB/100.0 MiB 20.0 MiB/s in 0:05");
}

TEST_F(ProgressBarTest, LineWithUnknownTotalInItems) {
  ProgressBar bar("rows", 0, ProgressUnit::kItems, Options(true));
  clock_.AdvanceMillis(2000);
  EXPECT_EQ(bar.RenderLine(300, clock_.NowMillis(), false), "rows 300 150.0/s 0:02");
  EXPECT_EQ(bar.RenderLine(300, clock_.NowMillis(), true), "rows 300 150.0/s in 0:02");
}

TEST_F(ProgressBarTest, LineBeforeAnyTimeHasPassed) {
  ProgressBar bar("x", 10, ProgressUnit::kItems, Options(true));
  EXPECT_EQ(bar.RenderLine(0, clock_.NowMillis(), false),
            "x [                              ]   0% 0/10 --/s ETA --:--");
}

TEST_F(ProgressBarTest, BarShrinksAndThenGoesOnNarrowTerminals) {
  ProgressOptions options = Options(true);
  options.columns = 40;
  ProgressBar narrow("x", 10, ProgressUnit::kItems, options);
  clock_.AdvanceMillis(1000);
  std::string line = narrow.RenderLine(5, clock_.NowMillis(), false);
  EXPECT_EQ(line, "x [#####     ]  50% 5/10 5.0/s ETA 0:01");
  EXPECT_EQ(line.size(), 39u);

  options.columns = 20;
  ProgressBar tiny("x", 10, ProgressUnit::kItems, options);
  EXPECT_EQ(tiny.RenderLine(5, clock_.NowMillis(), false), "x  50% 5/10 --/s ETA --:--");
}

TEST_F(ProgressBarTest, DrawsAtMostTenTimesASecondAndFinishesWithANewline) {
  ProgressBar bar("x", 10, ProgressUnit::kItems, Options(true));
  bar.Advance(1);  // too soon after the start
  EXPECT_EQ(out_.contents(), "");
  clock_.AdvanceMillis(100);
  bar.Advance(1);
  bar.Advance(1);  // same instant: throttled
  EXPECT_EQ(out_.contents(),
            "\rx [######                        ]  20% 2/10 20.0/s ETA 0:01\x1b[K");
  clock_.AdvanceMillis(99);
  bar.Advance(1);
  EXPECT_EQ(Count(out_.contents(), "\r"), 1u);
  clock_.AdvanceMillis(1);
  bar.Advance(1);
  EXPECT_EQ(Count(out_.contents(), "\r"), 2u);

  bar.Finish();
  std::string text = out_.contents();
  EXPECT_THAT(text,
              EndsWith("\rx [###############               ]  50% 5/10 25.0/s in 0:00\x1b[K\n"));
  EXPECT_EQ(Count(text, "\n"), 1u);

  // Finish is once; later advances draw nothing.
  clock_.AdvanceMillis(1000);
  bar.Advance(5);
  bar.Finish();
  EXPECT_EQ(out_.contents(), text);
  EXPECT_EQ(bar.done(), 10u);
}

TEST_F(ProgressBarTest, DestructorFinishes) {
  {
    ProgressBar bar("x", 0, ProgressUnit::kItems, Options(true));
    bar.Advance(3);
  }
  EXPECT_EQ(out_.contents(), "\rx 3 --/s in 0:00\x1b[K\n");
}

TEST_F(ProgressBarTest, DisabledIsSilent) {
  {
    ProgressBar bar("x", 10, ProgressUnit::kItems, Options(false));
    EXPECT_FALSE(bar.enabled());
    for (int i = 0; i < 10; ++i) {
      clock_.AdvanceMillis(1000);
      bar.Advance(1);
    }
    EXPECT_EQ(bar.done(), 10u);
    bar.Finish();
  }
  EXPECT_EQ(out_.contents(), "");
}

TEST_F(ProgressBarTest, EnabledByDefaultOnlyOnATerminal) {
  ProgressOptions options = Options(true);
  options.enabled.reset();
  ProgressBar bar("x", 10, ProgressUnit::kItems, options);
  EXPECT_FALSE(IsTerminal(out_.get()));
  EXPECT_FALSE(bar.enabled());
}

TEST(IsTerminalTest, FilesAreNotTerminals) {
  EXPECT_FALSE(IsTerminal(nullptr));
  FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  EXPECT_FALSE(IsTerminal(file));
  std::fclose(file);
}

TEST(ProgressBarConcurrencyTest, ConcurrentAdvancesAllCount) {
  MemoryFile out;
  ProgressOptions options;
  options.out = out.get();
  options.enabled = true;
  options.columns = 80;
  {
    ProgressBar bar("x", 4 * 100'000, ProgressUnit::kBytes, options);
    {
      std::vector<std::jthread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&bar] {
          for (int i = 0; i < 100'000; ++i) bar.Advance(1);
        });
      }
    }
    EXPECT_EQ(bar.done(), 400'000u);
  }
  std::string text = out.contents();
  EXPECT_THAT(text, StartsWith("\rx ["));
  EXPECT_THAT(text, HasSubstr("100% 390.6 KiB/390.6 KiB"));
  EXPECT_THAT(text, EndsWith("\x1b[K\n"));
}

}  // namespace
}  // namespace sluice
