// Child processes of the sync: exec failures are reported, no descriptor of ours leaks into a
// child, wait statuses read well, and the output tail is kept.
#include "sync/process.h"

#include <fcntl.h>
#include <sys/wait.h>

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

BOOST_AUTO_TEST_CASE(output_tail_keeps_the_end_as_one_line) {
  Pipe p = make_pipe();
  ChildSpec spec;
  spec.program = "/bin/sh";
  spec.argv = {"sh", "-c", "i=0; while [ $i -lt 500 ]; do echo line $i; i=$((i+1)); done; echo last >&2"};
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
