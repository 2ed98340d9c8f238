#!/usr/bin/env bash
# Restore with nothing but the remote copy, through a scripts/fetch that misbehaves: the real
# backup-rsync (a local destination) wrapped by a fault injector. A fetch failing mid-base, a
# truncated base, another file's bytes, a hanging script (fetch-timeout): restore fails in one
# line and leaves no PGDATA; restore-wal hands nothing wrong to DEST, retries a failed fetch,
# and stays a quiet exit 1 for a file the remote does not have. Without faults, the restored
# server has exactly the source's rows.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"
e2e_init

# ---- the source: archives and uploads to $T/remote through backup-rsync
start_local_remote
make_base
cluster_pgbench main -c 2 -t 300 >>"$T/pgbench.log" 2>&1
for i in 1 2 3 4 5; do
  cluster_psql main -c "CREATE TABLE filler$i AS SELECT generate_series(1, 1000) g"
  wait_archived main --no-failures
done
sums=$(table_sums main)
cluster_stop main
pgbak_run wait 120 >/dev/null || true
assert_exit 0 pgbak_run force-sync
gen=$(readlink "$PGBAK/current")
seg=$LAST_SWITCH_WAL
other=$(cd "$T/remote/$gen/pg_wal" && ls | grep -v "^$seg.zst" | grep -E '^[0-9A-F]{24}\.zst$' | head -n 1)
ok "source uploaded generation $gen to $T/remote"

# ---- the new host: only scripts/fetch (the fault injector) and backup.env
NEW=$T/newdir
as_pg mkdir -m 700 "$NEW" "$NEW/scripts"
cat >"$T/fetch" <<EOF
#!/bin/sh
# FAULT (in $T/fault): what to do to 'get' of files matching PATTERN (in $T/fault.match).
fault=\$(cat $T/fault 2>/dev/null || true)
match=\$(cat $T/fault.match 2>/dev/null || echo nothing)
real=$SCRIPT
echo "\$*" >>$T/calls.log
if [ "\$1" = get ] && [ -n "\$fault" ] && expr "\$2" : "\$match" >/dev/null; then
  echo "\$1 \$2" >>$T/fault.log
  case \$fault in
    midfail | truncate)
      # Half the file, then a failure or a success.
      "\$real" "\$@" >$T/fault.part.\$\$
      head -c \$((\$(wc -c <$T/fault.part.\$\$) / 2)) $T/fault.part.\$\$
      rm -f $T/fault.part.\$\$
      [ \$fault = truncate ] && exit 0
      echo "fetch: connection reset" >&2; exit 3 ;;
    other) exec "\$real" get "$gen/pg_wal/$other" ;;
    # Hangs in a child of the script (its process group), as a stuck download tool would.
    hang) sleep 600 & echo \$! >$T/hang.pid; wait ;;
    once) rm -f $T/fault; echo "fetch: temporary failure" >&2; exit 3 ;;
  esac
fi
exec "\$real" "\$@"
EOF
chmod 755 "$T/fetch"
as_pg ln -s "$T/fetch" "$NEW/scripts/fetch"
echo "PGBAK_RSYNC_TARGET=$T/remote" | as_pg tee "$NEW/scripts/backup.env" >/dev/null
printf 'fetch-retries = 1\nprefetch = 2\n' | as_pg tee "$NEW/pgbak.conf" >/dev/null
: >"$T/calls.log" && chmod 666 "$T/calls.log"
# running PID: the process exists and is not a zombie (a killed script's orphaned child is reaped
# by whoever adopted it, maybe later).
running() { [[ -r /proc/$1/stat ]] && [[ $(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | cut -d' ' -f2) != Z ]]; }
fault() {
  echo "$1" >"$T/fault" && echo "$2" >"$T/fault.match" && : >"$T/fault.log"
  chmod 666 "$T/fault" "$T/fault.match" "$T/fault.log"
}
no_fault() { rm -f "$T/fault" "$T/fault.match"; }

# restore_fails ARGS...: pgbak restore from $NEW fails in one line, leaving no PGDATA and no temp
# directory.
restore_fails() {
  local start=$SECONDS
  assert_exit 1 as_pg "$PGBAK_BIN" -D "$NEW" restore "$T/r.data" "$@"
  assert_eq 1 "$(grep -c . <<<"$LAST_STDERR")" "stderr lines ($LAST_STDERR)"
  assert_match '^pgbak: ' "$LAST_STDERR" "error format"
  assert_no_file "$T/r.data" "PGDATA after a failed restore"
  assert_eq "" "$(find "$T" -maxdepth 1 -name '.r.data.pgbak-restore.*')" "temp dirs after a failed restore"
  RESTORE_SECONDS=$((SECONDS - start))
}

