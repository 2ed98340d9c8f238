// The state byte's transitions in a sync, and the lock protocol between archive-wal and the
// sync on a real pgbak.lock (two open file descriptions stand for two processes).
#include <fcntl.h>

#include <boost/test/unit_test.hpp>

#include "io/file.h"
#include "state/state_file.h"
#include "sync/transitions.h"
#include "test_util.h"

namespace pgbak {

BOOST_AUTO_TEST_SUITE(sync_state)

BOOST_AUTO_TEST_CASE(interrupted_work_becomes_pending) {
  BOOST_TEST((recover_interrupted({kArchive, kSnapshot}) == State{kArchive | kSnapshot, 0}));
  BOOST_TEST((recover_interrupted({0, kArchive}) == State{kArchive, 0}));
  BOOST_TEST((recover_interrupted({kArchive, 0}) == State{kArchive, 0}));
  BOOST_TEST((recover_interrupted({0, 0}) == State{0, 0}));
}

BOOST_AUTO_TEST_CASE(claim_moves_pending_to_running) {
  Claim c = claim_work({kArchive, 0});
  BOOST_TEST(c.work == kArchive);
  BOOST_TEST(c.fresh);
  BOOST_TEST((c.next == State{0, kArchive}));

  // A failed attempt left its work running; nothing new arrived.
  c = claim_work({0, kArchive | kSnapshot});
  BOOST_TEST(c.work == (kArchive | kSnapshot));
  BOOST_TEST(!c.fresh);
  BOOST_TEST((c.next == State{0, kArchive | kSnapshot}));

  c = claim_work({kSnapshot, kArchive});
  BOOST_TEST(c.work == (kArchive | kSnapshot));
  BOOST_TEST(c.fresh);
}

BOOST_AUTO_TEST_CASE(finish_clears_only_done_bits_and_keeps_new_pending) {
  State s{kArchive, kArchive | kSnapshot};  // new WAL arrived while working
  s = finish_work(s, kSnapshot);
  BOOST_TEST((s == State{kArchive, kArchive}));
  s = finish_work(s, kArchive);
  BOOST_TEST((s == State{kArchive, 0}));
  BOOST_TEST(!is_idle(s));
  BOOST_TEST(is_idle(finish_work(claim_work(s).next, kArchive)));
  BOOST_TEST((add_running({0, kArchive}, kSnapshot) == State{0, kArchive | kSnapshot}));
}

BOOST_AUTO_TEST_CASE(encode_round_trips_both_nibbles) {
  for (uint8_t p = 0; p <= kWorkMask; ++p) {
    for (uint8_t r = 0; r <= kWorkMask; ++r) {
      State s{p, r};
      BOOST_TEST((State::decode(s.encode()) == s));
    }
  }
  BOOST_TEST((State{kArchive, kSnapshot}.encode() == 0x21));
}

struct LockFixture {
  test::TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  StateFile sync{dir.get(), tmp.path()};
  StateFile archiver{dir.get(), tmp.path()};
};

BOOST_FIXTURE_TEST_CASE(sync_does_not_release_while_work_is_pending, LockFixture) {
  BOOST_TEST(sync.try_lock(LockByte::kBackup));
  sync.lock(LockByte::kWait);
  add_pending(archiver, kArchive);
  BOOST_TEST(!archiver.try_lock(LockByte::kBackup));  // archive-wal: a sync runs, nothing to start
  BOOST_TEST(!release_if_idle(sync));                 // so the sync must see the bit
  Claim c = claim_state(sync);
  BOOST_TEST(c.work == kArchive);
  finish_state(sync, c.work);
  BOOST_TEST(release_if_idle(sync));
  BOOST_TEST(!archiver.is_locked_by_other(LockByte::kWait));
  // After the release, the next archive-wal gets BACKUP and starts a sync itself.
  add_pending(archiver, kArchive);
  BOOST_TEST(archiver.try_lock(LockByte::kBackup));
}

BOOST_FIXTURE_TEST_CASE(crashed_sync_work_is_recovered, LockFixture) {
  {
    StateLock g(sync);
    sync.write({0, kSnapshot | kArchive});
  }
  BOOST_TEST(recover_state(sync) == (kSnapshot | kArchive));
  StateLock g(sync);
  BOOST_TEST((sync.read() == State{kSnapshot | kArchive, 0}));
}

BOOST_FIXTURE_TEST_CASE(garbage_state_is_repaired_to_archive_pending, LockFixture) {
  unsigned char junk = 0xC4;
  BOOST_TEST(::pwrite(sync.fd(), &junk, 1, 0) == 1);
  BOOST_TEST(recover_state(sync) == 0);
  Claim c = claim_state(sync);
  BOOST_TEST(c.work == kArchive);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace pgbak
