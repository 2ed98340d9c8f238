#!/usr/bin/env bash
# Issue 18: FIFOs and other special files planted inside $PGBAK never hang pgbak. A FIFO at a
# generation's system_identifier or pg_wal/NAME.zst would block archive-wal and restore-wal (the
# server's archiver or recovery for ever); at SHA256SUMS, sync.status, sync.log or pgbak.lock it
# would block verify, status or sync. Each is a one-line error (or, for what status only reads
# for information, ignored) within a bounded time. A generation directory that is itself a
# symlink is refused by restore-wal and verify.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
# No server: a snapshot fails at once; the sync's retries are quick.
write_conf "pg-bindir = /nonexistent" "snapshot-min-wal-files = 1000000" "backoff-start = 0.2" \
  "backoff-max = 0.5"
mkdir in && chown postgres: in
mkseg_in() { mkseg "in/$1" "$1" --seed "${2:-1}"; }
seg() { printf '0000000100000000000000%02X' "$1"; }

# bounded EXPECTED_EXIT REGEX ARGS...: pgbak ARGS as postgres under `timeout 10`; exit status
# EXPECTED_EXIT (never 124, a hang) and, unless REGEX is empty, one stderr line matching it.
bounded() {
  local want=$1 regex=$2
  shift 2
  assert_exit "$want" as_pg timeout 10 "$PGBAK_BIN" -D "$PGBAK" "$@"
  if [[ -n $regex ]]; then
    assert_match "$regex" "$LAST_STDERR"
    assert_eq 1 "$(grep -c . <<<"$LAST_STDERR")" "stderr lines of $* ($LAST_STDERR)"
  fi
}

# A generation with a base (fake: no server here), one segment, SHA256SUMS; no sync left.
mkseg_in "$(seg 1)"
bounded 0 "" archive-wal "in/$(seg 1)"
stop_sync KILL # it retries the snapshot for ever here
gen=$(readlink "$PGBAK/current")
echo "not a real base backup" | zstd -q | as_pg tee "$PGBAK/$gen/base.tzst" >/dev/null
printf '\x01' | dd of="$PGBAK/pgbak.lock" bs=1 count=1 conv=notrunc status=none
bounded 0 "" sync
assert_file "$PGBAK/$gen/SHA256SUMS"
ok "generation $gen with one segment, synced"

plant_fifo() { rm -f "$1" && as_pg mkfifo -m 600 "$1"; }

# system_identifier: archive-wal reads it before storing.
mv "$PGBAK/$gen/system_identifier" "$T/sysid.saved"
plant_fifo "$PGBAK/$gen/system_identifier"
mkseg_in "$(seg 2)"
bounded 1 "^pgbak: cannot open '.*/system_identifier': not a regular file$" archive-wal "in/$(seg 2)"
rm "$PGBAK/$gen/system_identifier" && mv "$T/sysid.saved" "$PGBAK/$gen/system_identifier"
ok "FIFO at system_identifier: archive-wal exits 1 at once"

# pg_wal/NAME.zst: archive-wal compares an existing copy; restore-wal decompresses it.
plant_fifo "$PGBAK/$gen/pg_wal/$(seg 2).zst"
bounded 1 "^pgbak: cannot open '.*/pg_wal/$(seg 2).zst': not a regular file$" archive-wal "in/$(seg 2)"
bounded 1 "^pgbak: cannot open '.*/pg_wal/$(seg 2).zst': not a regular file$" \
  restore-wal "$(seg 2)" "$T/restored"
assert_no_file "$T/restored"
# verify names it among its problems and goes on.
bounded 1 "" verify
assert_match "pg_wal/$(seg 2).zst': not a regular file" "$LAST_STDERR$LAST_STDOUT"
rm "$PGBAK/$gen/pg_wal/$(seg 2).zst"
bounded 0 "" restore-wal "$(seg 1)" "$T/restored"
cmp "$T/restored" "in/$(seg 1)" || fail "restored segment differs"
ok "FIFO at pg_wal/NAME.zst: archive-wal, restore-wal and verify exit 1 at once"

# SHA256SUMS: verify and the sync read it.
mv "$PGBAK/$gen/SHA256SUMS" "$T/sums.saved"
plant_fifo "$PGBAK/$gen/SHA256SUMS"
bounded 1 "" verify
assert_match "SHA256SUMS': not a regular file" "$LAST_STDERR$LAST_STDOUT"
# The sync reports it and retries (with backoff) instead of blocking: stopped by the timeout.
assert_exit 124 as_pg timeout 3 "$PGBAK_BIN" -D "$PGBAK" force-sync
assert_match "cannot open '.*/SHA256SUMS': not a regular file \(failure 1; retrying" "$LAST_STDERR"
bounded 0 "" status
rm "$PGBAK/$gen/SHA256SUMS" && mv "$T/sums.saved" "$PGBAK/$gen/SHA256SUMS"
ok "FIFO at SHA256SUMS: verify exits 1, the sync reports it and retries"

# sync.status: status reads it for information only; the sync replaces it.
plant_fifo "$PGBAK/sync.status"
bounded 0 "" status
bounded 0 "" status --json
bounded 0 "" force-sync
assert_file "$PGBAK/sync.status"
ok "FIFO at sync.status: status works, the sync replaces it"

# sync.log: the sync appends to it.
plant_fifo "$PGBAK/sync.log"
bounded 1 "^pgbak: cannot open '.*/sync.log': not a regular file$" force-sync
bounded 0 "" status
rm "$PGBAK/sync.log"
ok "FIFO at sync.log: the sync exits 1 at once"

# pgbak.lock: every command opens it.
mv "$PGBAK/pgbak.lock" "$T/lock.saved"
plant_fifo "$PGBAK/pgbak.lock"
bounded 1 "pgbak.lock': not a regular file$" status
bounded 1 "pgbak.lock': not a regular file$" wait 0
bounded 1 "pgbak.lock': not a regular file$" archive-wal "in/$(seg 1)"
rm "$PGBAK/pgbak.lock" && mv "$T/lock.saved" "$PGBAK/pgbak.lock"
ok "FIFO at pgbak.lock: status, wait and archive-wal exit 1 at once"

# A generation directory that is itself a symlink: restore-wal and verify refuse it.
mkseg_in "$(seg 3)"
bounded 0 "" archive-wal "in/$(seg 3)"
pgbak_run wait 30
old=$gen
new=$((old + 100))
as_pg mkdir -m 700 "$PGBAK/$new" "$PGBAK/$new/pg_wal"
ln -sfn "$new" "$PGBAK/current"
mv "$PGBAK/$old" "$T/outside"
ln -s "$T/outside" "$PGBAK/$old"
bounded 1 "^pgbak: cannot open directory '.*/$old': a symbolic link \(refused\)$" \
  restore-wal "$(seg 3)" "$T/restored3"
assert_no_file "$T/restored3"
bounded 1 "" verify
assert_match "$old': a symbolic link \(refused\)" "$LAST_STDERR$LAST_STDOUT"
rm "$PGBAK/$old" && mv "$T/outside" "$PGBAK/$old"
bounded 0 "" restore-wal "$(seg 3)" "$T/restored3"
ok "a generation that is a symlink: restore-wal and verify refuse it"
