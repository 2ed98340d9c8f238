#include "repo/prune.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "io/error.h"
#include "repo/upload_marks.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TempDir;
namespace fs = std::filesystem;

namespace {

// Generations 100..(100+n-1); those in `complete` get a base.tzst; current -> the last.
void make_gens(const TempDir& tmp, int n, std::initializer_list<int> complete) {
  for (int i = 0; i < n; ++i) {
    fs::create_directories(tmp / (std::to_string(100 + i) + "/pg_wal"));
    std::ofstream(tmp / (std::to_string(100 + i) + "/pg_wal/x.zst")) << std::string(1000, 'w');
  }
  for (int i : complete) std::ofstream(tmp / (std::to_string(100 + i) + "/base.tzst")) << "base";
  fs::create_directory_symlink(std::to_string(100 + n - 1), tmp / "current");
}

// Marks every generation as uploaded whole (as a successful backup-script run would), after
// listing its base in SHA256SUMS (digests are not checked here).
void mark_uploaded(const BackupDir& dir) {
  UploadMarks marks;
  for (const auto& name : dir.generations()) {
    fs::path gen = fs::path(dir.path()) / name;
    if (fs::exists(gen / "base.tzst") && !fs::exists(gen / "SHA256SUMS")) {
      std::ofstream(gen / "SHA256SUMS") << std::string(64, 'b') << "  base.tzst\n";
    }
    marks[name] = coverage_now(dir.open_generation(name));
  }
  write_upload_marks(dir.fd(), dir.path(), marks);
}

RetentionRule keep(int n) {
  RetentionRule r;
  r.keep = n;
  return r;
}

std::vector<std::string> to_remove(const BackupDir& dir, int n) {
  return plan_prune(dir, keep(n), default_config(), 1e9).remove;
}

std::vector<std::string> left(const TempDir& tmp) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(tmp.path())) {
    if (e.is_directory() && !e.is_symlink()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(prune)

BOOST_AUTO_TEST_CASE(keeps_the_newest_complete_ones_and_everything_after) {
  TempDir tmp;
  // 100 complete, 101 incomplete, 102 complete, 103 complete, 104 incomplete (current).
  make_gens(tmp, 5, {0, 2, 3});
  BackupDir dir(tmp.path());
  mark_uploaded(dir);
  BOOST_TEST(to_remove(dir, 2) == std::vector<std::string>({"100", "101"}));
  auto dry = prune_generations(dir, to_remove(dir, 2), true);
  BOOST_TEST(dry.size() == 2u);
  BOOST_TEST(dry[0].bytes == 1000u + 4u + 76u);  // WAL, base, SHA256SUMS
  BOOST_TEST(left(tmp).size() == 5u);
  prune_generations(dir, to_remove(dir, 2), false);
  BOOST_TEST(left(tmp) == std::vector<std::string>({"102", "103", "104"}));
}

BOOST_AUTO_TEST_CASE(fewer_complete_than_keep_removes_nothing) {
  TempDir tmp;
  make_gens(tmp, 3, {1});
  BackupDir dir(tmp.path());
  mark_uploaded(dir);
  BOOST_TEST(to_remove(dir, 2).empty());
  BOOST_TEST(to_remove(dir, 1) == std::vector<std::string>({"100"}));
}

BOOST_AUTO_TEST_CASE(never_current_even_if_older_by_name) {
  TempDir tmp;
  make_gens(tmp, 3, {0, 1, 2});
  fs::remove(tmp / "current");
  fs::create_directory_symlink("100", tmp / "current");
  BackupDir dir(tmp.path());
  mark_uploaded(dir);
  BOOST_TEST(to_remove(dir, 1) == std::vector<std::string>({"101"}));
}

BOOST_AUTO_TEST_CASE(finishes_an_interrupted_removal_and_rejects_keep_zero) {
  TempDir tmp;
  make_gens(tmp, 2, {0, 1});
  fs::create_directories(tmp / ".deleting.99/pg_wal");
  BackupDir dir(tmp.path());
  prune_generations(dir, {}, false);
  BOOST_TEST(!fs::exists(tmp / ".deleting.99"));
  BOOST_CHECK_THROW(to_remove(dir, 0), UsageError);
}

BOOST_AUTO_TEST_CASE(a_generation_not_uploaded_whole_is_kept) {
  TempDir tmp;
  make_gens(tmp, 4, {0, 1, 2, 3});
  BackupDir dir(tmp.path());
  // No upload marks at all: nothing goes.
  auto plan = plan_prune(dir, keep(1), default_config(), 1e9);
  BOOST_TEST(plan.remove.empty());
  BOOST_TEST(plan.not_uploaded.size() == 3u);
  // 101 got a file after its last successful upload: it stays, the others go.
  mark_uploaded(dir);
  std::ofstream(tmp / "101/SHA256SUMS") << std::string(64, 'a') << "  pg_wal/x.zst\n";
  plan = plan_prune(dir, keep(1), default_config(), 1e9);
  BOOST_TEST(plan.remove == std::vector<std::string>({"100", "102"}));
  BOOST_TEST_REQUIRE(plan.not_uploaded.size() == 1u);
  BOOST_TEST(plan.not_uploaded[0].first == "101");
}

BOOST_AUTO_TEST_SUITE_END()
