// The text of pgbak.conf: `key = value` lines, `#` comments, and values quoted the way
// postgresql.conf quotes them, so a line copied from there means the same here.
#pragma once

#include <string>
#include <vector>

namespace pgbak {

struct ConfigLine {
  std::string key;
  std::string value;  // unquoted
  int line = 0;       // 1-based
};

// Parses the text of a config file (`path` only names it in errors). Blank lines and lines
// starting with `#` are skipped. A value is either bare (it ends at a `#`, surrounding blanks
// dropped) or quoted in '...' (inside, '' or \' is a quote and \\ a backslash) or "..." (\" and
// \\), followed by nothing but blanks or a `#` comment. Throws UsageError "config file
// 'PATH:LINE': why" for a line that is not `key = value` or an unterminated quote.
std::vector<ConfigLine> parse_config_text(const std::string& text, const std::string& path);

}  // namespace pgbak
