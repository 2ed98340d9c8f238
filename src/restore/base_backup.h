// What pgbak reads from a generation's base.tzst without extracting it: backup_label (where
// replay starts, when the backup began) and the system identifier in global/pg_control.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "config/config.h"
#include "io/error.h"
#include "repo/backup_dir.h"
#include "restore/backup_label.h"
#include "restore/tar_reader.h"

namespace pgbak {

struct BaseInfo {
  std::optional<BackupLabel> label;
  std::optional<double> start_time;  // START TIME, or backup_label's tar mtime if unparseable
  std::optional<uint64_t> sysid;
  // Owner of the source cluster's files (the archive's first entry).
  std::optional<uint32_t> uid, gid;
  // tablespace_map: OID -> original location of each extra tablespace (empty without any).
  std::map<uint32_t, std::string> tablespaces;
};

// A TarHandler that keeps backup_label, tablespace_map and pg_control's system identifier and
// drops the rest.
class BaseScanner : public TarHandler {
 public:
  void begin(const TarEntry& entry) override;
  void data(std::span<const std::byte> bytes) override;
  void end() override;

  // backup_label was seen (complete), and tablespace_map, which pg_basebackup puts right after
  // it, or another entry instead.
  bool have_label() const { return label_done_ && (map_done_ || past_label_); }
  // Throws Error naming display if backup_label was missing or malformed.
  BaseInfo info(const std::string& display) const;

 private:
  enum class Capture { kNone, kLabel, kMap, kControl } capture_ = Capture::kNone;
  std::string label_text_;
  bool label_done_ = false;
  std::string map_text_;
  bool map_done_ = false;
  bool past_label_ = false;
  int64_t label_mtime_ = 0;
  std::optional<uint32_t> uid_, gid_;
  std::string control_head_;
};

// Reads backup_label and tablespace_map from the generation's base.tzst (or base.tzst.enc,
// decrypted with the configured keys), stopping once found. Throws if the base is missing, corrupt
// before the label, or has no backup_label; when it cannot be read and its SHA-256 differs from
// SHA256SUMS, the error is damaged_base_error's.
BaseInfo read_base_label(const Generation& gen, const Config& config);

// The digest the generation's SHA256SUMS lists for its stored base file `stored` (base.tzst or
// base.tzst.enc); nullopt if there is no SHA256SUMS or no line for it.
std::optional<std::string> listed_base_digest(const Generation& gen, const std::string& stored);

// The error for a base file (`display`) whose SHA-256 `digest` differs from `listed`.
Error damaged_base_error(const std::string& display, const std::string& digest,
                         const std::string& listed);

}  // namespace pgbak
