#include "io/durable_writer.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/error.h"
#include "io/file.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(DurableWriter& w, const std::string& text) {
  w.write(std::as_bytes(std::span(text)));
}

size_t entries(const std::string& dir) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(durable_writer)

BOOST_AUTO_TEST_CASE(appears_only_on_commit_with_mode_0600) {
  TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  mode_t old = ::umask(0);
  {
    DurableWriter w(dir.get(), "a", tmp / "a");
    write_text(w, "hello");
    BOOST_TEST(entries(tmp.path()) == 0u);
    BOOST_TEST(w.commit());
  }
  ::umask(old);
  BOOST_TEST(slurp(tmp / "a") == "hello");
  struct stat st;
  ::stat((tmp / "a").c_str(), &st);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_CASE(never_overwrites) {
  TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  {
    DurableWriter w(dir.get(), "a", tmp / "a");
    write_text(w, "first");
    BOOST_TEST(w.commit());
  }
  {
    DurableWriter w(dir.get(), "a", tmp / "a");
    write_text(w, "second");
    BOOST_TEST(!w.commit());
  }
  BOOST_TEST(slurp(tmp / "a") == "first");
  BOOST_TEST(entries(tmp.path()) == 1u);
}

BOOST_AUTO_TEST_CASE(abandoned_write_leaves_nothing) {
  TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  {
    DurableWriter w(dir.get(), "a", tmp / "a");
    write_text(w, "partial");
  }
  BOOST_TEST(entries(tmp.path()) == 0u);
}

BOOST_AUTO_TEST_CASE(replace_swaps_atomically) {
  TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  for (const char* text : {"one", "two"}) {
    DurableWriter w(dir.get(), "sums", tmp / "sums");
    write_text(w, text);
    w.commit_replace();
  }
  BOOST_TEST(slurp(tmp / "sums") == "two");
  BOOST_TEST(entries(tmp.path()) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
