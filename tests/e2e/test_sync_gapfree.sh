#!/usr/bin/env bash
# Gap-free snapshots: while pgbench writes, full-sync runs several times; every generation then
# holds every WAL segment from its base backup's START WAL LOCATION (read from backup_label in
# base.tzst) to its newest one. Segments are switched every 0.3 s meanwhile, so each base
# backup has segment boundaries inside it. Last, the snapshot heuristic fires on its own.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
cluster_init main
cluster_start main
cluster_env main
cluster_pgbench main -i -s 1 -q >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 120

cluster_pgbench main -c 2 -j 2 -T 10 >>"$T/pgbench.log" 2>&1 &
bench=$!
# Frequent segment switches put segment boundaries inside every base backup.
(
  while kill -0 "$bench" 2>/dev/null; do
    cluster_psql main -c 'SELECT pg_switch_wal()' >/dev/null
    sleep 0.3
  done
) &
switcher=$!
for i in 1 2 3; do
  sleep 1
  assert_exit 0 pgbak_run full-sync
done
wait "$bench"
wait "$switcher"
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 60
ok "three full-syncs under pgbench load"

gens=0
for g in "$PGBAK"/[0-9]*/; do
  g=${g%/}
  [[ -f $g/base.tzst ]] || fail "generation $g has no base.tzst"
  n=$(check_gap_free "$g")
  ((n >= 2)) || fail "generation $g holds only $n segment(s); WAL should have kept flowing"
  ok "generation ${g##*/}: $n segments from $(backup_start_segment "$g") on, no gap"
  gens=$((gens + 1))
done
((gens >= 4)) || fail "expected at least 4 generations, found $gens"
assert_eq 00 "$(state_byte)" "state byte after the syncs"

# The heuristic: with thresholds this low, archiving alone leads to a new snapshot.
before=$(readlink "$PGBAK/current")
write_conf "snapshot-min-wal-files = 1" "snapshot-wal-ratio = 1000"
cluster_pgbench main -c 1 -t 200 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
cluster_pgbench main -c 1 -t 200 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 60
after=$(readlink "$PGBAK/current")
[[ $after != "$before" ]] || fail "the snapshot heuristic did not fire"
assert_match "generation $before has grown enough WAL" "$(cat "$PGBAK/sync.log")"
assert_file "$PGBAK/$after/base.tzst"
ok "the heuristic took a snapshot into generation $after ($(check_gap_free "$PGBAK/$after") segments, no gap)"

# The keep setting: after a successful backup-script run, only the newest 2 generations stay.
gens() { (cd "$PGBAK" && ls -d [0-9]* | sort -n | tr '\n' ' ' | sed 's/ $//'); }
newest2=$(gens | tr ' ' '\n' | tail -n 2 | tr '\n' ' ' | sed 's/ $//')
write_conf "keep = 2"
assert_exit 0 pgbak_run force-sync
assert_eq "$newest2" "$(gens)" "generations left with keep = 2"
assert_match "pruned generation" "$(cat "$PGBAK/sync.log")"
ok "keep = 2 pruned all but generations $newest2"
cluster_stop main
