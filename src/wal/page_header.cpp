#include "wal/page_header.h"

#include <cstdio>
#include <cstring>

namespace pgbak {
namespace {

template <typename T>
T load_le(std::span<const std::byte> data, size_t offset) {
  T v;
  std::memcpy(&v, data.data() + offset, sizeof v);  // x86-64 and the server agree on little-endian
  return v;
}

}  // namespace

PageHeader decode_page_header(std::span<const std::byte> data) {
  PageHeader h;
  if (data.size() < kShortHeaderSize) return h;
  h.magic = load_le<uint16_t>(data, 0);
  h.info = load_le<uint16_t>(data, 2);
  h.tli = load_le<uint32_t>(data, 4);
  h.pageaddr = load_le<uint64_t>(data, 8);
  if (data.size() >= kLongHeaderSize) {
    h.sysid = load_le<uint64_t>(data, 24);
    h.seg_size = load_le<uint32_t>(data, 32);
    h.block_size = load_le<uint32_t>(data, 36);
  }
  return h;
}

bool known_wal_magic(uint16_t magic) {
  switch (magic) {
    case 0xD087:  // 9.5
    case 0xD093:  // 9.6
    case 0xD097:  // 10
    case 0xD098:  // 11
    case 0xD101:  // 12
    case 0xD106:  // 13
    case 0xD10D:  // 14
    case 0xD110:  // 15
    case 0xD113:  // 16
    case 0xD116:  // 17
    case 0xD118:  // 18
      return true;
    default:
      return false;
  }
}

std::optional<std::string> check_segment_start(std::span<const std::byte> first_bytes,
                                               const WalName& name, uint64_t file_size) {
  if (file_size < kMinSegSize || file_size > kMaxSegSize || !is_power_of_two(file_size)) {
    return "size " + std::to_string(file_size) +
           " is not a WAL segment size (a power of two from 1 MiB to 1 GiB)";
  }
  if (first_bytes.size() < kLongHeaderSize) return "too short for a WAL page header";
  PageHeader h = decode_page_header(first_bytes);
  char magic[16];
  std::snprintf(magic, sizeof magic, "0x%04X", h.magic);
  if (!known_wal_magic(h.magic)) return std::string("bad page magic ") + magic;
  if (!(h.info & kXlpLongHeader)) return "first page has no long header";
  if (h.seg_size != file_size) {
    return "header segment size " + std::to_string(h.seg_size) + " differs from file size " +
           std::to_string(file_size);
  }
  auto seg_size = static_cast<uint32_t>(file_size);
  if (name.seg >= segments_per_log(seg_size)) {
    return "segment number in the name is out of range for segment size " +
           std::to_string(seg_size);
  }
  uint64_t expected = segment_number(name, seg_size) * seg_size;
  if (h.pageaddr != expected) {
    return "page address " + format_lsn(h.pageaddr) + " does not match the name (expected " +
           format_lsn(expected) + ")";
  }
  if (h.tli != name.tli && name.kind == WalKind::kSegment) {
    // The first segment of a new timeline starts with pages copied from the old one.
    if (h.tli > name.tli) {
      return "page timeline " + std::to_string(h.tli) + " is newer than the name's " +
             std::to_string(name.tli);
    }
  }
  if (h.sysid == 0) return "system identifier is zero";
  return std::nullopt;
}

}  // namespace pgbak
