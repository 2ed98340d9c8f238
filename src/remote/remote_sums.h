// A remote generation's SHA256SUMS, read through scripts/fetch.
#pragma once

#include <optional>
#include <string>

#include "remote/fetch_script.h"
#include "remote/remote_listing.h"

namespace pgbak {

// The text of the remote generation's SHA256SUMS; nullopt when it has none (not listed, or gone
// since the listing). A failed fetch is tried again (fetch-retries), then throws.
std::optional<std::string> fetch_remote_sums(const FetchScript& fetch, const RemoteGeneration& gen);

// The digest the remote generation's SHA256SUMS lists for `rel` (e.g. "base.tzst"); nullopt when
// the generation has no SHA256SUMS or it does not list the file (the upload scripts send
// SHA256SUMS last, so a file can be there before its line).
std::optional<std::string> remote_listed_digest(const FetchScript& fetch,
                                                const RemoteGeneration& gen,
                                                const std::string& rel);

}  // namespace pgbak
