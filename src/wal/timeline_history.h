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
// the history file of timeline `tli`. Entries are oldest first; parents must increase and stay
// below tli. Switch points may go back: a server that ended recovery on timeline 2 at a point
// before timeline 2 began (still on timeline 1's part of its history) writes "1 X" then "2 Y"
// with Y < X. Returns the reason when malformed.
std::optional<std::string> parse_timeline_history(std::string_view text, uint32_t tli,
                                                  std::vector<HistoryEntry>& out);

// A timeline on the way to another, with the WAL it contributes: [begin, end).
struct TimelineSpan {
  uint32_t tli = 0;
  uint64_t begin = 0;
  std::optional<uint64_t> end;  // none for the last timeline
};

// The branch timeline `tli` really took, oldest first, from its history: each timeline holds
// the WAL from where it began up to where the next one on the way began; an ancestor that
// another one replaced before it began contributes nothing and is left out (as PostgreSQL finds
// the timeline of a WAL location: the newest one that began at or before it).
std::vector<TimelineSpan> timeline_path(uint32_t tli, const std::vector<HistoryEntry>& history);

}  // namespace pgbak
