#include "io/tar_reader.h"

#include <algorithm>
#include <cstring>

#include "io/error.h"

namespace pgbak {
namespace {

constexpr size_t kBlock = 512;
// Extension records hold a path or a few pax keys; anything bigger is not from pg_basebackup.
constexpr uint64_t kMaxExtension = 1 << 20;

std::span<const std::byte> field(const std::vector<std::byte>& block, size_t offset, size_t size) {
  return std::span(block).subspan(offset, size);
}

std::string text_field(const std::vector<std::byte>& block, size_t offset, size_t size) {
  const char* p = reinterpret_cast<const char*>(block.data() + offset);
  return std::string(p, strnlen(p, size));
}

bool all_zero(std::span<const std::byte> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

TarType type_of(char flag) {
  switch (flag) {
    case '0':
    case '\0':
    case '7':  // contiguous file: a regular file everywhere that matters
      return TarType::kFile;
    case '5':
      return TarType::kDirectory;
    case '2':
      return TarType::kSymlink;
    case '1':
      return TarType::kHardlink;
    default:
      return TarType::kOther;
  }
}

}  // namespace

bool parse_tar_number(std::span<const std::byte> bytes, uint64_t& out) {
  if (bytes.empty()) return false;
  auto first = static_cast<unsigned char>(bytes[0]);
  if (first & 0x80) {
    // GNU base-256: big-endian binary in the remaining bits; negative values are not sizes.
    if (first & 0x40) return false;
    uint64_t v = first & 0x3F;
    for (size_t i = 1; i < bytes.size(); ++i) {
      if (v >> 56) return false;
      v = (v << 8) | static_cast<unsigned char>(bytes[i]);
    }
    out = v;
    return true;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < bytes.size() && static_cast<char>(bytes[i]) == ' ') ++i;
  bool digits = false;
  for (; i < bytes.size(); ++i) {
    char c = static_cast<char>(bytes[i]);
    if (c == '\0' || c == ' ') break;
    if (c < '0' || c > '7' || (v >> 61)) return false;
    v = v * 8 + static_cast<uint64_t>(c - '0');
    digits = true;
  }
  for (; i < bytes.size(); ++i) {
    char c = static_cast<char>(bytes[i]);
    if (c != '\0' && c != ' ') return false;
  }
  out = v;
  return digits;
}

TarReader::TarReader(TarHandler& handler, std::string display)
    : handler_(handler), display_(std::move(display)) {
  block_.reserve(kBlock);
}

void TarReader::bad(const std::string& why) const {
  throw CorruptError("corrupt tar archive '" + display_ + "' at offset " + std::to_string(offset_) +
                     ": " + why);
}

void TarReader::write(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kHeader: {
        size_t n = std::min(bytes.size(), kBlock - block_.size());
        block_.insert(block_.end(), bytes.begin(), bytes.begin() + static_cast<long>(n));
        bytes = bytes.subspan(n);
        consumed_ += n;
        if (block_.size() == kBlock) {
          on_header();
          block_.clear();
        }
        break;
      }
      case State::kData:
      case State::kExtension:
      case State::kPadding: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), left_));
        if (state_ == State::kData) {
          handler_.data(bytes.first(n));
        } else if (state_ == State::kExtension) {
          ext_data_.append(reinterpret_cast<const char*>(bytes.data()), n);
        }
        bytes = bytes.subspan(n);
        consumed_ += n;
        left_ -= n;
        if (left_ == 0) {
          if (state_ == State::kData) handler_.end();
          if (state_ == State::kExtension) on_extension_done();
          if (state_ != State::kPadding && padding_ > 0) {
            state_ = State::kPadding;
            left_ = padding_;
          } else {
            state_ = State::kHeader;
          }
        }
        break;
      }
      case State::kEnd:
        // Writers pad the archive to a record size with zeros; anything else is not tar.
        if (!all_zero(bytes)) {
          offset_ = consumed_;
          bad("data after the end-of-archive marker");
        }
        consumed_ += bytes.size();
        return;
    }
  }
}

