// SHA256SUMS files in `sha256sum -c` format: "<64 hex>  <path>" (or " *<path>" for binary mode).
#pragma once

#include <string>
#include <string_view>
#include <vector>

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

}  // namespace pgbak
