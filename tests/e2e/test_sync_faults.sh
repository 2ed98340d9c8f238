#!/usr/bin/env bash
# Faults of the sync, each with a clear error in sync.log and sync.status and a retry that
# succeeds once fixed: scripts/backup missing, not executable; pg_basebackup not installed
# (pg-bindir without it); snapshot-compression = server with a pg_basebackup older than 15;
# basebackup-options that make the server-compressed stream something else than zstd; the
# server down before and during a snapshot. Then PostgreSQL stopped
# (fast, immediate) while a background sync runs a slow backup script: the sync survives and
# finishes (marker written, last_success recorded).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
# pg-bindir holds a pg_basebackup wrapper: throttled to its slowest rate while $T/slow exists,
# version 14 while $T/old exists, compressing with gzip while $T/gzip exists.
mkdir "$T/bin"
cat >"$T/bin/pg_basebackup.real" <<EOF2
#!/bin/sh
[ -e '$T/old' ] && [ "\$1" = --version ] && echo 'pg_basebackup (PostgreSQL) 14.11' && exit 0
[ -e '$T/gzip' ] && exec $(pg_bindir)/pg_basebackup "\$@" --compress=server-gzip
[ -e '$T/slow' ] && exec $(pg_bindir)/pg_basebackup "\$@" --max-rate=32k
exec $(pg_bindir)/pg_basebackup "\$@"
EOF2
chmod 755 "$T/bin/pg_basebackup.real"
cp -p "$T/bin/pg_basebackup.real" "$T/bin/pg_basebackup"
write_conf "backoff-start = 0.2" "backoff-max = 0.5" "snapshot-min-wal-files = 1000000" \
  "pg-bindir = $T/bin"
as_pg touch "$T/calls"
SCRIPT="echo \"\$1 \$2\" >>'$T/calls'
[ -e '$T/slow-script' ] && sleep 3
echo \"\$2\" >>'$T/marker'
exit 0"
write_backup_script "$SCRIPT"

cluster_init main
cluster_start main
cluster_env main
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 60
ok "first generation with a base"

# fault_then_fix REGEX FIX COMMAND: with the fault in place, start `pgbak COMMAND` (a foreground
# sync: it retries until it succeeds); the error matching REGEX must reach sync.log and
# sync.status; then run FIX (a shell snippet) and the command must exit 0 with state 0.
fault_then_fix() {
  local regex=$1 fix=$2 cmd=$3 lines pid rc=0
  lines=$(wc -l <"$PGBAK/sync.log")
  pgbak_run "$cmd" >"$T/fg.out" 2>&1 &
  pid=$!
  log_has() { tail -n +"$((lines + 1))" "$PGBAK/sync.log" | grep -qE "ERROR: .*$regex"; }
  wait_for log_has
  assert_match "last_error=.*$regex" "$(cat "$PGBAK/sync.status")" "sync.status during the fault"
  assert_match "$regex" "$(pgbak_run status)" "pgbak status during the fault"
  kill -0 "$pid" 2>/dev/null || fail "pgbak $cmd gave up instead of retrying"
  eval "$fix"
  wait "$pid" || rc=$?
  assert_eq 0 "$rc" "pgbak $cmd once fixed ($(tail -n 3 "$T/fg.out"))"
  assert_eq 00 "$(state_byte)" "state byte after the fix"
  assert_match "succeeded after [0-9]+ failure" "$(tail -n 5 "$PGBAK/sync.log")"
  ok "$cmd: '$(grep -oE "$regex.{0,60}" "$T/fg.out" | head -n 1)' until fixed, then success"
}

rm "$PGBAK/scripts/backup"
fault_then_fix "backup script .*missing \(HINT" 'write_backup_script "$SCRIPT"' force-sync
chmod 644 "$PGBAK/scripts/backup"
fault_then_fix "backup script .*not executable: Permission denied" \
  'chmod 755 "$PGBAK/scripts/backup"' force-sync
rm "$T/bin/pg_basebackup"
fault_then_fix "cannot find pg_basebackup: .*not executable \(HINT" \
  'cp -p "$T/bin/pg_basebackup.real" "$T/bin/pg_basebackup"' full-sync
write_conf "backoff-start = 0.2" "backoff-max = 0.5" "snapshot-min-wal-files = 1000000" \
  "pg-bindir = $T/bin" "snapshot-compression = server"
touch "$T/old"
fault_then_fix "cannot take a snapshot with snapshot-compression = server: pg_basebackup is version 14, .*\(HINT: set snapshot-compression = client\)" \
  'rm "$T/old"' full-sync
touch "$T/gzip"
fault_then_fix "pg_basebackup's output is not a zstd stream \(it begins with 1f8b.*\(HINT: " \
  'rm "$T/gzip"' full-sync
assert_eq "" "$(find "$PGBAK" -name 'base.tzst*' -size -1k)" "an empty or partial base left behind"
assert_exit 0 pgbak_run verify
cluster_stop main
fault_then_fix "(could not connect|connection to server|No such file).*" 'cluster_start main' full-sync
assert_exit 0 pgbak_run verify

# The server stops while pg_basebackup streams (throttled, so it is still streaming).
touch "$T/slow"
streaming() { pgrep -u postgres -f -- "--max-rate=32k" >/dev/null; }
stop_mid_snapshot() {
  wait_for streaming
  sleep 1
  cluster_stop main immediate
  rm -f "$T/slow"
  sleep 1
  cluster_start main
}
lines=$(wc -l <"$PGBAK/sync.log")
pgbak_run full-sync >"$T/fg.out" 2>&1 &
pid=$!
stop_mid_snapshot
wait "$pid" || fail "full-sync after the server came back: $(tail -n 3 "$T/fg.out")"
assert_match "ERROR: pg_basebackup (exited|was killed)" "$(tail -n +"$((lines + 1))" "$PGBAK/sync.log")"
assert_eq 00 "$(state_byte)" "state byte after the snapshot was redone"
assert_exit 0 pgbak_run verify
ok "server stopped mid-snapshot: pg_basebackup's error logged, retried once it was back"

# PostgreSQL stops (fast, then immediate) while a background sync runs a slow backup script.
touch "$T/slow-script"
for mode in fast immediate; do
  calls=$(grep -c . "$T/calls")
  t0=$(date +%s)
  cluster_psql main -c "CREATE TABLE IF NOT EXISTS t (x int); INSERT INTO t VALUES (1)"
  wait_archived main --no-failures
  script_started() { (($(grep -c . "$T/calls") > calls)); }
  wait_for script_started
  sync=$(sync_pid)
  [[ -n $sync ]] || fail "no background sync running"
  cluster_stop main "$mode"
  kill -0 "$sync" 2>/dev/null || fail "the sync died with the server ($mode)"
  ts=$(tail -n 1 "$T/calls" | cut -d' ' -f2)
  assert_exit 0 pgbak_run wait 60
  grep -qx "$ts" "$T/marker" || fail "the script run $ts did not finish ($mode)"
  last=$(sed -n 's/^last_success=//p' "$PGBAK/sync.status")
  ((last >= t0)) || fail "last_success $last is older than the run ($t0)"
  assert_eq 00 "$(state_byte)" "state byte after the sync finished ($mode)"
  ok "pg_ctl stop -m $mode during the script: sync $sync survived and finished"
  cluster_start main
done
cluster_stop main
