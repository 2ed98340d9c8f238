#include "repo/lineage.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "io/error.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TempDir;
namespace fs = std::filesystem;

namespace {

using Names = std::vector<std::string>;

// A generation NAME of the cluster SYSID, with a new_history marker when `marker` is not empty.
void make_gen(const TempDir& tmp, const std::string& name, const std::string& sysid,
              const std::string& marker = "") {
  fs::create_directories(tmp / (name + "/pg_wal"));
  std::ofstream(tmp / (name + "/system_identifier")) << sysid << "\n";
  if (!marker.empty()) std::ofstream(tmp / (name + "/new_history")) << marker << "\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lineage_order)

BOOST_AUTO_TEST_CASE(wal_search_order_is_the_lineage_then_its_older_generations_newest_first) {
  TempDir tmp;
  make_gen(tmp, "100", "7");
  make_gen(tmp, "200", "7");
  make_gen(tmp, "250", "7", "side: a restored copy");
  make_gen(tmp, "300", "7");
  make_gen(tmp, "400", "7");
  BackupDir dir(tmp.path());
  BOOST_TEST(wal_search_order(dir, "300") == Names({"300", "400", "200", "100"}));
  BOOST_TEST(wal_search_order(dir, "100") == Names({"100", "200", "300", "400"}));
  BOOST_TEST(wal_search_order(dir, "400") == Names({"400", "300", "200", "100"}));
  BOOST_TEST(wal_search_order(dir, "250") == Names({"250"}));
}

BOOST_AUTO_TEST_CASE(wal_search_order_stops_at_another_history_on_both_sides) {
  TempDir tmp;
  make_gen(tmp, "100", "7");
  make_gen(tmp, "200", "7", "the server went back in time");
  make_gen(tmp, "300", "7");
  make_gen(tmp, "400", "8");
  make_gen(tmp, "500", "8");
  BackupDir dir(tmp.path());
  BOOST_TEST(wal_search_order(dir, "300") == Names({"300", "200"}));
  BOOST_TEST(wal_search_order(dir, "100") == Names({"100"}));
  BOOST_TEST(wal_search_order(dir, "500") == Names({"500", "400"}));
  BOOST_CHECK_THROW(wal_search_order(dir, "600"), Error);
}

BOOST_AUTO_TEST_SUITE_END()
