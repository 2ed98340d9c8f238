#!/usr/bin/env bash
# A new user's first syncs against a real server: conninfo quoted like in postgresql.conf, a
# background sync that picks up a fixed pgbak.conf before its next retry, --timeout and the
# sync-timeout setting, -q that prints nothing, a resolved error that status stops showing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
cluster_init main
cluster_start main
cluster_pgbench main -i -s 1 -q >/dev/null 2>&1
port=$(<"$T/main.port")
good="conninfo = 'host=$T/main.sock port=$port'  # the server's socket"
bad="conninfo = 'host=$T/main.sock port=1'"

# ---- a background sync re-reads pgbak.conf before every retry
write_conf "$bad" "backoff-start = 0.3" "backoff-max = 0.5"
write_backup_script "exit 0"
cluster_psql main -c "SELECT pg_switch_wal()" >/dev/null
wait_for grep -q "failure 2;" "$PGBAK/sync.log"
pid=$(sync_pid)
[[ -n $pid ]] || fail "no background sync running"
write_conf "$good" "backoff-start = 0.3" "backoff-max = 0.5"
wait_for grep -q "succeeded after [0-9]* failure" "$PGBAK/sync.log"
wait_for gone "$pid"
gen=$(readlink "$PGBAK/current")
assert_file "$PGBAK/$gen/base.tzst"
[[ $(grep -c "snapshot: base.tzst of generation" "$PGBAK/sync.log") == 1 ]] || fail "one snapshot expected"
ok "the failing background sync (pid $pid) took the fixed conninfo at its next retry, without a restart"

# ---- status forgets an error once a success followed it
assert_exit 0 pgbak_run status
assert_match "last error +none" "$LAST_STDOUT"
assert_match "failures +0" "$LAST_STDOUT"
grep -q '^last_error=.*PGSQL\.1' "$PGBAK/sync.status" || fail "sync.status keeps the history"
assert_exit 0 pgbak_run status --json
assert_match '"last_error": null' "$LAST_STDOUT"
ok "status: a resolved last error shows as none (sync.status keeps it)"

# ---- -q prints nothing on success, whatever pg_basebackup and the script say
write_backup_script 'echo "script says hello"; echo "script warns" >&2'
assert_exit 0 pgbak_run full-sync
assert_match "script says hello" "$LAST_STDOUT$LAST_STDERR"
assert_exit 0 pgbak_run -q full-sync
assert_eq "" "$LAST_STDOUT$LAST_STDERR" "full-sync -q printed"
assert_exit 0 pgbak_run -q force-sync
assert_eq "" "$LAST_STDOUT$LAST_STDERR" "force-sync -q printed"
ok "-q: full-sync and force-sync print nothing on success"

# ---- --timeout: exit 1 with the last error, the work left pending
write_backup_script 'echo "upload refused" >&2; exit 3'
write_conf "$good" "backoff-start = 0.5" "backoff-max = 1"
start=$SECONDS
assert_exit 1 pgbak_run force-sync --timeout 3
((SECONDS - start <= 5)) || fail "force-sync --timeout 3 took $((SECONDS - start)) s"
assert_match "^pgbak: sync: gave up at the timeout of 3 s, the work stays pending: .*exited with status 3.*upload refused$" "$(tail -n 1 <<<"$LAST_STDERR")"
assert_eq 01 "$(state_byte)" "ARCHIVE pending, nothing running"
ok "force-sync --timeout 3: exit 1 after <= 5 s with the script's error; ARCHIVE pending"
write_conf "$good" "backoff-start = 0.5" "backoff-max = 1" "sync-timeout = 2"
assert_exit 1 pgbak_run -q sync
assert_match "gave up at the timeout of 2 s" "$LAST_STDERR"
assert_eq 01 "$(state_byte)"
ok "sync-timeout in pgbak.conf does the same"
# A background sync keeps failing: a foreground one waits at most its timeout for it.
write_conf "$good" "backoff-start = 0.5" "backoff-max = 1"
cluster_psql main -c "SELECT pg_switch_wal()" >/dev/null
cluster_psql main -c "CREATE TABLE t2 AS SELECT 1" -c "SELECT pg_switch_wal()" >/dev/null
wait_for sync_running
wait_for grep -q '^consecutive_failures=[1-9]' "$PGBAK/sync.status"
assert_exit 1 pgbak_run full-sync --timeout 2
assert_match "gave up at the timeout of 2 s: another sync is still running \(pid [0-9]+\); it failed [0-9]+ time\(s\), last: .*upload refused" "$LAST_STDERR"
write_backup_script "exit 0"
assert_exit 0 pgbak_run sync --timeout 60
assert_eq 00 "$(state_byte)"
ok "full-sync --timeout 2 behind a failing background sync: exit 1 with its error; done once fixed"
assert_exit 2 pgbak_run sync --timeout -1
assert_exit 2 pgbak_run force-sync --timeout abc

# ---- "1 problem", not "1 problems"
gen=$(readlink "$PGBAK/current")
seg=$(find "$PGBAK/$gen/pg_wal" -name '0*.zst' | sort | tail -n 1)
printf 'garbage' >>"$seg"
assert_exit 1 pgbak_run verify "$gen"
assert_match "verify: 1 generation, [0-9]+ files, [0-9]+ bytes: 1 problem$" "$LAST_STDOUT"
ok "verify counts in words: 1 generation, 1 problem"
