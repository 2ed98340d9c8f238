// `pgbak restore` from the remote copy alone: the generations `scripts/fetch list` names, the
// backup_label read from the start of each base (the script is stopped once it has come), and the
// chosen base streamed through `scripts/fetch get` into the extraction, never stored whole.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "remote/fetch_script.h"
#include "remote/remote_listing.h"
#include "repo/backup_dir.h"
#include "repo/base_label.h"
#include "repo/choose_generation.h"

namespace pgbak {

class RemoteBases {
 public:
  // Lists the remote (through the directory's scripts/fetch).
  RemoteBases(const BackupDir& dir, const Config& config);

  // For choose_among: labels read from the start of each base, ends from the remote backup
  // history files.
  BaseCandidates candidates() const;
  // What `fetch list` printed, as generations.
  const RemoteListing& listing() const { return listing_; }
  // The original text of a small stored file of a generation (fetch_stored_text).
  std::optional<std::string> read_text(const std::string& generation, const std::string& rel) const;
  // The fetch script, for what else a caller runs through it (e.g. `fetch delete`).
  const FetchScript& fetch() const { return fetch_; }
  // The generation's base as a stream, with its digest from the remote SHA256SUMS.
  BaseStream base(const std::string& generation) const;

 private:
  const RemoteGeneration& generation(const std::string& name) const;
  // The stored name of the generation's base (base.tzst or base.tzst.enc); throws if none.
  std::string stored_base(const RemoteGeneration& gen) const;

  Config config_;
  std::string dir_;
  FetchScript fetch_;
  RemoteListing listing_;
};

}  // namespace pgbak
