// A generation's SHA256SUMS, in `sha256sum -c` format ("<64 hex>  <path>", or " *<path>" for
// binary mode) with paths relative to the generation (`base.tzst`, `pg_wal/NAME.zst`): the one
// place that reads, parses and writes it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "repo/backup_dir.h"

namespace pgbak {

struct Sha256SumsEntry {
  std::string digest;  // lower-case hex
  std::string path;    // relative to the generation
};

struct Sha256Sums {
  std::vector<Sha256SumsEntry> entries;
  std::vector<std::string> problems;  // "line N: why", one per malformed line
};

// Parses the text of a SHA256SUMS file. Paths must be relative without "..": others are
// reported as problems, not entries. Blank lines are ignored.
Sha256Sums parse_sha256sums(std::string_view text);

// path -> hex digest, from SHA256SUMS text (parse_sha256sums); malformed lines are dropped, so
// the files they named are hashed again.
std::map<std::string, std::string> parse_checksums(const std::string& text);
// The text for the entries: the files at the top (base.tzst, OID.tzst) first, then pg_wal/, each
// in name order.
std::string format_checksums(const std::map<std::string, std::string>& sums);

// The SHA-256 (lower-case hex) of the generation's file `rel` (e.g. "base.tzst").
std::string hash_generation_file(const Generation& g, const std::string& rel);

// The generation's SHA256SUMS as path -> digest; empty if there is none.
std::map<std::string, std::string> read_checksums(const Generation& g);

// The files of the generation that SHA256SUMS covers: base.tzst (if present), the tablespaces'
// OID.tzst and pg_wal/<WAL name>.zst, each with ".enc" when stored encrypted. Temp files are never
// among them.
std::vector<std::string> checksummed_files(const Generation& g);

// Adds the files not yet listed and durably replaces SHA256SUMS if any were added: with the digest
// from `known` (path -> digest of what was just written, e.g. the snapshot's base), else hashed
// now. Returns how many were added.
size_t update_checksums(const Generation& g, const std::map<std::string, std::string>& known = {});

}  // namespace pgbak
