// A one-line progress bar for long transfers and loops on a terminal:
//
//   ProgressBar bar("uploading model.bin", size_bytes, ProgressUnit::kBytes);
//   while (...) bar.Advance(chunk.size());
//   bar.Finish();   // or let the destructor do it
//   -> uploading model.bin [##########          ]  50% 12.3 MiB/24.6 MiB 4.1 MiB/s ETA 0:03
//
// It is silent unless its output is a terminal (or enabled is forced), so pipes and logs stay
// clean. Thread safety: Advance() may be called from many threads at once; it costs an atomic add
// and a clock read, and at most ~10 times a second one caller (the one that wins a
// compare-and-swap) redraws. Finish() may race with Advance().
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"

namespace sluice {

enum class ProgressUnit { kItems, kBytes };

struct ProgressOptions {
  FILE* out = stderr;
  // Default: draw only when `out` is a terminal.
  std::optional<bool> enabled;
  // Time for throttling, rate and ETA; default SystemClock::Get(). Must outlive the bar.
  const Clock* clock = nullptr;
  // Line width in columns; 0 asks the terminal (80 when it cannot say).
  int columns = 0;
};

class ProgressBar {
 public:
  // `total` 0 means unknown: no bar, percent or ETA, just count, rate and elapsed time.
  ProgressBar(std::string label, uint64_t total, ProgressUnit unit, ProgressOptions options = {});
  ~ProgressBar();  // Finish()
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Advance(uint64_t n);
  // Draws the final line (with a newline) once; later calls and Advance() then do nothing visible.
  void Finish();

  uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  bool enabled() const { return enabled_; }

  // The text of the line for `done` units at `now_millis`, without "\r" or terminal codes. Public
  // so the layout can be tested without a terminal.
  std::string RenderLine(uint64_t done, int64_t now_millis, bool final) const;

 private:
  void Draw(bool final);

  const std::string label_;
  const uint64_t total_;
  const ProgressUnit unit_;
  FILE* const out_;
  const bool enabled_;
  const Clock& clock_;
  const int columns_;
  const int64_t start_millis_;

  std::atomic<uint64_t> done_{0};
  std::atomic<int64_t> next_draw_millis_;
  std::atomic<bool> finished_{false};
  std::mutex draw_mutex_;  // serializes writes to out_ between a throttled draw and Finish()
};

// True when `file` is open on a terminal.
bool IsTerminal(FILE* file);

// 1023 -> "1023 B", 1536 -> "1.5 KiB", 12.3 * 2^20 -> "12.3 MiB" (binary units up to TiB).
std::string FormatBytes(uint64_t bytes);
// 65 -> "1:05", 3723 -> "1:02:03".
std::string FormatDuration(int64_t seconds);

}  // namespace sluice
