// Fault injection for crash tests: test builds kill the process at a named step when
// PGBAK_FAULT names it. Release builds compile this to nothing.
#pragma once

#include <string_view>

namespace pgbak {

#ifdef PGBAK_FAULT_INJECTION
// SIGKILLs this process if PGBAK_FAULT equals `step`, or equals "step:subject" (so a test can
// aim a step that many writes share, e.g. "before-linkat:base.tzst", at one file).
void fault_point(const char* step, std::string_view subject = {});
#else
inline void fault_point(const char*, std::string_view = {}) {}
#endif

}  // namespace pgbak
