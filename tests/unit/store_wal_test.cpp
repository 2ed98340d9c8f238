#include "archive/store_wal.h"

#include <fcntl.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "io/error.h"
#include "repo/backup_dir.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TempDir;

namespace {

constexpr const char* kHistory = "00000002.history";
constexpr const char* kText = "1\t0/3000000\tno recovery target specified\n";

// A WAL source with `text` as its content (a timeline history: no page header to fake).
WalSource source(const TempDir& tmp, const std::string& text = kText) {
  std::ofstream(tmp / kHistory, std::ios::binary | std::ios::trunc) << text;
  return open_wal_source(tmp / kHistory);
}

struct Repo {
  TempDir tmp;
  std::string root = tmp / "pgbak";
  BackupDir dir{(std::filesystem::create_directory(root), root)};
  Generation gen = dir.open_generation(dir.create_generation(1763700000));
  Config config = default_config();

  // Stores kText as the generation's copy of kHistory.
  StoreResult store_first() {
    WalSource first = source(tmp);
    return store_wal(gen, first, config);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(store_wal_suite)

BOOST_AUTO_TEST_CASE(stores_then_finds_identical_or_conflicting_content) {
  Repo r;
  BOOST_TEST(static_cast<int>(r.store_first()) == static_cast<int>(StoreResult::kStored));
  BOOST_TEST(std::filesystem::is_regular_file(r.gen.path + "/pg_wal/" + kHistory + ".zst"));
  WalSource again = source(r.tmp);
  BOOST_TEST(static_cast<int>(store_wal(r.gen, again, r.config)) ==
             static_cast<int>(StoreResult::kIdentical));
  WalSource other = source(r.tmp, "1\t0/4000000\tno recovery target specified\n");
  BOOST_TEST(static_cast<int>(store_wal(r.gen, other, r.config)) ==
             static_cast<int>(StoreResult::kConflict));
}

BOOST_AUTO_TEST_CASE(a_damaged_stored_copy_is_other_content) {
  Repo r;
  r.store_first();
  std::ofstream(r.gen.path + "/pg_wal/" + kHistory + ".zst", std::ios::binary | std::ios::trunc)
      << "not zstd at all";
  WalSource again = source(r.tmp);
  BOOST_TEST(static_cast<int>(store_wal(r.gen, again, r.config)) ==
             static_cast<int>(StoreResult::kConflict));
}

// An I/O error while comparing is no difference: taking it for one would start a new generation
// and report that the server went back in time. It fails the call (PostgreSQL retries).
BOOST_AUTO_TEST_CASE(a_read_error_while_comparing_fails_the_call) {
  Repo r;
  r.store_first();
  WalSource again = source(r.tmp);
  // Reading the source now fails (EBADF): a descriptor opened for writing only.
  again.fd.reset(::open((r.tmp / kHistory).c_str(), O_WRONLY | O_CLOEXEC));
  BOOST_REQUIRE(again.fd.valid());
  try {
    store_wal(r.gen, again, r.config);
    BOOST_FAIL("store_wal did not throw");
  } catch (const Error& e) {
    BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(ErrorKind::kIo));
    BOOST_TEST(e.err() == EBADF);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(generation_creation)

// Named by the time, or one past the newest (or past the one `current` names, even when that
// one is gone): a name is never reused.
BOOST_AUTO_TEST_CASE(names_are_never_reused) {
  TempDir tmp;
  std::filesystem::create_directory(tmp / "pgbak");
  BackupDir dir(tmp / "pgbak");
  BOOST_TEST(!dir.current_name().has_value());
  std::string first = dir.create_generation(1763700000);
  BOOST_TEST(first == "1763700000");
  BOOST_TEST(std::filesystem::is_directory(tmp / "pgbak/1763700000/pg_wal"));
  BOOST_TEST(dir.create_generation(1763700000) == "1763700001");  // same second
  BOOST_TEST(dir.create_generation(1763600000) == "1763700002");  // clock went back
  dir.switch_current("1763700002");
  BOOST_TEST(*dir.current_name() == "1763700002");
  std::filesystem::remove_all(tmp / "pgbak/1763700002");
  std::filesystem::remove_all(tmp / "pgbak/1763700001");
  BOOST_TEST(dir.create_generation(1763600000) == "1763700003");
  BOOST_TEST(dir.create_generation(1763800000) == "1763800000");
  BOOST_TEST(dir.generations() ==
             (std::vector<std::string>{"1763700000", "1763700003", "1763800000"}));
}

BOOST_AUTO_TEST_SUITE_END()
