#include "remote/remote_text.h"

#include "io/error.h"
#include "io/zstd_stream.h"
#include "pipeline/stored_file.h"
#include "pipeline/stored_scan.h"
#include "repo/stored_names.h"

namespace pgbak {

std::optional<std::string> fetch_plain_text(const FetchScript& fetch, const RemoteGeneration& gen,
                                            const std::string& rel) {
  if (!gen.files.count(rel)) return std::nullopt;
  StringSink text;
  if (!fetch.get_retrying(gen.path(rel), text, [&] { text.text.clear(); })) return std::nullopt;
  return std::move(text.text);
}

std::optional<std::string> fetch_stored_text(const FetchScript& fetch, const Config& config,
                                             const RemoteGeneration& gen, const std::string& rel) {
  std::string display = "remote " + gen.path(rel);
  try {
    std::optional<std::string> stored = fetch_plain_text(fetch, gen, rel);
    if (!stored) return std::nullopt;
    TextSink text;
    ZstdDecompressor zstd(text, display);
    auto opened = make_storage_reader(config, zstd, rel, display, stored_identity(gen.name, rel));
    opened->write(std::as_bytes(std::span(*stored)));
    opened->finish();
    zstd.finish();
    return text.text;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace pgbak
