#!/usr/bin/env bash
# archive-wal refuses bad names and bad files with exit 1 and one clear line, and writes nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init

SEG=000000010000000000000003
snapshot() { dir_listing "$PGBAK" --all; }
before=$(snapshot)

# refuse EXPECTED_MESSAGE_REGEX PATH: exit 1, one "pgbak: ..." line, nothing written.
refuse() {
  local want=$1 path=$2
  assert_exit 1 pgbak_run archive-wal "$path"
  assert_eq 1 "$(printf '%s\n' "$LAST_STDERR" | wc -l)" "one line of stderr for '${path:0:40}'"
  assert_match "^pgbak: .*$want" "$LAST_STDERR"
  assert_eq "$before" "$(snapshot)" "nothing written for '${path:0:40}'"
  ok "refused '${path:0:40}': ${LAST_STDERR:0:100}"
}

mkdir -p in && chown postgres: in 2>/dev/null || true
mkseg in/good.seg $SEG
for name in "" . .. "pg_wal/" 00000001000000000000000a 00000001000000000000000 \
  0000000100000000000000003 $SEG.zst $SEG.gz 00000001.HISTORY "$(printf 'A%.0s' {1..4096})"; do
  refuse "invalid WAL file name|empty" "$name"
done

refuse "No such file" "in/$SEG"
mkdir in/000000010000000000000004
refuse "not a regular file" in/000000010000000000000004
mkfifo in/000000010000000000000005 && chmod 644 in/000000010000000000000005
refuse "not a regular file" in/000000010000000000000005
mkseg in/000000010000000000000006 000000010000000000000006 && chmod 000 in/000000010000000000000006
if [[ $(id -u) == 0 ]]; then refuse "Permission denied" in/000000010000000000000006; fi
: >in/000000010000000000000007 && chown postgres: in/000000010000000000000007 2>/dev/null || true
refuse "not a valid WAL segment.*power of two" in/000000010000000000000007
mkseg in/000000010000000000000008 000000010000000000000008 && truncate -s 8M in/000000010000000000000008
refuse "not a valid WAL segment.*differs from file size" in/000000010000000000000008
mkseg in/000000010000000000000009 00000001000000000000000A
refuse "not a valid WAL segment.*page address" in/000000010000000000000009
mkseg in/00000001000000000000000B 00000001000000000000000B --magic 0x1234
refuse "not a valid WAL segment.*magic" in/00000001000000000000000B
mkseg in/00000001000000000000000C 00000001000000000000000C --size $((3 << 20))
refuse "not a valid WAL segment.*power of two" in/00000001000000000000000C
: >in/00000002.history
refuse "not plausible" in/00000002.history

# A symlink to a segment is followed; the name checked is the link's (documented).
mkseg in/real 00000001000000000000000D
ln -s real in/00000001000000000000000D
assert_exit 0 pgbak_run archive-wal in/00000001000000000000000D
assert_file "$PGBAK/current/pg_wal/00000001000000000000000D.zst"
ok "a symlink to a segment is archived under the link's name"

# Bad invocations: usage errors exit 2, a backup directory that is a file exits 1.
assert_exit 2 env -u PGBAK "$PGBAK_BIN" archive-wal in/real
assert_match "^pgbak: no backup directory" "$LAST_STDERR"
touch notadir
assert_exit 1 "$PGBAK_BIN" -D notadir archive-wal in/00000001000000000000000D
assert_match "^pgbak: cannot open backup directory .*Not a directory" "$LAST_STDERR"
assert_exit 2 "$PGBAK_BIN" -D "$PGBAK" archive-wal
assert_exit 2 "$PGBAK_BIN" -D "$PGBAK" archive-wal a b
assert_exit 2 "$PGBAK_BIN" -D "$PGBAK" archiv-wal a
assert_match "did you mean 'archive-wal'" "$LAST_STDERR"
ok "usage errors exit 2 with one line"
