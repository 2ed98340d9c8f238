#include "wal/wal_continuity.h"

#include <algorithm>

#include "wal/wal_name.h"

namespace pgbak {
namespace {

std::string hex_tli(uint32_t tli) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X", tli);
  return buf;
}

// The timelines from the base backup's to `target` along the branch target really took; nullopt
// if the base backup's timeline at its start is not on it.
std::optional<std::pair<std::vector<uint32_t>, std::vector<uint64_t>>> path_to(
    const ContinuityInput& in, uint32_t target, const std::vector<HistoryEntry>& history) {
  std::vector<TimelineSpan> path = timeline_path(target, history);
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i].tli != in.start_tli) continue;
    if (in.start_lsn < path[i].begin || (path[i].end && in.start_lsn >= *path[i].end)) {
      return std::nullopt;  // the branch left the base's timeline before the base began
    }
    std::vector<uint32_t> tlis;
    std::vector<uint64_t> switches;
    for (size_t j = i; j < path.size(); ++j) {
      tlis.push_back(path[j].tli);
      if (j > i) switches.push_back(path[j].begin);
    }
    return std::pair(tlis, switches);
  }
  return std::nullopt;
}

}  // namespace

ContinuityResult check_continuity(const ContinuityInput& in) {
  ContinuityResult r;
  const uint64_t start_seg = in.start_lsn / in.seg_size;
  r.first_segment = start_seg;

  std::set<uint32_t> candidates;
  for (const auto& [tli, seg] : in.segments) {
    if (tli >= in.start_tli) candidates.insert(tli);
  }
  for (const auto& [tli, history] : in.histories) {
    if (tli >= in.start_tli) candidates.insert(tli);
  }
  r.timelines = {in.start_tli};
  for (auto it = candidates.rbegin(); it != candidates.rend() && *it != in.start_tli; ++it) {
    auto history = in.histories.find(*it);
    if (history == in.histories.end()) {
      r.problems.push_back("timeline " + std::to_string(*it) + " has no history file (" +
                           hex_tli(*it) + ".history): cannot follow the switch to it");
      continue;
    }
    if (auto path = path_to(in, *it, history->second)) {
      r.timelines = path->first;
      r.switches = path->second;
      break;
    }
    r.problems.push_back("timeline " + std::to_string(*it) + " does not descend from the base " +
                         "backup (timeline " + std::to_string(in.start_tli) + " at " +
                         format_lsn(in.start_lsn) +
                         "): recovery to the latest timeline would fail");
  }

  // Segment s belongs to the newest timeline on the path that began at or before it: the
  // segment holding a switch point is read from the new timeline (the old one's is .partial).
  auto expected_tli = [&](uint64_t seg) {
    uint32_t tli = r.timelines[0];
    for (size_t k = 0; k < r.switches.size(); ++k) {
      if (r.switches[k] / in.seg_size <= seg) tli = r.timelines[k + 1];
    }
    return tli;
  };

  bool any = false;
  uint64_t last = start_seg;
  for (const auto& [tli, seg] : in.segments) {
    if (seg < start_seg || expected_tli(seg) != tli) continue;
    ++r.segments_on_path;
    last = any ? std::max(last, seg) : seg;
    any = true;
  }
  uint64_t needed = start_seg;
  if (in.stop_lsn && *in.stop_lsn > 0) needed = std::max(needed, (*in.stop_lsn - 1) / in.seg_size);
  uint64_t end = any ? std::max(last, needed) : needed;

  auto report_gap = [&](uint32_t tli, uint64_t from, uint64_t to) {
    std::string first = segment_file_name(tli, from, in.seg_size);
    std::string line = from == to ? "gap: missing segment " + first
                                  : "gap: missing segments " + first + " to " +
                                        segment_file_name(tli, to, in.seg_size) + " (" +
                                        std::to_string(to - from + 1) + " segments)";
    if (to > last || !any) line += ", needed to make the base backup consistent";
    r.problems.push_back(line);
  };
  bool in_gap = false, gap_seen = false;
  uint32_t gap_tli = 0;
  uint64_t gap_from = 0;
  for (uint64_t seg = start_seg; seg <= end; ++seg) {
    uint32_t tli = expected_tli(seg);
    bool present = in.segments.count({tli, seg}) > 0;
    if (in_gap && (present || gap_tli != tli)) {
      report_gap(gap_tli, gap_from, seg - 1);
      in_gap = false;
    }
    if (!present && !gap_seen) {
      gap_seen = true;
      if (seg > start_seg) r.continuous_end = seg - 1;
    }
    if (!present && !in_gap) {
      in_gap = true;
      gap_tli = tli;
      gap_from = seg;
    }
  }
  if (in_gap) report_gap(gap_tli, gap_from, end);
  if (!gap_seen) r.continuous_end = end;
  if (r.continuous_end) r.continuous_tli = expected_tli(*r.continuous_end);
  r.last_segment = any ? last : start_seg - 1;
  r.last_tli = expected_tli(end);
  return r;
}

std::string describe_path(const ContinuityResult& r) {
  std::string out = std::to_string(r.timelines[0]);
  for (size_t k = 0; k < r.switches.size(); ++k) {
    out += " -> " + std::to_string(r.timelines[k + 1]) + " (at " + format_lsn(r.switches[k]) + ")";
  }
  return out;
}

}  // namespace pgbak
