// WAL file names as PostgreSQL hands them to archive_command, and the segment arithmetic on them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgbak {

enum class WalKind {
  kSegment,  // 000000010000000000000003
  kHistory,  // 00000002.history
  kBackup,   // 000000010000000000000003.00000028.backup
  kPartial,  // 000000010000000000000003.partial
};

struct WalName {
  WalKind kind;
  uint32_t tli = 0;
  uint32_t log = 0;  // unused for history files
  uint32_t seg = 0;
  std::string text;
};

// Parses a bare file name; anything that is not exactly one of the four forms (upper-case hex)
// gives nullopt.
std::optional<WalName> parse_wal_name(std::string_view name);

// Segments per 4 GiB "log" for a segment size.
inline uint64_t segments_per_log(uint32_t seg_size) {
  return 0x100000000ULL / seg_size;
}

// The segment number (LSN / seg_size) a segment-like name stands for.
inline uint64_t segment_number(const WalName& name, uint32_t seg_size) {
  return uint64_t{name.log} * segments_per_log(seg_size) + name.seg;
}

// The 24-hex name of segment `segno` on timeline `tli`.
std::string segment_file_name(uint32_t tli, uint64_t segno, uint32_t seg_size);
// "TTTTTTTT.history", the name of timeline tli's history file.
std::string history_file_name(uint32_t tli);

// "X/Y" text of an LSN, as PostgreSQL prints it.
std::string format_lsn(uint64_t lsn);
// Parses "X/Y"; nullopt when malformed.
std::optional<uint64_t> parse_lsn(std::string_view text);

}  // namespace pgbak
