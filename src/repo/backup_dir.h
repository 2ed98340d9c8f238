// The backup directory ($PGBAK): generations, the `current` symlink and well-known paths.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "io/unique_fd.h"

namespace pgbak {

inline constexpr const char* kCurrentLink = "current";
inline constexpr const char* kWalDir = "pg_wal";
inline constexpr const char* kBaseFile = "base.tzst";
// The cluster's configuration kept outside PGDATA (Debian clusters), see sync/cluster_config.h.
inline constexpr const char* kConfigFile = "config.tzst";
inline constexpr const char* kSumsFile = "SHA256SUMS";
inline constexpr const char* kSysidFile = "system_identifier";
// In $PGBAK: the system identifier of the last WAL archive-wal refused as another cluster's.
inline constexpr const char* kRefusedSysidFile = "refused_system_identifier";
inline constexpr const char* kScriptsDir = "scripts";
inline constexpr const char* kBackupScript = "scripts/backup";

// An open generation directory.
struct Generation {
  std::string name;  // unix time of its creation, in decimal
  std::string path;
  UniqueFd dir;
  UniqueFd wal_dir;
};

// True if name is a generation name (decimal digits only, no leading zero).
bool is_generation_name(const std::string& name);

class BackupDir {
 public:
  // Opens an existing backup directory; throws with a hint to run `pgbak init` when missing.
  explicit BackupDir(std::string path);

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  // The generation `current` points to, or nullopt when there is none yet. A `current` that
  // points nowhere is an error.
  std::optional<std::string> current_name() const;
  // All generations, oldest first.
  std::vector<std::string> generations() const;
  Generation open_generation(const std::string& name) const;
  // Same, but nullopt when the generation or its pg_wal/ is missing.
  std::optional<Generation> try_open_generation(const std::string& name) const;
  std::optional<Generation> open_current() const;

  // Creates a generation directory (with pg_wal/) named by `now`, or by one more than the newest
  // existing generation (or than the one `current` names, even if removed) if that is not newer;
  // never reuses a name. Does not switch `current`.
  std::string create_generation(std::time_t now) const;
  // Points `current` at the generation atomically (temp symlink + rename + fsync).
  void switch_current(const std::string& name) const;

 private:
  std::string path_;
  UniqueFd fd_;
};

// The system identifier a system_identifier file's text holds; nullopt if none.
std::optional<uint64_t> parse_sysid(const std::string& text);
// The system identifier recorded for a generation, if any.
std::optional<uint64_t> read_generation_sysid(const Generation& g);
// Records it durably unless already recorded; returns the recorded value (which may differ).
uint64_t record_generation_sysid(const Generation& g, uint64_t sysid);

// The system identifier of the last WAL refused as another cluster's, and recording it (replacing
// the one before). A snapshot of that cluster is a deliberate switch to it, not a mistake.
std::optional<uint64_t> read_refused_sysid(const BackupDir& dir);
void record_refused_sysid(const BackupDir& dir, uint64_t sysid);

}  // namespace pgbak
