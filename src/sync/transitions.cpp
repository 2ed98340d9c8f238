#include "sync/transitions.h"

namespace pgbak {

State recover_interrupted(State s) {
  return State{static_cast<uint8_t>(s.pending | s.running), 0};
}

Claim claim_work(State s) {
  Claim c;
  c.work = static_cast<uint8_t>((s.pending | s.running) & kWorkMask);
  c.fresh = (s.pending & kWorkMask) != 0;
  c.next = State{0, c.work};
  return c;
}

State add_running(State s, uint8_t bits) {
  s.running = static_cast<uint8_t>((s.running | bits) & kWorkMask);
  return s;
}

State finish_work(State s, uint8_t done) {
  s.running = static_cast<uint8_t>(s.running & ~done);
  return s;
}

bool is_idle(State s) {
  return s.pending == 0 && s.running == 0;
}

uint8_t recover_state(StateFile& f) {
  StateLock guard(f);
  State s = f.read();
  if (s.running == 0) return 0;
  f.write(recover_interrupted(s));
  return s.running;
}

Claim claim_state(StateFile& f) {
  StateLock guard(f);
  State s = f.read();
  Claim c = claim_work(s);
  if (!(c.next == s)) f.write(c.next);
  return c;
}

void finish_state(StateFile& f, uint8_t done) {
  StateLock guard(f);
  State s = f.read();
  State next = finish_work(s, done);
  if (!(next == s)) f.write(next);
}

void add_running_state(StateFile& f, uint8_t bits) {
  StateLock guard(f);
  State s = f.read();
  State next = add_running(s, bits);
  if (!(next == s)) f.write(next);
}

bool release_if_idle(StateFile& f, const std::function<void()>& last_words) {
  StateLock guard(f);
  if (!is_idle(f.read())) return false;
  if (last_words) last_words();
  f.unlock(LockByte::kWait);
  f.unlock(LockByte::kBackup);
  return true;
}

}  // namespace pgbak
