#include "io/fault.h"

#ifdef PGBAK_FAULT_INJECTION
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace pgbak {
namespace {

// True if `wanted` (an environment value, may be null) names step, or step:subject.
bool names(const char* wanted, std::string_view step, std::string_view subject) {
  if (wanted == nullptr) return false;
  std::string_view w(wanted);
  return w == step || (!subject.empty() && w.size() == step.size() + 1 + subject.size() &&
                       w.starts_with(step) && w[step.size()] == ':' && w.ends_with(subject));
}

}  // namespace

void fault_point(const char* step, std::string_view subject) {
  static const char* kill_at = std::getenv("PGBAK_FAULT");
  static const char* pause_at = std::getenv("PGBAK_PAUSE");
  if (names(kill_at, step, subject)) ::kill(::getpid(), SIGKILL);
  if (names(pause_at, step, subject)) ::kill(::getpid(), SIGSTOP);
}

}  // namespace pgbak
#endif
