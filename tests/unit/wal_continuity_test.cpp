#include "wal/wal_continuity.h"

#include <boost/test/unit_test.hpp>

#include "wal/timeline_history.h"

using namespace pgbak;

namespace {

constexpr uint64_t kSeg = 16 << 20;

ContinuityInput base_at(uint64_t segno, uint32_t tli = 1) {
  ContinuityInput in;
  in.start_lsn = segno * kSeg + 0x28;
  in.start_tli = tli;
  return in;
}

void add(ContinuityInput& in, uint32_t tli, uint64_t from, uint64_t to) {
  for (uint64_t s = from; s <= to; ++s) in.segments.insert({tli, s});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wal_continuity)

BOOST_AUTO_TEST_CASE(continuous_single_timeline) {
  auto in = base_at(3);
  add(in, 1, 1, 9);  // segments before the base start do not matter
  auto r = check_continuity(in);
  BOOST_TEST(r.problems.empty());
  BOOST_TEST(r.last_segment == 9u);
  BOOST_TEST(r.segments_on_path == 7u);
  BOOST_TEST(describe_path(r) == "1");
  BOOST_TEST(r.continuous_end.value_or(0) == 9u);
  BOOST_TEST(r.continuous_tli == 1u);
}

BOOST_AUTO_TEST_CASE(continuous_end_stops_at_the_first_gap) {
  auto in = base_at(3);
  add(in, 1, 3, 4);
  add(in, 1, 6, 8);
  BOOST_TEST(check_continuity(in).continuous_end.value_or(0) == 4u);
  auto missing_start = base_at(3);
  add(missing_start, 1, 4, 8);
  BOOST_TEST(!check_continuity(missing_start).continuous_end.has_value());
}

BOOST_AUTO_TEST_CASE(reports_each_gap_once) {
  auto in = base_at(3);
  add(in, 1, 3, 4);
  add(in, 1, 6, 6);
  add(in, 1, 10, 12);
  auto r = check_continuity(in);
  BOOST_TEST_REQUIRE(r.problems.size() == 2u);
  BOOST_TEST(r.problems[0] == "gap: missing segment 000000010000000000000005");
  BOOST_TEST(
      r.problems[1] ==
      "gap: missing segments 000000010000000000000007 to 000000010000000000000009 (3 segments)");
}

BOOST_AUTO_TEST_CASE(missing_start_and_backup_end) {
  auto in = base_at(3);
  in.stop_lsn = 5 * kSeg + 100;
  add(in, 1, 4, 4);
  auto r = check_continuity(in);
  BOOST_TEST_REQUIRE(r.problems.size() == 2u);
  BOOST_TEST(r.problems[0] == "gap: missing segment 000000010000000000000003");
  BOOST_TEST(
      r.problems[1].find("000000010000000000000005, needed to make the base backup consistent") !=
      std::string::npos);
}

BOOST_AUTO_TEST_CASE(follows_timeline_switches) {
  auto in = base_at(3);
  // Timeline 2 began inside segment 6, timeline 3 exactly at the start of segment 9.
  in.histories[2] = {{1, 6 * kSeg + 0x1000}};
  in.histories[3] = {{1, 6 * kSeg + 0x1000}, {2, 9 * kSeg}};
  add(in, 1, 3, 5);
  in.segments.insert({1, 6});  // the old timeline's copy of the switch segment is not used
  add(in, 2, 6, 8);
  add(in, 3, 9, 11);
  auto r = check_continuity(in);
  BOOST_TEST(r.problems.empty());
  BOOST_TEST(describe_path(r) == "1 -> 2 (at 0/6001000) -> 3 (at 0/9000000)");
  BOOST_TEST(r.last_tli == 3u);
  BOOST_TEST(r.last_segment == 11u);

  in.segments.erase({2, 6});  // the new timeline's first segment
  r = check_continuity(in);
  BOOST_TEST_REQUIRE(r.problems.size() == 1u);
  BOOST_TEST(r.problems[0] == "gap: missing segment 000000020000000000000006");
}

BOOST_AUTO_TEST_CASE(switch_without_history_or_before_the_base) {
  auto in = base_at(3);
  add(in, 1, 3, 5);
  add(in, 2, 6, 7);
  auto r = check_continuity(in);
  BOOST_TEST_REQUIRE(r.problems.size() == 1u);
  BOOST_TEST(r.problems[0].find("00000002.history") != std::string::npos);
  BOOST_TEST(describe_path(r) == "1");

  in.histories[2] = {{1, 2 * kSeg}};  // branched before the base started
  r = check_continuity(in);
  BOOST_TEST_REQUIRE(r.problems.size() == 1u);
  BOOST_TEST(r.problems[0].find("does not descend") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(parses_history_files) {
  std::vector<HistoryEntry> h;
  BOOST_TEST(
      !parse_timeline_history("1\t0/3000000\tno recovery target specified\n\n"
                              "2\t0/50000A0\tat restore point \"x\"\n",
                              3, h));
  BOOST_TEST_REQUIRE(h.size() == 2u);
  BOOST_TEST(h[1].parent_tli == 2u);
  BOOST_TEST(h[1].switchpoint == 0x50000A0u);
  BOOST_TEST(parse_timeline_history("2\t0/3000000\treason\n", 2, h).has_value());  // parent >= own
  BOOST_TEST(parse_timeline_history("1\tgarbage\n", 2, h).has_value());
  BOOST_TEST(parse_timeline_history("", 2, h).has_value());
  BOOST_TEST(parse_timeline_history("2\t0/3000000\tx\n1\t0/4000000\ty\n", 3, h).has_value());
}

// What PostgreSQL writes when recovery on timeline 2 stops at a point before timeline 2 began
// (still in timeline 1's part of its history) and the server promotes: timeline 3's history is
// timeline 2's plus "2 <stop point>", a switch point lower than the one before it.
BOOST_AUTO_TEST_CASE(accepts_switch_points_that_go_back) {
  std::vector<HistoryEntry> h;
  BOOST_TEST(
      !parse_timeline_history("1\t0/6000000\tno recovery target specified\n"
                              "2\t0/4000100\tbefore 2026-12-05 03:00:00+00\n",
                              3, h));
  BOOST_TEST_REQUIRE(h.size() == 2u);
  BOOST_TEST(h[1].switchpoint == 0x4000100u);

  // Timeline 2 never held any WAL on timeline 3's branch: 1 -> 3 at 0/4000100.
  auto path = timeline_path(3, h);
  BOOST_TEST_REQUIRE(path.size() == 2u);
  BOOST_TEST(path[0].tli == 1u);
  BOOST_TEST(path[0].begin == 0u);
  BOOST_TEST(*path[0].end == 0x4000100u);
  BOOST_TEST(path[1].tli == 3u);
  BOOST_TEST(path[1].begin == 0x4000100u);
  BOOST_TEST(!path[1].end.has_value());

  // Increasing switch points keep every timeline.
  path = timeline_path(3, {{1, 0x3000000}, {2, 0x5000000}});
  BOOST_TEST_REQUIRE(path.size() == 3u);
  BOOST_TEST(path[1].tli == 2u);
  BOOST_TEST(path[1].begin == 0x3000000u);
  BOOST_TEST(*path[1].end == 0x5000000u);
}

BOOST_AUTO_TEST_CASE(follows_the_branch_a_timeline_really_took) {
  auto in = base_at(2);
  in.histories[2] = {{1, 6 * kSeg}};
  in.histories[3] = {{1, 6 * kSeg}, {2, 4 * kSeg + 0x100}};  // left timeline 2's branch at 4
  add(in, 1, 2, 7);  // timeline 1 went on past 4 (to 7) before timeline 2 began at 6
  add(in, 2, 6, 8);  // timeline 2 is another branch: not on timeline 3's way
  add(in, 3, 4, 9);
  auto r = check_continuity(in);
  BOOST_TEST(r.problems.empty());
  BOOST_TEST(describe_path(r) == "1 -> 3 (at 0/4000100)");
  BOOST_TEST(r.last_tli == 3u);
  BOOST_TEST(r.last_segment == 9u);

  in.segments.erase({3, 5});
  r = check_continuity(in);
  BOOST_TEST_REQUIRE(r.problems.size() == 1u);
  BOOST_TEST(r.problems[0] == "gap: missing segment 000000030000000000000005");

  // A base that began on timeline 1 after timeline 3 left it is not on timeline 3's branch.
  in = base_at(5);
  in.histories[3] = {{1, 6 * kSeg}, {2, 4 * kSeg + 0x100}};
  add(in, 1, 5, 7);
  add(in, 3, 4, 9);
  r = check_continuity(in);
  BOOST_TEST_REQUIRE(r.problems.size() == 1u);
  BOOST_TEST(r.problems[0].find("timeline 3 does not descend") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
