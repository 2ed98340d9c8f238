#include "repo/leftovers.h"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <vector>

#include "io/file.h"
#include "test_util.h"

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

BOOST_AUTO_TEST_CASE(dead_temps_of_one_name_are_removed) {
  test::TempDir dir;
  std::string live = std::to_string(::getpid());
  // 999999999 is above any pid_max: no such process.
  for (const std::string& name : std::vector<std::string>{
           ".RECOVERYXLOG.tmp.999999999.0.1", ".RECOVERYXLOG.tmp." + live + ".0.1",
           ".RECOVERYHISTORY.tmp.999999999.0.1", "RECOVERYXLOG", ".RECOVERYXLOG.partial"}) {
    std::ofstream(dir / name) << "x";
  }
  UniqueFd fd = open_dir(dir.path());
  remove_dead_temps_of(fd.get(), "RECOVERYXLOG", dir.path());
  BOOST_TEST(!std::filesystem::exists(dir / ".RECOVERYXLOG.tmp.999999999.0.1"));
  for (const std::string& kept :
       {".RECOVERYXLOG.tmp." + live + ".0.1", std::string(".RECOVERYHISTORY.tmp.999999999.0.1"),
        std::string("RECOVERYXLOG"), std::string(".RECOVERYXLOG.partial")}) {
    BOOST_TEST(std::filesystem::exists(dir / kept), kept);
  }
}

BOOST_AUTO_TEST_SUITE_END()
