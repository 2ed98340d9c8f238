// sync.uploaded: what successful backup-script runs covered, against what a generation holds now.
#include "repo/upload_marks.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "io/file.h"
#include "repo/sha256sums.h"
#include "test_util.h"

namespace pgbak {
namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(upload_marks)

BOOST_AUTO_TEST_CASE(text_round_trip_and_malformed_lines) {
  UploadMarks marks{{"1763700000", {3, std::string(64, 'a')}},
                    {"1763700100", {7, std::string(64, 'b')}}};
  BOOST_TEST((parse_upload_marks(format_upload_marks(marks)) == marks));
  auto parsed =
      parse_upload_marks("1763700000 3 " + std::string(64, 'a') + "\nnot-a-gen 1 " +
                         std::string(64, 'c') + "\n1763700200 x y\n" +
                         "1763700300 1 short\n1763700400 1 " + std::string(64, 'd') + " extra\n");
  BOOST_TEST(parsed.size() == 1u);
  BOOST_TEST(parsed.count("1763700000") == 1u);
}

BOOST_AUTO_TEST_CASE(a_generation_is_uploaded_only_when_a_run_saw_it_whole) {
  test::TempDir tmp;
  ::mkdir((tmp / "1763700000").c_str(), 0700);
  ::mkdir((tmp / "1763700000/pg_wal").c_str(), 0700);
  BackupDir dir(tmp.path());
  Generation g = dir.open_generation("1763700000");
  UploadMarks marks;
  BOOST_TEST(files_not_uploaded(g, marks) == 0u);  // nothing to upload yet

  write_file(tmp / "1763700000/base.tzst", "base");
  write_file(tmp / "1763700000/pg_wal/000000010000000000000001.zst", "wal1");
  BOOST_TEST(files_not_uploaded(g, marks) == 2u);  // never uploaded
  update_checksums(g);
  BOOST_TEST(files_not_uploaded(g, marks) == 2u);  // hashed is not uploaded

  marks[g.name] = coverage_now(g);  // a successful run
  BOOST_TEST(marks[g.name].files == 2u);
  BOOST_TEST(files_not_uploaded(g, marks) == 0u);

  // New WAL, hashed by a run that failed: the remote copy lacks it and SHA256SUMS.
  write_file(tmp / "1763700000/pg_wal/000000010000000000000002.zst", "wal2");
  BOOST_TEST(files_not_uploaded(g, marks) == 1u);
  update_checksums(g);
  BOOST_TEST(files_not_uploaded(g, marks) == 1u);
  marks[g.name] = coverage_now(g);
  BOOST_TEST(files_not_uploaded(g, marks) == 0u);

  // Persisted durably and read back.
  write_upload_marks(dir.fd(), dir.path(), marks);
  BOOST_TEST((read_upload_marks(dir.fd(), dir.path()) == marks));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace pgbak
