// WAL files archive-wal dropped instead of storing (archive-full-disk = drop), recorded inside
// pgbak.lock after the state and lock bytes and within the file's first block: writing it in
// place needs no new space, so the record is durable even on a full file system.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "state/state_file.h"

namespace pgbak {

// The drops into one generation (the one `current` named when they happened).
struct DropEpisode {
  std::string generation;
  std::string first;  // lowest WAL name dropped
  std::string last;   // highest
  uint64_t count = 0;
};

struct DropRecord {
  uint64_t total = 0;                 // every drop ever (a counter: never decreases)
  int64_t last_time = 0;              // unix time of the newest drop
  std::string last_name;              // the newest drop's WAL name
  std::vector<DropEpisode> episodes;  // oldest first; the oldest go when the space is used up

  // The drops into the generation, or nullptr.
  const DropEpisode* find(const std::string& generation) const;
};

// Text form (what is stored): "dropped TOTAL LAST_TIME LAST_NAME" then one
// "GENERATION FIRST LAST COUNT" line per episode. Malformed lines are dropped.
std::string format_drop_record(const DropRecord& r);
DropRecord parse_drop_record(const std::string& text);

// Adds a drop of `wal` into `generation` at `now`, keeping the record within its space.
void add_drop(DropRecord& r, const std::string& generation, const std::string& wal, int64_t now);

// Reads the record (no lock needed for a consistent enough view; empty if none).
DropRecord read_drop_record(StateFile& f);
// Same, for commands that only look (verify, check): reads DIR/pgbak.lock without creating it
// or needing write access; no state file means no drops.
DropRecord read_drop_record(int backup_dirfd, const std::string& backup_path);
// Writes it in place and fdatasyncs (caller holds the STATE lock).
void write_drop_record(StateFile& f, const DropRecord& r);

}  // namespace pgbak
