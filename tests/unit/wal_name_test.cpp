#include "wal/wal_name.h"

#include <boost/test/unit_test.hpp>

using namespace pgbak;

BOOST_AUTO_TEST_SUITE(wal_name)

BOOST_AUTO_TEST_CASE(parses_the_four_forms) {
  auto seg = parse_wal_name("0000000200000001000000FE");
  BOOST_REQUIRE(seg);
  BOOST_TEST((seg->kind == WalKind::kSegment));
  BOOST_TEST(seg->tli == 2u);
  BOOST_TEST(seg->log == 1u);
  BOOST_TEST(seg->seg == 0xFEu);

  auto hist = parse_wal_name("0000000A.history");
  BOOST_REQUIRE(hist);
  BOOST_TEST((hist->kind == WalKind::kHistory));
  BOOST_TEST(hist->tli == 10u);

  auto backup = parse_wal_name("000000010000000000000003.00000028.backup");
  BOOST_REQUIRE(backup);
  BOOST_TEST((backup->kind == WalKind::kBackup));
  BOOST_TEST(backup->seg == 3u);

  auto partial = parse_wal_name("000000010000000000000003.partial");
  BOOST_REQUIRE(partial);
  BOOST_TEST((partial->kind == WalKind::kPartial));
}

BOOST_AUTO_TEST_CASE(refuses_everything_else) {
  for (const char* bad :
       {"", ".", "..", "00000001000000000000000", "0000000100000000000000001",
        "00000001000000000000000a", "000000010000000000000003.zst",
        "pg_wal/000000010000000000000003", "00000001/0000000000000003", "0000000g.history",
        "00000000.history", "000000000000000000000003", "000000010000000000000003.0000002.backup",
        "000000010000000000000003x00000028.backup", "000000010000000000000003.PARTIAL"}) {
    BOOST_TEST(!parse_wal_name(bad), "accepted: '" << bad << "'");
  }
  BOOST_TEST(!parse_wal_name(std::string(4096, 'A')));
}

BOOST_AUTO_TEST_CASE(segment_arithmetic_round_trips) {
  const uint32_t seg16 = 16u << 20;
  auto n = parse_wal_name("0000000100000002000000FF");
  BOOST_TEST(segment_number(*n, seg16) == 2u * 256 + 255);
  BOOST_TEST(segment_file_name(1, 2 * 256 + 255, seg16) == "0000000100000002000000FF");
  BOOST_TEST(segment_file_name(3, 256, seg16) == "000000030000000100000000");
  BOOST_TEST(segment_file_name(1, 4096 + 5, 1u << 20) == "000000010000000100000005");
}

BOOST_AUTO_TEST_CASE(lsn_text) {
  BOOST_TEST(format_lsn(0x13000028) == "0/13000028");
  BOOST_TEST(format_lsn((uint64_t{0xA} << 32) | 0xFF) == "A/FF");
  BOOST_TEST(*parse_lsn("0/13000028") == 0x13000028u);
  BOOST_TEST(*parse_lsn("a/ff") == ((uint64_t{0xA} << 32) | 0xFF));
  BOOST_TEST(!parse_lsn("13000028"));
  BOOST_TEST(!parse_lsn("0/"));
  BOOST_TEST(!parse_lsn("x/1"));
}

BOOST_AUTO_TEST_SUITE_END()
