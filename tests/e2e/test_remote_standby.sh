#!/usr/bin/env bash
# A standby on another data directory follows the primary through the remote copy only: its
# restore_command is `pgbak -D NEWDIR restore-wal %f %p` with NEWDIR holding just scripts/fetch
# (backup-rsync, a local destination) and backup.env; as the primary's sync uploads new WAL,
# the standby replays it, and after a final switch its rows match the primary's.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"
e2e_init
start_local_remote
make_base
assert_exit 0 pgbak_run force-sync

NEW=$T/newdir
drill_newdir "$NEW" "$SCRIPT" "$T/backup.env"
"$PGBAK_BIN" -D "$NEW" restore "$T/standby.data" >"$T/standby.restore.out" || fail "restore from the remote failed"
as_pg touch "$T/standby.data/standby.signal"
cluster_configure standby "archive_mode = off" "wal_retrieve_retry_interval = 500ms"
cluster_start standby
assert_eq t "$(cluster_psql standby -c 'SELECT pg_is_in_recovery()')" "standby in recovery"
ok "a standby restored from the remote copy alone runs"

# standby_catches_up: after a WAL switch on the primary and its upload, the standby has the
# primary's rows (within 90 s).
standby_catches_up() {
  local want deadline=$((SECONDS + 90))
  want=$(table_sums main)
  wait_archived main --no-failures
  pgbak_run -q sync || fail "pgbak sync failed"
  until [[ $(table_sums standby) == "$want" ]]; do
    ((SECONDS < deadline)) || fail "the standby did not catch up within 90s ($(table_sums standby) vs $want)"
    sleep 0.5
  done
}
for round in 1 2; do
  cluster_pgbench main -c 2 -t 200 >>"$T/pgbench.log" 2>&1
  standby_catches_up
  ok "round $round: the standby followed the primary through the remote copy"
done
[[ -z $(find "$NEW" -mindepth 1 -maxdepth 1 ! -name scripts) ]] || fail "pgbak stored files in $NEW"
assert_eq t "$(cluster_psql standby -c 'SELECT pg_is_in_recovery()')" "standby still in recovery"
cluster_stop standby
cluster_stop main
