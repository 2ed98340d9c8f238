// Retry schedule of a failing sync, with the clock behind a seam so tests need not sleep.
#pragma once

#include <functional>

namespace pgbak {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds on a monotonic scale (only differences matter).
  virtual double now() = 0;
  virtual void sleep_for(double seconds) = 0;
};

// The real monotonic clock.
Clock& system_clock();

// Exponential backoff: after n consecutive failures the next attempt waits
// min(max, start * factor^(n-1)) seconds; a success starts over.
class Backoff {
 public:
  Backoff(double start, double factor, double max);

  // Delay that follows the n-th consecutive failure (n >= 1); 0 for n <= 0.
  double delay_after(int failures) const;

  // New parameters (settings re-read); the failure count and the next attempt stay.
  void reconfigure(double start, double factor, double max);

  // Records a failure at time `now`; returns the delay until the next attempt.
  double record_failure(double now);
  void record_success();

  int failures() const { return failures_; }
  // When the next attempt is due (any time if no failure is recorded).
  double next_attempt() const { return next_attempt_; }
  // Sleeps on `clock` until the next attempt is due. With `cut_short`, sleeps in slices of at
  // most `slice` seconds and returns early (true) as soon as it returns true.
  bool wait(Clock& clock, const std::function<bool()>& cut_short = {}, double slice = 0.25) const;

 private:
  double start_;
  double factor_;
  double max_;
  int failures_ = 0;
  double next_attempt_ = 0;
};

}  // namespace pgbak
