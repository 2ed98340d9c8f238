#include "io/fault.h"

#ifdef PGBAK_FAULT_INJECTION
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace pgbak {

void fault_point(const char* step) {
  static const char* wanted = std::getenv("PGBAK_FAULT");
  if (wanted != nullptr && std::strcmp(wanted, step) == 0) ::kill(::getpid(), SIGKILL);
}

}  // namespace pgbak
#endif
