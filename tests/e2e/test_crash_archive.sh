#!/usr/bin/env bash
# kill -9 of archive-wal at every step of the durable write: no partial file under a final name,
# the retry succeeds, and the state file still says the backup script is due.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init
echo "pg-bindir = /nonexistent" >"$PGBAK/pgbak.conf"   # background syncs cannot snapshot here
"$PGBAK_BIN" help archive-wal >/dev/null

mkdir in && chown postgres: in 2>/dev/null || true

# Make the first generation outside the crash loop.
mkseg in/000000010000000000000001 000000010000000000000001
assert_exit 0 pgbak_run archive-wal in/000000010000000000000001

n=2
for step in after-open mid-write before-fsync before-linkat before-dir-fsync after-state-update; do
  seg=$(printf '0000000100000000000000%02X' $n)
  mkseg in/$seg $seg --seed $n
  # As if a sync had just finished: nothing pending, so archive-wal must write the state byte.
  printf '\0' | dd of="$PGBAK/pgbak.lock" bs=1 count=1 conv=notrunc status=none
  rc=0
  as_pg env PGBAK_FAULT=$step "$PGBAK_BIN" -D "$PGBAK" archive-wal in/$seg 2>/dev/null || rc=$?
  assert_eq 137 "$rc" "archive-wal killed at $step"
  stored="$PGBAK/current/pg_wal/$seg.zst"
  if [[ -e $stored ]]; then
    cmp <(zstd -dc "$stored") in/$seg || fail "partial or corrupt $stored after a crash at $step"
  fi
  leftovers=$(find "$PGBAK" -name '.*tmp*' | wc -l)
  assert_eq 0 "$leftovers" "temp files left after a crash at $step"
  assert_exit 0 pgbak_run archive-wal in/$seg
  cmp <(zstd -dc "$stored") in/$seg || fail "retry after $step did not store the segment"
  (($(state_bits) & 1)) || fail "backup script not pending after a crash at $step and retry"
  ok "crash at $step: nothing partial, retry stores it, backup run pending"
  n=$((n + 1))
done


# keygen writes the key the same way: killed at any step, no key (partial or whole) under its
# name, and a second keygen then succeeds.
mkdir -m 700 "$T/keys"
for step in after-open mid-write before-fsync before-linkat; do
  rc=0
  env PGBAK_FAULT=$step:new.key "$PGBAK_BIN" keygen "$T/keys/new.key" >/dev/null 2>&1 || rc=$?
  assert_eq 137 "$rc" "keygen killed at $step"
  assert_no_file "$T/keys/new.key" "a key file after keygen was killed at $step"
done
assert_exit 0 "$PGBAK_BIN" keygen "$T/keys/new.key"
assert_eq 65 "$(stat -c %s "$T/keys/new.key")" "the key file's size"
assert_eq 600 "$(stat -c %a "$T/keys/new.key")" "the key file's mode"
assert_exit 1 "$PGBAK_BIN" keygen "$T/keys/new.key"
assert_match "cannot create key file '$T/keys/new.key': it exists already" "$LAST_STDERR"
ok "keygen killed at each step of its write: no key file; then a whole 0600 key, never overwritten"
