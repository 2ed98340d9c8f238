#include "repo/script_env.h"

#include <algorithm>

namespace pgbak {
namespace {

bool passed_through(const std::string& name) {
  static const char* const kNames[] = {"PATH", "HOME", "USER",   "LOGNAME",      "SHELL",
                                       "LANG", "TZ",   "TMPDIR", "SSH_AUTH_SOCK"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  if (name.starts_with("LC_")) return true;
  // libpq's variables are all PG followed by capital letters; PGBAK itself is set explicitly.
  if (name.size() > 2 && name.starts_with("PG") && name != "PGBAK") {
    return std::all_of(name.begin() + 2, name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  }
  return false;
}

}  // namespace

std::vector<std::string> script_environment(const std::vector<std::string>& ours,
                                            const std::string& backup_dir) {
  std::vector<std::string> env;
  bool have_path = false;
  for (const auto& entry : ours) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(0, eq);
    if (!passed_through(name)) continue;
    have_path = have_path || name == "PATH";
    env.push_back(entry);
  }
  if (!have_path) env.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  env.push_back("PGBAK=" + backup_dir);
  return env;
}

}  // namespace pgbak
