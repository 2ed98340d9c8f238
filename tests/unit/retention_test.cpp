#include "repo/retention.h"

#include <boost/test/unit_test.hpp>
#include <map>

#include "config/duration.h"
#include "io/error.h"

using namespace pgbak;

namespace {

using Names = std::vector<std::string>;

// Generations named 100, 110, ... (one every 10 s); those in `ends` have a base that ended then.
struct Listing {
  std::vector<RetentionCandidate> gens;
  std::map<std::string, std::optional<double>> ends;
  Names asked;

  Listing(int n, std::map<int, std::optional<double>> base_ends) {
    for (int i = 0; i < n; ++i) {
      std::string name = std::to_string(100 + 10 * i);
      bool base = base_ends.count(i) > 0;
      gens.push_back({name, base});
      if (base) ends[name] = base_ends[i];
    }
  }
  BaseEndTime reader() {
    return [this](const std::string& name) {
      asked.push_back(name);
      return ends.at(name);
    };
  }
  Names remove(const RetentionRule& rule, double now, std::optional<std::string> current = {}) {
    return generations_to_remove(gens, current ? current : std::optional(gens.back().name), rule,
                                 now, reader());
  }
};

RetentionRule within(int64_t s, int keep = 0) {
  RetentionRule r;
  r.keep = keep;
  r.keep_within = s;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retention)

BOOST_AUTO_TEST_CASE(keeps_the_base_that_ended_before_the_window_and_all_after) {
  // Bases ended at 102, 112, 122, 132, 142; window [now - 15, now] with now = 145: starts at 130.
  Listing l(5, {{0, 102}, {1, 112}, {2, 122}, {3, 132}, {4, 142}});
  BOOST_TEST(l.remove(within(15), 145) == Names({"100", "110"}));
  // Asked newest first, and no further than needed.
  BOOST_TEST(l.asked == Names({"140", "130", "120"}));
  // A window that starts exactly at a base's end keeps that base as the anchor.
  BOOST_TEST(l.remove(within(23), 145) == Names({"100", "110"}));
  BOOST_TEST(l.remove(within(24), 145) == Names({"100"}));
}

BOOST_AUTO_TEST_CASE(nothing_goes_while_no_base_ended_before_the_window) {
  Listing l(3, {{0, 102}, {1, 112}, {2, 122}});
  BOOST_TEST(l.remove(within(50), 145).empty());
}

BOOST_AUTO_TEST_CASE(an_unknown_end_is_no_anchor_and_generations_without_base_between_stay) {
  // 110 has no base; 120's end is unknown (e.g. unreadable): the anchor is 100.
  Listing l(4, {{0, 102}, {2, std::nullopt}, {3, 132}});
  BOOST_TEST(l.remove(within(10), 140).empty());
  // A generation without a base older than the anchor goes like the others.
  Listing m(4, {{1, 112}, {2, 122}, {3, 132}});
  BOOST_TEST(m.remove(within(5), 130) == Names({"100", "110"}));
}

BOOST_AUTO_TEST_CASE(with_both_rules_a_generation_goes_only_when_neither_keeps_it) {
  Listing l(5, {{0, 102}, {1, 112}, {2, 122}, {3, 132}, {4, 142}});
  BOOST_TEST(l.remove(within(5, 3), 145) == Names({"100", "110"}));  // keep 3 keeps more
  BOOST_TEST(l.remove(within(30, 1), 145) == Names({"100"}));        // the window keeps more
  RetentionRule keep2;
  keep2.keep = 2;
  BOOST_TEST(l.remove(keep2, 145) == Names({"100", "110", "120"}));
}

BOOST_AUTO_TEST_CASE(never_current) {
  Listing l(4, {{0, 102}, {1, 112}, {2, 122}, {3, 132}});
  BOOST_TEST(l.remove(within(1), 200, std::string("110")) == Names({"100", "120"}));
}

BOOST_AUTO_TEST_CASE(rules_from_settings) {
  BOOST_TEST(!retention_rule(0, "").any());
  Listing l(2, {{0, 102}, {1, 112}});
  BOOST_CHECK_THROW(l.remove(retention_rule(0, ""), 200), UsageError);
  RetentionRule r = retention_rule(2, "36h");
  BOOST_TEST(r.keep == 2);
  BOOST_TEST(r.keep_within.value_or(-1) == 36 * 3600);
  BOOST_CHECK_THROW(retention_rule(0, "7x"), UsageError);
}

BOOST_AUTO_TEST_CASE(durations) {
  BOOST_TEST(parse_duration("20s").value_or(-1) == 20);
  BOOST_TEST(parse_duration("90m").value_or(-1) == 5400);
  BOOST_TEST(parse_duration("36h").value_or(-1) == 129600);
  BOOST_TEST(parse_duration("7d").value_or(-1) == 604800);
  BOOST_TEST(parse_duration("2w").value_or(-1) == 1209600);
  BOOST_TEST(parse_duration("0d").value_or(-1) == 0);
  for (const char* bad : {"", "7", "d", "-7d", "+7d", "7.5d", "7 d", "7dd", "1d2h", "7D",
                          "999999999999999999999d", "40000d"}) {
    BOOST_TEST(!parse_duration(bad).has_value(), "'" << bad << "' was accepted");
  }
  BOOST_TEST(format_duration(604800) == "1w");
  BOOST_TEST(format_duration(129600) == "36h");
  BOOST_TEST(format_duration(20) == "20s");
}

BOOST_AUTO_TEST_SUITE_END()
