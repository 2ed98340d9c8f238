#!/usr/bin/env bash
# pgbak check against a real server: passes when wired correctly with only the documented grants,
# and fails with a reason for each kind of miswiring.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init
cluster_init main "archive_command = '\"$PGBAK_BIN\" -D \"$PGBAK\" archive-wal %p'"
cluster_start main
cluster_env main
cluster_psql main -c "CREATE ROLE checker LOGIN REPLICATION; GRANT pg_monitor TO checker;
                      CREATE ROLE norepl LOGIN; GRANT pg_monitor TO norepl;
                      GRANT EXECUTE ON FUNCTION pg_switch_wal() TO checker;
                      CREATE TABLE t AS SELECT 1 AS x"

assert_exit 0 pgbak_run check --timeout 60 --conninfo "user=checker dbname=postgres"
assert_match "ok: archive_command calls pgbak" "$LAST_STDOUT"
assert_match "ok: [0-9A-F]{24} archived" "$LAST_STDOUT"
assert_match "ok: archive_command runs $PGBAK_BIN" "$LAST_STDOUT"
assert_match "ok: pg_stat_archiver: no failed archive attempts" "$LAST_STDOUT"
assert_match "ok: replication connection for snapshots works" "$LAST_STDOUT"
assert_eq "pgbak: check warning: $PGBAK/scripts/backup is still init's example, which uploads nothing: backups stay on this machine only (HINT: link it to an upload script, see scripts/backup-rsync)" "$LAST_STDERR"
ok "check passes with pg_monitor + EXECUTE on pg_switch_wal + REPLICATION; warns about init's example script"
ln -sfn /bin/true "$PGBAK/scripts/backup"
assert_exit 0 pgbak_run check --conninfo "user=checker dbname=postgres"
assert_eq "" "$LAST_STDERR" "no warning once scripts/backup is replaced"
assert_match "ok: $PGBAK/scripts/backup is in place" "$LAST_STDOUT"
ok "no warning once scripts/backup links elsewhere"

# The replication connection a snapshot needs.
assert_exit 1 pgbak_run check --conninfo "user=norepl dbname=postgres"
assert_match "check failed: snapshots need a replication connection: .*must be superuser or replication role.* \(HINT: the role needs REPLICATION" "$LAST_STDERR"
ok "a role without REPLICATION: check fails (snapshots would)"

# archive_command must name pgbak by an absolute path the server can run.
set_archive_command() {
  cluster_psql main -c "ALTER SYSTEM SET archive_command = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
}
set_archive_command "pgbak -D $PGBAK archive-wal %p"
assert_exit 1 pgbak_run check --timeout 2
assert_match "check failed: archive_command calls 'pgbak' without an absolute path; the server's PATH may not find it \(HINT: write it as '/.*pgbak -D DIR archive-wal %p'\)" "$LAST_STDERR"
set_archive_command "$T/nonexistent/pgbak -D $PGBAK archive-wal %p"
assert_exit 1 pgbak_run check --timeout 2
assert_match "check failed: archive_command calls '$T/nonexistent/pgbak', which cannot be run: No such file or directory" "$LAST_STDERR"
ok "archive_command: relative or missing pgbak reported"
# Archiving into a directory that does not exist fails (exit 1; a command the shell cannot find,
# exit 127, makes the archiver exit before pg_stat_archiver counts it): pg_stat_archiver shows
# the failure until a success follows.
set_archive_command "\"$PGBAK_BIN\" -D \"$T/no-such-dir\" archive-wal %p"
cluster_psql main -c "SELECT pg_switch_wal()" -c "CREATE TABLE t2 AS SELECT 1" -c "SELECT pg_switch_wal()" >/dev/null
# Waits for the state check reports as failing: the last failure newer than the last success.
wait_for_failure() {
  [[ $(cluster_psql main -c "SELECT last_failed_time > coalesce(last_archived_time, '-infinity')
                             FROM pg_stat_archiver") == t ]]
}
for _ in {1..100}; do wait_for_failure && break; sleep 0.1; done
wait_for_failure || fail "archiving did not fail"
assert_exit 1 pgbak_run check --timeout 0 --conninfo "user=checker dbname=postgres"
# The last failure may be a segment or the .backup file of a snapshot a background sync took.
assert_match "check failed: pg_stat_archiver: [0-9]+ failed archive attempt\(s\), the last of [0-9A-F]{24}[.0-9A-Za-z]* at .*, not followed by a success \(HINT: the server's log says why\)" "$LAST_STDERR"
ok "failing archiving reported from pg_stat_archiver"
set_archive_command "\"$PGBAK_BIN\" -D \"$PGBAK\" archive-wal %p"
assert_exit 0 pgbak_run check --timeout 120 --conninfo "user=checker dbname=postgres"
assert_match "check warning: pg_stat_archiver: [0-9]+ failed archive attempt\(s\), .*; archiving succeeded since" "$LAST_STDERR"
ok "failures archiving got past since: a warning, exit 0"
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
