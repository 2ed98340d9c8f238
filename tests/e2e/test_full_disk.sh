#!/usr/bin/env bash
# A full file system under $PGBAK: archive-wal exits 1 with "No space left on device", leaves no
# temp or partial file, and succeeds once space is freed; a sync reports the full disk, retries,
# and finishes once space is freed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
test_mount "$T/small" -t tmpfs -o size=3m,mode=0755 tmpfs
chown postgres: "$T/small"

PGBAK=$T/small/pgbak
pgbak_init
echo "pg-bindir = /nonexistent" >"$PGBAK/pgbak.conf"
mkdir in && chown postgres: in
# Random content so that the compressed segment is larger than the space left.
as_pg head -c $((16 << 20)) /dev/urandom >in/rand
python3 - "$T/in/rand" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.write(struct.pack("<HHIQIIQII", 0xD110, 2, 1, 5 * (16 << 20), 0, 0, 7300000000000000001, 16 << 20, 8192))
PY
cp -p in/rand in/000000010000000000000005

assert_exit 1 pgbak_run archive-wal in/000000010000000000000005
assert_match "^pgbak: .*No space left on device" "$LAST_STDERR"
assert_eq 1 "$(printf '%s\n' "$LAST_STDERR" | wc -l)" "one line of stderr"
assert_no_file "$PGBAK/current/pg_wal/000000010000000000000005.zst"
assert_eq "" "$(find "$PGBAK" -name '.*tmp*')" "no temp file left"
ok "full disk: exit 1, ${LAST_STDERR:0:100}"

# Free space: a bigger file system (remount) and the retry succeeds.
mount -o remount,size=64m "$T/small"
assert_exit 0 pgbak_run archive-wal in/000000010000000000000005
cmp <(zstd -dc "$PGBAK/current/pg_wal/000000010000000000000005.zst") in/000000010000000000000005 ||
  fail "stored copy differs"
ok "after freeing space the retry stores the segment"

# The sync on a full disk: the error (No space left on device) is reported and retried, and the
# sync finishes once space is freed. It runs in the foreground, whose log lines also go to
# stderr: sync.log itself may not grow while the disk is full.
sync_pid=$(sed -n 's/^pid=//p' "$PGBAK/sync.status" 2>/dev/null)
if [[ ${sync_pid:-0} != 0 ]]; then kill -9 "$sync_pid" 2>/dev/null || true; fi # can never snapshot here
sleep 0.5
# The first archive-wal asked for a snapshot, which needs a server: only the script is due here.
printf '\x01' | dd of="$PGBAK/pgbak.lock" bs=1 count=1 conv=notrunc status=none
gen=$(readlink "$PGBAK/current")
echo "not a real base backup" | zstd -q >"$PGBAK/$gen/base.tzst"
chown postgres: "$PGBAK/$gen/base.tzst" && chmod 600 "$PGBAK/$gen/base.tzst"
printf '%s\n' "pg-bindir = /nonexistent" "snapshot-min-wal-files = 1000000" \
  "backoff-start = 0.2" "backoff-max = 0.5" >"$PGBAK/pgbak.conf"
printf '#!/bin/sh\nexit 0\n' >"$PGBAK/scripts/backup"
mount -o remount,size=24m "$T/small"
dd if=/dev/zero of="$T/small/filler" bs=64k 2>/dev/null || true
pgbak_run sync >"$T/sync.out" 2>&1 &
pid=$!
enospc() { grep -q "No space left on device (failure [0-9]*; retrying" "$T/sync.out"; }
deadline=$((SECONDS + 60))
until enospc; do
  ((SECONDS < deadline)) || fail "the sync did not report the full disk: $(tail -n 3 "$T/sync.out")"
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null || fail "the sync gave up on a full disk"
rm -f "$T/small/filler"
wait "$pid" || fail "the sync failed after space was freed: $(tail -n 3 "$T/sync.out")"
grep -q "succeeded after [0-9]* failure" "$PGBAK/sync.log" || fail "sync.log does not record the recovery"
assert_eq "" "$(find "$PGBAK" -name '.*tmp*')" "no temp file left by the sync"
ok "sync on a full disk: $(grep -o "pgbak: .*No space left on device" "$T/sync.out" | head -n 1 | cut -c1-90); done once freed"
