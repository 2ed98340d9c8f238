// Fault injection for crash tests: test builds kill the process at a named step when
// PGBAK_FAULT names it. Release builds compile this to nothing.
#pragma once

namespace pgbak {

#ifdef PGBAK_FAULT_INJECTION
// SIGKILLs this process if PGBAK_FAULT equals step.
void fault_point(const char* step);
#else
inline void fault_point(const char*) {}
#endif

}  // namespace pgbak
