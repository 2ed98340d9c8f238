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

}  // namespace

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
