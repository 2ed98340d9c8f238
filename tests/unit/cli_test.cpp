#include "cli/cli.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <vector>

#include "io/error.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TempDir;

namespace {

std::optional<Invocation> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "pgbak");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  const Command* cmd = nullptr;
  return parse_invocation(static_cast<int>(argv.size()), argv.data(), &cmd);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(settings_precedence_default_file_command_line) {
  TempDir tmp;
  auto inv = parse({"-D", tmp.path(), "archive-wal", "x"});
  BOOST_TEST(inv->config.compress_level == 3);  // compiled default
  write_file(tmp / "pgbak.conf", "# comment\ncompress-level = 7\nbackoff-start = 5\n");
  inv = parse({"-D", tmp.path(), "archive-wal", "x"});
  BOOST_TEST(inv->config.compress_level == 7);  // file beats default
  BOOST_TEST(inv->config.backoff_start == 5.0);
  inv = parse({"-D", tmp.path(), "archive-wal", "--compress-level", "9", "x"});
  BOOST_TEST(inv->config.compress_level == 9);  // command line beats file
  BOOST_TEST(inv->config.backoff_start == 5.0);
  BOOST_TEST(inv->args == std::vector<std::string>{"x"});
}

BOOST_AUTO_TEST_CASE(config_errors_name_file_and_line) {
  TempDir tmp;
  write_file(tmp / "pgbak.conf", "compress-level = 3\n\nno-such-key = 1\n");
  try {
    parse({"-D", tmp.path(), "archive-wal", "x"});
    BOOST_FAIL("unknown key accepted");
  } catch (const UsageError& e) {
    BOOST_TEST(std::string(e.what()).find("pgbak.conf:3") != std::string::npos, e.what());
  }
  write_file(tmp / "pgbak.conf", "compress-level = fast\n");
  try {
    parse({"-D", tmp.path(), "archive-wal", "x"});
    BOOST_FAIL("bad value accepted");
  } catch (const UsageError& e) {
    BOOST_TEST(std::string(e.what()).find("pgbak.conf:1") != std::string::npos, e.what());
  }
  // Out of range and not `key = value` at all: the file and line too.
  for (const char* text : {"# c\ncompress-level = 99\n", "# c\nthis is not ini\n"}) {
    write_file(tmp / "pgbak.conf", text);
    try {
      parse({"-D", tmp.path(), "archive-wal", "x"});
      BOOST_FAIL("accepted: " << text);
    } catch (const UsageError& e) {
      BOOST_TEST(std::string(e.what()).find("pgbak.conf:2") != std::string::npos, e.what());
    }
  }
  // A bad value from the command line is not blamed on the file.
  write_file(tmp / "pgbak.conf", "compress-level = 3\n");
  try {
    parse({"-D", tmp.path(), "archive-wal", "--compress-level", "99", "x"});
    BOOST_FAIL("out-of-range command-line value accepted");
  } catch (const UsageError& e) {
    BOOST_TEST(std::string(e.what()).find("pgbak.conf") == std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(numeric_settings_out_of_range_name_file_and_line) {
  TempDir tmp;
  // Each is refused with the setting's name and range at pgbak.conf:2; the last value of each
  // row's pair is the largest accepted.
  struct Case {
    const char* line;
    const char* range;
  };
  for (const Case& c : std::vector<Case>{
           {"backoff-start = 1e300", "0.01 to 86400"},
           {"backoff-start = 0", "0.01 to 86400"},
           {"backoff-start = nan", "0.01 to 86400"},
           {"backoff-max = 1e300", "0.01 to 86400"},
           {"backoff-factor = 1e308", "1 to 10"},
           {"backoff-factor = 0.5", "1 to 10"},
           {"log-max-bytes = -1", "4096 to 1099511627776"},
           {"log-max-bytes = 100", "4096 to 1099511627776"},
           {"compress-threads = 0", "1 to 16"},
           {"snapshot-compress-workers = 65", "0 to 64"},
           {"snapshot-min-wal-files = -1", "0 to 1000000000"},
           {"snapshot-wal-ratio = 0", "0.001 to 1000000"},
           {"snapshot-wal-ratio = inf", "0.001 to 1000000"},
           {"keep = -1", "0 to 1000000"},
           {"keep = 1000001", "0 to 1000000"},
           {"min-free-space = -1", "0 to 1125899906842624"},
       }) {
    write_file(tmp / "pgbak.conf", std::string("# c\n") + c.line + "\n");
    std::string key = std::string(c.line).substr(0, std::string(c.line).find(' '));
    try {
      parse({"-D", tmp.path(), "status"});
      BOOST_ERROR("accepted: " << c.line);
    } catch (const UsageError& e) {
      std::string what = e.what();
      BOOST_TEST(what.find("pgbak.conf:2") != std::string::npos, what);
      BOOST_TEST(what.find("'" + key + "': must be " + c.range) != std::string::npos, what);
    }
  }
  // The bounds themselves are accepted; 0 turns the log cap off.
  write_file(tmp / "pgbak.conf",
             "backoff-start = 86400\nbackoff-max = 86400\nbackoff-factor = 10\n"
             "log-max-bytes = 0\nkeep = 1000000\nmin-free-space = 1125899906842624\n");
  auto inv = parse({"-D", tmp.path(), "status"});
  BOOST_TEST(inv->config.backoff_max == 86400.0);
  BOOST_TEST(inv->config.log_max_bytes == 0u);
  write_file(tmp / "pgbak.conf", "archive-full-disk = sometimes\n");
  BOOST_CHECK_THROW(parse({"-D", tmp.path(), "status"}), UsageError);
}

BOOST_AUTO_TEST_CASE(snapshot_compression_setting) {
  TempDir tmp;
  auto inv = parse({"-D", tmp.path(), "archive-wal", "x"});
  BOOST_TEST(inv->config.snapshot_compression == "auto");  // compiled defaults
  BOOST_TEST(inv->config.snapshot_compress_workers == 2);
  write_file(tmp / "pgbak.conf", "snapshot-compression = client\n");
  inv = parse({"-D", tmp.path(), "archive-wal", "x"});
  BOOST_TEST(inv->config.snapshot_compression == "client");  // file beats default
  inv = parse({"-D", tmp.path(), "archive-wal", "--snapshot-compression", "server", "x"});
  BOOST_TEST(inv->config.snapshot_compression == "server");  // command line beats file

  // Anything else is a usage error naming the setting, the allowed values and the place.
  write_file(tmp / "pgbak.conf", "# c\nsnapshot-compression = Server\n");
  try {
    parse({"-D", tmp.path(), "archive-wal", "x"});
    BOOST_FAIL("bad snapshot-compression accepted");
  } catch (const UsageError& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("pgbak.conf:2") != std::string::npos, what);
    BOOST_TEST(
        what.find("'snapshot-compression': must be auto, server or client") != std::string::npos,
        what);
  }
  write_file(tmp / "pgbak.conf", "");
  BOOST_CHECK_THROW(parse({"-D", tmp.path(), "archive-wal", "--snapshot-compression", "", "x"}),
                    UsageError);
}

BOOST_AUTO_TEST_CASE(explicit_config_must_exist) {
  TempDir tmp;
  BOOST_CHECK_THROW(parse({"-D", tmp.path(), "-c", tmp / "missing.conf", "archive-wal", "x"}),
                    UsageError);
}

BOOST_AUTO_TEST_CASE(relative_dir_becomes_absolute_and_alias_works) {
  auto inv = parse({"--dir", "relative/dir", "wal", "x"});
  BOOST_TEST(inv->dir.front() == '/');
  BOOST_TEST(inv->command == "archive-wal");
}

BOOST_AUTO_TEST_CASE(usage_errors) {
  BOOST_CHECK_THROW(parse({"archive-wal"}), UsageError);            // missing argument
  BOOST_CHECK_THROW(parse({"archive-wal", "a", "b"}), UsageError);  // extra argument
  BOOST_CHECK_THROW(parse({"archve-wal", "a"}), UsageError);        // unknown command
  BOOST_CHECK_THROW(parse({"--bogus", "archive-wal", "a"}), UsageError);
  BOOST_CHECK_THROW(parse({}), UsageError);
}

BOOST_AUTO_TEST_CASE(did_you_mean) {
  BOOST_TEST(suggest_command("archve-wal") == "archive-wal");
  BOOST_TEST(suggest_command("int") == "init");
  BOOST_TEST(suggest_command("completely-different") == "");
}

BOOST_AUTO_TEST_SUITE_END()
