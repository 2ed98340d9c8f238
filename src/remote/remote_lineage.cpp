#include "remote/remote_lineage.h"

#include <optional>

#include "remote/remote_text.h"
#include "repo/backup_dir.h"
#include "repo/lineage.h"

namespace pgbak {
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
        if (auto marker = fetch_plain_text(fetch, *g, kNewHistoryFile))
          f.marker = parse_new_history(*marker);
        if (auto sysid = fetch_plain_text(fetch, *g, kSysidFile)) f.sysid = parse_sysid(*sysid);
        return f;
      },
      chosen);
}

}  // namespace pgbak
