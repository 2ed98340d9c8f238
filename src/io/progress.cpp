#include "io/progress.h"

#include <unistd.h>

#include <iostream>

#include "io/human.h"

namespace pgbak {

ProgressMeter::ProgressMeter(std::string label, bool wanted, std::optional<uint64_t> total)
    : label_(std::move(label)),
      enabled_(wanted && ::isatty(2) == 1),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressMeter::~ProgressMeter() {
  if (drawn_) std::cerr << "\n" << std::flush;
}

void ProgressMeter::add(uint64_t bytes) {
  done_ += bytes;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(250)) return;
  last_draw_ = now;
  draw();
}

void ProgressMeter::finish() {
  if (!enabled_) return;
  draw();
  std::cerr << "\n" << std::flush;
  drawn_ = false;
  enabled_ = false;
}

void ProgressMeter::draw() {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = label_ + ": " + human_bytes(done_);
  if (total_ && *total_ > 0) {
    line += " of " + human_bytes(*total_) + " (" +
            std::to_string(std::min<uint64_t>(100, done_ * 100 / *total_)) + "%)";
  }
  if (seconds > 0) {
    line += ", " + human_bytes(static_cast<uint64_t>(static_cast<double>(done_) / seconds)) + "/s";
  }
  std::cerr << "\r\033[K" << line << std::flush;
  drawn_ = true;
}

}  // namespace pgbak
