// Progress of long work (a snapshot, a restore) on a terminal, like pg_basebackup -P: one line
// on stderr, redrawn in place: "full-sync: 1.2 GiB, 85.3 MiB/s" or, with a known total,
// "restore: 1.2 GiB of 3.4 GiB (35%), 85.3 MiB/s". Off a terminal it prints nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace pgbak {

class ProgressMeter {
 public:
  // Shows progress only when `wanted` (not -q, not the background) and stderr is a terminal.
  ProgressMeter(std::string label, bool wanted, std::optional<uint64_t> total = std::nullopt);
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;
  // Ends the line (an error message then starts on a line of its own).
  ~ProgressMeter();

  // Counts `bytes` more; redraws at most a few times a second.
  void add(uint64_t bytes);
  // Draws the final figures and ends the line.
  void finish();

 private:
  void draw();

  std::string label_;
  bool enabled_;
  std::optional<uint64_t> total_;
  uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
};

}  // namespace pgbak
