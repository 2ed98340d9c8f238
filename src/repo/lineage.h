// Which generations carry one history. Generations are consecutive pieces of a cluster's history
// unless something made a generation start another one: the server went back in time (a file
// archived again with other bytes), or a server with this cluster's history branched off behind
// what is archived (a restored copy archiving here). Such a generation holds a marker file
// (new_history) with the reason, and `side` ones are never made current.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "repo/backup_dir.h"

namespace pgbak {

inline constexpr const char* kNewHistoryFile = "new_history";

struct NewHistory {
  bool side = false;   // a history that is not the archiving server's (never current)
  std::string reason;  // one line
};

// The meaning of a marker file's text.
NewHistory parse_new_history(const std::string& text);
// Records durably that the generation starts a new history (before any WAL goes into it).
void mark_new_history(const Generation& g, const NewHistory& why);
// The generation's marker, if any.
std::optional<NewHistory> read_new_history(const Generation& g);

// The side generation whose pg_wal/ holds `plain` (a stored name, e.g. "00000002.history.zst"),
// searching newest first and passing over `except`. With `stop_at_normal`, a generation that is
// not a side one holding it ends the search: the file belongs to the server's own history.
std::optional<std::string> find_side_generation(const BackupDir& dir, const std::string& plain,
                                                const std::string& except, bool stop_at_normal);
// Makes a side generation an ordinary one that starts a new history: the server whose history it
// holds is the one the archive follows from now on (a snapshot reached it).
void adopt_side_generation(const Generation& g, const std::string& why);

// The lineage of generation `chosen`: itself, then each newer generation, oldest first, until
// one starts a new history or has another system identifier. These are the generations whose WAL
// continues the history `chosen`'s base belongs to. Throws if `chosen` does not exist.
std::vector<std::string> lineage(const BackupDir& dir, const std::string& chosen);

// The generations restore-wal reads for a restore of `chosen`, in order: its lineage (above), then
// the older generations of that lineage, newest first. They hold pieces of the same history, so
// an older one only adds what the others lack: a timeline switch archived before `chosen` began,
// or, in a remote copy that two hosts uploaded to (a failover), WAL that the new primary archived
// into a generation named before the old primary's last one (its clock was behind).
// Throws if `chosen` does not exist.
std::vector<std::string> wal_search_order(const BackupDir& dir, const std::string& chosen);

// What the lineage rules read of a generation, wherever it is (the backup directory, or the
// remote copy, whose listing has the same files): whether it is usable, its marker, its
// recorded system identifier.
struct LineageFacts {
  bool usable = true;
  std::optional<NewHistory> marker;
  std::optional<uint64_t> sysid;
};
using LineageFactsOf = std::function<LineageFacts(const std::string& generation)>;

// wal_search_order for the generations `names` (oldest first) listed elsewhere, their facts read
// through `facts`; empty if `chosen` is not among them.
std::vector<std::string> wal_search_order_of(const std::vector<std::string>& names,
                                             const LineageFactsOf& facts,
                                             const std::string& chosen);

// The first generation of the lineage that `gen` belongs to (itself if it starts a history).
std::string lineage_start(const BackupDir& dir, const std::string& gen);
// Every generation of that lineage, older ones included, oldest first.
std::vector<std::string> lineage_members(const BackupDir& dir, const std::string& gen);

}  // namespace pgbak
