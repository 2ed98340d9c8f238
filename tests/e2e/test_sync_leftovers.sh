#!/usr/bin/env bash
# Hidden temp files that killed pgbak processes leave behind (".NAME.tmp.PID...", e.g. a sync
# killed between linking a new SHA256SUMS and renaming it) are removed by the next sync, in
# $PGBAK, in a generation and in its pg_wal/, once their process is gone and they are 10 minutes
# old. Younger ones, those of a live process and files that are not such temp names are kept.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
write_conf "pg-bindir = $T/nothing-here" # the background sync cannot snapshot: it only retries
as_pg mkdir -p in
SEG=000000010000000000000001
as_pg python3 "$PGBAK_SRC/tests/e2e/make_segment.py" in/$SEG $SEG
assert_exit 0 pgbak_run archive-wal in/$SEG
stop_sync
gen=$PGBAK/$(readlink "$PGBAK/current")

# A pid that surely is not running: one past the kernel's limit.
dead=$(($(cat /proc/sys/kernel/pid_max) + 1))
plant() { # PATH AGE: an empty file owned by the server's user, modified AGE ago
  as_pg touch -d "$2" "$1"
}
plant "$PGBAK/.sync.status.tmp.$dead.0.42" "1 hour ago"
plant "$gen/.SHA256SUMS.tmp.$dead.1.7" "1 hour ago"
plant "$gen/pg_wal/.$SEG.zst.tmp.$dead.0.9" "1 hour ago"
plant "$PGBAK/.current.tmp.$dead" "1 hour ago"
plant "$gen/.SHA256SUMS.tmp.$dead.2.8" "1 minute ago" # too young: may still be written
plant "$gen/.SHA256SUMS.tmp.$$.3.9" "1 hour ago"      # this shell is alive
plant "$gen/.notes.tmp" "1 hour ago"                  # not a pgbak temp name
plant "$gen/pg_wal/keep.tmp.$dead" "1 hour ago"       # not hidden: not pgbak's

assert_exit 0 pgbak_run archive-wal in/$SEG # identical: starts a sync again
logged() { (($(grep -c "left behind by a killed pgbak" "$PGBAK/sync.log") >= 4)); }
wait_for logged
stop_sync
for f in "$PGBAK/.sync.status.tmp.$dead.0.42" "$gen/.SHA256SUMS.tmp.$dead.1.7" \
  "$gen/pg_wal/.$SEG.zst.tmp.$dead.0.9" "$PGBAK/.current.tmp.$dead"; do
  assert_no_file "$f"
done
for f in "$gen/.SHA256SUMS.tmp.$dead.2.8" "$gen/.SHA256SUMS.tmp.$$.3.9" "$gen/.notes.tmp" \
  "$gen/pg_wal/keep.tmp.$dead"; do
  assert_file "$f"
done
assert_eq 4 "$(grep -c "left behind by a killed pgbak" "$PGBAK/sync.log")" "leftovers logged"
assert_file "$gen/pg_wal/$SEG.zst"
ok "the sync removes old leftovers of dead processes and keeps everything else"
