#!/usr/bin/env bash
# Damaged backup directories: a read-only pg_wal/, `current` pointing nowhere, pg_wal/ removed, a
# symlink planted where a generation should be, a broken state file. Each gives a clear error or
# a documented recovery, and archiving goes on once fixed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init
echo "pg-bindir = /nonexistent" >"$PGBAK/pgbak.conf"
mkdir in && chown postgres: in 2>/dev/null || true
n=1
next_seg() {
  SEG=$(printf '0000000100000000000000%02X' $n)
  mkseg in/$SEG $SEG --seed $n
  n=$((n + 1))
}
stored_ok() { cmp <(zstd -dc "$PGBAK/current/pg_wal/$SEG.zst") in/$SEG || fail "$SEG not stored intact"; }

next_seg
assert_exit 0 pgbak_run archive-wal in/$SEG
gen1=$(readlink "$PGBAK/current")

# Read-only pg_wal/: clear error, then success once writable again.
next_seg
chmod 500 "$PGBAK/$gen1/pg_wal"
assert_exit 1 pgbak_run archive-wal in/$SEG
assert_match "^pgbak: cannot create a temporary file .*Permission denied$" "$LAST_STDERR"
chmod 700 "$PGBAK/$gen1/pg_wal"
assert_exit 0 pgbak_run archive-wal in/$SEG
stored_ok
ok "read-only pg_wal/: clear error, retry succeeds"

# Read-only backup directory (no state file update possible).
next_seg
chmod 500 "$PGBAK" && chmod 400 "$PGBAK/pgbak.lock"
assert_exit 1 pgbak_run archive-wal in/$SEG
assert_match "^pgbak: .*Permission denied$" "$LAST_STDERR"
chmod 700 "$PGBAK" && chmod 600 "$PGBAK/pgbak.lock"
assert_exit 0 pgbak_run archive-wal in/$SEG
stored_ok
ok "read-only state file: clear error, retry succeeds"

# pg_wal/ removed from the current generation: a new generation takes over.
next_seg
rm -rf "$PGBAK/$gen1/pg_wal"
assert_exit 0 pgbak_run archive-wal in/$SEG
assert_match "missing or has no pg_wal" "$LAST_STDERR"
gen2=$(readlink "$PGBAK/current")
[[ $gen2 != "$gen1" ]] || fail "no new generation after pg_wal/ vanished"
stored_ok
ok "pg_wal/ removed: archived into new generation $gen2"

# `current` pointing nowhere: the same.
next_seg
rm -rf "${PGBAK:?}/$gen2"
assert_exit 0 pgbak_run archive-wal in/$SEG
gen3=$(readlink "$PGBAK/current")
[[ $gen3 != "$gen2" && -d $PGBAK/$gen3 ]] || fail "dangling current not replaced"
stored_ok
ok "current pointing nowhere: archived into new generation $gen3"

# `current` pointing outside the directory: refused, nothing written there.
next_seg
ln -sfn /tmp "$PGBAK/current.new" && mv -T "$PGBAK/current.new" "$PGBAK/current"
assert_exit 1 pgbak_run archive-wal in/$SEG
assert_match "points to '/tmp', which is not a generation" "$LAST_STDERR"
ln -sfn "$gen3" "$PGBAK/current.new" && mv -T "$PGBAK/current.new" "$PGBAK/current"
# A symlink planted where the generation directory should be is not followed.
mv "$PGBAK/$gen3" "$T/moved" && ln -s "$T/moved" "$PGBAK/$gen3"
assert_exit 1 pgbak_run archive-wal in/$SEG
assert_match "^pgbak: cannot open directory .*$gen3" "$LAST_STDERR"
assert_no_file "$T/moved/pg_wal/$SEG.zst"
rm "$PGBAK/$gen3" && mv "$T/moved" "$PGBAK/$gen3"
assert_exit 0 pgbak_run archive-wal in/$SEG
stored_ok
ok "symlinks other than current are never followed"

# Broken state file: truncated, garbage, a directory in its place.
for damage in truncate garbage; do
  next_seg
  case $damage in
    truncate) : >"$PGBAK/pgbak.lock" ;;
    garbage) printf '\xff' | dd of="$PGBAK/pgbak.lock" bs=1 count=1 conv=notrunc status=none ;;
  esac
  assert_exit 0 pgbak_run archive-wal in/$SEG
  stored_ok
  b=$(od -An -tu1 -N1 "$PGBAK/pgbak.lock" | tr -d ' ')
  (((b & 15) & 1 || (b >> 4) & 1)) || fail "state not repaired after $damage (byte $b)"
  ((b < 256 && (b & ~0x33) == 0)) || fail "garbage bits left in state byte ($b)"
  ok "state file $damage: repaired, backup run pending"
done
next_seg
rm "$PGBAK/pgbak.lock" && mkdir "$PGBAK/pgbak.lock"
assert_exit 1 pgbak_run archive-wal in/$SEG
assert_match "^pgbak: .*pgbak.lock" "$LAST_STDERR"
rmdir "$PGBAK/pgbak.lock"
assert_exit 0 pgbak_run archive-wal in/$SEG
stored_ok
ok "a directory in place of the state file: clear error, recreated once removed"

# The background sync cannot start (the user may run no more processes): the file is archived
# all the same, exit 0 (PostgreSQL must not retry it), stderr says why, and the work stays
# pending for the next sync. A fresh directory: no sync holds its lock.
PGBAK=$T/pgbak-nproc
pgbak_init
echo "pg-bindir = /nonexistent" >"$PGBAK/pgbak.conf"
printf '1\t0/3000000\tno recovery target specified\n' >in/00000002.history
chown postgres: in/00000002.history 2>/dev/null || true
assert_exit 0 as_pg prlimit --nproc=0 "$PGBAK_BIN" -D "$PGBAK" archive-wal in/00000002.history
assert_match "^pgbak: archive-wal: 00000002.history stored, but the background sync cannot start: cannot fork to run '/proc/self/exe': Resource temporarily unavailable \(the next archive-wal or 'pgbak sync' starts it\)$" "$LAST_STDERR"
cmp <(zstd -dc "$PGBAK/current/pg_wal/00000002.history.zst") in/00000002.history ||
  fail "00000002.history not stored intact"
assert_exit 0 pgbak_run status
assert_match "pending +[a-z, ]*archive" "$LAST_STDOUT"
ok "a background sync that cannot be started: archived anyway, exit 0, the reason on stderr"
