// What pgbak reads from a generation's base.tzst without extracting it: backup_label (where
// replay starts, when the backup began) and the system identifier in global/pg_control.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
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
};

// A TarHandler that keeps backup_label and pg_control's system identifier and drops the rest.
class BaseScanner : public TarHandler {
 public:
  void begin(const TarEntry& entry) override;
  void data(std::span<const std::byte> bytes) override;
  void end() override;

  // backup_label was seen (complete).
  bool have_label() const { return label_done_; }
  // Throws Error naming display if backup_label was missing or malformed.
  BaseInfo info(const std::string& display) const;

 private:
  enum class Capture { kNone, kLabel, kControl } capture_ = Capture::kNone;
  std::string label_text_;
  bool label_done_ = false;
  int64_t label_mtime_ = 0;
  std::optional<uint32_t> uid_, gid_;
  std::string control_head_;
};

// Reads backup_label from the generation's base.tzst (or base.tzst.enc, decrypted with the
// configured keys), stopping once found. Throws if the base is missing, corrupt before the label,
// or has no backup_label.
BaseInfo read_base_label(const Generation& gen, const Config& config);

}  // namespace pgbak
