// Hostile archives against the extractor: whatever an archive holds, nothing is written outside
// the root, and the failure is one line.
#include "restore/tar_extract.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "io/error.h"
#include "io/file.h"
#include "io/tar_reader.h"
#include "tar_builder.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TarBuilder;
namespace fs = std::filesystem;

namespace {

// A root to extract into and, beside it, a directory with a file that no archive may reach.
struct Sandbox {
  Sandbox() {
    fs::create_directory(dir / "root");
    fs::create_directory(dir / "outside");
    std::ofstream(dir / "outside/victim") << "victim";
    fs::permissions(dir / "outside", fs::perms(0755));
    fs::permissions(dir / "outside/victim", fs::perms(0644));
  }
  // Every name, mode and content outside the root.
  std::string outside() const {
    std::string all;
    for (const auto& e : fs::recursive_directory_iterator(dir / "outside")) {
      struct stat st;
      ::lstat(e.path().c_str(), &st);
      all += e.path().string() + " " + std::to_string(st.st_mode) + " " +
             std::to_string(st.st_size) + "\n";
    }
    struct stat st;
    ::lstat((dir / "outside").c_str(), &st);
    return all + std::to_string(st.st_mode);
  }
  // Extracts `tar` into root; returns the error message, or "" if it extracted.
  std::string extract(const TarBuilder& tar) const {
    UniqueFd root = open_dir(dir / "root");
    TarExtractor x(root.get(), dir / "root", std::nullopt);
    TarReader reader(x, "hostile.tar");
    try {
      reader.write(tar.span());
      reader.finish();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  test::TempDir dir;
};

// Extracting `tar` fails with one line matching `expect`, and nothing outside the root changes.
void check_refused(const TarBuilder& tar, const std::string& expect) {
  Sandbox box;
  std::string before = box.outside();
  std::string error = box.extract(tar);
  BOOST_TEST_INFO("error: " << error);
  BOOST_TEST(error.find(expect) != std::string::npos);
  BOOST_TEST(error.find('\n') == std::string::npos);
  BOOST_TEST(box.outside() == before);
  BOOST_TEST(std::ifstream(box.dir / "outside/victim").rdbuf() != nullptr);
}

TarBuilder ended(TarBuilder t) {
  t.end();
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tar_extract)

BOOST_AUTO_TEST_CASE(refuses_escaping_names) {
  Sandbox probe;
  TarBuilder dotdot, absolute, gnu, pax, nul, newline;
  dotdot.entry("base/../../outside/victim", '0', "x");
  absolute.entry(probe.dir / "outside/new", '0', "x");
  gnu.gnu_long_name("../outside/" + std::string(120, 'g'));
  gnu.entry("short", '0', "x");
  pax.pax("path", "/" + std::string(150, 'p'));
  pax.entry("short", '0', "x");
  nul.pax("path", std::string("ok\0/../../outside/victim", 25));
  nul.entry("short", '0', "x");
  // A newline in the name does not break the message into two lines.
  newline.pax("path", "line\nbreak/../../outside/victim");
  newline.entry("short", '0', "x");
  for (const TarBuilder* t : {&dotdot, &absolute, &gnu, &pax, &nul, &newline}) {
    check_refused(ended(*t), "absolute path or '..' component");
  }
}

BOOST_AUTO_TEST_CASE(never_writes_through_a_symlink) {
  Sandbox probe;
  std::string outside = probe.dir / "outside";
  TarBuilder through_dir, same_name, dir_over_link, relative;
  // A symlink to outside, then a file below it.
  through_dir.entry("link", '2', "", 0777, outside);
  through_dir.entry("link/victim", '0', "overwritten");
  // A symlink, then a file of the same name (which would be written through the link).
  same_name.entry("victim", '2', "", 0777, outside + "/victim");
  same_name.entry("victim", '0', "overwritten");
  // A symlink, then a directory entry of the same name (whose mode would be set through it).
  dir_over_link.entry("d", '2', "", 0777, outside);
  dir_over_link.entry("d/", '5', "", 0700);
  // A relative link climbing out, then a directory below it.
  relative.entry("up", '2', "", 0777, "../outside");
  relative.entry("up/sub/", '5', "", 0700);
  check_refused(ended(through_dir), "/link' is not a directory (a symlink?)");
  check_refused(ended(same_name), "cannot create");
  check_refused(ended(dir_over_link), "/d': it is not a directory (a symlink?)");
  check_refused(ended(relative), "is not a directory (a symlink?)");
}

BOOST_AUTO_TEST_CASE(refuses_links_devices_and_fifos) {
  Sandbox probe;
  TarBuilder hard_out, hard_in;
  hard_out.entry("h", '1', "", 0644, probe.dir / "outside/victim");
  hard_in.entry("a", '0', "x");
  hard_in.entry("b", '1', "", 0644, "a");
  check_refused(ended(hard_out), "hard links are not supported");
  check_refused(ended(hard_in), "hard links are not supported");
  for (char type : {'3', '4', '6', 'S', 'V', '\x01'}) {
    TarBuilder t;
    t.entry("special", type);
    t.end();
    check_refused(t, "unsupported entry type");
    Sandbox box;
    box.extract(t);
    BOOST_TEST(!fs::exists(fs::symlink_status(box.dir / "root/special")));
  }
}

BOOST_AUTO_TEST_CASE(huge_truncated_and_overlong) {
  // A file claiming 2^60 bytes followed by a few: the archive ends inside it.
  TarBuilder huge;
  huge.entry_header("big", '0', uint64_t{1} << 60);
  huge.bytes += std::string(4096, 'x');
  check_refused(huge, "archive ends inside an entry (truncated?)");
  // Cut inside a header, inside data, and with no end marker.
  TarBuilder whole;
  whole.entry("a", '0', std::string(1000, 'a'));
  whole.entry("b", '0', "b");
  for (size_t cut : {size_t{100}, size_t{700}, size_t{1536 + 300}, whole.bytes.size()}) {
    TarBuilder t;
    t.bytes = whole.bytes.substr(0, cut);
    check_refused(t, "truncated?");
  }
  // A component longer than the file system allows, through a pax and a GNU long name.
  TarBuilder pax, gnu;
  pax.pax("path", "base/" + std::string(300, 'n'));
  pax.entry("x", '0', "x");
  gnu.gnu_long_name(std::string(300, 'n') + "/f");
  gnu.entry("x", '0', "x");
  check_refused(ended(pax), "File name too long");
  check_refused(ended(gnu), "File name too long");
}

BOOST_AUTO_TEST_CASE(directory_replaced_by_a_symlink_between_entries) {
  // What a user who can write into the tree could do during an extraction: swap a directory the
  // extractor made for a symlink to outside. Later entries in it, and the directory's own entry
  // again, are refused; the target keeps its mode.
  Sandbox box;
  std::string before = box.outside();
  UniqueFd root = open_dir(box.dir / "root");
  TarExtractor x(root.get(), box.dir / "root", std::nullopt);
  TarReader reader(x, "t.tar");
  TarBuilder first;
  first.entry("base/", '5', "", 0755);
  reader.write(first.span());
  fs::rename(box.dir / "root/base", box.dir / "root/base.moved");
  fs::create_directory_symlink(box.dir / "outside", box.dir / "root/base");
  TarBuilder file, again;
  file.entry("base/victim", '0', "overwritten");
  again.entry("base/", '5', "", 0700);
  BOOST_CHECK_THROW(reader.write(file.span()), Error);
  TarReader reader2(x, "t.tar");
  BOOST_CHECK_THROW(reader2.write(again.span()), Error);
  BOOST_TEST(box.outside() == before);
}

BOOST_AUTO_TEST_CASE(owner_and_modes_through_descriptors) {
  // Without root, the owner can only be the current user: the calls are still made (fchown to
  // oneself succeeds), and directories end 0700 whatever the archive and the umask say.
  Sandbox box;
  mode_t old = ::umask(077);
  UniqueFd root = open_dir(box.dir / "root");
  TarExtractor x(root.get(), box.dir / "root", TarExtractor::Owner{::geteuid(), ::getegid()});
  TarReader reader(x, "t.tar");
  TarBuilder t;
  t.entry("d/", '5', "", 0755);
  t.entry("d/e/f", '0', "f", 0640);
  t.entry("d/l", '2', "", 0777, "e/f");
  t.end();
  reader.write(t.span());
  reader.finish();
  ::umask(old);
  for (const char* name : {"d", "d/e"}) {
    struct stat st;
    BOOST_TEST(::lstat((box.dir / ("root/" + std::string(name))).c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07777) == 0700u);
  }
  struct stat st;
  BOOST_TEST(::lstat((box.dir / "root/d/e/f").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0640u);
  BOOST_TEST(fs::read_symlink(box.dir / "root/d/l").string() == "e/f");
}

BOOST_AUTO_TEST_SUITE_END()
