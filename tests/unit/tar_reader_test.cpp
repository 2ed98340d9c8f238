#include "io/tar_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/error.h"
#include "io/file.h"
#include "io/tree.h"
#include "restore/tar_extract.h"
#include "tar_builder.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TarBuilder;

namespace {

struct Recorder : TarHandler {
  void begin(const TarEntry& e) override {
    log << "begin " << e.path << " " << e.typeflag << " " << e.size << " " << std::oct << e.mode
        << std::dec << " " << e.uid << " " << e.link_target << "\n";
    current.clear();
  }
  void data(std::span<const std::byte> b) override {
    current.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void end() override { log << "data " << current << "\n"; }
  std::ostringstream log;
  std::string current;
};

// Feeds the archive in small uneven pieces to exercise every state boundary.
void feed(TarReader& r, std::span<const std::byte> bytes, size_t piece) {
  for (size_t off = 0; off < bytes.size(); off += piece) {
    r.write(bytes.subspan(off, std::min(piece, bytes.size() - off)));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tar_reader)

BOOST_AUTO_TEST_CASE(reads_entries_in_any_chunking) {
  TarBuilder t;
  t.entry("backup_label", '0', "START WAL LOCATION: 0/2000028\n");
  t.entry("base/", '5', "", 0700);
  t.entry("base/1/1234", '0', std::string(1000, 'x'), 0640);
  t.entry("pg_tblspc/16385", '2', "", 0777, "/srv/ts");
  t.end();
  for (size_t piece : {1, 7, 511, 512, 513, 100000}) {
    Recorder rec;
    TarReader r(rec, "t.tar");
    feed(r, t.span(), piece);
    r.finish();
    BOOST_TEST(r.at_end());
    BOOST_TEST(rec.log.str() ==
               "begin backup_label 0 30 600 1000 \ndata START WAL LOCATION: 0/2000028\n\n"
               "begin base/ 5 0 700 1000 \ndata \n"
               "begin base/1/1234 0 1000 640 1000 \ndata " +
                   std::string(1000, 'x') +
                   "\n"
                   "begin pg_tblspc/16385 2 0 777 1000 /srv/ts\ndata \n");
  }
}

BOOST_AUTO_TEST_CASE(long_names_gnu_pax_and_ustar_prefix) {
  std::string long_name = "base/16384/" + std::string(150, 'a');
  std::string pax_name = "global/" + std::string(200, 'b');
  std::string prefixed = std::string(90, 'p') + "/" + std::string(60, 'q');
  TarBuilder t;
  t.gnu_long_name(long_name);
  t.entry(long_name.substr(0, 99), '0', "gnu");
  t.pax("path", pax_name);
  t.entry("truncated", '0', "pax");
  t.entry(prefixed, '0', "prefix", 0600, "", true);
  t.end();
  Recorder rec;
  TarReader r(rec, "t.tar");
  feed(r, t.span(), 333);
  r.finish();
  std::string log = rec.log.str();
  BOOST_TEST(log.find("begin " + long_name + " 0 3") != std::string::npos);
  BOOST_TEST(log.find("begin " + pax_name + " 0 3") != std::string::npos);
  BOOST_TEST(log.find("begin " + prefixed + " 0 6") != std::string::npos);
  BOOST_TEST(log.find("truncated") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_bad_checksum_truncation_and_missing_end) {
  TarBuilder t;
  t.entry("a", '0', "hello");
  t.end();
  {
    std::string bad = t.bytes;
    bad[0] = 'b';  // header checksum no longer matches
    Recorder rec;
    TarReader r(rec, "t.tar");
    BOOST_CHECK_THROW(r.write(std::as_bytes(std::span(bad))), Error);
  }
  {
    Recorder rec;
    TarReader r(rec, "t.tar");
    r.write(t.span().first(520));  // inside the data
    BOOST_CHECK_THROW(r.finish(), Error);
  }
  {
    Recorder rec;
    TarReader r(rec, "t.tar");
    r.write(t.span().first(1024));  // entry complete, no end marker
    BOOST_CHECK_THROW(r.finish(), Error);
  }
}

BOOST_AUTO_TEST_CASE(numbers_octal_and_base256) {
  uint64_t v = 0;
  std::string octal = "00000001750\0";
  BOOST_TEST(parse_tar_number(std::as_bytes(std::span(octal)), v));
  BOOST_TEST(v == 1000u);
  std::byte b256[12] = {std::byte{0x80}};
  b256[7] = std::byte{0x02};  // 2 << 32
  BOOST_TEST(parse_tar_number(b256, v));
  BOOST_TEST(v == (uint64_t{2} << 32));
  std::string junk = "12x";
  BOOST_TEST(!parse_tar_number(std::as_bytes(std::span(junk)), v));
}

BOOST_AUTO_TEST_CASE(safe_components_refuse_escapes) {
  BOOST_TEST(safe_components("./base/1/2").value() == (std::vector<std::string>{"base", "1", "2"}));
  BOOST_TEST(safe_components("pg_wal/").value() == (std::vector<std::string>{"pg_wal"}));
  BOOST_TEST(!safe_components("/etc/passwd"));
  BOOST_TEST(!safe_components("base/../../x"));
  BOOST_TEST(!safe_components(".."));
  BOOST_TEST(!safe_components("./"));
}

BOOST_AUTO_TEST_CASE(extracts_with_modes_and_never_through_symlinks) {
  test::TempDir dir;
  TarBuilder t;
  t.entry("global/", '5', "", 0755);
  t.entry("global/pg_control", '0', "control", 0640);
  t.entry("link", '2', "", 0777, dir.path());
  t.end();
  {
    UniqueFd root = open_dir(dir.path());
    TarExtractor x(root.get(), dir.path(), std::nullopt);
    TarReader r(x, "t.tar");
    feed(r, t.span(), 100);
    r.finish();
    BOOST_TEST(x.files() == 1u);
    BOOST_TEST(x.source_owner()->uid == 1000u);
  }
  struct stat st;
  BOOST_TEST(::stat((dir / "global").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0700u);
  BOOST_TEST(::stat((dir / "global/pg_control").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0640u);
  BOOST_TEST(read_file(dir / "global/pg_control") == "control");
  BOOST_TEST(std::filesystem::read_symlink(dir / "link").string() == dir.path());

  // A later entry under the symlink must not land where the link points.
  TarBuilder evil;
  evil.entry("link/escaped", '0', "x");
  evil.end();
  UniqueFd root = open_dir(dir.path());
  TarExtractor x(root.get(), dir.path(), std::nullopt);
  TarReader r(x, "evil.tar");
  BOOST_CHECK_THROW(r.write(evil.span()), Error);
  BOOST_TEST(!std::filesystem::exists(dir / "escaped"));

  TarBuilder dotdot;
  dotdot.entry("a/../../outside", '0', "x");
  TarReader r2(x, "dotdot.tar");
  BOOST_CHECK_THROW(r2.write(dotdot.span()), Error);
}

BOOST_AUTO_TEST_CASE(remove_tree_removes_without_following_links) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "t/a/b");
  std::ofstream(dir / "t/a/b/f") << "x";
  std::filesystem::create_directories(dir / "keep");
  std::ofstream(dir / "keep/f") << "x";
  std::filesystem::create_directory_symlink(dir / "keep", dir / "t/link");
  UniqueFd root = open_dir(dir.path());
  remove_tree(root.get(), "t", dir / "t");
  BOOST_TEST(!std::filesystem::exists(dir / "t"));
  BOOST_TEST(std::filesystem::exists(dir / "keep/f"));
}

BOOST_AUTO_TEST_SUITE_END()
