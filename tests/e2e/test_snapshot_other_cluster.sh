#!/usr/bin/env bash
# A snapshot whose connection (conninfo, or the PG* environment) reaches another cluster than the
# one whose WAL is archived is refused loudly before any generation is made current, and the real
# cluster's archiving goes on; once conninfo points at the right cluster, the snapshot works.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
cluster_init main
cluster_init other "archive_mode = off"
cluster_start other
other_conninfo="host=$T/other.sock port=$(<"$T/other.port") dbname=postgres"
main_conninfo="host=$T/main.sock port=$(<"$T/main.port") dbname=postgres"
printf '%s\n' "conninfo = $other_conninfo" "backoff-start = 0.5" "backoff-max = 1" "snapshot-min-wal-files = 1000000" >"$PGBAK/pgbak.conf"
chmod 644 "$PGBAK/pgbak.conf"
cluster_start main
cluster_pgbench main -i -s 1 -q >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
gen=$(readlink "$PGBAK/current")
main_sysid=$(tr -d '\n' <"$PGBAK/$gen/system_identifier")
other_sysid=$(_e2e_with other as_pg pg_controldata "$T/other.data" | sed -n 's/^Database system identifier: *//p')
[[ $main_sysid != "$other_sysid" ]] || fail "the two clusters have one system identifier"

# The background sync that archive-wal started asks the server first and is refused.
deadline=$((SECONDS + 120))
until grep -q '^last_error=snapshot refused' "$PGBAK/sync.status" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "no refused snapshot in sync.status: $(cat "$PGBAK/sync.status" 2>/dev/null)"
  sleep 0.5
done
error=$(sed -n 's/^last_error=//p' "$PGBAK/sync.status")
assert_match "^snapshot refused: the server reached .* has system identifier $other_sysid, but the WAL archived into generation $gen comes from $main_sysid" "$error"
assert_match "snapshot refused" "$(cat "$PGBAK/sync.log")"
assert_eq "$gen" "$(readlink "$PGBAK/current")" "current after the refused snapshot"
assert_no_file "$PGBAK/$gen/base.tzst"
assert_eq 1 "$(find "$PGBAK" -maxdepth 1 -regex '.*/[0-9]+' | wc -l)" "generations after the refused snapshot"
ok "snapshot of another cluster refused: ${error:0:160}"

# The background syncs archive-wal starts fail the same way, and archiving goes on.
cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
wait_archived main --no-failures
assert_eq "$gen" "$(readlink "$PGBAK/current")"
assert_eq 1 "$(find "$PGBAK" -maxdepth 1 -regex '.*/[0-9]+' | wc -l)" "generations while archiving goes on"
ok "main's archiving goes on into generation $gen while the snapshot is refused"

printf '%s\n' "conninfo = $main_conninfo" "backoff-start = 0.5" "backoff-max = 1" "snapshot-min-wal-files = 1000000" >"$PGBAK/pgbak.conf"
# A running sync keeps the settings it started with: stop the one retrying the refused snapshot.
if pid=$(sync_pid) && [[ -n $pid ]]; then
  kill "$pid" 2>/dev/null || true
  for _ in {1..100}; do gone "$pid" && break; sleep 0.1; done
fi
make_base main
assert_eq "$gen" "$(readlink "$PGBAK/current")" "the snapshot completes the generation"
assert_exit 0 pgbak_run verify
ok "with conninfo at main, the snapshot completes generation $gen and verify passes"
