#!/usr/bin/env bash
# Point-in-time restore drill: pgbench, note a time, an LSN, a restore point
# and the table checksums at each, more pgbench, with a second generation
# (snapshot) in between; then `pgbak restore` with --target-time (which must
# pick the older generation and WAL from both), --target-lsn, --target-name
# and no target into fresh data directories; each restored server must show
# exactly the noted checksums, and verify finds no problem.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
start_main 2
make_base
gen1=$(readlink "$PGBAK/current")
ok "base backup in generation $gen1"

cluster_pgbench main -c 2 -j 2 -T 3 >>"$T/pgbench.log" 2>&1
sleep 1
target_time=$(cluster_psql main -c 'SELECT clock_timestamp()')
sums_time=$(table_sums main)
sleep 1
new_generation
gen2=$NEW_GEN
ok "second generation $gen2 with its own base backup"
cluster_pgbench main -c 2 -j 2 -t 300 >>"$T/pgbench.log" 2>&1
target_lsn=$(cluster_psql main -c 'SELECT pg_current_wal_lsn()')
cluster_psql main -c "SELECT pg_create_restore_point('drill')" >/dev/null
sums_lsn=$(table_sums main)
cluster_pgbench main -c 2 -j 2 -T 3 >>"$T/pgbench.log" 2>&1
sums_latest=$(table_sums main)
wait_archived main --no-failures
[[ $sums_time != "$sums_lsn" && $sums_lsn != "$sums_latest" ]] || fail "pgbench changed nothing between the targets"
ok "noted $target_time, $target_lsn and the latest state"

restore_and_start by_time --target-time "$target_time" --target-action promote
assert_eq "$sums_time" "$(table_sums by_time)" "checksums after --target-time"
assert_match "^restored generation $gen1 " "$(head -n 1 "$T/by_time.restore.out")" "generation for --target-time"
ok "--target-time $target_time: generation $gen1 (the newer base started later), checksums match"
assert_match '^next: ' "$(grep '^next:' "$T/by_time.restore.out")" "restore prints the next step"
if ((EUID == 0)); then
  assert_eq "postgres 700" "$(stat -c '%U %a' "$T/by_time.data")" "owner and mode of the restored PGDATA"
  assert_eq "" "$(find "$T/by_time.data" ! -user postgres)" "files not owned by postgres"
fi
conf_line=$(grep '^restore_command' "$T/by_time.data/postgresql.auto.conf")
assert_match "^restore_command = '/[^ ]+ -D $PGBAK restore-wal --generation $gen1 %f %p'\$" "$conf_line"
ok "restore_command uses absolute paths; PGDATA is 0700 and owned by the server's user"
cluster_stop by_time

restore_and_start by_lsn --target-lsn "$target_lsn" --target-action promote
assert_eq "$sums_lsn" "$(table_sums by_lsn)" "checksums after --target-lsn"
assert_match "^restored generation $gen2 " "$(head -n 1 "$T/by_lsn.restore.out")" "generation for --target-lsn"
ok "--target-lsn $target_lsn: generation $gen2, checksums match"
cluster_stop by_lsn

restore_and_start by_name --target-name drill --target-action promote
assert_eq "$sums_lsn" "$(table_sums by_name)" "checksums after --target-name"
ok "--target-name drill: checksums match"
cluster_stop by_name

restore_and_start latest
assert_eq "$sums_latest" "$(table_sums latest)" "checksums after restoring the latest state"
ok "no target: the latest archived state, checksums match"
cluster_stop latest

write_sums "$PGBAK/$gen1"
assert_exit 0 pgbak_run verify
assert_match 'verify: 2 generations, .*: no problems' "$LAST_STDOUT"
ok "verify: both generations complete"

assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore "$T/too_early.data" --target-time '2000-01-01 00:00:00+00'
assert_match 'no base backup ended before' "$LAST_STDERR"
assert_no_file "$T/too_early.data"
ok "a target before every base backup is refused and creates nothing"
