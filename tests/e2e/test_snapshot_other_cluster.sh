#!/usr/bin/env bash
# A snapshot whose connection (conninfo, or the PG* environment) reaches another cluster than the
# one whose WAL is archived is refused loudly before any generation is made current, and the real
# cluster's archiving goes on; once conninfo points at the right cluster, the snapshot works.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
pgbak_init
cluster_init main
cluster_init other "archive_mode = off"
cluster_start other
other_conninfo="host=$T/other.sock port=$(<"$T/other.port") dbname=postgres"
main_conninfo="host=$T/main.sock port=$(<"$T/main.port") dbname=postgres"
printf '%s\n' "conninfo = $other_conninfo" "backoff-start = 0.5" "snapshot-min-wal-files = 1000000" >"$PGBAK/pgbak.conf"
chmod 644 "$PGBAK/pgbak.conf"
cluster_start main
cluster_pgbench main -i -s 1 -q >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
gen=$(readlink "$PGBAK/current")
main_sysid=$(tr -d '\n' <"$PGBAK/$gen/system_identifier")
other_sysid=$(_e2e_with other as_pg pg_controldata "$T/other.data" | sed -n 's/^Database system identifier: *//p')
[[ $main_sysid != "$other_sysid" ]] || fail "the two clusters have one system identifier"

assert_exit 1 _e2e_with main pgbak_run full-sync
assert_match "snapshot refused: the server reached .* has system identifier $other_sysid, but the WAL archived into generation $gen comes from $main_sysid" "$LAST_STDERR"
assert_eq "$gen" "$(readlink "$PGBAK/current")" "current after the refused snapshot"
assert_no_file "$PGBAK/$gen/base.tzst"
assert_eq 1 "$(find "$PGBAK" -maxdepth 1 -regex '.*/[0-9]+' | wc -l)" "generations after the refused snapshot"
ok "full-sync against another cluster refused: ${LAST_STDERR:0:160}"

# The background syncs archive-wal starts fail the same way, and archiving goes on.
cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
wait_archived main --no-failures
assert_eq "$gen" "$(readlink "$PGBAK/current")"
assert_eq 1 "$(find "$PGBAK" -maxdepth 1 -regex '.*/[0-9]+' | wc -l)" "generations while archiving goes on"
ok "main's archiving goes on into generation $gen while the snapshot is refused"

printf '%s\n' "conninfo = $main_conninfo" "backoff-start = 0.5" "snapshot-min-wal-files = 1000000" >"$PGBAK/pgbak.conf"
make_base main
assert_eq "$gen" "$(readlink "$PGBAK/current")" "the snapshot completes the generation"
assert_exit 0 pgbak_run verify
ok "with conninfo at main, the snapshot completes generation $gen and verify passes"
