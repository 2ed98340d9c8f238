#include "wal/timeline_history.h"

#include <algorithm>

#include "io/lines.h"
#include "wal/wal_name.h"

namespace pgbak {

std::optional<std::string> parse_timeline_history(std::string_view text, uint32_t tli,
                                                  std::vector<HistoryEntry>& out) {
  out.clear();
  int number = 0;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    ++number;
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string_view::npos || line[start] == '#') continue;
    line = line.substr(start);
    std::string where = "line " + std::to_string(number) + ": ";
    size_t tab = line.find_first_of(" \t");
    if (tab == std::string_view::npos) return where + "expected 'parentTLI<TAB>switchpoint'";
    uint64_t parent = 0;
    for (char c : line.substr(0, tab)) {
      if (c < '0' || c > '9' || parent > 0xFFFFFFFFULL) return where + "bad timeline number";
      parent = parent * 10 + static_cast<uint64_t>(c - '0');
    }
    std::string_view rest = line.substr(tab);
    size_t value = rest.find_first_not_of(" \t");
    if (value == std::string_view::npos) return where + "bad switch point";
    rest = rest.substr(value);
    auto lsn = parse_lsn(rest.substr(0, rest.find_first_of(" \t\r")));
    if (!lsn) return where + "bad switch point";
    if (parent == 0 || parent >= tli)
      return where + "parent timeline " + std::to_string(parent) + " is not below " +
             std::to_string(tli);
    if (!out.empty() && parent <= out.back().parent_tli) {
      return where + "timeline " + std::to_string(parent) + " does not follow timeline " +
             std::to_string(out.back().parent_tli);
    }
    out.push_back({static_cast<uint32_t>(parent), *lsn});
  }
  if (out.empty()) return std::string("no entries");
  return std::nullopt;
}

std::vector<TimelineSpan> timeline_path(uint32_t tli, const std::vector<HistoryEntry>& history) {
  std::vector<TimelineSpan> path;
  uint64_t next_begin = history.empty() ? 0 : history.back().switchpoint;
  path.push_back({tli, next_begin, std::nullopt});
  for (size_t k = history.size(); k-- > 0;) {
    uint64_t begin = k == 0 ? 0 : history[k - 1].switchpoint;
    if (begin >= next_begin && k > 0) continue;  // replaced before it began
    path.push_back({history[k].parent_tli, begin, next_begin});
    next_begin = begin;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace pgbak
