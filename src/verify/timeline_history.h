// Timeline history files (TTTTTTTT.history): the ancestry of a timeline, one line per switch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgbak {

struct HistoryEntry {
  uint32_t parent_tli = 0;   // a timeline that ended ...
  uint64_t switchpoint = 0;  // ... at this LSN, where its child began
};

// Parses "parentTLI<TAB>switchpoint<TAB>reason" lines (blank lines and '#' comments skipped) of
// the history file of timeline `tli`. Entries are oldest first; parents must increase, stay below
// tli, and switch points must not go back. Returns the reason when malformed.
std::optional<std::string> parse_timeline_history(std::string_view text, uint32_t tli,
                                                  std::vector<HistoryEntry>& out);

}  // namespace pgbak
