#include "repo/sha256sums.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "io/durable_writer.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/lines.h"
#include "io/sha256.h"
#include "repo/stored_names.h"
#include "repo/tablespaces.h"
#include "wal/wal_name.h"

namespace pgbak {

Sha256Sums parse_sha256sums(std::string_view text) {
  Sha256Sums out;
  int number = 0;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto bad = [&](const std::string& why) {
      out.problems.push_back("line " + std::to_string(number) + ": " + why);
    };
    if (line.size() < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*')) {
      bad("expected '<64 hex digits>  <path>'");
      continue;
    }
    std::string digest;
    bool hex = true;
    for (char c : line.substr(0, 64)) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) hex = false;
      digest += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!hex) {
      bad("digest is not 64 hex digits");
      continue;
    }
    std::string path(line.substr(66));
    while (path.starts_with("./")) path.erase(0, 2);
    bool escapes = path.empty() || path[0] == '/' || path == ".." || path.starts_with("../") ||
                   path.find("/../") != std::string::npos || path.ends_with("/..");
    if (escapes) {
      bad("path '" + path + "' is not inside the generation");
      continue;
    }
    out.entries.push_back({std::move(digest), std::move(path)});
  }
  return out;
}

std::string hash_generation_file(const Generation& g, const std::string& rel) {
  std::string display = path_join(g.path, rel);
  UniqueFd fd = open_regular_at(g.dir.get(), rel, O_RDONLY, display);
  Sha256 sha;
  pump(fd.get(), sha, display);
  return sha.hex_digest();
}

std::map<std::string, std::string> read_checksums(const Generation& g) {
  auto text = read_small_file(g.dir.get(), kSumsFile, path_join(g.path, kSumsFile));
  return parse_checksums(text.value_or(""));
}

std::map<std::string, std::string> parse_checksums(const std::string& text) {
  std::map<std::string, std::string> sums;
  for (auto& e : parse_sha256sums(text).entries) sums[e.path] = e.digest;
  return sums;
}

std::string format_checksums(const std::map<std::string, std::string>& sums) {
  // The base (base.tzst or base.tzst.enc) and the tablespaces first, then pg_wal/ in name order.
  auto is_base = [](const std::string& path) { return path.find('/') == std::string::npos; };
  std::string out;
  for (bool base_pass : {true, false}) {
    for (const auto& [path, digest] : sums) {
      if (is_base(path) == base_pass) out += digest + "  " + path + "\n";
    }
  }
  return out;
}

std::vector<std::string> checksummed_files(const Generation& g) {
  std::vector<std::string> files;
  if (auto base = stored_base(g)) files.push_back(*base);
  if (auto conf = find_stored(g.dir.get(), kConfigFile)) files.push_back(*conf);
  for (const auto& tablespace : tablespace_files(g)) files.push_back(tablespace.stored);
  for (const auto& name : list_dir(g.wal_dir.get(), path_join(g.path, kWalDir))) {
    auto original = original_name(name, ".zst");
    if (original && parse_wal_name(*original)) files.push_back(std::string(kWalDir) + "/" + name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

size_t update_checksums(const Generation& g, const std::map<std::string, std::string>& known) {
  std::string sums_path = path_join(g.path, kSumsFile);
  auto sums = read_checksums(g);
  size_t added = 0;
  for (const auto& rel : checksummed_files(g)) {
    if (sums.count(rel)) continue;
    auto given = known.find(rel);
    sums[rel] = given != known.end() ? given->second : hash_generation_file(g, rel);
    ++added;
  }
  if (added == 0) return 0;
  std::string text = format_checksums(sums);
  DurableWriter w(g.dir.get(), kSumsFile, sums_path);
  auto bytes = std::as_bytes(std::span(text));
  // Two writes, so that crash tests can kill the sync with half a SHA256SUMS written.
  w.write(bytes.first(bytes.size() / 2));
  fault_point("mid-sha256sums");
  w.write(bytes.subspan(bytes.size() / 2));
  w.commit_replace();
  return added;
}

}  // namespace pgbak