fault midfail "$gen/base.tzst"
restore_fails
assert_match 'exited with status 3' "$LAST_STDERR" "message of a fetch failing mid-base"
ok "fetch failing mid-base: $LAST_STDERR"
fault truncate "$gen/base.tzst"
restore_fails
assert_match 'is damaged: its SHA-256' "$LAST_STDERR" "message for a truncated base"
ok "truncated base: $LAST_STDERR"
fault other "$gen/base.tzst"
restore_fails
ok "another file's bytes for the base: $LAST_STDERR"
fault hang "$gen/base.tzst"
restore_fails --fetch-timeout 2
assert_match 'wrote nothing for 2 s' "$LAST_STDERR" "message for a hanging fetch"
((RESTORE_SECONDS < 30)) || fail "a hanging fetch took ${RESTORE_SECONDS}s to give up"
sleep 0.5
! running "$(<"$T/hang.pid")" || fail "the hanging fetch script is still running"
ok "hanging fetch: killed after fetch-timeout, ${RESTORE_SECONDS}s: $LAST_STDERR"

# ---- restore-wal: nothing wrong reaches DEST
as_pg mkdir -m 700 "$T/dest"
restore_wal() { as_pg "$PGBAK_BIN" -D "$NEW" restore-wal "$@"; }
no_dest() {
  assert_no_file "$T/dest/RECOVERYXLOG" "$1"
  assert_eq "" "$(ls -A "$T/dest")" "files left in DEST's directory"
}
no_fault
assert_exit 1 restore_wal 000000010000000000000F00 "$T/dest/RECOVERYXLOG"
assert_eq "" "$LAST_STDERR" "stderr for a file the remote does not have"
no_dest "DEST for a missing file"
ok "restore-wal of a file the remote does not have: quiet exit 1"
for f in truncate other midfail; do
  fault "$f" "$gen/pg_wal/$seg"
  assert_exit 1 restore_wal "$seg" "$T/dest/RECOVERYXLOG"
  assert_eq 1 "$(grep -c . <<<"$LAST_STDERR")" "stderr lines ($LAST_STDERR)"
  no_dest "DEST after fault $f"
  ok "restore-wal, fetch fault '$f': exit 1, DEST untouched: $LAST_STDERR"
done
fault truncate "$gen/pg_wal/$seg"
assert_exit 1 restore_wal "$seg" "$T/dest/RECOVERYXLOG"
assert_match "SHA-256" "$LAST_STDERR" "a truncated WAL file is caught by SHA256SUMS"
fault hang "$gen/pg_wal/$seg"
assert_exit 1 restore_wal --fetch-timeout 1 "$seg" "$T/dest/RECOVERYXLOG"
assert_match 'wrote nothing for 1 s' "$LAST_STDERR" "message for a hanging fetch"
no_dest "DEST after a hanging fetch"
ok "restore-wal, hanging fetch: killed after fetch-timeout: $LAST_STDERR"
fault once "$gen/pg_wal/$seg"
assert_exit 0 restore_wal "$seg" "$T/dest/RECOVERYXLOG"
cmp -s "$T/dest/RECOVERYXLOG" "$T/main.plain/$seg" || fail "restore-wal after a retry: other bytes than archived"
assert_eq 1 "$(grep -c . "$T/fault.log")" "failed fetch attempts"
ok "restore-wal retries a failed fetch and gets the archived bytes"

