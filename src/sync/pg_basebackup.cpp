#include "sync/pg_basebackup.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "io/error.h"
#include "io/file.h"
#include "sync/process.h"

namespace pgbak {
namespace {

constexpr const char* kProgram = "pg_basebackup";

bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    if (!d.empty() && executable(path_join(d, name))) return path_join(d, name);
  }
  return "";
}

// Orders "9.6" < "15" < "16" by their numeric parts.
bool version_less(const std::string& a, const std::string& b) {
  double x = std::atof(a.c_str());
  double y = std::atof(b.c_str());
  return x != y ? x < y : a < b;
}

}  // namespace

std::string find_pg_basebackup(const Config& config) {
  if (!config.pg_bindir.empty()) {
    std::string p = path_join(config.pg_bindir, kProgram);
    if (executable(p)) return p;
    throw Error("cannot find pg_basebackup: '" + p +
                "' is not executable (HINT: fix pg-bindir in pgbak.conf)");
  }
  if (std::string p = on_path(kProgram); !p.empty()) return p;
  if (std::string pg_config = on_path("pg_config"); !pg_config.empty()) {
    if (auto out = capture_output(pg_config, {"pg_config", "--bindir"})) {
      std::string dir = out->substr(0, out->find('\n'));
      if (!dir.empty() && executable(path_join(dir, kProgram))) return path_join(dir, kProgram);
    }
  }
  try {
    UniqueFd root = open_dir("/usr/lib/postgresql");
    auto versions = list_dir(root.get(), "/usr/lib/postgresql");
    std::sort(versions.begin(), versions.end(), version_less);
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      std::string p = "/usr/lib/postgresql/" + *it + "/bin/" + kProgram;
      if (executable(p)) return p;
    }
  } catch (const Error&) {
  }
  throw Error(
      "cannot find pg_basebackup: not on PATH, not in 'pg_config --bindir', not in "
      "/usr/lib/postgresql/*/bin (HINT: install PostgreSQL's client programs or set pg-bindir in "
      "pgbak.conf)");
}

std::vector<std::string> basebackup_argv(const std::string& program, const Config& config) {
  std::vector<std::string> argv = {program, "-D", "-", "-Ft", "-X", "none"};
  std::istringstream opts(config.basebackup_options);
  std::string word;
  while (opts >> word) argv.push_back(word);
  if (!config.conninfo.empty()) {
    argv.push_back("-d");
    argv.push_back(config.conninfo);
  }
  return argv;
}

}  // namespace pgbak
