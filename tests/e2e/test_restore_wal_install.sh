#!/usr/bin/env bash
# restore-wal in archive recovery (DEST is pg_wal/RECOVERYXLOG, the data directory holds
# recovery.signal and no standby.signal): prefetched segments move on into pg_wal/ itself, marked
# archived (.done), byte-identical, never more than `prefetch` not yet asked for; asked for one,
# restore-wal exits 1 and leaves it to the server to read there, but only while it is the very file
# it put there: one replaced meanwhile (a recycled segment), or spooled in another boot, is
# restored from the archive. A prefetcher killed between the move and its mark leaves a file
# restore-wal restores again. A standby (standby.signal) gets the rename path only. A real
# recovery replays installed segments without restoring them and has the source's rows.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
prefetch_source 8 3

# A data directory in archive recovery, as far as restore-wal can tell; it runs there, as the
# server runs restore_command.
D=$T/pd
as_pg mkdir -p -m 700 "$D/pg_wal/archive_status"
as_pg touch "$D/recovery.signal"
spool=$D/pg_wal/.pgbak-prefetch
restore_wal() { (cd "$D" && as_pg "$PGBAK_BIN" -D "$PGBAK" restore-wal "$@"); }
# installed: the segments in pg_wal/ the spool marks as installed, each checked.
installed() {
  local names f
  names=$(ls -a "$spool" 2>/dev/null | sed -n 's/^\.staged\.//p' | sort)
  (($(grep -c . <<<"$names") <= 3)) || fail "more than prefetch = 3 segments installed ahead: $names"
  for f in $names; do
    [[ -e $spool/.staged.$f ]] || continue # asked for meanwhile
    cmp -s "$D/pg_wal/$f" "$T/main.plain/$f" || fail "installed $f differs from the archived segment"
    [[ -e $D/pg_wal/archive_status/$f.done ]] || fail "installed $f is not marked archived"
  done
  echo $names
}
wait_installed() { wait_listed installed installed "$@"; }

assert_exit 0 restore_wal --generation "$gen" "${segs[0]}" pg_wal/RECOVERYXLOG
cmp -s "$D/pg_wal/RECOVERYXLOG" "$T/main.plain/${segs[0]}" || fail "${segs[0]} differs"
as_pg rm "$D/pg_wal/RECOVERYXLOG"
wait_installed "${segs[1]}" "${segs[2]}" "${segs[3]}"
sleep 1
assert_eq "${segs[1]} ${segs[2]} ${segs[3]}" "$(installed)" "installed after a while (prefetch = 3)"
assert_eq "" "$(ls "$spool" | grep -E '^[0-9A-F]{24}$' || true)" "segments left in the spool itself"
ok "after ${segs[0]}, the next three segments are installed in pg_wal/, byte-identical, marked .done, and no more"

assert_exit 1 restore_wal -v --generation "$gen" "${segs[1]}" pg_wal/RECOVERYXLOG
assert_match "is in pg_wal" "$LAST_STDERR" "restore-wal's message for an installed segment"
assert_no_file "$D/pg_wal/RECOVERYXLOG" "DEST for an installed segment"
cmp -s "$D/pg_wal/${segs[1]}" "$T/main.plain/${segs[1]}" || fail "installed ${segs[1]} differs"
wait_installed "${segs[2]}" "${segs[3]}" "${segs[4]}"
ok "asked for an installed segment, restore-wal exits 1 and leaves it in pg_wal/; the next is installed"

# Replaced meanwhile (as the server recycles an old segment under a future name): restored.
as_pg cp "$T/main.plain/${segs[0]}" "$D/pg_wal/${segs[2]}.new"
as_pg mv "$D/pg_wal/${segs[2]}.new" "$D/pg_wal/${segs[2]}"
assert_exit 0 restore_wal --generation "$gen" "${segs[2]}" pg_wal/RECOVERYXLOG
cmp -s "$D/pg_wal/RECOVERYXLOG" "$T/main.plain/${segs[2]}" || fail "a replaced installed file was not restored"
as_pg rm "$D/pg_wal/RECOVERYXLOG"
ok "an installed segment replaced in pg_wal/ is restored from the archive, not left to the server"

