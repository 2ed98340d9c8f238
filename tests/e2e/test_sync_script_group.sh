#!/usr/bin/env bash
# scripts/backup runs in a process group of its own. What it leaves running when it exits is
# killed, and does not hold the sync up (it would keep the output pipe open). What it started
# before its sync was killed with kill -9 survives that kill, but the next sync kills it: the
# group is recorded in sync.status while the script runs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
write_conf "snapshot-min-wal-files = 1000000"
fake_generation 1700000000
bg_pid() { cat "$T/$1.pid" 2>/dev/null; }
alive() { kill -0 "$(bg_pid "$1")" 2>/dev/null; }

# 1. A background job left behind by a script that succeeded.
write_backup_script "sleep 300 &
echo \$! >'$T/left.pid'
exit 0"
assert_exit 0 pgbak_run archive-wal "$(history_file 2)"
SECONDS=0
assert_exit 0 as_pg timeout 60 "$PGBAK_BIN" -D "$PGBAK" sync
((SECONDS < 30)) || fail "sync took ${SECONDS}s: held up by the script's background job"
[[ -n $(bg_pid left) ]] || fail "the script did not run"
wait_for gone "$(bg_pid left)"
assert_eq "0" "$(sed -n 's/^script_pgid=//p' "$PGBAK/sync.status")" "script_pgid after the run"
ok "a background job the script leaves is killed when it exits; the sync is not held up"

# 2. A sync killed with kill -9 while its script runs.
write_backup_script "sleep 300 &
echo \$! >'$T/orphan.pid'
sleep 300"
assert_exit 0 pgbak_run archive-wal "$(history_file 3)"
wait_for alive orphan
pgid=$(sed -n 's/^script_pgid=//p' "$PGBAK/sync.status")
[[ $pgid =~ ^[1-9][0-9]*$ ]] || fail "no script_pgid in sync.status while the script runs: '$pgid'"
assert_eq "$pgid" "$(ps -o pgid= -p "$(bg_pid orphan)" | tr -d ' ')" "the job's process group"
stop_sync KILL
sleep 0.5
alive orphan || fail "the job died with its sync: this test no longer shows the leftover"
write_backup_script "exit 0"
assert_exit 0 as_pg timeout 60 "$PGBAK_BIN" -D "$PGBAK" sync
wait_for gone "$(bg_pid orphan)"
assert_match "killed what the backup script of a killed sync left running \\(process group $pgid\\)" \
  "$(cat "$PGBAK/sync.log")"
ok "what the script of a sync killed with kill -9 left running is killed by the next sync"
