// WAL page headers: the long header at the start of a segment, and the short one on later pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "wal/wal_name.h"

namespace pgbak {

constexpr size_t kLongHeaderSize = 40;
constexpr size_t kShortHeaderSize = 24;
constexpr uint16_t kXlpLongHeader = 0x0002;
constexpr uint32_t kMinSegSize = 1U << 20;
constexpr uint32_t kMaxSegSize = 1U << 30;

struct PageHeader {
  uint16_t magic = 0;
  uint16_t info = 0;
  uint32_t tli = 0;
  uint64_t pageaddr = 0;
  // Long header only:
  uint64_t sysid = 0;
  uint32_t seg_size = 0;
  uint32_t block_size = 0;
};

// Decodes the fields of a page header (long fields only if data holds 40 bytes).
PageHeader decode_page_header(std::span<const std::byte> data);

// True for the WAL page magic of a PostgreSQL release pgbak knows (9.5 to 18).
bool known_wal_magic(uint16_t magic);

inline bool is_power_of_two(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

// Checks a segment's first page against its name and the file's size. Returns the reason it is
// not a valid segment, or nullopt if it is.
std::optional<std::string> check_segment_start(std::span<const std::byte> first_bytes,
                                               const WalName& name, uint64_t file_size);

}  // namespace pgbak
