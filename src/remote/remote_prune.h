// Retention of the remote copy: the same rules as the local prune applied to `scripts/fetch list`,
// generations removed with `scripts/fetch delete BASE_TS`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "remote/remote_base.h"
#include "repo/retention.h"

namespace pgbak {

// The remote generations the rule removes (generations_to_remove over the listing, a base's end
// from its remote backup history file), oldest first. Never the newest remote generation, nor the
// one that is `current` locally (`local_current`).
std::vector<std::string> plan_remote_prune(const RemoteBases& remote, const RetentionRule& rule,
                                           const std::optional<std::string>& local_current,
                                           double now);

// Deletes them oldest first, calling `removed` after each; the first failure throws and leaves
// the newer ones alone, so the remote copy always holds a contiguous run of the newest
// generations (plus what remains of the one whose delete failed, which the next prune removes).
void remove_remote_generations(const FetchScript& fetch, const std::vector<std::string>& names,
                               const std::function<void(const std::string&)>& removed);

}  // namespace pgbak
