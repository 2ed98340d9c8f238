#!/usr/bin/env bash
# kill -9 of a foreground `pgbak sync` at every step: the state change, the switch to a new
# generation, mid-snapshot stream, each step of the durable writes of base.tzst, SHA256SUMS and
# sync.status, half-written SHA256SUMS, before and while the backup script runs. After each
# crash: no temp file, every file under a final name whole (zstd checksums, SHA256SUMS), the
# state byte still holds the interrupted work; the retried sync succeeds, leaves state 0, ran the
# script for the current generation, and `pgbak verify` passes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"
e2e_init
pgbak_init
write_conf "backoff-start = 0.2" "backoff-max = 0.5" "snapshot-min-wal-files = 1000000" "keep = 2"
as_pg touch "$T/calls"
write_backup_script "echo \"\$1 \$2\" >>'$T/calls'"
calls() { grep -c . "$T/calls"; }

cluster_init main
cluster_start main
cluster_env main
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 60
assert_exit 0 pgbak_run verify
ok "first generation $(readlink "$PGBAK/current") with a base"

# crash STATE STEP LEFT: with STATE as the state byte (pending work), kill `pgbak sync` at STEP;
# the work bits LEFT (hex; what was not finished yet) must still be pending or running.
crash() {
  local state=$1 step=$2 want before bits
  want=$((16#$3))
  hold_syncs main
  # New WAL, so that SHA256SUMS has something to add (the sync it would start dies at once).
  cluster_psql main -c 'CREATE TABLE IF NOT EXISTS t (x int); INSERT INTO t VALUES (1)'
  wait_archived main --no-failures
  assert_exit 0 pgbak_run wait 60
  set_state_byte "$state"
  before=$(calls)
  pgbak_fault "$step" sync
  no_temp_files
  stored_files_intact
  bits=$(state_work_bits)
  (((bits & want) == want)) || fail "state byte $(state_byte) after a crash at $step: work $state lost"

  release_syncs main
  assert_exit 0 pgbak_run sync
  ((before < $(calls))) || fail "the sync after a crash at $step did not run the script"
  assert_eq "$(readlink "$PGBAK/current")" "$(tail -n 1 "$T/calls" | cut -d' ' -f1)" \
    "BASE_TS of the script run after a crash at $step"
  wait_archived main --no-failures
  assert_exit 0 pgbak_run wait 60
  assert_eq 00 "$(state_byte)" "state byte once everything is done (crash at $step)"
  assert_exit 0 pgbak_run verify
  ok "crash at $step (state $state): nothing partial, work kept ($bits), the next sync did it"
}

# Snapshot and script pending; until base.tzst is linked, both are left to do.
for step in after-open:sync.status after-state-update snapshot-after-switch mid-snapshot \
  after-open:base.tzst mid-write:base.tzst before-fsync:base.tzst before-linkat:base.tzst \
  before-dir-fsync:base.tzst snapshot-before-commit; do
  crash 03 "$step" 03
done
for step in after-open:SHA256SUMS mid-sha256sums before-linkat:SHA256SUMS \
  before-dir-fsync:SHA256SUMS before-backup-script mid-backup-script; do
  crash 03 "$step" 01
done
# Only the script pending.
for step in after-state-update mid-sha256sums before-backup-script mid-backup-script; do
  crash 01 "$step" 01
done
cluster_stop main
