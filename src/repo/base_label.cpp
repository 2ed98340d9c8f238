#include "repo/base_label.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "io/error.h"
#include "io/file.h"
#include "io/zstd_stream.h"
#include "pipeline/stored_file.h"
#include "repo/sha256sums.h"
#include "repo/stored_names.h"
#include "repo/tablespace_map.h"

namespace pgbak {
namespace {

constexpr size_t kMaxLabelSize = 64 * 1024;

bool is_entry(const std::string& path, const char* want) {
  std::string_view p = path;
  while (p.starts_with("./")) p.remove_prefix(2);
  return p == want;
}

}  // namespace

void BaseScanner::begin(const TarEntry& entry) {
  capture_ = Capture::kNone;
  if (!uid_) {
    uid_ = entry.uid;
    gid_ = entry.gid;
  }
  bool is_map = is_entry(entry.path, kTablespaceMap);
  if (label_done_ && !is_map) past_label_ = true;
  if (entry.type != TarType::kFile) return;
  if (is_map) {
    capture_ = Capture::kMap;
    map_text_.clear();
  } else if (is_entry(entry.path, "backup_label")) {
    capture_ = Capture::kLabel;
    label_text_.clear();
    label_mtime_ = entry.mtime;
  } else if (is_entry(entry.path, "global/pg_control")) {
    capture_ = Capture::kControl;
    control_head_.clear();
  }
}

void BaseScanner::data(std::span<const std::byte> bytes) {
  std::string* into = capture_ == Capture::kLabel     ? &label_text_
                      : capture_ == Capture::kMap     ? &map_text_
                      : capture_ == Capture::kControl ? &control_head_
                                                      : nullptr;
  if (into == nullptr) return;
  size_t limit = capture_ == Capture::kControl ? sizeof(uint64_t) : kMaxLabelSize;
  size_t n = std::min(bytes.size(), limit - std::min(limit, into->size()));
  into->append(reinterpret_cast<const char*>(bytes.data()), n);
}

void BaseScanner::end() {
  if (capture_ == Capture::kLabel) label_done_ = true;
  if (capture_ == Capture::kMap) map_done_ = true;
  capture_ = Capture::kNone;
}

BaseInfo BaseScanner::info(const std::string& display) const {
  BaseInfo info;
  if (!label_done_) throw Error("base backup '" + display + "' has no backup_label");
  info.label = parse_backup_label(label_text_);
  if (!info.label) throw CorruptError("base backup '" + display + "': malformed backup_label");
  info.start_time = parse_timestamp(info.label->start_time);
  if (!info.start_time && label_mtime_ > 0) info.start_time = static_cast<double>(label_mtime_);
  info.uid = uid_;
  info.gid = gid_;
  if (map_done_) {
    auto map = parse_tablespace_map(map_text_);
    if (!map) throw CorruptError("base backup '" + display + "': malformed " + kTablespaceMap);
    info.tablespaces = std::move(*map);
  }
  if (control_head_.size() == sizeof(uint64_t)) {
    uint64_t sysid;
    std::memcpy(&sysid, control_head_.data(), sizeof sysid);
    info.sysid = sysid;
  }
  return info;
}

LabelReader::LabelReader(const Config& config, const std::string& stored,
                         const std::string& display, const std::string& identity)
    : display_(display),
      tar_(scanner_, display),
      zstd_(tar_, display),
      opened_(make_storage_reader(config, zstd_, stored, display, identity)) {}

BaseInfo LabelReader::info() {
  if (!done()) {
    opened_->finish();
    zstd_.finish();
    tar_.finish();
  }
  return scanner_.info(display_);
}

BaseInfo read_base_label(const Generation& gen, const Config& config) {
  // base.tzst, or base.tzst.enc when written with encryption on.
  std::optional<std::string> base = stored_base(gen);
  if (!base) throw Error("generation " + gen.name + " has no base backup (" + kBaseFile + ")");
  std::string display = path_join(gen.path, *base);
  UniqueFd file = open_regular_at(gen.dir.get(), *base, O_RDONLY, display);
  std::unique_ptr<std::byte[]> buf(new std::byte[kIoChunk]);
  try {
    LabelReader reader(config, *base, display, stored_identity(gen.name, *base));
    // backup_label comes first in pg_basebackup's tar, so this usually reads one chunk.
    while (!reader.done()) {
      ssize_t n = ::read(file.get(), buf.get(), kIoChunk);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_sys("cannot read", display);
      }
      if (n == 0) break;
      reader.write({buf.get(), static_cast<size_t>(n)});
    }
    return reader.info();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kCorrupt && e.kind() != ErrorKind::kAuth) throw;
    // Undecodable: a damaged file says so, rather than by what the damage made the decoders say.
    // (A server-compressed base has no zstd checksum; SHA256SUMS is what tells.)
    if (auto listed = listed_base_digest(gen, *base)) {
      std::string digest = hash_generation_file(gen, *base);
      if (digest != *listed) throw damaged_base_error(display, digest, *listed);
    }
    throw;
  }
}

std::optional<std::string> listed_base_digest(const Generation& gen, const std::string& stored) {
  auto sums = read_checksums(gen);
  auto it = sums.find(stored);
  if (it == sums.end()) return std::nullopt;
  return it->second;
}

CorruptError damaged_base_error(const std::string& display, const std::string& digest,
                                const std::string& listed) {
  return CorruptError(
      "base backup '" + display + "' is damaged: its SHA-256 " + digest + " differs from " +
      kSumsFile + " (" + listed +
      ") (HINT: put back an intact copy of the file, or restore another generation with "
      "--generation)");
}

}  // namespace pgbak
