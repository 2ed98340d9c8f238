#!/usr/bin/env bash
# restore-wal's prefetch from the local generations: after a segment, the next `prefetch` ones are
# decompressed into pg_wal/.pgbak-prefetch/ (never more, each byte-identical to the archived one,
# the prefetcher's pid in .lock) and the next request takes its file from there; a spool filled
# for another source (a restore_command naming another generation) is never served; a file that is
# not archived removes the spool; a real recovery gets the source's rows and leaves no spool.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
prefetch_source 6 3

as_pg mkdir -m 700 "$T/dest"
spool=$T/dest/.pgbak-prefetch
restore_wal() { as_pg "$PGBAK_BIN" -D "$PGBAK" restore-wal "$@"; }
spooled() { spool_segments "$spool" 3; }
wait_spooled() { wait_listed spooled "in the spool" "$@"; }

assert_exit 0 restore_wal --generation "$gen" "${segs[0]}" "$T/dest/RECOVERYXLOG"
cmp -s "$T/dest/RECOVERYXLOG" "$T/main.plain/${segs[0]}" || fail "${segs[0]} differs"
wait_spooled "${segs[1]}" "${segs[2]}" "${segs[3]}"
sleep 1
assert_eq "${segs[1]} ${segs[2]} ${segs[3]}" "$(spooled)" "spool after a while (prefetch = 3)"
prefetcher=$(<"$spool/.lock")
[[ $(tr '\0' ' ' <"/proc/$prefetcher/cmdline") == *"restore-wal"* ]] || fail "no prefetcher waiting ($prefetcher)"
ok "after ${segs[0]}, the next three segments are decompressed into the spool, byte-identical, and no more"

assert_exit 0 restore_wal -v --generation "$gen" "${segs[1]}" "$T/dest/RECOVERYXLOG"
assert_match "prefetched" "$LAST_STDOUT" "restore-wal output for a spooled segment"
cmp -s "$T/dest/RECOVERYXLOG" "$T/main.plain/${segs[1]}" || fail "the spooled ${segs[1]} differs"
wait_spooled "${segs[2]}" "${segs[3]}" "${segs[4]}"
ok "the next request takes its segment from the spool; the prefetcher fills it up again"

# A spool of another source: its files are never served (here one is damaged on purpose).
printf 'not the archived bytes' | as_pg tee "$spool/${segs[2]}" >/dev/null
assert_exit 0 restore_wal "${segs[2]}" "$T/dest/RECOVERYXLOG"
cmp -s "$T/dest/RECOVERYXLOG" "$T/main.plain/${segs[2]}" || fail "a file of another source's spool was served"
assert_eq "$PGBAK" "$(head -n 1 "$spool/.source")" "the spool's source after the other restore-wal"
ok "a spool filled for --generation $gen is not used without it: removed, the archived bytes served"

assert_exit 1 restore_wal 000000010000000000000F00 "$T/dest/RECOVERYXLOG"
assert_no_file "$spool" "spool after a request for a file that is not archived"
ok "a request for a file that is not archived removes the spool"

restore_and_start r
assert_eq "$sums" "$(table_sums r)" "tables after a recovery with prefetch"
assert_eq "" "$(find "$T/r.data/pg_wal" -name '.pgbak*')" "prefetch spool after recovery ended"
ok "a recovery through restore-wal with prefetch has the source's rows and leaves no spool"
cluster_stop r
