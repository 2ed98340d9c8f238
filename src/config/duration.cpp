#include "config/duration.h"

#include <array>
#include <utility>

namespace pgbak {
namespace {

constexpr std::array<std::pair<char, int64_t>, 5> kUnits = {
    {{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};
constexpr int64_t kMaxSeconds = int64_t{100} * 366 * 86400;

}  // namespace

std::optional<int64_t> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  char unit = text.back();
  text.remove_suffix(1);
  int64_t per = 0;
  for (const auto& [c, seconds] : kUnits) {
    if (c == unit) per = seconds;
  }
  if (per == 0) return std::nullopt;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
    if (n * per > kMaxSeconds) return std::nullopt;
  }
  return n * per;
}

std::string format_duration(int64_t seconds) {
  for (const auto& [c, per] : kUnits) {
    if (seconds != 0 && seconds % per == 0) return std::to_string(seconds / per) + c;
  }
  return std::to_string(seconds) + "s";
}

}  // namespace pgbak
