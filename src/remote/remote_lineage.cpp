#include "remote/remote_lineage.h"

#include <optional>

#include "io/sink.h"
#include "repo/backup_dir.h"
#include "repo/lineage.h"

namespace pgbak {
namespace {

// A small plain file of the remote generation (a marker, a system identifier); nullopt when it
// is not listed or cannot be fetched.
std::optional<std::string> fetch_plain(const FetchScript& fetch, const RemoteGeneration& gen,
                                       const std::string& rel) {
  if (!gen.files.count(rel)) return std::nullopt;
  StringSink text;
  if (!fetch.get_retrying(gen.path(rel), text, [&] { text.text.clear(); })) return std::nullopt;
  return std::move(text.text);
}

}  // namespace

std::vector<std::string> remote_wal_search_order(const FetchScript& fetch,
                                                 const RemoteListing& listing,
                                                 const std::string& chosen) {
  std::vector<std::string> names;
  for (const RemoteGeneration& g : listing.generations()) names.push_back(g.name);
  return wal_search_order_of(
      names,
      [&](const std::string& name) {
        LineageFacts f;
        const RemoteGeneration* g = listing.find(name);
        if (auto marker = fetch_plain(fetch, *g, kNewHistoryFile))
          f.marker = parse_new_history(*marker);
        if (auto sysid = fetch_plain(fetch, *g, kSysidFile)) f.sysid = parse_sysid(*sysid);
        return f;
      },
      chosen);
}

}  // namespace pgbak
