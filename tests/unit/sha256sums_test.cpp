#include "verify/sha256sums.h"

#include <boost/test/unit_test.hpp>

#include "restore/backup_label.h"
#include "restore/recovery_conf.h"

using namespace pgbak;

BOOST_AUTO_TEST_SUITE(sha256sums)

BOOST_AUTO_TEST_CASE(parses_text_and_binary_lines) {
  std::string d(64, 'a');
  auto s = parse_sha256sums(d + "  base.tzst\n" + std::string(64, 'B') + " *pg_wal/0001.zst\n\n");
  BOOST_TEST(s.problems.empty());
  BOOST_TEST_REQUIRE(s.entries.size() == 2u);
  BOOST_TEST(s.entries[0].path == "base.tzst");
  BOOST_TEST(s.entries[1].digest == std::string(64, 'b'));
  BOOST_TEST(s.entries[1].path == "pg_wal/0001.zst");
}

BOOST_AUTO_TEST_CASE(reports_malformed_and_escaping_lines) {
  std::string d(64, '0');
  auto s = parse_sha256sums("xyz  base.tzst\n" + d + "  /etc/passwd\n" + d + "  ../x\n" + d +
                            "  ok\n" + std::string(63, '0') + "g  bad\n");
  BOOST_TEST(s.entries.size() == 1u);
  BOOST_TEST_REQUIRE(s.problems.size() == 4u);
  BOOST_TEST(s.problems[0].starts_with("line 1:"));
  BOOST_TEST(s.problems[3].starts_with("line 5:"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backup_label)

BOOST_AUTO_TEST_CASE(parses_pg_basebackup_label) {
  auto b = parse_backup_label(
      "START WAL LOCATION: 0/3000028 (file 000000010000000000000003)\n"
      "CHECKPOINT LOCATION: 0/3000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n"
      "START TIME: 2026-11-21 04:59:48 UTC\nLABEL: pg_basebackup base backup\n"
      "START TIMELINE: 2\n");
  BOOST_TEST_REQUIRE(b.has_value());
  BOOST_TEST(b->start_lsn == 0x3000028u);
  BOOST_TEST(b->start_tli == 2u);
  BOOST_TEST(b->start_wal_file == "000000010000000000000003");
  BOOST_TEST(*parse_timestamp(b->start_time) == 1795237188.0);
  BOOST_TEST(!parse_backup_label("START TIMELINE: 1\n").has_value());
}

BOOST_AUTO_TEST_CASE(timestamps_with_zones) {
  BOOST_TEST(*parse_timestamp("2026-11-21 04:59:48.25+00") == 1795237188.25);
  BOOST_TEST(*parse_timestamp("2026-11-21T05:59:48+01:00") == 1795237188.0);
  BOOST_TEST(*parse_timestamp("2026-11-21 00:59:48-0400") == 1795237188.0);
  BOOST_TEST(!parse_timestamp("2026-11-21 04:59:48 CET").has_value());
  BOOST_TEST(!parse_timestamp("yesterday").has_value());
}

BOOST_AUTO_TEST_CASE(restore_command_quoting) {
  BOOST_TEST(restore_command("/usr/bin/pgbak", "/var/lib/pgbak", "", "1763700000") ==
             "/usr/bin/pgbak -D /var/lib/pgbak restore-wal --generation 1763700000 %f %p");
  BOOST_TEST(restore_command("/opt/pg bak", "/srv/50%'s", "/etc/p.conf", "17") ==
             "'/opt/pg bak' -D '/srv/50%%'\\''s' -c /etc/p.conf restore-wal --generation 17 %f %p");
  BOOST_TEST(conf_quote("it's \\") == "'it''s \\\\'");
  RecoveryTarget t{"recovery_target_time", "2026-11-21 05:00:00+00", "promote"};
  BOOST_TEST(
      recovery_settings("gen 1", "cmd", t) ==
      "\n# Added by pgbak restore: gen 1\nrestore_command = 'cmd'\n"
      "recovery_target_time = '2026-11-21 05:00:00+00'\nrecovery_target_action = 'promote'\n");
}

BOOST_AUTO_TEST_SUITE_END()
