// Human-readable figures for command output.
#pragma once

#include <cstdint>
#include <string>

namespace pgbak {

// "0 B", "512 B", "1.5 KiB", "3.2 GiB".
std::string human_bytes(uint64_t bytes);
// "45s", "12m", "3h", "2d" for a non-negative number of seconds.
std::string human_age(int64_t seconds);
// "1 problem", "2 problems", "0 problems": n and the noun, plural (noun + "s") unless n is 1.
std::string count_of(uint64_t n, const std::string& noun);

}  // namespace pgbak
