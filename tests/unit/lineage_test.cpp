#include "repo/lineage.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>

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

// The same rules over a listing from elsewhere (the remote copy), facts given per generation; a
// generation not listed gives no order.
BOOST_AUTO_TEST_CASE(wal_search_order_of_a_listing_follows_the_same_rules) {
  std::map<std::string, LineageFacts> facts;
  facts["100"] = {true, std::nullopt, 7};
  facts["200"] = {true, std::nullopt, 7};
  facts["250"] = {true, parse_new_history("side: a restored copy\n"), std::nullopt};
  facts["300"] = {true, parse_new_history("the server went back in time\n"), 7};
  facts["400"] = {true, std::nullopt, std::nullopt};  // not uploaded yet: no identifier known
  facts["500"] = {true, std::nullopt, 8};
  Names names{"100", "200", "250", "300", "400", "500"};
  auto of = [&](const std::string& name) { return facts.at(name); };
  BOOST_TEST(wal_search_order_of(names, of, "200") == Names({"200", "100"}));
  BOOST_TEST(wal_search_order_of(names, of, "100") == Names({"100", "200"}));
  BOOST_TEST(wal_search_order_of(names, of, "250") == Names({"250"}));
  BOOST_TEST(wal_search_order_of(names, of, "400") == Names({"400", "300"}));
  BOOST_TEST(wal_search_order_of(names, of, "500") == Names({"500"}));
  BOOST_TEST(wal_search_order_of(names, of, "600").empty());
  BOOST_TEST(parse_new_history("side: x\n").side);
  BOOST_TEST(!parse_new_history("x\n").side);
}

BOOST_AUTO_TEST_SUITE_END()
