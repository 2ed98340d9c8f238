#include "remote/remote_prune.h"

#include "io/error.h"

namespace pgbak {

std::vector<std::string> plan_remote_prune(const RemoteBases& remote, const RetentionRule& rule,
                                           const std::optional<std::string>& local_current,
                                           double now) {
  const auto& listed = remote.listing().generations();
  if (listed.empty()) return {};
  std::vector<RetentionCandidate> gens;
  for (const auto& g : listed) gens.push_back({g.name, g.stored(kBaseFile).has_value()});
  BaseCandidates bases = remote.candidates();
  auto base_end = [&bases](const std::string& name) -> std::optional<double> {
    try {
      return bases.read_end(name, bases.read_label(name)).time;
    } catch (const Error&) {
      return std::nullopt;  // an unreadable base is no anchor: older generations stay
    }
  };
  auto out = generations_to_remove(gens, listed.back().name, rule, now, base_end);
  std::erase(out, local_current.value_or(""));
  return out;
}

void remove_remote_generations(const FetchScript& fetch, const std::vector<std::string>& names,
                               const std::function<void(const std::string&)>& removed) {
  for (const std::string& name : names) {
    fetch.remove_generation(name);
    removed(name);
  }
}

}  // namespace pgbak
