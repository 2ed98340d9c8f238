#include "io/error.h"

#include <cerrno>
#include <cstring>

namespace pgbak {

void throw_sys(const std::string& what, const std::string& path, int err) {
  std::string message = what;
  if (!path.empty()) message += " '" + path + "'";
  throw SystemError(message + ": " + std::strerror(err), err);
}

void throw_sys(const std::string& what, const std::string& path) {
  throw_sys(what, path, errno);
}

}  // namespace pgbak
