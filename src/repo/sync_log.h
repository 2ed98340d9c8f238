// The sync's log: timestamped lines in $PGBAK/sync.log, kept under a size cap, and/or
// "pgbak: ..." lines on stderr for foreground commands.
#pragma once

#include <cstdint>
#include <string>

#include "io/unique_fd.h"

namespace pgbak {

class SyncLog {
 public:
  // to_stderr: foreground (info lines only when verbosity >= 0; errors always).
  SyncLog(bool to_stderr, int verbosity);

  // Also append to DIR/sync.log from now on. Only the BACKUP holder may call this: the cut-back
  // rewrites the file, which is safe with a single writer only.
  void attach_file(int dirfd, const std::string& dir_path, uint64_t max_bytes);

  void info(const std::string& message);
  void error(const std::string& message);

 private:
  void write_line(const std::string& message);
  void cut_back();

  bool to_stderr_;
  int verbosity_;
  int dirfd_ = -1;
  std::string path_;
  uint64_t max_bytes_ = 0;
  UniqueFd fd_;
};

// "2026-11-21T05:00:00Z" for a unix time.
std::string format_utc(int64_t unix_time);

// The tail of a log text after cutting it back to at most `keep` bytes, starting at a line.
std::string log_tail_to_keep(const std::string& text, uint64_t keep);

}  // namespace pgbak
