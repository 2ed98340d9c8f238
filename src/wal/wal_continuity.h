// Whether archived WAL can carry a base backup from its start to the newest segment: follows the
// newest timeline's ancestry (from its history file) and lists every missing segment. Pure: works
// on names and parsed history files, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "wal/timeline_history.h"

namespace pgbak {

struct ContinuityInput {
  uint32_t seg_size = 16 << 20;
  uint64_t start_lsn = 0;  // base backup start (backup_label)
  uint32_t start_tli = 1;
  std::optional<uint64_t> stop_lsn;                         // backup end, when known (.backup file)
  std::set<std::pair<uint32_t, uint64_t>> segments;         // (timeline, segment number) archived
  std::map<uint32_t, std::vector<HistoryEntry>> histories;  // timeline -> its parsed history
};

struct ContinuityResult {
  std::vector<uint32_t> timelines;  // followed, oldest first
  std::vector<uint64_t> switches;   // switch point into timelines[i + 1]
  uint64_t first_segment = 0;
  uint64_t last_segment = 0;  // newest segment on the path (first_segment - 1 if none)
  uint32_t last_tli = 0;
  uint64_t segments_on_path = 0;
  // The newest segment replay reaches from the backup's start before the first missing one (on
  // timeline continuous_tli); nullopt when the start segment itself is missing.
  std::optional<uint64_t> continuous_end;
  uint32_t continuous_tli = 0;
  std::vector<std::string> problems;  // one line each: gaps and unfollowable switches
};

// Follows the newest timeline that descends from the base backup (reporting newer ones that do
// not, or whose history is missing), then lists every segment missing between the backup's start
// and the newest segment on that path (at least to the backup's end), grouped into ranges.
ContinuityResult check_continuity(const ContinuityInput& in);

// "1 -> 2 (at 0/5000000)" style description of the path followed.
std::string describe_path(const ContinuityResult& r);

}  // namespace pgbak