# ---- prefetch: after a segment from the remote, the next ones wait in a bounded spool
no_fault
rm -f "$T/dest/RECOVERYXLOG"
spool=$T/dest/.pgbak-prefetch
# What the last fetch prefetched goes with the next request for a file the remote does not have.
assert_exit 1 restore_wal 000000010000000000000F00 "$T/dest/RECOVERYXLOG"
assert_no_file "$spool" "spool after a request for a file the remote does not have"
mapfile -t segs < <(ls "$T/remote/$gen/pg_wal" | grep -E '^[0-9A-F]{24}\.zst$' | sed 's/\.zst$//' | sort)
((${#segs[@]} >= 5)) || fail "only ${#segs[@]} segments uploaded"
spooled() { spool_segments "$spool" 2; }
: >"$T/calls.log"
assert_exit 0 restore_wal "${segs[0]}" "$T/dest/RECOVERYXLOG"
deadline=$((SECONDS + 60))
until [[ $(spooled) == "${segs[1]} ${segs[2]}" ]]; do
  ((SECONDS < deadline)) || fail "the next two segments were not prefetched: '$(spooled)'"
  sleep 0.2
done
sleep 1
assert_eq "${segs[1]} ${segs[2]}" "$(spooled)" "spool after a while (prefetch = 2)"
ok "after ${segs[0]}, ${segs[1]} and ${segs[2]} are prefetched, checked, and no more"
# The listing and SHA256SUMS are fetched once for all three (cached), each segment once.
assert_eq 1 "$(grep -c '^list$' "$T/calls.log")" "fetch list calls for three segments"
assert_eq 1 "$(grep -c "^get $gen/SHA256SUMS\$" "$T/calls.log")" "fetches of SHA256SUMS for three segments"
for i in 0 1 2; do
  assert_eq 1 "$(grep -c "^get $gen/pg_wal/${segs[$i]}.zst\$" "$T/calls.log")" "fetches of ${segs[$i]}"
done
assert_exit 0 restore_wal "${segs[1]}" "$T/dest/RECOVERYXLOG"
cmp -s "$T/dest/RECOVERYXLOG" "$T/main.plain/${segs[1]}" || fail "the spooled ${segs[1]} differs"
assert_eq 1 "$(grep -c "^get $gen/pg_wal/${segs[1]}.zst\$" "$T/calls.log")" "fetches of ${segs[1]} once served"
ok "the remote listing and SHA256SUMS are cached: one fetch list, one SHA256SUMS, one get per segment"
deadline=$((SECONDS + 60))
until [[ $(spooled) == "${segs[2]} ${segs[3]}" ]]; do
  ((SECONDS < deadline)) || fail "${segs[3]} was not prefetched: '$(spooled)'"
  sleep 0.2
done
rm -f "$T/hang.pid"
fault hang "$gen/pg_wal/${segs[4]}"
assert_exit 0 restore_wal -v "${segs[2]}" "$T/dest/RECOVERYXLOG"
assert_match "prefetched" "$LAST_STDOUT" "restore-wal output for a spooled segment"
cmp -s "$T/dest/RECOVERYXLOG" "$T/main.plain/${segs[2]}" || fail "the spooled ${segs[2]} differs"
deadline=$((SECONDS + 60))
until [[ -s $T/hang.pid ]]; do
  ((SECONDS < deadline)) || fail "the prefetcher's fetch of ${segs[4]} did not start"
  sleep 0.2
done
prefetcher=$(<"$spool/.lock") # the prefetcher writes its pid there
[[ $(tr '\0' ' ' <"/proc/$prefetcher/cmdline") == *"restore-wal"* ]] || fail "no prefetcher running ($prefetcher)"
kill -KILL "$prefetcher"
sleep 0.5
assert_eq "${segs[3]}" "$(spooled)" "spool after the prefetcher was killed mid-fetch"
assert_eq "" "$(ls -A "$spool" | grep -v -E '^([0-9A-F]{24}|\.lock|\.source|\.remote-listing|\.remote-sums\.[0-9]+|\.fetching\.[0-9A-F]{24})$' || true)" "other files in the spool"
ok "prefetcher killed during a fetch: the spool holds only whole, checked segments"
no_fault
deadline=$((SECONDS + 10))
while running "$(<"$T/hang.pid")"; do
  ((SECONDS < deadline)) || fail "the fetch script of the killed prefetcher (its process group) is still running"
  sleep 0.1
done
ok "the hanging fetch script's process group died with the killed prefetcher"
for i in 3 4; do
  assert_exit 0 restore_wal "${segs[$i]}" "$T/dest/RECOVERYXLOG"
  cmp -s "$T/dest/RECOVERYXLOG" "$T/main.plain/${segs[$i]}" || fail "${segs[$i]} after the kill differs"
done
assert_exit 1 restore_wal 000000010000000000000F00 "$T/dest/RECOVERYXLOG"
assert_no_file "$spool" "spool after a request for a file the remote does not have"
ok "after the kill, restore-wal serves the next segments; the spool is removed at the end"
rm -f "$T/dest/RECOVERYXLOG"
as_pg "$PGBAK_BIN" -D "$NEW" restore "$T/r.data" >"$T/r.out" || fail "restore from the remote failed"
assert_eq "" "$(ls -A "$NEW" | grep -v '^scripts$\|^pgbak.conf$' || true)" "files pgbak stored in the new directory"
cluster_configure r "archive_mode = off"
cluster_start r
wait_recovered r
assert_eq "$sums" "$(table_sums r)" "tables restored from the remote copy"
sleep 1
assert_eq "" "$(find "$T/r.data/pg_wal" -name '.pgbak*')" "prefetch spool after recovery ended"
ok "restored from scripts/fetch alone (no base stored in $NEW): exactly the source's rows"
cluster_stop r
