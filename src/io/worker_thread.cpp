#include "io/worker_thread.h"

#include <cstring>

#include "io/error.h"

namespace pgbak {

WorkerThread::WorkerThread(std::function<void()> fn) : fn_(std::move(fn)) {
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  CPU_ZERO(&allowed_);
  bool placed = false;
  if (::sched_getaffinity(0, sizeof allowed_, &allowed_) == 0) {
    cpu_set_t others = allowed_;
    int here = ::sched_getcpu();
    if (here >= 0) CPU_CLR(here, &others);
    if (CPU_COUNT(&others) > 0) {
      placed = ::pthread_attr_setaffinity_np(&attr, sizeof others, &others) == 0;
    }
  }
  if (!placed) CPU_ZERO(&allowed_);
  int rc = ::pthread_create(&thread_, &attr, &WorkerThread::run, this);
  ::pthread_attr_destroy(&attr);
  if (rc != 0) throw Error(std::string("cannot start a thread: ") + std::strerror(rc));
}

WorkerThread::~WorkerThread() {
  join();
}

void WorkerThread::join() {
  if (joined_) return;
  ::pthread_join(thread_, nullptr);
  joined_ = true;
}

void* WorkerThread::run(void* self) {
  auto* t = static_cast<WorkerThread*>(self);
  if (CPU_COUNT(&t->allowed_) > 0) ::sched_setaffinity(0, sizeof t->allowed_, &t->allowed_);
  t->fn_();
  return nullptr;
}

}  // namespace pgbak
