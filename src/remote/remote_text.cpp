#include "remote/remote_text.h"

#include "io/error.h"
#include "io/zstd_stream.h"
#include "pipeline/stored_file.h"
#include "pipeline/stored_scan.h"
#include "repo/stored_names.h"

namespace pgbak {

std::optional<std::string> fetch_stored_text(const FetchScript& fetch, const Config& config,
                                             const RemoteGeneration& gen, const std::string& rel) {
  if (!gen.files.count(rel)) return std::nullopt;
  std::string display = "remote " + gen.path(rel);
  try {
    StringSink stored;
    if (!fetch.get_retrying(gen.path(rel), stored, [&] { stored.text.clear(); })) {
      return std::nullopt;
    }
    TextSink text;
    ZstdDecompressor zstd(text, display);
    auto opened = make_storage_reader(config, zstd, rel, display, stored_identity(gen.name, rel));
    opened->write(std::as_bytes(std::span(stored.text)));
    opened->finish();
    zstd.finish();
    return text.text;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace pgbak
