// Child processes for the sync (pg_basebackup, scripts/backup, pg_config): fork and exec with
// everything prepared before the fork, the child's output tail collected by a thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/unique_fd.h"

namespace pgbak {

struct ChildSpec {
  std::string program;                          // path passed to execve
  std::vector<std::string> argv;                // argv[0] included
  std::optional<std::vector<std::string>> env;  // "NAME=value"; nullopt inherits ours
  std::string cwd;                              // "" keeps ours
  // Descriptors for the child's 0, 1, 2; -1 means /dev/null. Must be >= 3 or equal to the
  // target number.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Run in a process group of its own (id = its pid), so that what it starts can be killed with
  // it.
  bool own_group = false;
  // With own_group: the whole group dies with this process, however it dies (even by SIGKILL),
  // not just the child (parent-death signal): a watcher process in the group kills it once our
  // end of a pipe closes. For scripts whose leftovers nobody would clean up (scripts/fetch).
  bool group_dies_with_us = false;
  // Run as this user and group (dropping supplementary groups); needs root. nullopt: as we are.
  std::optional<uid_t> uid;
  gid_t gid = 0;
  // Detached: in a session of its own, outliving us; the ChildProcess neither kills nor waits
  // for it (the background sync). Excludes own_group.
  bool detached = false;
  // A descriptor the child keeps open (not close-on-exec), as number keep_fd_as (>= 3);
  // -1: none.
  int keep_fd = -1;
  int keep_fd_as = -1;
};

// A running child. Unless detached, it is killed (SIGKILL) if this process dies, and by the
// destructor if it was not waited for (with its whole group when own_group), so no child
// outlives an error.
class ChildProcess {
 public:
  // Starts the child; throws Error naming the program if fork or exec fails.
  explicit ChildProcess(const ChildSpec& spec);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Waits for the child; returns its wait status.
  int wait();
  // With own_group: SIGKILL to whatever is left in the child's process group.
  void kill_group();

 private:
  void start_guard();
  void reap_guard();

  pid_t pid_ = -1;
  bool own_group_ = false;
  bool reaped_ = false;  // or detached: not ours to wait for
  pid_t guard_ = -1;     // the watcher of group_dies_with_us
  UniqueFd life_;        // our end of its pipe
};

// Kills (SIGKILL) process group `pgid` if processes of it still run in session `sid`: what a
// killed sync's backup script left running (group ids and session ids are not reused while a
// process still has them). Returns true if it found any.
bool kill_leftover_group(pid_t pgid, pid_t sid);

// "exited with status 3", "was killed by signal 9 (Killed)".
std::string describe_wait_status(int status);
bool exited_successfully(int status);

// Pipe pair, both ends O_CLOEXEC (dup2 in the child clears the flag on the copy it uses).
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};
Pipe make_pipe();

// Reads a pipe to its end on a thread, keeps the last `keep` bytes and optionally copies
// everything to `echo_fd` (e.g. our stderr in the foreground).
class OutputTail {
 public:
  OutputTail(UniqueFd read_end, size_t keep, int echo_fd);
  OutputTail(const OutputTail&) = delete;
  OutputTail& operator=(const OutputTail&) = delete;
  // Without finish (an error path), the reader is detached: it ends on its own once the
  // writers are gone, and joining here could wait on a child that is still running.
  ~OutputTail();
  // Waits for end of file; returns the tail as one line (line breaks become " | ").
  std::string finish();

 private:
  struct Shared {
    UniqueFd fd;
    size_t keep;
    int echo_fd;
    std::string tail;
  };
  static void run(std::shared_ptr<Shared> s);

  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

// Runs a program to completion and returns its stdout (for short outputs like pg_config's);
// nullopt if it cannot run or does not exit 0.
std::optional<std::string> capture_output(const std::string& program,
                                          std::vector<std::string> argv);

}  // namespace pgbak
