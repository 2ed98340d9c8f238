#include "config/config_file.h"

#include <boost/test/unit_test.hpp>

#include "config/config_template.h"
#include "config/spelling.h"
#include "io/error.h"

using namespace pgbak;

namespace {

std::string value_of(const std::string& text) {
  auto lines = parse_config_text(text, "f");
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  return lines[0].value;
}

std::string error_of(const std::string& text) {
  try {
    parse_config_text(text, "f");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_file)

BOOST_AUTO_TEST_CASE(values_quoted_like_postgresql_conf) {
  BOOST_TEST(value_of("conninfo = host=/tmp") == "host=/tmp");
  BOOST_TEST(value_of("conninfo = 'host=/tmp port=5433'") == "host=/tmp port=5433");
  BOOST_TEST(value_of("conninfo='host=/tmp'   # the socket") == "host=/tmp");
  BOOST_TEST(value_of("conninfo = 'password=a#b'") == "password=a#b");
  BOOST_TEST(value_of("conninfo = 'it''s'") == "it's");
  BOOST_TEST(value_of("conninfo = 'it\\'s \\\\'") == "it's \\");
  BOOST_TEST(value_of("conninfo = \"double \\\"q\\\"\"") == "double \"q\"");
  BOOST_TEST(value_of("conninfo = ''") == "");
  BOOST_TEST(value_of("  keep = 3 # bare, comment") == "3");
  BOOST_TEST(value_of("keep =") == "");
}

BOOST_AUTO_TEST_CASE(lines_and_errors) {
  auto lines = parse_config_text("# c\n\n  keep = 1\r\nkeep = 2\n", "f");
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_TEST(lines[0].line == 3);
  BOOST_TEST(lines[0].value == "1");
  BOOST_TEST(lines[1].line == 4);
  BOOST_TEST(error_of("# c\nthis is not ini\n") ==
             "config file 'f:2': expected 'key = value', got 'this is not ini'");
  BOOST_TEST(error_of("conninfo = 'open") ==
             "config file 'f:1': setting 'conninfo': unterminated quoted value (missing ')");
  BOOST_TEST(error_of("conninfo = 'a' b") ==
             "config file 'f:1': setting 'conninfo': unexpected text after the quoted value: b");
  BOOST_TEST(error_of("[section]") != "");
}

BOOST_AUTO_TEST_CASE(template_parses_and_sets_nothing) {
  std::string text = config_template();
  BOOST_TEST(parse_config_text(text, "t").empty());
  // Uncommenting every setting gives a valid file of compiled defaults.
  std::string uncommented;
  size_t settings = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.size() > 1 && line[0] == '#' && line[1] != ' ' &&
        line.find(" = ") != std::string::npos) {
      uncommented += line.substr(1) + "\n";
      ++settings;
    }
  }
  BOOST_TEST(settings > 10u);
  BOOST_TEST(parse_config_text(uncommented, "t").size() == settings);
  BOOST_TEST(uncommented.rfind("conninfo = ''\n", 0) == 0, uncommented);
}

BOOST_AUTO_TEST_CASE(did_you_mean_suggests_near_misses) {
  std::vector<std::string> names{"compress-level", "conninfo", "keep"};
  BOOST_TEST(did_you_mean("compres-level", names) == " (did you mean 'compress-level'?)");
  BOOST_TEST(did_you_mean("conninf", names) == " (did you mean 'conninfo'?)");
  BOOST_TEST(did_you_mean("totally-else", names) == "");
}

BOOST_AUTO_TEST_SUITE_END()
