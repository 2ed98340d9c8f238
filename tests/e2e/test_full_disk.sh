#!/usr/bin/env bash
# A full file system under $PGBAK: archive-wal exits 1 with "No space left on device", leaves no
# temp or partial file, and succeeds once space is freed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
if [[ $(id -u) != 0 ]]; then
  echo "ok - skipped: mounting a small tmpfs needs root"
  exit 0
fi
mkdir "$T/small"
mount -t tmpfs -o size=3m,mode=0755 tmpfs "$T/small"
chown postgres: "$T/small"
# Unmount before lib.sh's cleanup removes $T.
trap 'rc=$?; umount -l "$T/small" 2>/dev/null; _e2e_exit $rc' EXIT

PGBAK=$T/small/pgbak
pgbak_init
echo "pg-bindir = /nonexistent" >"$PGBAK/pgbak.conf"
mkseg() { as_pg python3 "$PGBAK_SRC/tests/e2e/make_segment.py" "$@"; }
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
