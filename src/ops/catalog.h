// What each generation can restore, locally or in the remote copy: its base's start and end, its
// WAL, and the recoverable window (from the base's end to the newest WAL that replay reaches
// without a gap, through the newer generations that continue its history). For `pgbak info`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "remote/remote_base.h"
#include "repo/backup_dir.h"
#include "repo/choose_generation.h"

namespace pgbak {

// One generation as a listing shows it.
struct ListedGeneration {
  std::string name;
  bool has_base = false;
  std::vector<std::string> wal_stored;      // stored names in pg_wal/ (NAME.zst[.enc])
  std::map<std::string, int64_t> wal_time;  // stored name -> when archived (local only)
  // Generations with the same lineage carry one history (repo/lineage.h); the remote copy has
  // no markers: one lineage.
  std::string lineage;
  std::optional<uint64_t> not_uploaded_files;  // local only: files no successful upload covered
};

// A place holding generations: the listing (oldest first), its `current`, how to read a base's
// label and end, and the text of a small stored WAL-directory file (history files).
struct CatalogSource {
  std::string where;  // "local" or "remote"
  std::vector<ListedGeneration> gens;
  std::optional<std::string> current;
  BaseCandidates bases;
  std::function<std::optional<std::string>(const std::string& gen, const std::string& stored)>
      read_wal_text;
};

// The local backup directory (current: the `current` link).
CatalogSource local_catalog(const BackupDir& dir, const Config& config);
// The remote copy listed by `remote` (current: the local `current` if the remote has it, else
// the newest remote generation). `remote` must outlive the result.
CatalogSource remote_catalog(const BackupDir& dir, const RemoteBases& remote);

struct GenerationSummary {
  std::string name;
  bool current = false;
  bool has_base = false;
  std::string base_error;  // why the base's label could not be read; empty if it was
  std::optional<uint64_t> start_lsn;
  uint32_t start_tli = 0;
  std::optional<double> start_time;
  std::optional<uint64_t> stop_lsn;        // from the backup history file
  std::optional<double> stop_time;         // the base had ended by then (BackupEnd::time)
  std::string stop_source;                 // "backup history", "base file time" or "" (unknown)
  uint64_t wal_files = 0;                  // its own pg_wal/ files (segments and others)
  std::string first_wal, newest_wal;       // its own oldest and newest segment, "" if none
  std::optional<int64_t> newest_wal_time;  // when its newest file was archived (local only)
  // The recoverable window, for a generation with a readable base: from stop_time / stop_lsn to
  // the end of window_end_wal, the newest segment reached without a gap (window_gap: the first
  // missing one after it, "" if none). `restorable` is false when WAL the base needs to become
  // consistent is missing.
  bool restorable = false;
  std::string window_end_wal;
  std::optional<uint64_t> window_end_lsn;  // the end of window_end_wal
  std::optional<int64_t> window_end_time;  // when window_end_wal was archived (local only)
  std::string window_gap;
  std::optional<uint64_t> not_uploaded_files;
};

// Summaries of every generation of the source, oldest first. A base whose label cannot be read
// gets base_error; nothing else about it is known.
std::vector<GenerationSummary> summarize(const CatalogSource& source);

}  // namespace pgbak
