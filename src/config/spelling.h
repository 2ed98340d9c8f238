// "Did you mean": the closest of a set of names to a typo, for commands and settings alike.
#pragma once

#include <span>
#include <string>

namespace pgbak {

// Levenshtein distance between a and b.
size_t edit_distance(const std::string& a, const std::string& b);

// The name in `names` nearest to `typo` if it is a near miss (at most 2 edits), else "".
std::string closest_name(const std::string& typo, std::span<const std::string> names);

// " (did you mean 'NAME'?)" for closest_name's answer, or "" when there is none.
std::string did_you_mean(const std::string& typo, std::span<const std::string> names);

}  // namespace pgbak
