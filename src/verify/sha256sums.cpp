#include "verify/sha256sums.h"

#include <cctype>

#include "io/lines.h"

namespace pgbak {

Sha256Sums parse_sha256sums(std::string_view text) {
  Sha256Sums out;
  int number = 0;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto bad = [&](const std::string& why) {
      out.problems.push_back("line " + std::to_string(number) + ": " + why);
    };
    if (line.size() < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*')) {
      bad("expected '<64 hex digits>  <path>'");
      continue;
    }
    std::string digest;
    bool hex = true;
    for (char c : line.substr(0, 64)) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) hex = false;
      digest += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!hex) {
      bad("digest is not 64 hex digits");
      continue;
    }
    std::string path(line.substr(66));
    while (path.starts_with("./")) path.erase(0, 2);
    bool escapes = path.empty() || path[0] == '/' || path == ".." || path.starts_with("../") ||
                   path.find("/../") != std::string::npos || path.ends_with("/..");
    if (escapes) {
      bad("path '" + path + "' is not inside the generation");
      continue;
    }
    out.entries.push_back({std::move(digest), std::move(path)});
  }
  return out;
}

}  // namespace pgbak
