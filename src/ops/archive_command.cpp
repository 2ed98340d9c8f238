#include "ops/archive_command.h"

#include <vector>

namespace pgbak {
namespace {

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < s.size()) {
        cur += s[++i];
      } else {
        cur += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|') {
      if (in_word) words.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

bool is_pgbak_program(const std::string& w) {
  auto slash = w.rfind('/');
  return (slash == std::string::npos ? w : w.substr(slash + 1)) == "pgbak";
}

}  // namespace

ArchiveCommandInfo parse_archive_command(const std::string& command) {
  ArchiveCommandInfo info;
  auto words = split_words(command);
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].starts_with("PGBAK=")) info.dir = words[i].substr(6);
    if (!is_pgbak_program(words[i])) continue;
    info.program = words[i];
    for (size_t j = i + 1; j < words.size(); ++j) {
      const std::string& w = words[j];
      if ((w == "-D" || w == "--dir") && j + 1 < words.size()) {
        info.dir = words[++j];
      } else if (w.starts_with("--dir=")) {
        info.dir = w.substr(6);
      } else if (w.starts_with("-D") && w.size() > 2) {
        info.dir = w.substr(2);
      } else if (w == "archive-wal" || w == "wal") {
        info.calls_pgbak = true;
      }
    }
    break;
  }
  return info;
}

}  // namespace pgbak
