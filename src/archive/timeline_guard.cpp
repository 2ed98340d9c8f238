#include "archive/timeline_guard.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "archive/store_wal.h"
#include "io/error.h"
#include "io/file.h"
#include "pipeline/stored_scan.h"
#include "repo/lineage.h"
#include "repo/stored_names.h"
#include "wal/page_header.h"
#include "wal/timeline_history.h"

namespace pgbak {
namespace {

// PostgreSQL numbers a new timeline one above the newest it finds, so a generation's timelines
// run without gaps, except for those that went into side generations: the search for newer
// histories stops after this many missing numbers in a row.
constexpr uint32_t kMaxMissingTimelines = 4;

// The parsed history file stored as `stored` in the generation's pg_wal/; nullopt if it cannot
// be read or parsed (verify reports that).
std::optional<std::vector<HistoryEntry>> read_history(const Config& config, const Generation& g,
                                                      const std::string& stored, uint32_t tli) {
  TextSink text;
  auto scanned = scan_stored_file(config, g.wal_dir.get(), stored,
                                  path_join(path_join(g.path, kWalDir), stored),
                                  wal_identity(g.name, stored), text);
  std::vector<HistoryEntry> entries;
  if (!scanned.error.empty() || parse_timeline_history(text.text, tli, entries)) {
    return std::nullopt;
  }
  return entries;
}

// Keeps the first bytes of what streams by.
class HeadSink : public Sink {
 public:
  void write(std::span<const std::byte> data) override {
    size_t n = std::min(data.size(), kLongHeaderSize - head.size());
    head.insert(head.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(n));
  }
  std::vector<std::byte> head;
};

// The segment size of a stored segment, from its long page header.
std::optional<uint32_t> stored_seg_size(const Config& config, const Generation& g,
                                        const std::string& stored) {
  HeadSink head;
  auto scanned = scan_stored_file(config, g.wal_dir.get(), stored,
                                  path_join(path_join(g.path, kWalDir), stored),
                                  wal_identity(g.name, stored), head);
  if (!scanned.error.empty() || head.head.size() < kLongHeaderSize) return std::nullopt;
  uint32_t seg_size = decode_page_header(head.head).seg_size;
  if (!is_power_of_two(seg_size) || seg_size < kMinSegSize || seg_size > kMaxSegSize) {
    return std::nullopt;
  }
  return seg_size;
}

}  // namespace

Placement place_history(const BackupDir& dir, const Generation& current, WalSource& src,
                        const Config& config) {
  std::string plain = src.name.text + ".zst";
  if (find_stored(current.wal_dir.get(), plain)) return {};  // a re-archive: compared as usual
  if (auto side = find_side_generation(dir, plain, current.name, false)) {
    return {Placement::Where::kSide, *side, "retried"};
  }
  TextSink text;
  if (::lseek(src.fd.get(), 0, SEEK_SET) != 0) throw_sys("cannot seek", src.path);
  pump(src.fd.get(), text, src.path);
  std::vector<HistoryEntry> entries;
  if (parse_timeline_history(text.text, src.name.tli, entries)) return {};  // verify reports it
  std::map<uint32_t, TimelineSpan> on_path;
  for (const TimelineSpan& span : timeline_path(src.name.tli, entries)) on_path[span.tli] = span;

  // The newest segment of each older timeline the generation holds.
  std::map<uint32_t, std::pair<WalName, std::string>> newest;
  for (const std::string& file : list_dir(current.wal_dir.get(), current.path)) {
    auto original = original_name(file, ".zst");
    auto wal = original ? parse_wal_name(*original) : std::nullopt;
    if (!wal || wal->kind != WalKind::kSegment || wal->tli >= src.name.tli) continue;
    auto& slot = newest[wal->tli];
    if (slot.second.empty() ||
        std::pair(wal->log, wal->seg) > std::pair(slot.first.log, slot.first.seg)) {
      slot = {*wal, file};
    }
  }
  std::string branch = src.name.text + ": timeline " + std::to_string(src.name.tli);
  for (const auto& [tli, seg] : newest) {
    auto span = on_path.find(tli);
    if (span == on_path.end()) {
      return {Placement::Where::kSide, "",
              branch + " does not descend from timeline " + std::to_string(tli) +
                  ", whose WAL generation " + current.name + " holds (" + seg.first.text + ")"};
    }
    auto seg_size = stored_seg_size(config, current, seg.second);
    if (!seg_size || !span->second.end) continue;
    uint64_t start = segment_number(seg.first, *seg_size) * *seg_size;
    if (start >= *span->second.end) {
      return {Placement::Where::kSide, "",
              branch + " branches off timeline " + std::to_string(tli) + " at " +
                  format_lsn(*span->second.end) + ", behind WAL generation " + current.name +
                  " holds (" + seg.first.text +
                  "): another server with this history archives here"};
    }
  }
  return {};
}

Placement place_segment(const BackupDir& dir, const Generation& current, const WalSource& src,
                        const Config& config) {
  if (src.name.kind != WalKind::kSegment || src.size == 0) return {};
  const uint32_t tli = src.name.tli;
  const uint64_t start = segment_number(src.name, static_cast<uint32_t>(src.size)) * src.size;
  uint32_t missing = 0;
  for (uint32_t newer = tli + 1; missing < kMaxMissingTimelines && newer != 0; ++newer) {
    auto stored = find_stored(current.wal_dir.get(), history_file_name(newer) + ".zst");
    if (!stored) {
      ++missing;
      continue;
    }
    missing = 0;
    auto entries = read_history(config, current, *stored, newer);
    if (!entries) continue;
    for (const TimelineSpan& span : timeline_path(newer, *entries)) {
      if (span.tli == tli && span.end && start >= *span.end) {
        return {Placement::Where::kNewHistory, "",
                src.name.text + " continues timeline " + std::to_string(tli) + " past " +
                    format_lsn(*span.end) + ", where timeline " + std::to_string(newer) +
                    " (in generation " + current.name + ") left it"};
      }
    }
  }
  if (tli > 1) {
    std::string plain = history_file_name(tli) + ".zst";
    if (!find_stored(current.wal_dir.get(), plain)) {
      if (auto side = find_side_generation(dir, plain, current.name, true)) {
        return {Placement::Where::kSide, *side, "its timeline's history is there"};
      }
    }
  }
  return {};
}

}  // namespace pgbak
