// backup_label, the file pg_basebackup puts at the top of a base backup: where WAL replay starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgbak {

struct BackupLabel {
  uint64_t start_lsn = 0;
  uint32_t start_tli = 0;
  std::string start_wal_file;  // "file ..." of START WAL LOCATION
  std::string start_time;      // START TIME as written, e.g. "2026-11-21 04:55:00 UTC"
  std::string label;
};

// Parses the text of a backup_label. nullopt if START WAL LOCATION or START TIMELINE is missing
// or malformed.
std::optional<BackupLabel> parse_backup_label(std::string_view text);

// Seconds since the epoch for "YYYY-MM-DD HH:MM:SS[.frac][ ][zone]", the form PostgreSQL prints
// timestamps in. zone: Z, UTC, GMT, +HH, +HHMM, +HH:MM (or -); no zone means local time (TZ).
// nullopt for anything else, including zone abbreviations that are ambiguous (CET, EST, ...).
// `zoned`, when given, tells whether the text named a zone.
std::optional<double> parse_timestamp(std::string_view text, bool* zoned = nullptr);

// "2026-11-21 09:30:00+00", or "2026-11-21 09:30:00.25+00" with a fraction (to microseconds):
// a timestamp PostgreSQL reads as the same instant whatever its `timezone`.
std::string format_utc_timestamp(double seconds);

}  // namespace pgbak
