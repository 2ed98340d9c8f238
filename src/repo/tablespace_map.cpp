#include "repo/tablespace_map.h"

#include <charconv>
#include <filesystem>
#include <set>

#include "io/error.h"

namespace pgbak {
namespace {

std::string normalise(const std::string& dir) {
  std::string out = std::filesystem::path(dir).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

std::optional<std::map<uint32_t, std::string>> parse_tablespace_map(std::string_view text) {
  std::map<uint32_t, std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t space = text.find(' ', i);
    if (space == std::string_view::npos) return std::nullopt;
    uint32_t oid = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + space, oid);
    if (ec != std::errc() || end != text.data() + space || oid == 0) return std::nullopt;
    std::string path;
    for (i = space + 1; i < text.size() && text[i] != '\n'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      path += text[i];
    }
    ++i;  // the line's '\n'
    if (!path.empty() && path.back() == '\r') path.pop_back();
    if (path.empty() || !out.emplace(oid, path).second) return std::nullopt;
  }
  return out;
}

TablespaceMapping parse_tablespace_mapping(const std::string& arg) {
  TablespaceMapping m;
  std::string* into = &m.old_dir;
  for (size_t i = 0; i < arg.size(); ++i) {
    if (arg[i] == '\\' && i + 1 < arg.size() && arg[i + 1] == '=') {
      *into += '=';
      ++i;
    } else if (arg[i] == '=' && into == &m.old_dir) {
      into = &m.new_dir;
    } else {
      *into += arg[i];
    }
  }
  if (into != &m.new_dir || m.old_dir.empty() || m.new_dir.empty()) {
    throw UsageError("invalid --tablespace-mapping '" + arg + "' (expected OLDDIR=NEWDIR)");
  }
  if (m.old_dir[0] != '/' || m.new_dir[0] != '/') {
    throw UsageError("invalid --tablespace-mapping '" + arg +
                     "': both directories must be absolute paths");
  }
  m.old_dir = normalise(m.old_dir);
  m.new_dir = normalise(m.new_dir);
  if (m.new_dir == "/") throw UsageError("refusing to restore a tablespace into '/'");
  return m;
}

std::vector<TablespacePlan> plan_tablespaces(const std::vector<TablespaceFile>& files,
                                             const std::map<uint32_t, std::string>& map,
                                             const std::vector<TablespaceMapping>& mappings,
                                             const std::string& generation) {
  std::vector<TablespacePlan> plans;
  std::set<std::string> used_mappings, locations;
  for (const TablespaceFile& f : files) {
    auto entry = map.find(f.oid);
    if (entry == map.end()) {
      throw Error("generation " + generation + " has " + f.stored +
                  " but its base backup's tablespace_map has no tablespace " +
                  std::to_string(f.oid));
    }
    std::string location = normalise(entry->second);
    for (const TablespaceMapping& m : mappings) {
      if (m.old_dir == location) {
        used_mappings.insert(m.old_dir);
        location = m.new_dir;
        break;
      }
    }
    if (!locations.insert(location).second) {
      throw UsageError("two tablespaces would be restored into '" + location +
                       "' (HINT: give each its own --tablespace-mapping)");
    }
    plans.push_back({f.oid, f.stored, location});
  }
  for (const auto& [oid, path] : map) {
    bool stored = false;
    for (const TablespaceFile& f : files) stored = stored || f.oid == oid;
    if (!stored) {
      throw Error("generation " + generation + " lacks the tablespace " + std::to_string(oid) +
                  " (" + path + ") that its base backup needs: no " + tablespace_file_name(oid) +
                  " (HINT: restore another generation with --generation)");
    }
  }
  for (const TablespaceMapping& m : mappings) {
    if (!used_mappings.count(m.old_dir)) {
      throw UsageError("--tablespace-mapping " + m.old_dir + "=...: no tablespace of generation " +
                       generation + " is in '" + m.old_dir + "'");
    }
  }
  return plans;
}

}  // namespace pgbak
