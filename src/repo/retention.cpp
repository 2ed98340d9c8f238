#include "repo/retention.h"

#include <algorithm>

#include "config/duration.h"
#include "io/error.h"

namespace pgbak {
namespace {

// Each returns the index of the oldest generation its rule keeps (everything from it on stays):
// 0 when the rule finds no anchor, which keeps everything.
size_t keep_n_from(const std::vector<RetentionCandidate>& gens, int keep) {
  int complete = 0;
  for (size_t i = gens.size(); i-- > 0;) {
    if (gens[i].has_base && ++complete == keep) return i;
  }
  return 0;
}

size_t keep_within_from(const std::vector<RetentionCandidate>& gens, double window_start,
                        const BaseEndTime& base_end) {
  for (size_t i = gens.size(); i-- > 0;) {
    if (!gens[i].has_base) continue;
    auto end = base_end(gens[i].name);
    if (end && *end <= window_start) return i;
  }
  return 0;
}

}  // namespace

std::vector<std::string> generations_to_remove(const std::vector<RetentionCandidate>& gens,
                                               const std::optional<std::string>& current,
                                               const RetentionRule& rule, double now,
                                               const BaseEndTime& base_end) {
  if (!rule.any()) throw UsageError("no retention rule: give --keep N or --keep-within DURATION");
  if (rule.keep < 0) throw UsageError("--keep must be at least 1");
  size_t from = gens.size();
  if (rule.keep > 0) from = std::min(from, keep_n_from(gens, rule.keep));
  if (rule.keep_within) {
    from = std::min(from,
                    keep_within_from(gens, now - static_cast<double>(*rule.keep_within), base_end));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < from; ++i) {
    if (gens[i].name != current) out.push_back(gens[i].name);
  }
  return out;
}

RetentionRule retention_rule(int keep, const std::string& keep_within) {
  RetentionRule rule;
  rule.keep = keep;
  if (!keep_within.empty()) {
    rule.keep_within = parse_duration(keep_within);
    if (!rule.keep_within) {
      throw UsageError("--keep-within '" + keep_within +
                       "': expected a whole number and a unit, s, m, h, d or w (e.g. 7d, 36h)");
    }
  }
  return rule;
}

}  // namespace pgbak
