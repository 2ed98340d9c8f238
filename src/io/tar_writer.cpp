#include "io/tar_writer.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "io/error.h"

namespace pgbak {
namespace {

constexpr size_t kBlock = 512;

// An octal field of `width` bytes: width - 1 digits (zero-padded), then NUL.
void octal(char* field, size_t width, uint64_t value) {
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

void write_zeros(Sink& out, size_t n) {
  static const std::array<std::byte, kBlock> zeros{};
  while (n > 0) {
    size_t k = std::min(n, zeros.size());
    out.write(std::span(zeros).first(k));
    n -= k;
  }
}

}  // namespace

void TarWriter::header(const std::string& path, char type, uint32_t mode, uint64_t size,
                       int64_t mtime) {
  if (path.empty() || path.size() > 100)
    throw Error("cannot archive '" + path + "': name too long");
  std::array<char, kBlock> h{};
  std::memcpy(h.data(), path.data(), path.size());
  octal(h.data() + 100, 8, mode & 07777);
  octal(h.data() + 108, 8, 0);
  octal(h.data() + 116, 8, 0);
  octal(h.data() + 124, 12, size);
  octal(h.data() + 136, 12, static_cast<uint64_t>(mtime < 0 ? 0 : mtime));
  h[156] = type;
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  // The checksum is computed with its own field as spaces.
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  octal(h.data() + 148, 7, sum);  // six digits, NUL, and the space already there
  out_.write(std::as_bytes(std::span(h)));
}

void TarWriter::add_directory(const std::string& path, uint32_t mode, int64_t mtime) {
  header(path.ends_with('/') ? path : path + "/", '5', mode, 0, mtime);
}

void TarWriter::add_file(const std::string& path, uint32_t mode, int64_t mtime,
                         std::string_view data) {
  header(path, '0', mode, data.size(), mtime);
  out_.write(std::as_bytes(std::span(data)));
  write_zeros(out_, (kBlock - data.size() % kBlock) % kBlock);
}

void TarWriter::finish() {
  write_zeros(out_, 2 * kBlock);
}

}  // namespace pgbak
