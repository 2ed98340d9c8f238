#!/usr/bin/env bash
# Issue 18: a read-only $PGBAK (a read-only bind mount, as a monitoring host or a mounted backup
# copy sees it). `status` (text, JSON, Prometheus) and `wait` only look, so they work: the state
# file is opened read-only when it cannot be opened for writing. Commands that must write fail
# with one clear line.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
write_conf "pg-bindir = /nonexistent" "snapshot-min-wal-files = 1000000"
mkdir in && chown postgres: in
as_pg python3 "$PGBAK_SRC/tests/e2e/make_segment.py" in/000000010000000000000001 000000010000000000000001
assert_exit 0 pgbak_run archive-wal in/000000010000000000000001
stop_sync KILL # it retries the snapshot for ever (no server here)

test_mount "$T/ro" --bind "$PGBAK"
mount -o remount,bind,ro "$T/ro"
as_pg touch "$T/ro/probe" 2>/dev/null && fail "the bind mount is writable"
ro() { as_pg "$PGBAK_BIN" -D "$T/ro" "$@"; }

assert_exit 0 ro status
assert_match "generation +[0-9]+" "$LAST_STDOUT"
assert_match "WAL files +1 " "$LAST_STDOUT"
# The killed sync's work, read from the state byte.
assert_exit 0 ro status --json
assert_match '"running": \["snapshot", "archive"\]' "$LAST_STDOUT"
assert_exit 0 ro status --prometheus
assert_match "pgbak_wal_files\{dir=\"$T/ro\"\} 1" "$LAST_STDOUT"
ok "status (text, JSON, Prometheus) on a read-only \$PGBAK"

assert_exit 0 ro wait 0
assert_exit 0 as_pg timeout 10 "$PGBAK_BIN" -D "$T/ro" wait 5
ok "wait on a read-only \$PGBAK: no sync runs, exit 0"

# A sync running on the writable side is seen through the read-only view.
write_backup_script 'sleep 3'
printf '\x01' | dd of="$PGBAK/pgbak.lock" bs=1 count=1 conv=notrunc status=none
gen=$(readlink "$PGBAK/current")
echo "not a real base backup" | zstd -q | as_pg tee "$PGBAK/$gen/base.tzst" >/dev/null
pgbak_run sync >/dev/null 2>&1 &
wait_for sync_running
assert_exit 1 ro wait 0.5
assert_match "^pgbak: wait: a sync is still running" "$LAST_STDERR"
assert_exit 0 ro status --json
assert_match '"sync_running": true' "$LAST_STDOUT"
assert_exit 0 ro wait 30
wait
ok "a running sync is seen through the read-only mount (status, wait)"

# Writing commands: one line naming the read-only file system.
assert_exit 1 ro archive-wal in/000000010000000000000001
assert_match "^pgbak: cannot open state file '$T/ro/pgbak.lock': Read-only file system$" "$LAST_STDERR"
assert_exit 1 ro sync
assert_match "Read-only file system" "$LAST_STDERR"
assert_eq 1 "$(grep -c . <<<"$LAST_STDERR")" "stderr lines"
ok "archive-wal and sync on a read-only \$PGBAK: exit 1, one line"
