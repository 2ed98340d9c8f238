#include "repo/leftovers.h"

#include <boost/test/unit_test.hpp>

using namespace pgbak;

BOOST_AUTO_TEST_SUITE(leftovers)

BOOST_AUTO_TEST_CASE(temp_names_give_their_pid) {
  BOOST_TEST(leftover_pid(".SHA256SUMS.tmp.4242.0.123456") == 4242);
  BOOST_TEST(leftover_pid(".sync.status.tmp.17.3.99") == 17);
  BOOST_TEST(leftover_pid(".current.tmp.815") == 815);
  BOOST_TEST(leftover_pid(".000000010000000000000003.zst.tmp.9.0.1") == 9);
}

BOOST_AUTO_TEST_CASE(other_names_are_not_leftovers) {
  for (const char* name : {"SHA256SUMS", "current", ".tmp.12", "..tmp.", ".x.tmp.", ".x.tmp.12a.0",
                           "x.tmp.12.0", ".x.tmp.1234567890.0", "000000010000000000000003.zst"}) {
    BOOST_TEST(leftover_pid(name) == 0, name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
