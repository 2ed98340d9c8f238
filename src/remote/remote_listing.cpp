#include "remote/remote_listing.h"

#include <algorithm>
#include <map>

#include "pipeline/stored_file.h"
#include "repo/backup_dir.h"

namespace pgbak {
namespace {

// A path inside a generation: no empty, ".", ".." or dot-named component.
bool is_plain_relative(const std::string& rel) {
  if (rel.empty()) return false;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    if (end == start || rel[start] == '.') return false;
    start = end + 1;
  }
  return true;
}

bool older(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

}  // namespace

std::optional<std::string> RemoteGeneration::stored(const std::string& plain) const {
  for (const std::string& name : {plain + kEncryptedSuffix, plain}) {
    if (files.count(name)) return name;
  }
  return std::nullopt;
}

RemoteListing::RemoteListing(const std::vector<std::string>& lines) {
  std::map<std::string, std::set<std::string>, decltype(&older)> by_name(&older);
  for (std::string line : lines) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string gen = line.substr(0, slash);
    std::string rel = line.substr(slash + 1);
    if (!is_generation_name(gen) || !is_plain_relative(rel)) continue;
    by_name[gen].insert(rel);
  }
  for (auto& [name, files] : by_name) generations_.push_back({name, std::move(files)});
}

const RemoteGeneration* RemoteListing::find(const std::string& name) const {
  auto it = std::find_if(generations_.begin(), generations_.end(),
                         [&](const RemoteGeneration& g) { return g.name == name; });
  return it == generations_.end() ? nullptr : &*it;
}

}  // namespace pgbak
