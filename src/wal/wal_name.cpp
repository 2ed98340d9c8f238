#include "wal/wal_name.h"

#include <cctype>
#include <cstdio>
#include <string>

namespace pgbak {
namespace {

bool is_upper_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

uint32_t hex32(std::string_view s) {
  uint32_t v = 0;
  for (char c : s) v = v * 16 + static_cast<uint32_t>(c <= '9' ? c - '0' : c - 'A' + 10);
  return v;
}

bool parse_segment_part(std::string_view s, WalName& out) {
  if (s.size() != 24 || !is_upper_hex(s)) return false;
  out.tli = hex32(s.substr(0, 8));
  out.log = hex32(s.substr(8, 8));
  out.seg = hex32(s.substr(16, 8));
  return out.tli != 0;  // timeline 0 does not exist
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::optional<WalName> parse_wal_name(std::string_view name) {
  WalName out;
  out.text = std::string(name);
  if (name.size() == 24) {
    out.kind = WalKind::kSegment;
    if (parse_segment_part(name, out)) return out;
    return std::nullopt;
  }
  if (name.size() == 16 && ends_with(name, ".history")) {
    out.kind = WalKind::kHistory;
    std::string_view tli = name.substr(0, 8);
    if (!is_upper_hex(tli)) return std::nullopt;
    out.tli = hex32(tli);
    if (out.tli == 0) return std::nullopt;
    return out;
  }
  if (name.size() == 32 && ends_with(name, ".partial")) {
    out.kind = WalKind::kPartial;
    if (parse_segment_part(name.substr(0, 24), out)) return out;
    return std::nullopt;
  }
  if (name.size() == 40 && ends_with(name, ".backup") && name[24] == '.') {
    out.kind = WalKind::kBackup;
    if (parse_segment_part(name.substr(0, 24), out) && is_upper_hex(name.substr(25, 8))) {
      return out;
    }
  }
  return std::nullopt;
}

std::string history_file_name(uint32_t tli) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08X.history", tli);
  return buf;
}

std::string segment_file_name(uint32_t tli, uint64_t segno, uint32_t seg_size) {
  char buf[32];
  uint64_t per_log = segments_per_log(seg_size);
  std::snprintf(buf, sizeof buf, "%08X%08X%08X", tli, static_cast<unsigned>(segno / per_log),
                static_cast<unsigned>(segno % per_log));
  return buf;
}

std::string format_lsn(uint64_t lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xFFFFFFFF));
  return buf;
}

std::optional<uint64_t> parse_lsn(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash > 8) return std::nullopt;
  std::string_view hi = text.substr(0, slash), lo = text.substr(slash + 1);
  if (lo.empty() || lo.size() > 8) return std::nullopt;
  auto hex_any = [](std::string_view s) {
    for (char c : s) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  if (!hex_any(hi) || !hex_any(lo)) return std::nullopt;
  return (std::stoull(std::string(hi), nullptr, 16) << 32) |
         std::stoull(std::string(lo), nullptr, 16);
}

}  // namespace pgbak
