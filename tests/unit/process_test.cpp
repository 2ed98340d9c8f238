// Child processes of the sync: exec failures are reported, no descriptor of ours leaks into a
// child, wait statuses read well, and the output tail is kept.
#include "io/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "io/error.h"
#include "io/file.h"
#include "state/state_file.h"
#include "test_util.h"

namespace pgbak {

BOOST_AUTO_TEST_SUITE(process)

BOOST_AUTO_TEST_CASE(exec_failure_is_an_error_naming_the_program) {
  ChildSpec spec;
  spec.program = "/nonexistent/pgbak-test-program";
  spec.argv = {"x"};
  try {
    ChildProcess child(spec);
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    std::string m = e.what();
    BOOST_TEST(m.find("/nonexistent/pgbak-test-program") != std::string::npos);
    BOOST_TEST(m.find("No such file") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(no_descriptor_leaks_into_a_child) {
  test::TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  StateFile state(dir.get(), tmp.path());  // holds locks in the real sync: must not leak
  BOOST_TEST(state.try_lock(LockByte::kBackup));
  // Probing each number (instead of listing the directory, which opens a descriptor itself)
  // also catches descriptors this test runner inherited without O_CLOEXEC.
  auto out = capture_output(
      "/bin/sh",
      {"sh", "-c", "for n in $(seq 3 1023); do [ -e /proc/$$/fd/$n ] && echo $n; done; true"});
  BOOST_REQUIRE(out.has_value());
  BOOST_TEST(*out == "");
}

BOOST_AUTO_TEST_CASE(wait_status_descriptions) {
  ChildSpec spec;
  spec.program = "/bin/sh";
  spec.argv = {"sh", "-c", "exit 3"};
  ChildProcess child(spec);
  int status = child.wait();
  BOOST_TEST(!exited_successfully(status));
  BOOST_TEST(describe_wait_status(status) == "exited with status 3");

  spec.argv = {"sh", "-c", "kill -9 $$"};
  ChildProcess killed(spec);
  BOOST_TEST(describe_wait_status(killed.wait()).rfind("was killed by signal 9", 0) == 0);
}

namespace {

// Whether process `pid` is gone (or a zombie nobody reaped yet).
bool gone(pid_t pid) {
  std::string stat;
  try {
    UniqueFd proc = open_dir("/proc");
    auto text = read_small_file(proc.get(), std::to_string(pid) + "/stat", "stat");
    if (!text) return true;
    stat = *text;
  } catch (const Error&) {
    return true;
  }
  size_t close = stat.rfind(')');
  return close == std::string::npos || stat.compare(close + 2, 1, "Z") == 0;
}

// Runs, in a process of its own, a child in its own group (group_dies_with_us as given) that
// starts a background sleep and prints its pid; SIGKILLs that process once the pid is known.
// Returns the sleep's pid.
pid_t orphan_sleep(bool dies_with_us) {
  Pipe out = make_pipe();
  pid_t runner = ::fork();
  BOOST_REQUIRE(runner >= 0);
  if (runner == 0) {
    ChildSpec spec;
    spec.program = "/bin/sh";
    spec.argv = {"sh", "-c", "sleep 60 & echo $!; wait"};
    spec.stdout_fd = out.write.get();
    spec.own_group = true;
    spec.group_dies_with_us = dies_with_us;
    ChildProcess child(spec);
    ::pause();
    ::_exit(0);
  }
  out.write.reset();
  std::string line;
  char c;
  while (::read(out.read.get(), &c, 1) == 1 && c != '\n') line += c;
  ::kill(runner, SIGKILL);
  int status;
  ::waitpid(runner, &status, 0);
  return static_cast<pid_t>(std::stol(line));
}

bool gone_within(pid_t pid, int ms) {
  for (int i = 0; i < ms / 10; ++i) {
    if (gone(pid)) return true;
    ::usleep(10000);
  }
  return gone(pid);
}

}  // namespace

BOOST_AUTO_TEST_CASE(group_dies_with_a_killed_parent) {
  // Without the watcher, the parent-death signal reaches the shell only: its sleep lives on.
  pid_t left = orphan_sleep(false);
  BOOST_TEST(!gone_within(left, 300));
  ::kill(left, SIGKILL);
  // With it, the whole group goes with the killed parent.
  pid_t sleep_pid = orphan_sleep(true);
  BOOST_TEST(gone_within(sleep_pid, 5000));
  if (!gone(sleep_pid)) ::kill(sleep_pid, SIGKILL);
}

BOOST_AUTO_TEST_CASE(group_dies_with_us_after_a_normal_end) {
  ChildSpec spec;
  spec.program = "/bin/sh";
  spec.argv = {"sh", "-c", "exit 0"};
  spec.own_group = true;
  spec.group_dies_with_us = true;
  ChildProcess child(spec);
  BOOST_TEST(exited_successfully(child.wait()));
  child.kill_group();  // and the watcher is reaped: nothing left of the group
  BOOST_TEST(::kill(-child.pid(), 0) == -1);
  BOOST_TEST(errno == ESRCH);
}

BOOST_AUTO_TEST_CASE(output_tail_keeps_the_end_as_one_line) {
  Pipe p = make_pipe();
  ChildSpec spec;
  spec.program = "/bin/sh";
  spec.argv = {"sh", "-c",
               "i=0; while [ $i -lt 500 ]; do echo line $i; i=$((i+1)); done; echo last >&2"};
  spec.stdout_fd = p.write.get();
  spec.stderr_fd = p.write.get();
  ChildProcess child(spec);
  p.write.reset();
  OutputTail tail(std::move(p.read), 20, -1);
  BOOST_TEST(exited_successfully(child.wait()));
  std::string t = tail.finish();
  BOOST_TEST(t.size() <= 26u);  // 20 bytes, line breaks widened to " | "
  BOOST_TEST(t.ends_with("line 499 | last"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace pgbak
