// Fault injection for crash and race tests: test builds kill the process at a named step when
// PGBAK_FAULT names it, or stop it there (SIGSTOP, until a SIGCONT) when PGBAK_PAUSE names it.
// Release builds compile this to nothing.
#pragma once

#include <string_view>

namespace pgbak {

#ifdef PGBAK_FAULT_INJECTION
// SIGKILLs this process if PGBAK_FAULT equals `step`, or equals "step:subject" (so a test can
// aim a step that many writes share, e.g. "before-linkat:base.tzst", at one file). Stops it
// (SIGSTOP) if PGBAK_PAUSE matches the same way, so a test can act while it stands at the step.
void fault_point(const char* step, std::string_view subject = {});
#else
inline void fault_point(const char*, std::string_view = {}) {}
#endif

}  // namespace pgbak
