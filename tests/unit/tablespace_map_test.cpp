#include "repo/tablespace_map.h"

#include <boost/test/unit_test.hpp>

#include "io/error.h"
#include "repo/backup_end.h"
#include "repo/backup_label.h"

using namespace pgbak;

BOOST_AUTO_TEST_SUITE(tablespace_map)

BOOST_AUTO_TEST_CASE(parses_the_servers_escapes) {
  auto map = parse_tablespace_map("16384 /srv/ts1\n16385 /srv/a\\\\b\\\nc d\n");
  BOOST_REQUIRE(map);
  BOOST_TEST(map->size() == 2u);
  BOOST_TEST(map->at(16384) == "/srv/ts1");
  BOOST_TEST(map->at(16385) == "/srv/a\\b\nc d");
  BOOST_TEST(parse_tablespace_map("")->empty());
  BOOST_TEST(!parse_tablespace_map("x /srv\n"));
  BOOST_TEST(!parse_tablespace_map("16384\n"));
  BOOST_TEST(!parse_tablespace_map("16384 /a\n16384 /b\n"));
}

BOOST_AUTO_TEST_CASE(stored_names) {
  BOOST_TEST(tablespace_oid("16385.tzst").value_or(0) == 16385u);
  BOOST_TEST(tablespace_oid("16385.tzst.enc").value_or(0) == 16385u);
  BOOST_TEST(!tablespace_oid("base.tzst"));
  BOOST_TEST(!tablespace_oid("016385.tzst"));
  BOOST_TEST(!tablespace_oid(".tzst"));
  BOOST_TEST(!tablespace_oid("99999999999.tzst"));
  BOOST_TEST(tablespace_file_name(7) == "7.tzst");
}

BOOST_AUTO_TEST_CASE(mappings) {
  auto m = parse_tablespace_mapping("/srv/old//=/mnt/new/");
  BOOST_TEST(m.old_dir == "/srv/old");
  BOOST_TEST(m.new_dir == "/mnt/new");
  auto eq = parse_tablespace_mapping("/a\\=b=/c");
  BOOST_TEST(eq.old_dir == "/a=b");
  BOOST_CHECK_THROW(parse_tablespace_mapping("/a"), UsageError);
  BOOST_CHECK_THROW(parse_tablespace_mapping("a=/b"), UsageError);
  BOOST_CHECK_THROW(parse_tablespace_mapping("/a="), UsageError);
  BOOST_CHECK_THROW(parse_tablespace_mapping("/a=/"), UsageError);
}

BOOST_AUTO_TEST_CASE(plans) {
  std::vector<TablespaceFile> files = {{16384, "16384.tzst"}, {16385, "16385.tzst.enc"}};
  std::map<uint32_t, std::string> map = {{16384, "/srv/ts1"}, {16385, "/srv/ts2/"}};
  auto plain = plan_tablespaces(files, map, {}, "1");
  BOOST_REQUIRE(plain.size() == 2u);
  BOOST_TEST(plain[1].location == "/srv/ts2");
  BOOST_TEST(plain[1].stored == "16385.tzst.enc");
  auto mapped = plan_tablespaces(files, map, {parse_tablespace_mapping("/srv/ts2=/mnt/x")}, "1");
  BOOST_TEST(mapped[0].location == "/srv/ts1");
  BOOST_TEST(mapped[1].location == "/mnt/x");
  // A mapping that matches nothing, two tablespaces in one place, a file or an entry missing.
  BOOST_CHECK_THROW(plan_tablespaces(files, map, {parse_tablespace_mapping("/x=/y")}, "1"),
                    UsageError);
  BOOST_CHECK_THROW(
      plan_tablespaces(files, map, {parse_tablespace_mapping("/srv/ts2=/srv/ts1")}, "1"),
      UsageError);
  BOOST_CHECK_THROW(plan_tablespaces({files[0]}, map, {}, "1"), Error);
  BOOST_CHECK_THROW(plan_tablespaces(files, {{16384, "/srv/ts1"}}, {}, "1"), Error);
}

BOOST_AUTO_TEST_CASE(backup_history_and_utc_times) {
  auto h = parse_backup_history(
      "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n"
      "STOP WAL LOCATION: 0/3000100 (file 000000010000000000000003)\n"
      "CHECKPOINT LOCATION: 0/2000060\n"
      "START TIME: 2026-12-05 02:37:00 UTC\n"
      "STOP TIME: 2026-12-05 02:37:09 UTC\n");
  BOOST_REQUIRE(h);
  BOOST_TEST(h->start_lsn == 0x2000028u);
  BOOST_TEST(h->stop_lsn.value_or(0) == 0x3000100u);
  BOOST_TEST(h->stop_time.value_or(0) == *parse_timestamp("2026-12-05 02:37:09+00"));
  BOOST_TEST(!parse_backup_history("STOP WAL LOCATION: 0/1\n"));

  bool zoned = true;
  BOOST_TEST(parse_timestamp("2026-12-05 02:37:09", &zoned).has_value());
  BOOST_TEST(!zoned);
  BOOST_TEST(parse_timestamp("2026-12-05 02:37:09+09", &zoned).has_value());
  BOOST_TEST(zoned);
  double t = *parse_timestamp("2026-12-05 11:37:09.25+09");
  BOOST_TEST(format_utc_timestamp(t) == "2026-12-05 02:37:09.25+00");
  BOOST_TEST(format_utc_timestamp(*parse_timestamp("2026-12-05 02:37:09Z")) ==
             "2026-12-05 02:37:09+00");
  BOOST_TEST(format_utc_timestamp(*parse_timestamp("2026-12-05 02:37:09.000001Z")) ==
             "2026-12-05 02:37:09.000001+00");
}

BOOST_AUTO_TEST_SUITE_END()