void TarReader::on_header() {
  offset_ = consumed_ - kBlock;
  if (all_zero(block_)) {
    if (!next_path_.empty() || next_size_set_) bad("archive ends after an extension header");
    state_ = State::kEnd;
    return;
  }
  uint64_t stored_sum = 0;
  if (!parse_tar_number(field(block_, 148, 8), stored_sum)) bad("bad header checksum field");
  uint64_t sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    bool in_sum = i >= 148 && i < 156;
    auto b = in_sum ? static_cast<unsigned char>(' ') : static_cast<unsigned char>(block_[i]);
    sum += b;
    signed_sum += static_cast<signed char>(b);
  }
  if (sum != stored_sum && static_cast<uint64_t>(signed_sum) != stored_sum) {
    bad("header checksum mismatch");
  }

  TarEntry e;
  e.typeflag = static_cast<char>(block_[156]);
  uint64_t v = 0;
  if (!parse_tar_number(field(block_, 124, 12), e.size)) bad("bad size field");
  if (!parse_tar_number(field(block_, 100, 8), v)) bad("bad mode field");
  e.mode = static_cast<uint32_t>(v & 07777);
  if (parse_tar_number(field(block_, 108, 8), v)) e.uid = static_cast<uint32_t>(v);
  if (parse_tar_number(field(block_, 116, 8), v)) e.gid = static_cast<uint32_t>(v);
  if (parse_tar_number(field(block_, 136, 12), v)) e.mtime = static_cast<int64_t>(v);

  if (e.typeflag == 'x' || e.typeflag == 'g' || e.typeflag == 'L' || e.typeflag == 'K') {
    if (e.size > kMaxExtension) bad("extension header too large");
    ext_type_ = e.typeflag;
    ext_data_.clear();
    padding_ = (kBlock - e.size % kBlock) % kBlock;
    if (e.size == 0) {
      on_extension_done();
      return;
    }
    state_ = State::kExtension;
    left_ = e.size;
    return;
  }

  std::string name = text_field(block_, 0, 100);
  // POSIX ustar ("ustar\0") splits long names into prefix + name; old GNU ("ustar  ") uses
  // those bytes for other fields.
  if (std::memcmp(block_.data() + 257, "ustar\0", 6) == 0) {
    std::string prefix = text_field(block_, 345, 155);
    if (!prefix.empty()) name = prefix + "/" + name;
  }
  e.path = next_path_.empty() ? name : next_path_;
  e.link_target = next_link_.empty() ? text_field(block_, 157, 100) : next_link_;
  if (next_size_set_) e.size = next_size_;
  next_path_.clear();
  next_link_.clear();
  next_size_set_ = false;
  e.type = type_of(e.typeflag);
  if (e.path.empty()) bad("entry without a name");
  start_entry(std::move(e));
}

void TarReader::start_entry(TarEntry entry) {
  handler_.begin(entry);
  if (entry.size == 0) {
    handler_.end();
    state_ = State::kHeader;
    return;
  }
  state_ = State::kData;
  left_ = entry.size;
  padding_ = (kBlock - entry.size % kBlock) % kBlock;
}

void TarReader::on_extension_done() {
  if (ext_type_ == 'L' || ext_type_ == 'K') {
    std::string value = ext_data_.substr(0, strnlen(ext_data_.c_str(), ext_data_.size()));
    (ext_type_ == 'L' ? next_path_ : next_link_) = value;
  } else if (ext_type_ == 'x') {
    // Records: "<length> <key>=<value>\n", the length counting the whole record.
    std::string_view rest = ext_data_;
    while (!rest.empty()) {
      size_t space = rest.find(' ');
      if (space == std::string_view::npos || space == 0) bad("malformed pax header");
      size_t len = 0;
      for (char c : rest.substr(0, space)) {
        if (c < '0' || c > '9' || len > kMaxExtension) bad("malformed pax header");
        len = len * 10 + static_cast<size_t>(c - '0');
      }
      if (len <= space + 1 || len > rest.size() || rest[len - 1] != '\n')
        bad("malformed pax header");
      std::string_view record = rest.substr(space + 1, len - space - 2);
      rest = rest.substr(len);
      size_t eq = record.find('=');
      if (eq == std::string_view::npos) bad("malformed pax header");
      std::string_view key = record.substr(0, eq), value = record.substr(eq + 1);
      if (key == "path") {
        next_path_ = std::string(value);
      } else if (key == "linkpath") {
        next_link_ = std::string(value);
      } else if (key == "size") {
        uint64_t size = 0;
        for (char c : value) {
          if (c < '0' || c > '9' || (size >> 59)) bad("bad pax size");
          size = size * 10 + static_cast<uint64_t>(c - '0');
        }
        next_size_ = size;
        next_size_set_ = true;
      }
    }
  }
  // 'g' (global pax) carries nothing pgbak uses.
  ext_data_.clear();
}

void TarReader::finish() {
  if (state_ != State::kEnd) {
    offset_ = consumed_;
    bad(state_ == State::kHeader && block_.empty() ? "no end-of-archive marker (truncated?)"
                                                   : "archive ends inside an entry (truncated?)");
  }
}

}  // namespace pgbak
