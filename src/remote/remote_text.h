// Small stored files of the remote copy (timeline and backup history files) read whole through
// scripts/fetch: decrypted for their identity and decompressed in memory.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "remote/fetch_script.h"
#include "remote/remote_listing.h"

namespace pgbak {

// The original text of the remote generation's stored file `rel` (e.g.
// "pg_wal/00000002.history.zst"); nullopt when it is missing, cannot be fetched, decrypted or
// decompressed, or is larger than 1 MiB: callers treat what it would have told as unknown.
std::optional<std::string> fetch_stored_text(const FetchScript& fetch, const Config& config,
                                             const RemoteGeneration& gen, const std::string& rel);

}  // namespace pgbak
