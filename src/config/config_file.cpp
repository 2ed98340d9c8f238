#include "config/config_file.h"

#include <sstream>

#include "io/error.h"

namespace pgbak {
namespace {

constexpr const char* kBlanks = " \t\r";

std::string trim(const std::string& s) {
  size_t start = s.find_first_not_of(kBlanks);
  if (start == std::string::npos) return {};
  return s.substr(start, s.find_last_not_of(kBlanks) - start + 1);
}

// The value after `=`: unquoted, or nullopt-like error text in `why`.
std::string parse_value(const std::string& raw, std::string& why) {
  std::string text = trim(raw);
  if (text.empty() || (text[0] != '\'' && text[0] != '"'))
    return trim(text.substr(0, text.find('#')));
  char quote = text[0];
  std::string out;
  size_t i = 1;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == quote || text[i + 1] == '\\')) {
      out += text[++i];
    } else if (c == quote && quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
      out += text[++i];
    } else if (c == quote) {
      break;
    } else {
      out += c;
    }
  }
  if (i >= text.size()) {
    why = std::string("unterminated quoted value (missing ") + quote + ")";
    return {};
  }
  std::string rest = trim(text.substr(i + 1));
  if (!rest.empty() && rest[0] != '#') why = "unexpected text after the quoted value: " + rest;
  return out;
}

}  // namespace

std::vector<ConfigLine> parse_config_text(const std::string& text, const std::string& path) {
  std::vector<ConfigLine> out;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string body = trim(line);
    if (body.empty() || body[0] == '#') continue;
    auto fail = [&](const std::string& why) {
      throw UsageError("config file '" + path + ":" + std::to_string(n) + "': " + why);
    };
    size_t eq = body.find('=');
    std::string key = trim(body.substr(0, eq));
    if (eq == std::string::npos || key.empty() || key.find_first_of(" \t#") != std::string::npos) {
      fail("expected 'key = value', got '" + body + "'");
    }
    std::string why;
    std::string value = parse_value(body.substr(eq + 1), why);
    if (!why.empty()) fail("setting '" + key + "': " + why);
    out.push_back(ConfigLine{key, value, n});
  }
  return out;
}

}  // namespace pgbak
