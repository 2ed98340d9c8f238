// $PGBAK/sync.uploaded: for each generation, what the last successful backup-script run for it
// covered. "Hashed" (SHA256SUMS) and "uploaded" differ while the script fails: a generation is
// fully uploaded only when a successful run saw its SHA256SUMS as it is now and that lists every
// file, so a sync reruns the script for every generation until then, current or not.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "repo/backup_dir.h"

namespace pgbak {

inline constexpr const char* kUploadMarksFile = "sync.uploaded";

// What one run of the script for a generation covered: its SHA256SUMS then.
struct UploadMark {
  uint64_t files = 0;       // entries of SHA256SUMS
  std::string sums_sha256;  // SHA-256 of SHA256SUMS's text
  bool operator==(const UploadMark&) const = default;
};
using UploadMarks = std::map<std::string, UploadMark>;  // generation -> mark

// Text form: one "GENERATION FILES SHA256" line each; malformed lines are dropped (their
// generations count as not uploaded, which only costs a script run).
std::string format_upload_marks(const UploadMarks& marks);
UploadMarks parse_upload_marks(const std::string& text);

// DIR/sync.uploaded; missing gives no marks. An unreadable one (e.g. a FIFO) throws.
UploadMarks read_upload_marks(int dirfd, const std::string& dir_path);
// Durably replaces DIR/sync.uploaded.
void write_upload_marks(int dirfd, const std::string& dir_path, const UploadMarks& marks);

// What a script run for the generation would cover now (its SHA256SUMS as it is).
UploadMark coverage_now(const Generation& g);

// The generation's files (those SHA256SUMS covers or will) that no successful run covered; 0
// when it is fully uploaded. A generation without files has nothing to upload.
uint64_t files_not_uploaded(const Generation& g, const UploadMarks& marks);

}  // namespace pgbak
