#include "config/spelling.h"

#include <algorithm>
#include <vector>

namespace pgbak {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string closest_name(const std::string& typo, std::span<const std::string> names) {
  std::string best;
  size_t best_distance = 3;  // suggest only near misses
  for (const std::string& name : names) {
    size_t d = edit_distance(typo, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& typo, std::span<const std::string> names) {
  std::string hint = closest_name(typo, names);
  return hint.empty() ? "" : " (did you mean '" + hint + "'?)";
}

}  // namespace pgbak
