#include "remote/remote_listing.h"

#include <boost/test/unit_test.hpp>

using namespace pgbak;

BOOST_AUTO_TEST_SUITE(remote_listing)

BOOST_AUTO_TEST_CASE(groups_files_by_generation_oldest_first) {
  RemoteListing listing({"1763800000/base.tzst", "999999999/pg_wal/000000010000000000000001.zst",
                         "1763700000/SHA256SUMS", "1763700000/base.tzst.enc",
                         "1763700000/base.tzst", "1763800000/pg_wal/00000002.history.zst\r"});
  const auto& gens = listing.generations();
  BOOST_REQUIRE_EQUAL(gens.size(), 3u);
  BOOST_TEST(gens[0].name == "999999999");  // by number, not by text
  BOOST_TEST(gens[1].name == "1763700000");
  BOOST_TEST(gens[2].name == "1763800000");
  BOOST_TEST(gens[2].files.count("pg_wal/00000002.history.zst") == 1u);
  BOOST_TEST(gens[1].stored("base.tzst").value() == "base.tzst.enc");  // encrypted first
  BOOST_TEST(gens[2].stored("base.tzst").value() == "base.tzst");
  BOOST_TEST(!gens[0].stored("base.tzst"));
  BOOST_TEST(gens[1].path("SHA256SUMS") == "1763700000/SHA256SUMS");
  BOOST_TEST(listing.find("1763700000") == &gens[1]);
  BOOST_TEST(listing.find("1") == nullptr);
}

BOOST_AUTO_TEST_CASE(ignores_what_is_not_a_generation_file) {
  RemoteListing listing({"", "base.tzst", "notes/readme", "01763700000/base.tzst", "1763700000/",
                         "1763700000//base.tzst", "1763700000/.base.tzst.tmp",
                         "1763700000/pg_wal/.x.zst", "1763700000/../etc/passwd",
                         "1763700000/./base.tzst", ".1763700000/base.tzst"});
  BOOST_TEST(listing.generations().empty());
}

BOOST_AUTO_TEST_SUITE_END()
