#include "remote/fetch_script.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <memory>

#include "io/error.h"
#include "io/file.h"
#include "io/process.h"
#include "repo/script_env.h"

extern char** environ;

namespace pgbak {
namespace {

constexpr size_t kTailBytes = 2000;
constexpr const char* kFetchEnv = "scripts/backup.env";

}  // namespace

bool FetchScript::exists(const BackupDir& dir) {
  struct stat st;
  return ::fstatat(dir.fd(), kFetchScript, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

FetchScript::FetchScript(const BackupDir& dir, const Config& config)
    : dir_(dir.path()),
      script_(path_join(dir.path(), kFetchScript)),
      timeout_(config.fetch_timeout),
      retries_(config.fetch_retries) {
  struct stat st;
  if (::fstatat(dir.fd(), kFetchScript, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_sys("cannot use the fetch script", script_);
  }
  uid_t me = ::geteuid();
  uid_t owner = st.st_uid;
  if (me == 0 && owner != 0) {
    errno = 0;
    struct passwd* pw = ::getpwuid(owner);
    if (pw == nullptr) {
      throw Error("fetch script '" + script_ + "': its owner (uid " + std::to_string(owner) +
                  ") has no user account to run it as");
    }
    run_as_ = std::make_pair(owner, pw->pw_gid);
    home_ = pw->pw_dir;
  } else if (me != 0 && owner != me && owner != 0) {
    throw Error("fetch script '" + script_ + "' belongs to uid " + std::to_string(owner) +
                ": refusing to run another user's script (HINT: run pgbak as that user)");
  }
  // The script sources backup.env: whoever can write it chooses what runs.
  uid_t runs_as = run_as_ ? run_as_->first : me;
  struct stat env;
  if (::fstatat(dir.fd(), kFetchEnv, &env, AT_SYMLINK_NOFOLLOW) == 0 && env.st_uid != runs_as &&
      env.st_uid != 0) {
    throw Error("'" + path_join(dir.path(), kFetchEnv) + "' belongs to uid " +
                std::to_string(env.st_uid) + ", not to the user the fetch script runs as (uid " +
                std::to_string(runs_as) + ")");
  }
}

std::string FetchScript::describe(const std::vector<std::string>& args) const {
  std::string out = script_;
  for (const auto& a : args) out += " " + a;
  return out;
}

FetchScript::Outcome FetchScript::run(const std::vector<std::string>& args, Sink& out,
                                      const std::function<bool()>& enough) const {
  std::vector<std::string> ours;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    // Run as another user, the script gets that user's home (rclone and ssh read their config
    // from it).
    if (run_as_ && (entry.starts_with("HOME=") || entry.starts_with("USER=") ||
                    entry.starts_with("LOGNAME="))) {
      continue;
    }
    ours.push_back(std::move(entry));
  }
  if (run_as_) ours.push_back("HOME=" + home_);

  Pipe stdout_pipe = make_pipe();
  Pipe stderr_pipe = make_pipe();
  ChildSpec spec;
  spec.program = script_;
  spec.argv = {script_};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = script_environment(ours, dir_);
  spec.cwd = std::string("/");  // not = "/": GCC 12 -O3 warns falsely (-Wrestrict, PR 105329)
  spec.stdout_fd = stdout_pipe.write.get();
  spec.stderr_fd = stderr_pipe.write.get();
  spec.own_group = true;
  // A prefetcher killed while its fetch hangs must not leave the script (or what it started)
  // running: nobody would wait for it.
  spec.group_dies_with_us = true;
  if (run_as_) {
    spec.uid = run_as_->first;
    spec.gid = run_as_->second;
  }
  ChildProcess child(spec);
  stdout_pipe.write.reset();
  stderr_pipe.write.reset();
  OutputTail tail(std::move(stderr_pipe.read), kTailBytes, -1);

  Outcome outcome;
  std::unique_ptr<std::byte[]> buf(new std::byte[kIoChunk]);
  int timeout_ms = static_cast<int>(std::min(timeout_ * 1000.0, 2e9));
  for (;;) {
    struct pollfd pfd {
      stdout_pipe.read.get(), POLLIN, 0
    };
    int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_sys("cannot wait for the output of", describe(args));
    }
    if (ready == 0) {
      child.kill_group();
      child.wait();
      throw Error("fetch script '" + describe(args) + "' wrote nothing for " +
                  std::to_string(static_cast<long>(std::lround(timeout_))) +
                  " s: killed (HINT: raise fetch-timeout if the remote is that slow)");
    }
    ssize_t n = ::read(pfd.fd, buf.get(), kIoChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("cannot read the output of", describe(args));
    }
    if (n == 0) break;
    outcome.bytes += static_cast<uint64_t>(n);
    out.write({buf.get(), static_cast<size_t>(n)});
    if (enough && enough()) {
      outcome.stopped = true;
      child.kill_group();
      break;
    }
  }
  outcome.status = child.wait();
  child.kill_group();  // what it left running
  outcome.err = tail.finish();
  return outcome;
}

template <typename F>
auto FetchScript::retrying(F&& f, const std::function<void()>& restart) const {
  for (int attempt = 0;; ++attempt) {
    try {
      return f();
    } catch (const Error&) {
      if (attempt >= retries_) throw;
    }
    ::sleep(1);
    if (restart) restart();
  }
}

std::vector<std::string> FetchScript::list() const {
  StringSink text;
  std::vector<std::string> args = {"list"};
  retrying(
      [&] {
        Outcome o = run(args, text, {});
        if (!exited_successfully(o.status)) {
          throw Error("fetch script '" + describe(args) + "' " + describe_wait_status(o.status) +
                      (o.err.empty() ? "" : ": " + o.err));
        }
      },
      [&] { text.text.clear(); });
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.text.size()) {
    size_t end = text.text.find('\n', start);
    if (end == std::string::npos) end = text.text.size();
    if (end > start) lines.push_back(text.text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool FetchScript::get(const std::string& rel, Sink& out,
                      const std::function<bool()>& enough) const {
  std::vector<std::string> args = {"get", rel};
  Outcome o = run(args, out, enough);
  if (o.stopped || exited_successfully(o.status)) return true;
  if (o.bytes == 0 && WIFEXITED(o.status) && WEXITSTATUS(o.status) == 1) return false;
  throw Error("fetch script '" + describe(args) + "' " + describe_wait_status(o.status) +
              (o.bytes > 0 ? " after " + std::to_string(o.bytes) + " bytes" : "") +
              (o.err.empty() ? "" : ": " + o.err));
}

bool FetchScript::get_retrying(const std::string& rel, Sink& out,
                               const std::function<void()>& restart,
                               const std::function<bool()>& enough) const {
  return retrying([&] { return get(rel, out, enough); }, restart);
}

void FetchScript::remove_generation(const std::string& name) const {
  NullSink ignored;
  std::vector<std::string> args = {"delete", name};
  Outcome o = run(args, ignored, {});
  if (!exited_successfully(o.status)) {
    throw Error("fetch script '" + describe(args) + "' " + describe_wait_status(o.status) +
                (o.err.empty() ? "" : ": " + o.err));
  }
}

}  // namespace pgbak