# Spooled in another boot (nothing in the spool is fsynced): nothing of it is left to the server.
wait_installed "${segs[3]}" "${segs[4]}" "${segs[5]}"
as_pg sed -i 's/^boot .*/boot 00000000-0000-0000-0000-000000000000/' "$spool/.source"
assert_exit 0 restore_wal --generation "$gen" "${segs[3]}" pg_wal/RECOVERYXLOG
cmp -s "$D/pg_wal/RECOVERYXLOG" "$T/main.plain/${segs[3]}" || fail "${segs[3]} of another boot's spool not restored"
as_pg rm "$D/pg_wal/RECOVERYXLOG"
grep -qx "boot $(cat /proc/sys/kernel/random/boot_id)" "$spool/.source" ||
  fail "the spool's .source does not name this boot: $(cat "$spool/.source")"
ok "a spool of another boot is dropped: its segment is restored from the archive"

# Killed between moving a segment into pg_wal/ and marking it: restored again when asked.
wait_installed "${segs[4]}" "${segs[5]}" "${segs[6]}"
as_pg rm -rf "$spool" "$D/pg_wal/${segs[5]}" "$D/pg_wal/${segs[6]}" "$D/pg_wal/${segs[7]}"
(cd "$D" && as_pg env PGBAK_FAULT="install-after-rename:${segs[5]}" "$PGBAK_BIN" -D "$PGBAK" \
  restore-wal --generation "$gen" "${segs[4]}" pg_wal/RECOVERYXLOG) || fail "restore-wal ${segs[4]} failed"
killed_after_install() { [[ -e $D/pg_wal/${segs[5]} && -s $spool/.lock ]] && ! kill -0 "$(<"$spool/.lock")" 2>/dev/null; }
wait_for killed_after_install
assert_no_file "$spool/.staged.${segs[5]}" "mark of a segment whose prefetcher was killed before marking it"
assert_exit 0 restore_wal --generation "$gen" "${segs[5]}" pg_wal/RECOVERYXLOG
cmp -s "$D/pg_wal/RECOVERYXLOG" "$T/main.plain/${segs[5]}" || fail "${segs[5]} not restored after the kill"
as_pg rm "$D/pg_wal/RECOVERYXLOG"
ok "a prefetcher killed after moving ${segs[5]} into pg_wal/ but before marking it: restored when asked"

# A standby: nothing is installed, the spool serves by rename.
assert_exit 1 restore_wal 000000010000000000000F00 pg_wal/RECOVERYXLOG
as_pg touch "$D/standby.signal"
as_pg rm -f "$D/pg_wal/${segs[6]}" "$D/pg_wal/${segs[7]}"
assert_exit 0 restore_wal --generation "$gen" "${segs[5]}" pg_wal/RECOVERYXLOG
wait_for test -e "$spool/${segs[6]}"
assert_no_file "$D/pg_wal/${segs[6]}" "a segment installed for a standby"
assert_exit 0 restore_wal --generation "$gen" "${segs[6]}" pg_wal/RECOVERYXLOG
cmp -s "$D/pg_wal/RECOVERYXLOG" "$T/main.plain/${segs[6]}" || fail "${segs[6]} differs (standby)"
assert_exit 1 restore_wal 000000010000000000000F00 pg_wal/RECOVERYXLOG
ok "with standby.signal, prefetched segments stay in the spool and are served by rename"

# A real recovery: installed segments are replayed from pg_wal/ without being restored.
restore_and_start r
assert_eq "$sums" "$(table_sums r)" "tables after a recovery with installed segments"
restored=$(grep -c 'restored log file "[0-9A-F]\{24\}" from archive' "$T/r.log" || true)
replayed=$(grep -oE 'redo done at [0-9A-F]+/[0-9A-F]+' "$T/r.log" | head -1)
[[ -n $replayed ]] || fail "no 'redo done' in the server log"
((restored < ${#segs[@]} - 2)) || fail "$restored of ${#segs[@]} segments restored one by one: none installed"
assert_eq "" "$(find "$T/r.data/pg_wal" -name '.pgbak*')" "prefetch spool after recovery ended"
ok "a recovery replays installed segments ($restored of ${#segs[@]} restored by restore_command), the source's rows"
cluster_stop r
