#include "archive/wal_source.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <array>

#include "io/error.h"
#include "io/file.h"
#include "wal/page_header.h"

namespace pgbak {
namespace {

// History and backup-history files are small text files; refuse anything absurd.
constexpr uint64_t kMaxTextFileSize = 16 << 20;

}  // namespace

WalSource open_wal_source(const std::string& path) {
  std::string name = base_name(path);
  if (path.empty() || name.empty()) throw Error("invalid WAL file name '" + path + "': empty");
  auto parsed = parse_wal_name(name);
  if (!parsed) {
    std::string shown = name.size() > 64 ? name.substr(0, 64) + "..." : name;
    throw Error("invalid WAL file name '" + shown +
                "': expected a segment (24 upper-case hex digits), TLI.history, "
                "SEGMENT.OFFSET.backup or SEGMENT.partial");
  }
  WalSource src;
  src.path = path;
  src.name = *parsed;
  // O_NONBLOCK: a FIFO under a WAL name must be refused, not block the archiver forever.
  src.fd = open_or_throw(path, O_RDONLY | O_NONBLOCK);
  struct stat st;
  if (::fstat(src.fd.get(), &st) != 0) throw_sys("cannot stat", path);
  if (!S_ISREG(st.st_mode)) throw Error("cannot archive '" + path + "': not a regular file");
  src.size = static_cast<uint64_t>(st.st_size);
  ::posix_fadvise(src.fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

  if (src.name.kind == WalKind::kHistory || src.name.kind == WalKind::kBackup) {
    if (src.size == 0 || src.size > kMaxTextFileSize) {
      throw Error("cannot archive '" + path + "': size " + std::to_string(src.size) +
                  " is not plausible for a " +
                  (src.name.kind == WalKind::kHistory ? "timeline history" : "backup history") +
                  " file");
    }
    return src;
  }
  std::array<std::byte, kLongHeaderSize> head{};
  size_t got = read_at(src.fd.get(), head.data(), head.size(), 0, path);
  if (auto why = check_segment_start(std::span(head.data(), got), src.name, src.size)) {
    throw CorruptError("not a valid WAL segment '" + path + "': " + *why);
  }
  src.sysid = decode_page_header(head).sysid;
  return src;
}

}  // namespace pgbak
