#include "io/fault.h"

#ifdef PGBAK_FAULT_INJECTION
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace pgbak {

void fault_point(const char* step, std::string_view subject) {
  static const char* wanted = std::getenv("PGBAK_FAULT");
  if (wanted == nullptr) return;
  std::string_view w(wanted);
  std::string_view s(step);
  bool hit = w == s || (!subject.empty() && w.size() == s.size() + 1 + subject.size() &&
                        w.starts_with(s) && w[s.size()] == ':' && w.ends_with(subject));
  if (hit) ::kill(::getpid(), SIGKILL);
}

}  // namespace pgbak
#endif
