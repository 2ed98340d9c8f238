// Small stored files of the remote copy (timeline and backup history files) read whole through
// scripts/fetch: decrypted for their identity and decompressed in memory.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "remote/fetch_script.h"
#include "remote/remote_listing.h"

namespace pgbak {

// The bytes of the remote generation's file `rel` as listed (a plain file such as SHA256SUMS or
// new_history, or a stored file before decoding); nullopt when it is not listed or gone since
// the listing. A failed fetch is tried again (fetch-retries), then throws.
std::optional<std::string> fetch_plain_text(const FetchScript& fetch, const RemoteGeneration& gen,
                                            const std::string& rel);

// The original text of the remote generation's stored file `rel` (e.g.
// "pg_wal/00000002.history.zst"); nullopt when it is missing, cannot be fetched, decrypted or
// decompressed, or is larger than 1 MiB: callers treat what it would have told as unknown.
std::optional<std::string> fetch_stored_text(const FetchScript& fetch, const Config& config,
                                             const RemoteGeneration& gen, const std::string& rel);

}  // namespace pgbak
