// The state byte's life cycle inside a sync, as pure functions plus the two steps that must
// happen under the STATE lock (claiming work, and releasing BACKUP only when nothing is left).
#pragma once

#include <cstdint>
#include <functional>

#include "state/state_file.h"

namespace pgbak {

// A sync that holds BACKUP and still finds "running" bits knows the sync before it died
// mid-work: that work becomes pending again.
State recover_interrupted(State s);

// Work to do next: everything pending plus what is still running (a failed attempt). The
// returned state has it all in "running" and nothing pending.
struct Claim {
  State next;
  uint8_t work = 0;
  bool fresh = false;  // something was pending (new work arrived since the last claim)
};
Claim claim_work(State s);

// Marks `bits` as running too (e.g. the heuristic decided on a snapshot).
State add_running(State s, uint8_t bits);
// Clears finished work from "running".
State finish_work(State s, uint8_t done);
// Nothing pending or running: the sync may stop.
bool is_idle(State s);

// Under the STATE lock: rewrites the byte with running bits turned pending; returns the bits
// that were found running (0 if none).
uint8_t recover_state(StateFile& f);
// Under the STATE lock: claims the work; the byte is only rewritten when it changes.
Claim claim_state(StateFile& f);
// Under the STATE lock: applies finish_work / add_running.
void finish_state(StateFile& f, uint8_t done);
void add_running_state(StateFile& f, uint8_t bits);
// Under the STATE lock: if the state is idle, releases WAIT and BACKUP before STATE, so that an
// archive-wal that sets pending afterwards is sure to get BACKUP and start a new sync. Returns
// whether it released them. `last_words` runs just before the release, while this sync is
// still the only one (e.g. to record its end in sync.status before a successor starts).
bool release_if_idle(StateFile& f, const std::function<void()>& last_words = {});

}  // namespace pgbak
