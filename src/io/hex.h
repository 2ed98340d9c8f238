// Lower-case hexadecimal encoding, for digests, key ids and key files.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace pgbak {

// Writes 2 * bytes.size() hex digits to out (no terminator); for buffers that must be wiped.
inline void hex_encode(std::span<const unsigned char> bytes, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    *out++ = kDigits[b >> 4];
    *out++ = kDigits[b & 15];
  }
}

inline std::string to_hex(std::span<const unsigned char> bytes) {
  std::string out(2 * bytes.size(), '\0');
  hex_encode(bytes, out.data());
  return out;
}

}  // namespace pgbak
