#include "sync/backup_script.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/process.h"

extern char** environ;

namespace pgbak {
namespace {

constexpr size_t kTailBytes = 2000;

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

void run_backup_script(const BackupDir& dir, const Generation& gen, const std::string& current_ts,
                       bool echo, const std::function<void(pid_t)>& started) {
  std::string script = path_join(dir.path(), kBackupScript);
  if (::faccessat(dir.fd(), kBackupScript, X_OK, 0) != 0) {
    int err = errno;
    std::string why = err == ENOENT
                          ? "missing (HINT: create it, e.g. with 'pgbak init', or link it "
                            "to /bin/true)"
                          : std::string("not executable: ") + std::strerror(err);
    throw Error("backup script '" + script + "': " + why);
  }
  std::vector<std::string> ours;
  for (char** e = environ; *e != nullptr; ++e) ours.emplace_back(*e);

  Pipe out = make_pipe();
  ChildSpec spec;
  spec.program = script;
  spec.argv = {script, gen.name, current_ts};
  spec.env = script_environment(ours, dir.path());
  spec.cwd = gen.path;
  spec.stdout_fd = out.write.get();
  spec.stderr_fd = out.write.get();
  spec.own_group = true;
  ChildProcess child(spec);
  out.write.reset();
  if (started) started(child.pid());
  OutputTail tail(std::move(out.read), kTailBytes, echo ? 2 : -1);
  fault_point("mid-backup-script");
  int status = child.wait();
  // Background jobs it left would also hold the output pipe open (and the tail would wait).
  child.kill_group();
  std::string output = tail.finish();
  if (!exited_successfully(status)) {
    throw Error("backup script '" + script + " " + gen.name + " " + current_ts + "' " +
                describe_wait_status(status) + (output.empty() ? "" : ": " + output));
  }
}

}  // namespace pgbak
