// The lineage rules of repo/lineage.h applied to the remote copy: which remote generations carry
// the history of the generation being restored.
#pragma once

#include <string>
#include <vector>

#include "remote/fetch_script.h"
#include "remote/remote_listing.h"

namespace pgbak {

// wal_search_order of `chosen` over the remote listing: the markers (new_history) and system
// identifiers the listing shows are fetched through scripts/fetch (one gone since the listing
// counts as absent; a failing fetch throws). Empty if `chosen` is not listed.
std::vector<std::string> remote_wal_search_order(const FetchScript& fetch,
                                                 const RemoteListing& listing,
                                                 const std::string& chosen);

}  // namespace pgbak
