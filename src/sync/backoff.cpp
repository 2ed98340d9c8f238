#include "sync/backoff.h"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace pgbak {
namespace {

class SystemClock : public Clock {
 public:
  double now() override {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  }
  void sleep_for(double seconds) override {
    if (!(seconds > 0)) return;
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(seconds);
    ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
};

}  // namespace

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

Backoff::Backoff(double start, double factor, double max)
    : start_(start), factor_(factor), max_(max) {}

double Backoff::delay_after(int failures) const {
  if (failures <= 0) return 0;
  // Multiply step by step so a huge failure count saturates at max instead of overflowing.
  double d = start_;
  for (int i = 1; i < failures && d < max_; ++i) d *= factor_;
  return std::min(d, max_);
}

void Backoff::reconfigure(double start, double factor, double max) {
  start_ = start;
  factor_ = factor;
  max_ = max;
}

double Backoff::record_failure(double now) {
  ++failures_;
  double d = delay_after(failures_);
  next_attempt_ = now + d;
  return d;
}

void Backoff::record_success() {
  failures_ = 0;
  next_attempt_ = 0;
}

bool Backoff::wait(Clock& clock, const std::function<bool()>& cut_short, double slice) const {
  for (;;) {
    double left = next_attempt_ - clock.now();
    if (left <= 0) return false;
    if (!cut_short) {
      clock.sleep_for(left);
      return false;
    }
    if (cut_short()) return true;
    clock.sleep_for(std::min(left, slice));
  }
}

}  // namespace pgbak
