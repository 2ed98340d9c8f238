// Pure pieces of the sync: SHA256SUMS text, wait's TIMEOUT, the log cut-back, sync.status and
// the backup script's environment.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "io/error.h"
#include "io/file.h"
#include "repo/sha256sums.h"
#include "repo/sync_log.h"
#include "repo/sync_status.h"
#include "sync/backup_script.h"
#include "sync/heuristic.h"
#include "sync/pg_basebackup.h"
#include "sync/wait.h"
#include "test_util.h"

namespace pgbak {

BOOST_AUTO_TEST_SUITE(sync_parts)

BOOST_AUTO_TEST_CASE(checksums_round_trip_with_base_first) {
  std::string a(64, 'a'), b(64, 'b');
  std::string text = b + "  pg_wal/000000010000000000000003.zst\n" + a + "  base.tzst\n" +
                     "garbage line\n" + std::string(63, 'c') + "  short.digest\n";
  auto sums = parse_checksums(text);
  BOOST_TEST(sums.size() == 2u);
  BOOST_TEST(format_checksums(sums) ==
             a + "  base.tzst\n" + b + "  pg_wal/000000010000000000000003.zst\n");
  BOOST_TEST(parse_checksums(a + " *base.tzst\n").count("base.tzst") == 1u);
}

BOOST_AUTO_TEST_CASE(wait_timeout_is_strict) {
  BOOST_TEST(parse_wait_timeout("0") == 0);
  BOOST_TEST(parse_wait_timeout("15") == 15);
  BOOST_TEST(parse_wait_timeout("1.5") == 1.5);
  for (const char* bad : {"-1", "abc", "1e99", "", " 1", "1 ", "+1", "inf", "nan", "1.", ".5",
                          "0x10", "99999999999999"}) {
    BOOST_CHECK_THROW(parse_wait_timeout(bad), UsageError);
  }
}

BOOST_AUTO_TEST_CASE(log_cut_back_keeps_whole_lines) {
  BOOST_TEST(log_tail_to_keep("a\nbb\nccc\n", 100) == "a\nbb\nccc\n");
  BOOST_TEST(log_tail_to_keep("a\nbb\nccc\n", 6) == "ccc\n");
  BOOST_TEST(log_tail_to_keep("a\nbb\nccc\n", 7) == "bb\nccc\n");
  BOOST_TEST(format_utc(0) == "1970-01-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(sync_log_stays_under_its_cap) {
  test::TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  SyncLog log(false, 0);
  log.attach_file(dir.get(), tmp.path(), 1000);
  for (int i = 0; i < 200; ++i) log.info("message number " + std::to_string(i));
  auto text = read_small_file(dir.get(), "sync.log", tmp / "sync.log");
  BOOST_REQUIRE(text.has_value());
  BOOST_TEST(text->size() <= 1000u);
  BOOST_TEST(text->size() >= 400u);
  BOOST_TEST(text->ends_with("] message number 199\n"));
  BOOST_TEST(text->find("message number 0\n") == std::string::npos);
  BOOST_TEST(text->substr(0, 2) == "20");  // starts with a whole, timestamped line
}

BOOST_AUTO_TEST_CASE(status_round_trips_and_tolerates_junk) {
  SyncStatus s;
  s.pid = 42;
  s.last_success = 1763700000;
  s.last_base_ts = "1763690000";
  s.consecutive_failures = 3;
  s.last_error = "backup script exited\nwith status 1";
  SyncStatus t = parse_sync_status(format_sync_status(s) + "future_key=1\nnot a line\n");
  BOOST_TEST(t.pid == 42);
  BOOST_TEST(t.last_success == 1763700000);
  BOOST_TEST(t.last_base_ts == "1763690000");
  BOOST_TEST(t.consecutive_failures == 3);
  BOOST_TEST(t.last_error == "backup script exited with status 1");
  BOOST_TEST(parse_sync_status("pid=x\n").pid == 0);
}

BOOST_AUTO_TEST_CASE(script_environment_is_clean) {
  auto env = script_environment(
      {"PATH=/bin", "HOME=/h", "PGHOST=/s", "PGPORT=5", "PGBAK=/old", "PG_GRANDPARENT_PID=1",
       "PGBAK_FAULT=x", "LC_ALL=C", "SECRET=1", "LD_PRELOAD=/x.so"},
      "/b");
  std::vector<std::string> want = {"PATH=/bin", "HOME=/h",  "PGHOST=/s",
                                   "PGPORT=5",  "LC_ALL=C", "PGBAK=/b"};
  BOOST_TEST(env == want, boost::test_tools::per_element());
  auto bare = script_environment({}, "/b");
  BOOST_TEST(bare.front() == "PATH=/usr/local/bin:/usr/bin:/bin");
}

BOOST_AUTO_TEST_CASE(snapshot_heuristic_thresholds) {
  Config c = default_config();
  GenerationSize s{9, 500, 1000};
  BOOST_TEST(!snapshot_due(s, c));  // 500 * 0.5 < 1000
  s = {9, 2000, 1000};
  BOOST_TEST(snapshot_due(s, c));
  s = {8, 2000, 1000};
  BOOST_TEST(!snapshot_due(s, c));  // not more than 8 files
  s = {9, 1999, 1000};
  BOOST_TEST(!snapshot_due(s, c));  // half of 1999 < 1000
  s = {100, 100000, std::nullopt};
  BOOST_TEST(!snapshot_due(s, c));  // no base: the snapshot is pending anyway
}

BOOST_AUTO_TEST_CASE(pg_basebackup_lookup_and_arguments) {
  Config c = default_config();
  c.pg_bindir = "/nonexistent/bin";
  try {
    find_pg_basebackup(c);
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("pg-bindir") != std::string::npos);
  }
  test::TempDir tmp;
  std::string fake = tmp / "pg_basebackup";
  {
    std::ofstream out(fake);
    out << "#!/bin/sh\n";
  }
  ::chmod(fake.c_str(), 0700);
  c.pg_bindir = tmp.path();
  BOOST_TEST(find_pg_basebackup(c) == fake);

  c.basebackup_options = "  --checkpoint=fast   --max-rate=1M ";
  c.conninfo = "host=/tmp port=5433";
  std::vector<std::string> want = {fake,
                                   "-D",
                                   "-",
                                   "-Ft",
                                   "-X",
                                   "none",
                                   "--checkpoint=fast",
                                   "--max-rate=1M",
                                   "-d",
                                   "host=/tmp port=5433"};
  BOOST_TEST(basebackup_argv(fake, c, SnapshotCompression{}, "-") == want,
             boost::test_tools::per_element());
  // Into a directory (extra tablespaces: one tar each): no manifest file, no fsync by pg_basebackup
  // (pgbak stores the tars durably).
  std::vector<std::string> spooled = want;
  spooled[2] = "/g/.snapshot.tmp.1";
  spooled.insert(spooled.begin() + 6, {"--no-manifest", "--no-sync"});
  BOOST_TEST(basebackup_argv(fake, c, SnapshotCompression{}, "/g/.snapshot.tmp.1") == spooled,
             boost::test_tools::per_element());

  // The server compresses: no manifest, server-side zstd at snapshot-compress-level with the
  // workers, before basebackup-options (whose own --compress would win, and be refused as not
  // zstd).
  c.compress_level = 7;  // WAL's level: not the snapshot's
  c.snapshot_compress_level = 5;
  c.snapshot_compress_workers = 2;
  SnapshotCompression server{.by_server = true, .why = ""};
  want.insert(want.begin() + 6, {"--no-manifest", "--compress=server-zstd:level=5,workers=2"});
  BOOST_TEST(basebackup_argv(fake, c, server, "-") == want, boost::test_tools::per_element());
  c.snapshot_compress_workers = 0;  // in the walsender itself: no workers= at all
  want[7] = "--compress=server-zstd:level=5";
  BOOST_TEST(basebackup_argv(fake, c, server, "-") == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pg_basebackup_version_output) {
  BOOST_TEST(parse_major_version("pg_basebackup (PostgreSQL) 15.8\n").value_or(-1) == 15);
  BOOST_TEST(parse_major_version("pg_basebackup (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n")
                 .value_or(-1) == 15);
  BOOST_TEST(parse_major_version("pg_basebackup (PostgreSQL) 9.6.24\n").value_or(-1) == 9);
  BOOST_TEST(parse_major_version("pg_basebackup (PostgreSQL) 17devel\n").value_or(-1) == 17);
  BOOST_TEST(parse_major_version("pg_basebackup 16.1").value_or(-1) == 16);  // a wrapper's
  BOOST_TEST(!parse_major_version("pg_basebackup (PostgreSQL)\n"));
  BOOST_TEST(!parse_major_version(""));

  test::TempDir tmp;
  std::string fake = tmp / "pg_basebackup";
  {
    std::ofstream out(fake);
    out << "#!/bin/sh\n[ \"$1\" = --version ] && echo 'pg_basebackup (PostgreSQL) 14.11'\n";
  }
  ::chmod(fake.c_str(), 0700);
  BOOST_TEST(pg_basebackup_major_version(fake).value_or(-1) == 14);
  BOOST_TEST(!pg_basebackup_major_version(tmp / "missing"));
}

BOOST_AUTO_TEST_CASE(snapshot_compression_choice) {
  BOOST_TEST(format_server_version(150008) == "15.8");
  BOOST_TEST(format_server_version(90624) == "9.6.24");

  // auto: the server when both sides are 15 or newer, else the client, saying why.
  BOOST_TEST(choose_snapshot_compression("auto", 150008, 15).by_server);
  BOOST_TEST(choose_snapshot_compression("auto", 170002, 16).by_server);
  SnapshotCompression old_server = choose_snapshot_compression("auto", 140011, 16);
  BOOST_TEST(!old_server.by_server);
  BOOST_TEST(old_server.why.find("the server is PostgreSQL 14.11") != std::string::npos,
             old_server.why);
  SnapshotCompression old_client = choose_snapshot_compression("auto", 150008, 14);
  BOOST_TEST(!old_client.by_server);
  BOOST_TEST(old_client.why.find("pg_basebackup is version 14") != std::string::npos,
             old_client.why);
  BOOST_TEST(!choose_snapshot_compression("auto", 150008, std::nullopt).by_server);

  // client: always, whatever the versions.
  SnapshotCompression client = choose_snapshot_compression("client", 160000, 16);
  BOOST_TEST(!client.by_server);
  BOOST_TEST(client.why.empty());

  // server: refused with the reason and the way out when a side is known to be too old.
  BOOST_TEST(choose_snapshot_compression("server", 150008, 15).by_server);
  BOOST_TEST(choose_snapshot_compression("server", 150008, std::nullopt).by_server);
  for (auto [server, client_major] : {std::pair{140011, 15}, std::pair{150008, 14}}) {
    try {
      choose_snapshot_compression("server", server, client_major);
      BOOST_FAIL("server compression accepted for " << server << "/" << client_major);
    } catch (const Error& e) {
      std::string what = e.what();
      BOOST_TEST(what.find("snapshot-compression = client") != std::string::npos, what);
      BOOST_TEST(what.find(server < 150000 ? "the server is PostgreSQL 14.11"
                                           : "pg_basebackup is version 14") != std::string::npos,
                 what);
      BOOST_TEST(what.find('\n') == std::string::npos, what);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace pgbak
