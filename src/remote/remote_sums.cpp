#include "remote/remote_sums.h"

#include "io/error.h"
#include "remote/remote_text.h"
#include "repo/backup_dir.h"
#include "repo/sha256sums.h"

namespace pgbak {

std::optional<std::string> fetch_remote_sums(const FetchScript& fetch,
                                             const RemoteGeneration& gen) {
  return fetch_plain_text(fetch, gen, kSumsFile);
}

std::optional<std::string> remote_listed_digest(const FetchScript& fetch,
                                                const RemoteGeneration& gen,
                                                const std::string& rel) {
  auto text = fetch_remote_sums(fetch, gen);
  if (!text) return std::nullopt;
  auto parsed = parse_checksums(*text);
  auto it = parsed.find(rel);
  if (it == parsed.end()) return std::nullopt;
  return it->second;
}

}  // namespace pgbak
