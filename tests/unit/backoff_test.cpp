#include "sync/backoff.h"

#include <boost/test/unit_test.hpp>
#include <vector>

namespace pgbak {
namespace {

// Time moves only when someone sleeps.
class FakeClock : public Clock {
 public:
  double now() override { return now_; }
  void sleep_for(double seconds) override {
    sleeps.push_back(seconds);
    now_ += seconds;
  }
  void advance(double s) { now_ += s; }
  std::vector<double> sleeps;

 private:
  double now_ = 1000;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(default_schedule_grows_by_factor_and_caps) {
  Backoff b(2, 1.25, 600);
  BOOST_TEST(b.delay_after(0) == 0);
  BOOST_TEST(b.delay_after(1) == 2);
  BOOST_TEST(b.delay_after(2) == 2.5);
  BOOST_TEST(b.delay_after(3) == 3.125);
  BOOST_TEST(b.delay_after(10) == 2 * 7.450580596923828, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(b.delay_after(30) == 600);
  BOOST_TEST(b.delay_after(1000000) == 600);
}

BOOST_AUTO_TEST_CASE(failures_sleep_growing_delays_on_the_clock) {
  FakeClock clock;
  Backoff b(1, 2, 5);
  for (int i = 0; i < 5; ++i) {
    b.record_failure(clock.now());
    b.wait(clock);
  }
  std::vector<double> want = {1, 2, 4, 5, 5};
  BOOST_TEST(clock.sleeps == want, boost::test_tools::per_element());
  BOOST_TEST(b.failures() == 5);
}

BOOST_AUTO_TEST_CASE(time_already_spent_counts_and_success_resets) {
  FakeClock clock;
  Backoff b(4, 1.5, 100);
  b.record_failure(clock.now());
  clock.advance(3);  // e.g. the failing attempt's own duration after the failure was recorded
  b.wait(clock);
  BOOST_TEST(clock.sleeps.back() == 1);
  b.record_failure(clock.now());
  clock.advance(10);
  size_t before = clock.sleeps.size();
  b.wait(clock);  // already due
  BOOST_TEST(clock.sleeps.size() == before);
  b.record_success();
  BOOST_TEST(b.failures() == 0);
  BOOST_TEST(b.record_failure(clock.now()) == 4);
}

BOOST_AUTO_TEST_CASE(wait_can_be_cut_short_between_slices) {
  FakeClock clock;
  Backoff b(10, 2, 100);
  b.record_failure(clock.now());
  int asked = 0;
  BOOST_TEST(b.wait(
      clock, [&] { return ++asked == 3; }, 1.0));
  BOOST_TEST(clock.sleeps.size() == 2u);  // two 1 s slices, then the predicate said stop
  BOOST_TEST(!b.wait(
      clock, [] { return false; }, 4.0));
  std::vector<double> want = {1, 1, 4, 4};
  BOOST_TEST(clock.sleeps == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace pgbak
