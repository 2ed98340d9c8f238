#include "verify/wal_file_check.h"

#include <algorithm>
#include <cstdio>

#include "wal/page_header.h"

namespace pgbak {
namespace {

constexpr size_t kFirstPageGuess = 8192;

}  // namespace

WalFileCheck::WalFileCheck(WalName name) : name_(std::move(name)) {
  page_.reserve(kFirstPageGuess);
}

void WalFileCheck::write(std::span<const std::byte> data) {
  total_ += data.size();
  while (!data.empty()) {
    if (page_size_ == 0 && first_.size() < kLongHeaderSize) {
      size_t n = std::min(data.size(), kLongHeaderSize - first_.size());
      first_.insert(first_.end(), data.begin(), data.begin() + static_cast<long>(n));
      if (first_.size() == kLongHeaderSize) {
        PageHeader h = decode_page_header(first_);
        magic_ = h.magic;
        sysid_ = h.sysid;
        seg_size_ = h.seg_size;
        if (is_power_of_two(h.block_size) && h.block_size >= 1024 && h.block_size <= 65536 &&
            is_power_of_two(h.seg_size)) {
          page_size_ = h.block_size;
          seg_start_ = segment_number(name_, h.seg_size) * h.seg_size;
        }
      }
    }
    if (page_size_ == 0 || name_.kind == WalKind::kPartial) return;  // page walk impossible or moot
    size_t n = std::min(data.size(), page_size_ - page_.size());
    page_.insert(page_.end(), data.begin(), data.begin() + static_cast<long>(n));
    data = data.subspan(n);
    if (page_.size() == page_size_) {
      if (offset_ > 0) check_page();
      offset_ += page_size_;
      page_.clear();
    }
  }
}

void WalFileCheck::check_page() {
  PageHeader h = decode_page_header(page_);
  if (h.magic == magic_ && h.pageaddr == seg_start_ + offset_ && h.tli <= name_.tli &&
      !(h.info & kXlpLongHeader)) {
    return;
  }
  if (std::all_of(page_.begin(), page_.end(), [](std::byte b) { return b == std::byte{0}; }))
    return;
  if (bad_pages_++ == 0) {
    char magic[16];
    std::snprintf(magic, sizeof magic, "0x%04X", h.magic);
    problem_ = "page at offset " + std::to_string(offset_) + " has a bad header (magic " + magic +
               ", address " + format_lsn(h.pageaddr) + ", expected " +
               format_lsn(seg_start_ + offset_) + ", timeline " + std::to_string(h.tli) + ")";
  }
}

std::optional<std::string> WalFileCheck::finish() {
  if (auto why = check_segment_start(first_, name_, total_)) return why;
  if (page_size_ == 0) return "unusable block size in the long page header";
  if (problem_ && bad_pages_ > 1) {
    return *problem_ + " and " + std::to_string(bad_pages_ - 1) + " more bad pages";
  }
  return problem_;
}

}  // namespace pgbak
