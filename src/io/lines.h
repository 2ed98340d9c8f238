// Line-by-line reading of small text files held in memory.
#pragma once

#include <string_view>

namespace pgbak {

// Removes the first line (up to and without '\n') from text and returns it.
inline std::string_view next_line(std::string_view& text) {
  size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  return line;
}

}  // namespace pgbak
