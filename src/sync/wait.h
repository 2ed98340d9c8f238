// `pgbak wait [TIMEOUT]`.
#pragma once

#include <optional>
#include <string>

namespace pgbak {

// Parses TIMEOUT: a non-negative decimal number of seconds ("0", "2", "1.5"), at most about 31
// years. Anything else (signs, exponents, "inf", junk) throws UsageError.
double parse_wait_timeout(const std::string& text);

// " (pid N); it failed K time(s), last: ERROR": what sync.status says of the running sync, for
// a command that gave up waiting for it.
std::string describe_running_sync(int dirfd, const std::string& dir_path);

}  // namespace pgbak
