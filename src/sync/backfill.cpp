#include "sync/backfill.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <string>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "repo/stored_names.h"
#include "wal/wal_name.h"

namespace pgbak {
namespace {

// Segment names (without the stored suffix) of one timeline, in a pg_wal/ listing.
std::map<std::string, std::string> segments_of(const std::vector<std::string>& files,
                                               const std::string& tli_hex) {
  std::map<std::string, std::string> out;  // segment name -> stored name
  for (const std::string& stored : files) {
    auto original = original_name(stored, ".zst");
    if (!original || original->size() != 24 || !original->starts_with(tli_hex)) continue;
    auto wal = parse_wal_name(*original);
    if (wal && wal->kind == WalKind::kSegment) out.emplace(std::string(*original), stored);
  }
  return out;
}

}  // namespace

std::vector<std::string> backfill_base_wal(const BackupDir& dir, const Generation& gen,
                                           const std::string& start_wal_file) {
  auto start = parse_wal_name(start_wal_file);
  if (!start || start->kind != WalKind::kSegment) return {};
  std::string tli_hex = start_wal_file.substr(0, 8);
  auto have = segments_of(list_dir(gen.wal_dir.get(), gen.path), tli_hex);
  // Segment names of one timeline sort like their positions.
  auto first_here = have.lower_bound(start_wal_file);
  std::string limit = first_here == have.end() ? std::string() : first_here->first;
  if (limit == start_wal_file) return {};

  std::vector<std::string> linked;
  std::set<std::string> done;
  auto gens = dir.generations();
  for (auto it = gens.rbegin(); it != gens.rend(); ++it) {
    if (std::stoull(*it) >= std::stoull(gen.name)) continue;  // not older
    auto older = dir.try_open_generation(*it);
    if (!older) continue;
    for (const auto& [segment, stored] :
         segments_of(list_dir(older->wal_dir.get(), older->path), tli_hex)) {
      if (segment < start_wal_file || (!limit.empty() && segment >= limit)) continue;
      if (have.count(segment) || !done.insert(segment).second) continue;
      if (::linkat(older->wal_dir.get(), stored.c_str(), gen.wal_dir.get(), stored.c_str(), 0) !=
              0 &&
          errno != EEXIST) {
        throw_sys("cannot link '" + path_join(older->path, stored) + "' to",
                  path_join(gen.path, stored));
      }
      linked.push_back(stored);
    }
  }
  if (!linked.empty()) fsync_dir(gen.wal_dir.get(), path_join(gen.path, kWalDir));
  std::sort(linked.begin(), linked.end());
  return linked;
}

bool base_start_unreachable(const Generation& gen, const std::string& start_wal_file) {
  auto start = parse_wal_name(start_wal_file);
  if (!start || start->kind != WalKind::kSegment) return false;
  auto have = segments_of(list_dir(gen.wal_dir.get(), gen.path), start_wal_file.substr(0, 8));
  return !have.count(start_wal_file) && have.upper_bound(start_wal_file) != have.end();
}

}  // namespace pgbak
