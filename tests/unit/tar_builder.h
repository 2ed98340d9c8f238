// Builds tar archives in memory for the tar reader and extractor tests, the way GNU tar and
// pg_basebackup lay them out (ustar headers, GNU long names, pax records).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

namespace pgbak::test {

class TarBuilder {
 public:
  void entry(const std::string& name, char type, const std::string& data = "", unsigned mode = 0600,
             const std::string& link = "", bool ustar_prefix = false) {
    entry_header(name, type, data.size(), mode, link, ustar_prefix);
    bytes += data + std::string((512 - data.size() % 512) % 512, '\0');
  }
  // Only the header of an entry claiming `size` bytes (base-256 beyond the octal field's range);
  // the caller appends what follows.
  void entry_header(const std::string& name, char type, uint64_t size, unsigned mode = 0600,
                    const std::string& link = "", bool ustar_prefix = false) {
    std::string header(512, '\0');
    std::string stored = name;
    size_t slash = name.rfind('/');
    if (ustar_prefix && slash != std::string::npos && slash < 155) {
      std::memcpy(&header[345], name.data(), slash);
      stored = name.substr(slash + 1);
    }
    std::memcpy(&header[0], stored.data(), std::min<size_t>(stored.size(), 100));
    put_octal(header, 100, 8, mode);
    put_octal(header, 108, 8, 1000);
    put_octal(header, 116, 8, 1001);
    if (size < (uint64_t{1} << 33)) {
      put_octal(header, 124, 12, size);
    } else {
      header[124] = static_cast<char>(0x80);
      for (int i = 0; i < 8; ++i) header[135 - i] = static_cast<char>((size >> (8 * i)) & 0xFF);
    }
    put_octal(header, 136, 12, 1700000000);
    header[156] = type;
    std::memcpy(&header[157], link.data(), std::min<size_t>(link.size(), 100));
    std::memcpy(&header[257],
                "ustar\0"
                "00",
                8);
    std::memset(&header[148], ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : header) sum += c;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06o", sum);
    std::memcpy(&header[148], buf, 7);
    bytes += header;
  }
  void gnu_long_name(const std::string& name) { entry("././@LongLink", 'L', name + '\0'); }
  void pax(const std::string& key, const std::string& value) {
    std::string rec = " " + key + "=" + value + "\n";
    size_t len = rec.size() + 1;
    while (std::to_string(len).size() + rec.size() != len) ++len;
    entry("PaxHeader", 'x', std::to_string(len) + rec);
  }
  void end() { bytes += std::string(1024, '\0'); }
  std::span<const std::byte> span() const {
    return {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()};
  }
  std::string bytes;

 private:
  static void put_octal(std::string& h, size_t off, size_t len, uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(len - 1),
                  static_cast<unsigned long long>(v));
    std::memcpy(&h[off], buf, len - 1);
  }
};

}  // namespace pgbak::test
