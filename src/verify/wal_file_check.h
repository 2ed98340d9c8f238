// Checks a decompressed WAL segment as it streams by: the long header against the name and size,
// and every later page's header (or an all-zero page, as the rest of a switched segment may be).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/sink.h"
#include "wal/wal_name.h"

namespace pgbak {

class WalFileCheck : public Sink {
 public:
  // For segments and .partial files; a .partial's pages after its first are not checked (past
  // the switch point they may hold anything).
  explicit WalFileCheck(WalName name);
  void write(std::span<const std::byte> data) override;
  // After the last write: the first problem found (with a count of further bad pages), if any.
  std::optional<std::string> finish();

  uint64_t sysid() const { return sysid_; }
  uint32_t seg_size() const { return seg_size_; }

 private:
  void check_page();

  WalName name_;
  std::vector<std::byte> page_;
  size_t page_size_ = 0;  // 0 until the long header is read
  uint64_t offset_ = 0;   // of the page being collected
  uint64_t total_ = 0;
  uint16_t magic_ = 0;
  uint64_t seg_start_ = 0;
  uint64_t sysid_ = 0;
  uint32_t seg_size_ = 0;
  std::vector<std::byte> first_;  // long header bytes
  std::optional<std::string> problem_;
  uint64_t bad_pages_ = 0;
};

}  // namespace pgbak
