// JSON values for the --json outputs of status and info (stable keys, hand-written objects).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgbak {

// A JSON string literal: quotes, backslashes and control characters escaped.
std::string json_string(const std::string& s);
// json_string, or null when absent.
std::string json_string_or_null(const std::optional<std::string>& s);
// ["a", "b"].
std::string json_list(const std::vector<std::string>& v);
// A unix time, or JSON null when unknown (0).
std::string json_time(int64_t t);

}  // namespace pgbak
