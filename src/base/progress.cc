#include "base/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

namespace sluice {
namespace {

constexpr int64_t kDrawIntervalMillis = 100;  // ~10 Hz: smooth to the eye, negligible cost
constexpr int kMaxBarWidth = 30;
constexpr int kMinBarWidth = 5;

int TerminalColumns(FILE* out) {
  winsize size{};
  if (::ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string FormatRate(double per_second, ProgressUnit unit) {
  if (unit == ProgressUnit::kBytes) {
    return FormatBytes(static_cast<uint64_t>(per_second)) + "/s";
  }
  return fmt::format("{:.1f}/s", per_second);
}

std::string FormatCount(uint64_t n, ProgressUnit unit) {
  return unit == ProgressUnit::kBytes ? FormatBytes(n) : fmt::format("{}", n);
}

}  // namespace

bool IsTerminal(FILE* file) { return file != nullptr && ::isatty(fileno(file)) == 1; }

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  // Switch units before rounding would print "1024.0 KiB".
  while (value >= 1023.95 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string FormatDuration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  int64_t h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
  if (h > 0) return fmt::format("{}:{:02}:{:02}", h, m, s);
  return fmt::format("{}:{:02}", m, s);
}

ProgressBar::ProgressBar(std::string label, uint64_t total, ProgressUnit unit,
                         ProgressOptions options)
    : label_(std::move(label)),
      total_(total),
      unit_(unit),
      out_(options.out),
      enabled_(options.out != nullptr && options.enabled.value_or(IsTerminal(options.out))),
      clock_(options.clock != nullptr ? *options.clock : SystemClock::Get()),
      columns_(options.columns > 0 ? options.columns : (enabled_ ? TerminalColumns(out_) : 80)),
      start_millis_(clock_.NowMillis()),
      // The first draw waits one interval: a bar that finishes at once never flickers.
      next_draw_millis_(start_millis_ + kDrawIntervalMillis) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Advance(uint64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  if (!enabled_) return;
  int64_t now = clock_.NowMillis();
  int64_t next = next_draw_millis_.load(std::memory_order_relaxed);
  if (now < next) return;
  // Only the thread that moves the deadline draws; the others go straight back to work.
  if (!next_draw_millis_.compare_exchange_strong(next, now + kDrawIntervalMillis,
                                                 std::memory_order_relaxed)) {
    return;
  }
  Draw(/*final=*/false);
}

void ProgressBar::Finish() {
  if (finished_.exchange(true)) return;
  if (enabled_) Draw(/*final=*/true);
}

void ProgressBar::Draw(bool final) {
  std::lock_guard lock(draw_mutex_);
  // A throttled draw that lost the race with Finish() must not overwrite the final line.
  if (!final && finished_.load()) return;
  std::string line = RenderLine(done(), clock_.NowMillis(), final);
  // "\r" returns to the line start; "\x1b[K" erases what a longer previous line left behind.
  std::string text = fmt::format("\r{}\x1b[K{}", line, final ? "\n" : "");
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

std::string ProgressBar::RenderLine(uint64_t done, int64_t now_millis, bool final) const {
  double elapsed_seconds =
      static_cast<double>(std::max<int64_t>(now_millis - start_millis_, 0)) / 1000.0;
  double rate = elapsed_seconds > 0 ? static_cast<double>(done) / elapsed_seconds : 0.0;

  std::string right;
  if (total_ > 0) {
    double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    right = fmt::format(" {:3}% {}/{}", static_cast<int>(fraction * 100), FormatCount(done, unit_),
                        FormatCount(total_, unit_));
  } else {
    right = " " + FormatCount(done, unit_);
  }
  right += " " + (elapsed_seconds > 0 ? FormatRate(rate, unit_) : std::string("--/s"));
  if (final || total_ == 0) {
    right += fmt::format(" {}{}", final ? "in " : "",
                         FormatDuration(static_cast<int64_t>(elapsed_seconds)));
  } else if (rate > 0 && done < total_) {
    right += " ETA " + FormatDuration(
                           static_cast<int64_t>(static_cast<double>(total_ - done) / rate + 0.999));
  } else {
    right += " ETA --:--";
  }

  std::string bar;
  if (total_ > 0) {
    int room = columns_ - 1 - static_cast<int>(label_.size()) - 3 - static_cast<int>(right.size());
    int width = std::min(room, kMaxBarWidth);
    if (width >= kMinBarWidth) {
      double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
      int filled = static_cast<int>(fraction * width);
      bar = fmt::format(" [{}{}]", std::string(filled, '#'), std::string(width - filled, ' '));
    }
  }
  return label_ + bar + right;
}

}  // namespace sluice
