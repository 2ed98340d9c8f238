// Threads that take a share of a job the calling thread works on too (one part of a file each,
// compressed or decompressed in parallel).
//
// Each is started on another CPU than its creator's, then left free to move. Left to the
// scheduler, a new thread often waits on its creator's busy CPU until the next load-balancing
// tick: 3-5 ms in one start out of ten or more on 2 cores (measured), as long as the share of
// work it was made for.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <functional>
#include <future>

namespace pgbak {

class WorkerThread {
 public:
  // Runs fn (which must not throw: Beside below carries exceptions over) in a new thread; throws
  // Error if none can be created.
  explicit WorkerThread(std::function<void()> fn);
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;
  ~WorkerThread();  // joins
  void join();

 private:
  static void* run(void* self);

  std::function<void()> fn_;
  cpu_set_t allowed_;  // the process's CPUs, given back to the thread once it runs
  pthread_t thread_;
  bool joined_ = false;
};

// A value computed in a WorkerThread: get() waits for it (rethrowing what the function threw).
template <class R>
class Beside {
 public:
  template <class F>
  explicit Beside(F fn)
      : task_(std::move(fn)), result_(task_.get_future()), thread_([this] { task_(); }) {}
  R get() {
    thread_.join();
    return result_.get();
  }

 private:
  std::packaged_task<R()> task_;
  std::future<R> result_;
  WorkerThread thread_;  // last: started once the task exists, joined before it goes
};

}  // namespace pgbak
