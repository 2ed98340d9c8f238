#include "repo/lineage.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>
#include <span>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "repo/stored_names.h"

namespace pgbak {
namespace {

constexpr const char* kSidePrefix = "side: ";

using Starts = std::vector<std::pair<std::string, std::string>>;

// Every generation of `names` (oldest first) with the first generation of its lineage. One pass:
// a generation continues the lineage before it unless it starts a new history (its marker), has
// another system identifier or is unusable; a side generation is a lineage of its own and
// interrupts nothing.
Starts lineage_starts_of(const std::vector<std::string>& names, const LineageFactsOf& facts_of) {
  Starts out;
  std::string start;
  uint64_t sysid = 0;  // of the lineage being followed; 0 while unknown
  for (const std::string& name : names) {
    LineageFacts f = facts_of(name);
    if (f.marker && f.marker->side) {
      out.emplace_back(name, name);
      continue;
    }
    bool other_cluster = f.sysid && sysid != 0 && sysid != *f.sysid;
    if (start.empty() || !f.usable || f.marker || other_cluster) {
      start = name;
      sysid = 0;
    }
    if (f.sysid) sysid = *f.sysid;
    out.emplace_back(name, start);
  }
  return out;
}

Starts lineage_starts(const BackupDir& dir) {
  return lineage_starts_of(dir.generations(), [&dir](const std::string& name) {
    LineageFacts f;
    std::optional<Generation> g = dir.try_open_generation(name);
    f.usable = g.has_value();
    if (g) f.marker = read_new_history(*g);
    if (g && !(f.marker && f.marker->side)) f.sysid = read_generation_sysid(*g);
    return f;
  });
}

// The search order of `chosen` (see wal_search_order) among `starts`; empty if not among them.
std::vector<std::string> search_order(const Starts& starts, const std::string& chosen) {
  auto at = std::find_if(starts.begin(), starts.end(), [&](auto& p) { return p.first == chosen; });
  if (at == starts.end()) return {};
  std::vector<std::string> out;
  for (auto it = at; it != starts.end(); ++it) {
    if (it->second == at->second) out.push_back(it->first);
  }
  for (auto it = std::make_reverse_iterator(at); it != starts.rend(); ++it) {
    if (it->second == at->second) out.push_back(it->first);
  }
  return out;
}

}  // namespace

void mark_new_history(const Generation& g, const NewHistory& why) {
  std::string text = (why.side ? kSidePrefix : "") + why.reason + "\n";
  DurableWriter w(g.dir.get(), kNewHistoryFile, path_join(g.path, kNewHistoryFile));
  w.write(std::as_bytes(std::span(text)));
  w.commit();  // a marker already there (a concurrent archive-wal) says the same
}

NewHistory parse_new_history(const std::string& text) {
  NewHistory h;
  std::string line = text.substr(0, text.find('\n'));
  h.side = line.starts_with(kSidePrefix);
  h.reason = h.side ? line.substr(std::string_view(kSidePrefix).size()) : line;
  return h;
}

std::optional<NewHistory> read_new_history(const Generation& g) {
  auto text = read_small_file(g.dir.get(), kNewHistoryFile, path_join(g.path, kNewHistoryFile));
  if (!text) return std::nullopt;
  return parse_new_history(*text);
}

std::optional<std::string> find_side_generation(const BackupDir& dir, const std::string& plain,
                                                const std::string& except, bool stop_at_normal) {
  auto all = dir.generations();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (*it == except || !find_stored(dir.fd(), *it + "/" + kWalDir + "/" + plain)) continue;
    std::optional<Generation> g = dir.try_open_generation(*it);
    auto marker = g ? read_new_history(*g) : std::nullopt;
    if (marker && marker->side) return *it;
    if (stop_at_normal) return std::nullopt;
  }
  return std::nullopt;
}

void adopt_side_generation(const Generation& g, const std::string& why) {
  auto marker = read_new_history(g);
  std::string text = why + (marker ? "; was a side generation: " + marker->reason : "") + "\n";
  DurableWriter w(g.dir.get(), kNewHistoryFile, path_join(g.path, kNewHistoryFile));
  w.write(std::as_bytes(std::span(text)));
  w.commit_replace();
}

std::vector<std::string> lineage(const BackupDir& dir, const std::string& chosen) {
  dir.open_generation(chosen);  // throws with the reason if it is not there
  auto starts = lineage_starts(dir);
  auto at = std::find_if(starts.begin(), starts.end(), [&](auto& p) { return p.first == chosen; });
  if (at == starts.end()) throw Error("no generation '" + chosen + "' in '" + dir.path() + "'");
  std::vector<std::string> out;
  for (auto it = at; it != starts.end(); ++it) {
    if (it->second == at->second) out.push_back(it->first);
  }
  return out;
}

std::vector<std::string> wal_search_order(const BackupDir& dir, const std::string& chosen) {
  dir.open_generation(chosen);  // throws with the reason if it is not there
  return search_order(lineage_starts(dir), chosen);
}

std::vector<std::string> wal_search_order_of(const std::vector<std::string>& names,
                                             const LineageFactsOf& facts,
                                             const std::string& chosen) {
  return search_order(lineage_starts_of(names, facts), chosen);
}

std::string lineage_start(const BackupDir& dir, const std::string& gen) {
  for (auto& [name, start] : lineage_starts(dir)) {
    if (name == gen) return start;
  }
  throw Error("no generation '" + gen + "' in '" + dir.path() + "'");
}

std::vector<std::string> lineage_members(const BackupDir& dir, const std::string& gen) {
  auto starts = lineage_starts(dir);
  std::string start;
  for (auto& [name, s] : starts) {
    if (name == gen) start = s;
  }
  std::vector<std::string> out;
  for (auto& [name, s] : starts) {
    if (s == start) out.push_back(name);
  }
  return out;
}

}  // namespace pgbak
