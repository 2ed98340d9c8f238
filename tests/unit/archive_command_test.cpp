#include "ops/archive_command.h"

#include <boost/test/unit_test.hpp>

using namespace pgbak;

BOOST_AUTO_TEST_SUITE(archive_command)

BOOST_AUTO_TEST_CASE(finds_pgbak_and_its_directory) {
  auto a = parse_archive_command("/usr/bin/pgbak -D /var/lib/pgbak archive-wal %p");
  BOOST_TEST(a.calls_pgbak);
  BOOST_TEST(*a.dir == "/var/lib/pgbak");
  auto b = parse_archive_command("pgbak --dir='/srv/my backups' wal %p");
  BOOST_TEST(b.calls_pgbak);
  BOOST_TEST(*b.dir == "/srv/my backups");
  auto c = parse_archive_command("PGBAK=/x \"/opt/pgbak/bin/pgbak\" archive-wal \"%p\"");
  BOOST_TEST(c.calls_pgbak);
  BOOST_TEST(*c.dir == "/x");
  auto d = parse_archive_command("pgbak -D/y -q archive-wal %p");
  BOOST_TEST(*d.dir == "/y");
  auto e = parse_archive_command("pgbak archive-wal %p");
  BOOST_TEST(e.calls_pgbak);
  BOOST_TEST(!e.dir);
}

BOOST_AUTO_TEST_CASE(other_commands_do_not_count) {
  BOOST_TEST(!parse_archive_command("cp %p /archive/%f").calls_pgbak);
  BOOST_TEST(!parse_archive_command("/usr/bin/pgbak-old archive-wal %p").calls_pgbak);
  BOOST_TEST(!parse_archive_command("pgbak status").calls_pgbak);
  BOOST_TEST(!parse_archive_command("").calls_pgbak);
}

BOOST_AUTO_TEST_SUITE_END()
