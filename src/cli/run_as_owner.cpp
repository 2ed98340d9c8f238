#include "cli/run_as_owner.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "io/error.h"

namespace pgbak {
namespace {

std::string user_name(uid_t uid) {
  struct passwd* pw = ::getpwuid(uid);
  return pw != nullptr ? std::string(pw->pw_name) : std::to_string(uid);
}

std::string hint(const std::string& owner, const std::string& dir, const std::string& command) {
  return "(HINT: run it as the directory's owner: sudo -u " + owner + " pgbak -D " + dir + " " +
         command + " ...)";
}

}  // namespace

bool runs_only_as_owner(const std::string& command) {
  for (std::string_view anyone :
       {"restore", "restore-wal", "status", "info", "verify", "check", "keygen", "help"}) {
    if (command == anyone) return false;
  }
  return true;
}

void check_runs_as_owner(const std::string& command, const std::string& dir) {
  if (dir.empty()) return;
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    throw_sys("cannot use backup directory", dir);
  }
  uid_t me = ::geteuid();
  // init says how to give the directory to this user (install -d), which is what it needs.
  if (command == "init" && me != 0) return;
  std::string owner = user_name(st.st_uid);
  if (runs_only_as_owner(command) && st.st_uid != me) {
    throw Error("refusing to run '" + command + "' as " + user_name(me) + ": backup directory '" +
                dir + "' belongs to " + owner + " " + hint(owner, dir, command));
  }
  if (S_ISDIR(st.st_mode) && ::access(dir.c_str(), R_OK | X_OK) != 0) {
    std::string why = std::strerror(errno);
    throw Error("cannot use backup directory '" + dir + "': " + why + " (it belongs to " + owner +
                ") " + hint(owner, dir, command));
  }
}

}  // namespace pgbak
