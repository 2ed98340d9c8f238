#include "repo/backup_label.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "io/lines.h"
#include "wal/wal_name.h"

namespace pgbak {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool take_digits(std::string_view& s, size_t n, int& out) {
  if (s.size() < n) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  s.remove_prefix(n);
  return true;
}

bool take(std::string_view& s, char c) {
  if (s.empty() || s[0] != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<BackupLabel> parse_backup_label(std::string_view text) {
  BackupLabel b;
  bool have_lsn = false, have_tli = false;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), value = trim(line.substr(colon + 2));
    if (key == "START WAL LOCATION") {
      // "0/2000028 (file 000000010000000000000002)"
      size_t space = value.find(' ');
      auto lsn = parse_lsn(value.substr(0, space));
      if (!lsn) return std::nullopt;
      b.start_lsn = *lsn;
      have_lsn = true;
      size_t file = value.find("(file ");
      if (file != std::string_view::npos) {
        std::string_view rest = value.substr(file + 6);
        b.start_wal_file = std::string(rest.substr(0, rest.find(')')));
      }
    } else if (key == "START TIMELINE") {
      uint32_t tli = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || tli > 0x0FFFFFFF) return std::nullopt;
        tli = tli * 10 + static_cast<uint32_t>(c - '0');
      }
      if (tli == 0) return std::nullopt;
      b.start_tli = tli;
      have_tli = true;
    } else if (key == "START TIME") {
      b.start_time = std::string(value);
    } else if (key == "LABEL") {
      b.label = std::string(value);
    }
  }
  if (!have_lsn || !have_tli) return std::nullopt;
  return b;
}

std::optional<double> parse_timestamp(std::string_view s, bool* zoned) {
  s = trim(s);
  if (zoned != nullptr) *zoned = false;
  std::tm tm{};
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (!take_digits(s, 4, year) || !take(s, '-') || !take_digits(s, 2, mon) || !take(s, '-') ||
      !take_digits(s, 2, day) || !(take(s, ' ') || take(s, 'T')) || !take_digits(s, 2, hour) ||
      !take(s, ':') || !take_digits(s, 2, min) || !take(s, ':') || !take_digits(s, 2, sec)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  double frac = 0;
  if (take(s, '.')) {
    double scale = 0.1;
    bool any = false;
    while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
      frac += (s[0] - '0') * scale;
      scale /= 10;
      s.remove_prefix(1);
      any = true;
    }
    if (!any) return std::nullopt;
  }
  s = trim(s);
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  if (s.empty()) {
    tm.tm_isdst = -1;
    std::time_t t = std::mktime(&tm);
    if (t == -1) return std::nullopt;
    return static_cast<double>(t) + frac;
  }
  if (zoned != nullptr) *zoned = true;
  long offset = 0;
  if (s == "Z" || s == "UTC" || s == "GMT") {
    offset = 0;
  } else if (s[0] == '+' || s[0] == '-') {
    int sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh = 0, om = 0;
    if (!take_digits(s, 2, oh)) return std::nullopt;
    take(s, ':');
    if (!s.empty() && !take_digits(s, 2, om)) return std::nullopt;
    if (!s.empty() || oh > 15 || om > 59) return std::nullopt;
    offset = sign * (oh * 3600L + om * 60L);
  } else {
    return std::nullopt;
  }
  return static_cast<double>(timegm(&tm) - offset) + frac;
}

std::string format_utc_timestamp(double seconds) {
  auto micros = static_cast<int64_t>(std::llround(seconds * 1e6));
  std::time_t whole = static_cast<std::time_t>(micros / 1000000);
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --whole;
  }
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buf;
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof f, ".%06lld", static_cast<long long>(frac));
    out += f;
    while (out.back() == '0') out.pop_back();
  }
  return out + "+00";
}

}  // namespace pgbak
