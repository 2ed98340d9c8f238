// What pgbak reads from a generation's base.tzst without extracting it: backup_label (where
// replay starts, when the backup began) and the system identifier in global/pg_control.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "io/error.h"
#include "io/tar_reader.h"
#include "io/zstd_stream.h"
#include "pipeline/stored_file.h"
#include "repo/backup_dir.h"
#include "repo/backup_label.h"
#include "repo/stored_names.h"

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

// Decodes a base's stored bytes (decrypting as `stored` says, decompressing, reading the tar)
// until backup_label has been seen; feed it with write().
class LabelReader : public Sink {
 public:
  // `identity`: stored_identity(generation, stored), which an encrypted base is bound to.
  LabelReader(const Config& config, const std::string& stored, const std::string& display,
              const std::string& identity);
  void write(std::span<const std::byte> data) override { opened_->write(data); }
  // backup_label was seen: the rest of the stream is not needed.
  bool done() const { return scanner_.have_label(); }
  // The label's information; at the end of the stream when not done() (finishing the decoders).
  BaseInfo info();

 private:
  std::string display_;
  BaseScanner scanner_;
  TarReader tar_;
  ZstdDecompressor zstd_;
  std::unique_ptr<StorageSink> opened_;
};

// A base backup to extract, local or remote: its stored bytes come through `feed`.
struct BaseStream {
  std::string generation;
  std::string stored;                   // base.tzst or base.tzst.enc
  std::string display;                  // for messages
  std::optional<std::string> expected;  // its SHA-256 in SHA256SUMS, when listed
  std::function<void(Sink&)> feed;      // writes all the stored bytes; throws on failure
  std::string source;                   // "DIR" or "the remote copy of DIR", for the record
  std::optional<uint64_t> size;         // of the stored file, when known (progress)
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
CorruptError damaged_base_error(const std::string& display, const std::string& digest,
                                const std::string& listed);

}  // namespace pgbak
