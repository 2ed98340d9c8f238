// Which generations retention removes: the rules of `prune` (--keep N, --keep-within DURATION)
// over a listing, local or remote alike. Pure: the caller says how to learn when a base ended.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pgbak {

struct RetentionRule {
  int keep = 0;                        // the newest N complete generations (0: no such rule)
  std::optional<int64_t> keep_within;  // seconds back from now that must stay restorable
  bool any() const { return keep > 0 || keep_within.has_value(); }
};

struct RetentionCandidate {
  std::string name;
  bool has_base = false;  // complete: a base backup is stored
};

// When the named generation's base backup had ended (unix time), nullopt if unknown.
using BaseEndTime = std::function<std::optional<double>(const std::string&)>;

// Of `gens` (oldest first), the ones no rule keeps, oldest first. --keep N keeps the N-th newest
// complete generation and everything after it (nothing goes while fewer are complete).
// --keep-within W keeps what a restore to any point of [now - W, now] needs: the newest complete
// generation whose base had ended at or before now - W (a restore to that point starts from it)
// and everything after it; while no base is known to have ended by then, nothing goes. `base_end`
// is asked newest first and only as far as needed. With both rules, a generation goes only when
// neither keeps it. Never includes `current`. Throws UsageError without any rule.
std::vector<std::string> generations_to_remove(const std::vector<RetentionCandidate>& gens,
                                               const std::optional<std::string>& current,
                                               const RetentionRule& rule, double now,
                                               const BaseEndTime& base_end);

// The rule from the `keep` and `keep-within` settings (keep-within validated already).
RetentionRule retention_rule(int keep, const std::string& keep_within);

}  // namespace pgbak
