#include "remote/remote_sums.h"

#include "io/error.h"
#include "repo/backup_dir.h"
#include "repo/sha256sums.h"

namespace pgbak {

std::optional<std::string> fetch_remote_sums(const FetchScript& fetch,
                                             const RemoteGeneration& gen) {
  if (!gen.files.count(kSumsFile)) return std::nullopt;
  StringSink sums;
  if (!fetch.get_retrying(gen.path(kSumsFile), sums, [&] { sums.text.clear(); })) {
    return std::nullopt;
  }
  return std::move(sums.text);
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
