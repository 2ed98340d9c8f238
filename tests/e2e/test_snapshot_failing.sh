#!/usr/bin/env bash
# A snapshot that keeps failing for a reason retries will not fix (here: the role in conninfo
# lacks the REPLICATION attribute): from the first failure on, status (text and JSON) and the
# Prometheus output name the failing step and its reason and `check` fails, while WAL is still
# archived into the current generation; once the role is fixed the next retry succeeds and all
# of it clears.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
# archive_command calls pgbak itself, as `check` wants it.
start_main 1 "archive_command = '\"$PGBAK_BIN\" -D \"$PGBAK\" archive-wal %p'"
make_base
gen=$(readlink "$PGBAK/current")
cluster_psql main -c "CREATE ROLE nobackup LOGIN" -c "GRANT pg_monitor TO nobackup" \
  -c "GRANT EXECUTE ON FUNCTION pg_switch_wal() TO nobackup"
cat >>"$PGBAK/pgbak.conf" <<EOF2
conninfo = host=$T/main.sock port=$(<"$T/main.port") user=nobackup dbname=postgres
backoff-start = 1
backoff-max = 2
EOF2
assert_exit 1 pgbak_run check
assert_match 'check failed: snapshots need a replication connection: .*must be superuser or replication role' "$LAST_STDERR"
ok "before any snapshot: check already fails on the role's missing REPLICATION"

_e2e_with main pgbak_run full-sync >"$T/full-sync.out" 2>&1 &
sync_pid=$!
failing() { [[ $(grep '^failing_step=' "$PGBAK/sync.status" 2>/dev/null) == failing_step=snapshot ]]; }
wait_for failing

assert_exit 0 pgbak_run status
assert_match $'failing +snapshot \\(since [^)]*\\)' "$LAST_STDOUT" "status names the failing step"
assert_match 'last error +.*must be superuser or replication role' "$LAST_STDOUT" "status gives the reason"
assert_exit 0 pgbak_run status --json
assert_match '"failing_step": "snapshot"' "$LAST_STDOUT"
assert_match '"failing_since": [0-9]+' "$LAST_STDOUT"
assert_match '"last_error": ".*must be superuser or replication role' "$LAST_STDOUT"
assert_exit 0 pgbak_run status --prometheus
prom=$LAST_STDOUT
python3 "$PGBAK_SRC/tests/e2e/check_prometheus.py" <<<"$prom" >/dev/null || fail "prometheus format"
assert_match 'pgbak_snapshot_failing\{dir="[^"]*"\} 1' "$prom"
assert_match 'pgbak_sync_failing\{dir="[^"]*",step="snapshot",reason="cannot connect to PostgreSQL: .*must be superuser or replication role to start walsender"\} 1' "$prom"
ok "status, --json and --prometheus name the failing snapshot and why"

assert_exit 1 pgbak_run check
assert_match 'check failed: the sync.s snapshot has been failing since .*must be superuser or replication role' "$LAST_STDERR"
ok "check fails, naming the reason"

cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
assert_file "$PGBAK/$gen/pg_wal/$LAST_SWITCH_WAL.zst"
assert_eq "$gen" "$(readlink "$PGBAK/current")" "current generation while the snapshot fails"
ok "WAL is still archived into generation $gen meanwhile"

cluster_psql main -c "ALTER ROLE nobackup REPLICATION"
wait "$sync_pid" || fail "full-sync did not succeed once the role was fixed: $(tail -n 3 "$T/full-sync.out")"
[[ $(readlink "$PGBAK/current") != "$gen" ]] || fail "no new generation after the fix"
assert_exit 0 pgbak_run status --json
assert_match '"failing_step": null' "$LAST_STDOUT"
assert_exit 0 pgbak_run status --prometheus
assert_match 'pgbak_snapshot_failing\{dir="[^"]*"\} 0' "$LAST_STDOUT"
[[ $LAST_STDOUT != *"pgbak_sync_failing{"* ]] || fail "pgbak_sync_failing still reported after success"
assert_exit 0 pgbak_run check
ok "once fixed: the snapshot is taken, status clears, check passes"
