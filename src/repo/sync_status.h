// $PGBAK/sync.status: what the sync last did, as "key=value" lines, replaced atomically so that
// `status` can read it without locks.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace pgbak {

inline constexpr const char* kStatusFile = "sync.status";

struct SyncStatus {
  pid_t pid = 0;                 // the sync running now; 0 when none (a crashed one leaves its pid)
  int64_t started = 0;           // unix time that sync started
  int64_t last_success = 0;      // unix time of the last successful backup-script run
  std::string last_base_ts;      // its BASE_TS
  std::string last_current_ts;   // its CURRENT_TS
  int64_t last_snapshot = 0;     // unix time the last base backup was completed
  int consecutive_failures = 0;  // failures since the last success
  int64_t last_failure = 0;
  std::string last_error;  // one line
  int64_t next_retry = 0;  // unix time of the next attempt while failing, else 0
  // While failing: the step that failed last ("snapshot", "backup script" or "sync") and when
  // the current run of failures began; empty and 0 after a success.
  std::string failing_step;
  int64_t failing_since = 0;
  // While scripts/backup runs: its process group and session, so that the next sync can kill
  // what a killed sync's script left running; 0 otherwise.
  pid_t script_pgid = 0;
  pid_t script_sid = 0;
};

// Text form; unknown keys are ignored when parsing, so fields can be added.
std::string format_sync_status(const SyncStatus& s);
SyncStatus parse_sync_status(const std::string& text);

// Reads DIR/sync.status; a missing or unreadable file gives the defaults.
SyncStatus read_sync_status(int dirfd, const std::string& dir_path);
// Durably replaces DIR/sync.status.
void write_sync_status(int dirfd, const std::string& dir_path, const SyncStatus& s);

}  // namespace pgbak
