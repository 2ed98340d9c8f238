#include "io/process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "io/error.h"
#include "io/file.h"

extern char** environ;

namespace pgbak {
namespace {

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Between fork and exec only async-signal-safe calls: report errno through the pipe and leave.
[[noreturn]] void child_fail(int report_fd, int err) {
  ssize_t ignored = ::write(report_fd, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

void child_dup(int from, int to, int null_fd, int report_fd) {
  int src = from >= 0 ? from : null_fd;
  if (src == to) {
    if (::fcntl(to, F_SETFD, 0) != 0) child_fail(report_fd, errno);
    return;
  }
  if (::dup2(src, to) < 0) child_fail(report_fd, errno);
}

}  // namespace

ChildProcess::ChildProcess(const ChildSpec& spec) {
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv = c_strings(args);
  std::vector<std::string> env_copy = spec.env.value_or(std::vector<std::string>{});
  std::vector<char*> envp = c_strings(env_copy);
  char* const* env = spec.env ? envp.data() : environ;
  const char* program = spec.program.c_str();
  const char* cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  UniqueFd null_fd = open_or_throw("/dev/null", O_RDWR);
  Pipe report = make_pipe();
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) throw_sys("cannot fork to run", spec.program);
  if (pid == 0) {
    int rfd = report.write.get();
    if (spec.detached) {
      ::setsid();
    } else {
      // A child must not outlive a killed sync: the next sync would run it a second time.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
    }
    if (spec.own_group) ::setpgid(0, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    child_dup(spec.stdin_fd, 0, null_fd.get(), rfd);
    child_dup(spec.stdout_fd, 1, null_fd.get(), rfd);
    child_dup(spec.stderr_fd, 2, null_fd.get(), rfd);
    // Descriptors we inherited without O_CLOEXEC (e.g. from the server's archiver) stop here;
    // marking instead of closing keeps the report pipe open until exec succeeds.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (spec.keep_fd >= 0) {
      if (rfd == spec.keep_fd_as) rfd = ::fcntl(rfd, F_DUPFD_CLOEXEC, spec.keep_fd_as + 1);
      child_dup(spec.keep_fd, spec.keep_fd_as, null_fd.get(), rfd);
    }
    if (spec.uid) {
      gid_t gid = spec.gid;
      if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(*spec.uid) != 0) {
        child_fail(rfd, errno);
      }
      if (!spec.detached) {
        // A change of credentials clears the parent-death signal: set it again, and recheck.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
      }
    }
    if (cwd != nullptr && ::chdir(cwd) != 0) child_fail(rfd, errno);
    ::execve(program, argv.data(), env);
    child_fail(rfd, errno);
  }
  pid_ = pid;
  reaped_ = spec.detached;
  own_group_ = spec.own_group;
  if (own_group_) ::setpgid(pid, pid);  // also here: either side may run first
  if (own_group_ && spec.group_dies_with_us) start_guard();
  report.write.reset();
  int err = 0;
  ssize_t n;
  do {
    n = ::read(report.read.get(), &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof err) {
    reaped_ = false;
    wait();
    reap_guard();
    throw_sys("cannot run", spec.program + (cwd != nullptr ? "' in '" + spec.cwd : ""), err);
  }
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    kill_group();
    wait();
  }
  reap_guard();
}

void ChildProcess::start_guard() {
  Pipe life = make_pipe();
  pid_t guard = ::fork();
  if (guard < 0) {
    int err = errno;
    ::kill(-pid_, SIGKILL);
    wait();
    throw_sys("cannot fork a watcher for", std::to_string(pid_), err);
  }
  if (guard == 0) {
    // Only async-signal-safe calls: other threads of ours may hold locks. In the child's group,
    // whose id cannot be reused while we are in it, with nothing open but the pipe's read end
    // (a copy of another pipe's write end would keep its reader waiting).
    ::setpgid(0, pid_);
    if (life.read.get() != 0) ::dup2(life.read.get(), 0);
    ::close_range(1, ~0U, 0);
    char byte;
    while (::read(0, &byte, 1) < 0 && errno == EINTR) {
    }
    // End of file: our parent closed its end, or died.
    ::kill(-pid_, SIGKILL);
    ::_exit(0);
  }
  guard_ = guard;
  life_ = std::move(life.write);
}

void ChildProcess::reap_guard() {
  if (guard_ <= 0) return;
  life_.reset();  // the watcher kills the group, itself included, and ends
  int status;
  while (::waitpid(guard_, &status, 0) < 0 && errno == EINTR) {
  }
  guard_ = -1;
}

void ChildProcess::kill_group() {
  if (own_group_ && pid_ > 0) ::kill(-pid_, SIGKILL);
  reap_guard();
}

bool kill_leftover_group(pid_t pgid, pid_t sid) {
  if (pgid <= 1 || sid <= 0) return false;
  UniqueFd proc = open_dir("/proc");
  for (const std::string& name : list_dir(proc.get(), "/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::optional<std::string> stat;
    try {
      stat = read_small_file(proc.get(), name + "/stat", "/proc/" + name + "/stat");
    } catch (const Error&) {
      continue;  // gone meanwhile
    }
    if (!stat) continue;
    // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
    size_t close = stat->rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0, pgrp = 0, session = 0;
    if (std::sscanf(stat->c_str() + close + 1, " %c %ld %ld %ld", &state, &ppid, &pgrp, &session) !=
        4) {
      continue;
    }
    if (pgrp == pgid && session == sid) {
      ::kill(-pgid, SIGKILL);
      return true;
    }
  }
  return false;
}

int ChildProcess::wait() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw_sys("cannot wait for child process", std::to_string(pid_));
  }
  reaped_ = true;
  return status;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return "was killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
  }
  return "ended with wait status " + std::to_string(status);
}

bool exited_successfully(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_sys("cannot create pipe", "");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

OutputTail::OutputTail(UniqueFd read_end, size_t keep, int echo_fd)
    : shared_(std::make_shared<Shared>(Shared{std::move(read_end), keep, echo_fd, {}})),
      thread_(run, shared_) {}

OutputTail::~OutputTail() {
  if (thread_.joinable()) thread_.detach();
}

void OutputTail::run(std::shared_ptr<Shared> s) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(s->fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (s->echo_fd >= 0) {
      ssize_t ignored = ::write(s->echo_fd, buf, static_cast<size_t>(n));
      (void)ignored;
    }
    s->tail.append(buf, static_cast<size_t>(n));
    if (s->tail.size() > 2 * s->keep) s->tail.erase(0, s->tail.size() - s->keep);
  }
}

std::string OutputTail::finish() {
  if (thread_.joinable()) thread_.join();
  const std::string& all = shared_->tail;
  std::string t = all.size() > shared_->keep ? all.substr(all.size() - shared_->keep) : all;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  std::string out;
  for (char c : t) {
    if (c == '\n') {
      out += " | ";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> capture_output(const std::string& program,
                                          std::vector<std::string> argv) {
  try {
    Pipe out = make_pipe();
    ChildSpec spec;
    spec.program = program;
    spec.argv = std::move(argv);
    spec.stdout_fd = out.write.get();
    ChildProcess child(spec);
    out.write.reset();
    std::string text;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(out.read.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    if (!exited_successfully(child.wait())) return std::nullopt;
    return text;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace pgbak
