// Durations in settings and options: "7d", "36h", "90m", "20s", "2w" (a whole number and one
// unit), as keep-within takes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgbak {

// Seconds for "<digits><unit>", unit s, m, h, d or w; nullopt for anything else (no unit, a sign,
// a fraction, several units, more than 100 years).
std::optional<int64_t> parse_duration(std::string_view text);

// The same duration back as text, in the largest unit that divides it ("7d", "36h", "20s").
std::string format_duration(int64_t seconds);

}  // namespace pgbak
