#!/usr/bin/env bash
# pgbak check against a real server: passes when wired correctly with only the documented grants,
# and fails with a reason for each kind of miswiring.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init
cluster_init main "archive_command = '\"$PGBAK_BIN\" -D \"$PGBAK\" archive-wal %p'"
cluster_start main
cluster_env main
cluster_psql main -c "CREATE ROLE checker LOGIN; GRANT pg_monitor TO checker;
                      GRANT EXECUTE ON FUNCTION pg_switch_wal() TO checker;
                      CREATE TABLE t AS SELECT 1 AS x"

assert_exit 0 pgbak_run check --timeout 60 --conninfo "user=checker dbname=postgres"
assert_match "ok: archive_command calls pgbak" "$LAST_STDOUT"
assert_match "ok: [0-9A-F]{24} archived" "$LAST_STDOUT"
ok "check passes with pg_monitor + EXECUTE on pg_switch_wal"
# Now a generation exists with a recorded system identifier: it must match.
assert_exit 0 pgbak_run check --conninfo "user=checker dbname=postgres"
assert_match "ok: system identifier [0-9]+ matches generation" "$LAST_STDOUT"
ok "system identifier matches the current generation"

# Wrong directory in archive_command.
mkdir -p "$T/other" && chown postgres: "$T/other"
cluster_psql main -c "ALTER SYSTEM SET archive_command = '\"$PGBAK_BIN\" -D $T/other archive-wal %p'" \
  -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
assert_exit 1 pgbak_run check
assert_match "check failed: archive_command archives into '$T/other'" "$LAST_STDERR"
ok "wrong directory reported"

cluster_psql main -c "ALTER SYSTEM SET archive_command = 'cp %p /nowhere/%f'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
assert_exit 1 pgbak_run check
assert_match "does not call 'pgbak archive-wal'" "$LAST_STDERR"
ok "archive_command without pgbak reported"

# A generation of another cluster.
cluster_psql main -c "ALTER SYSTEM RESET archive_command" -c "SELECT pg_reload_conf()" >/dev/null
echo 1234 >"$PGBAK/$(readlink "$PGBAK/current")/system_identifier"
assert_exit 1 pgbak_run check --timeout 2
assert_match "differs from generation" "$LAST_STDERR"
ok "system identifier mismatch reported"

cluster_stop main
assert_exit 1 pgbak_run check
assert_match "^pgbak: cannot connect to PostgreSQL" "$LAST_STDERR"
ok "server down: clear error"
assert_exit 2 pgbak_run check --timeout -1
