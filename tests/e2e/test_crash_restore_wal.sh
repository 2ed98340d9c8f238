#!/usr/bin/env bash
# restore-wal killed at every step of writing DEST (after open, mid-write, before the link;
# replacing an old DEST also before the rename): DEST is
# absent, old or whole, never partial, no temp name is left when DEST was absent, the retry
# succeeds and removes the temp name a kill while replacing DEST left beside it. Bad names (empty, ., .., with /, ../ escapes) are refused and nothing is
# written outside the destination given, in particular nothing outside pg_wal/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"
e2e_init
pgbak_init
# The background sync cannot snapshot: it only retries. No prefetch spool beside DEST: this test
# looks at DEST's directory for hidden files.
write_conf "pg-bindir = $T/nothing-here" "prefetch = 0"
as_pg mkdir -p in data/pg_wal
SEG=000000010000000000000001
mkseg in/$SEG $SEG
assert_exit 0 pgbak_run archive-wal in/$SEG

# (DEST is not fsynced: the server fsyncs what it keeps. The link is the last step.)
for step in after-open mid-write before-linkat; do
  for dest in RECOVERYXLOG "$SEG"; do
    rm -f data/pg_wal/$dest
    (cd data && pgbak_fault "$step" restore-wal $SEG pg_wal/$dest)
    if [[ -e data/pg_wal/$dest ]]; then
      cmp -s data/pg_wal/$dest in/$SEG || fail "partial DEST after a crash at $step"
    fi
    assert_eq "" "$(find data -name '.*')" "temp files left after a crash at $step"
    (cd data && assert_exit 0 pgbak_run restore-wal $SEG pg_wal/$dest)
    cmp data/pg_wal/$dest in/$SEG || fail "retry after a crash at $step did not restore $SEG"
  done
  ok "restore-wal killed at $step: DEST absent or whole, the retry restores it"
done

# An old DEST (e.g. a RECOVERYXLOG of the previous file) is never left half replaced. (Only here,
# replacing, is there a temp name: a crash before the rename leaves it behind.)
for step in mid-write before-linkat before-rename; do
  echo old | as_pg tee data/pg_wal/RECOVERYXLOG >/dev/null
  (cd data && pgbak_fault $step restore-wal $SEG pg_wal/RECOVERYXLOG)
  if [[ $(cat data/pg_wal/RECOVERYXLOG) != old ]]; then
    cmp -s data/pg_wal/RECOVERYXLOG in/$SEG || fail "DEST half replaced after a crash at $step"
  fi
  (cd data && assert_exit 0 pgbak_run restore-wal $SEG pg_wal/RECOVERYXLOG)
  cmp data/pg_wal/RECOVERYXLOG in/$SEG || fail "retry after a crash at $step did not replace DEST"
  assert_eq "" "$(find data -name '.*')" "temp files left after the retry of a crash at $step"
done
ok "a crash while replacing DEST leaves the old file or the new one, never a mix; the retry leaves no temp file"

# The retry removes only its own name's temp files of processes that are gone: a live process's,
# and other names', stay.
sleep 1000 &
live=$!
for f in .RECOVERYXLOG.tmp.999999999.0.1 ".RECOVERYXLOG.tmp.$live.0.1" .RECOVERYHISTORY.tmp.999999999.0.1 \
  .RECOVERYXLOG.partial; do
  echo junk | as_pg tee "data/pg_wal/$f" >/dev/null
done
(cd data && assert_exit 0 pgbak_run restore-wal $SEG pg_wal/RECOVERYXLOG)
assert_eq ".RECOVERYHISTORY.tmp.999999999.0.1 .RECOVERYXLOG.partial .RECOVERYXLOG.tmp.$live.0.1" \
  "$(cd data/pg_wal && ls -A | grep '^\.' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" "hidden files kept"
kill "$live"
ok "restore-wal removes DEST's temp files of dead processes only"

# Bad names: refused with one line, exit 1 (not archived: quietly); nothing created anywhere.
# (sync.log and sync.status are left out: the background sync, retrying its snapshot, writes them.)
snapshot() { find "$T" \( -path "$T/.last_*" -o -name sync.log -o -name sync.status \) -prune -o -printf '%p %s\n' | sort; }
before=$(snapshot)
for name in "" . .. / "../$SEG" "pg_wal/$SEG" "$SEG/" "../../pgbak.lock" "../$SEG.zst" \
  "$(printf 'A%.0s' {1..4096})"; do
  cd "$T/data"
  assert_exit 1 pgbak_run restore-wal "$name" pg_wal/RECOVERYXLOG
  cd "$T"
  assert_match "^pgbak: invalid WAL file name" "$LAST_STDERR" "message for '${name:0:40}'"
  assert_eq 1 "$(printf '%s\n' "$LAST_STDERR" | wc -l)" "lines of stderr for '${name:0:40}'"
done
for dest in "" . .. pg_wal/ pg_wal/..; do
  cd "$T/data"
  assert_exit 1 pgbak_run restore-wal "$SEG" "$dest"
  cd "$T"
  assert_match "^pgbak: invalid destination" "$LAST_STDERR" "message for DEST '$dest'"
done
assert_eq "$before" "$(snapshot)" "files written by refused restore-wal calls"
ok "bad names and destinations refused; nothing written outside pg_wal/"
