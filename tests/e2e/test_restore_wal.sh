#!/usr/bin/env bash
# restore-wal as restore_command: byte-identical files, current generation
# first, quiet exit 1 for names not archived, clear errors otherwise; restore
# refuses a non-empty PGDATA and leaves nothing behind on a corrupt base.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
start_main 1
seg=$LAST_SWITCH_WAL
mkdir -p "$T/restored" && chown postgres "$T/restored" 2>/dev/null || true
# wal_only_copy DIR: a backup directory holding current's generation with only its system
# identifier and $seg (no base), to damage or to check "no base" without racing the background
# sync, which may snapshot and hash $PGBAK's files at any time.
wal_only_copy() {
  local g
  g=$(readlink "$PGBAK/current")
  mkdir -m 700 "$1" # root's copy: init as root only in a directory root owns
  "$PGBAK_BIN" -D "$1" init >/dev/null
  mkdir -p "$1/$g/pg_wal"
  cp "$PGBAK/$g/system_identifier" "$1/$g/"
  cp "$PGBAK/$g/pg_wal/$seg.zst" "$1/$g/pg_wal/"
  ln -s "$g" "$1/current"
}

# Hidden files beside DEST other than the prefetch spool (restore-wal starts a prefetcher).
temps() { find "$T/restored" -name '.*' ! -name .pgbak-prefetch ! -path '*/.pgbak-prefetch/*'; }
(cd "$T/restored" && assert_exit 0 pgbak_run restore-wal "$seg" "pg_wal_RECOVERYXLOG")
cmp "$T/restored/pg_wal_RECOVERYXLOG" "$T/main.plain/$seg" || fail "restored segment differs"
assert_eq 600 "$(stat -c %a "$T/restored/pg_wal_RECOVERYXLOG")" "mode of the restored file"
assert_eq "" "$(temps)" "temp files left in the destination directory"
ok "restore-wal $seg (relative DEST) is byte-identical to what was archived"

# current is searched first, then older generations newest first.
cur=$(readlink "$PGBAK/current")
for g in $((cur - 200)) $((cur - 100)); do
  as_pg mkdir -p "$PGBAK/$g/pg_wal"
  for name in "$seg" 0000000100000000000000F0; do
    mkseg "$T/copy" "$name" --size $((1 << 20)) --seed "$g"
    zstd -q --check -o "$PGBAK/$g/pg_wal/$name.zst" "$T/copy"
  done
  chown -R postgres "$PGBAK/$g" 2>/dev/null || true
done
assert_exit 0 pgbak_run restore-wal "$seg" "$T/restored/x"
cmp -s "$T/restored/x" "$T/main.plain/$seg" || fail "restore-wal did not take current's copy"
assert_exit 0 pgbak_run restore-wal 0000000100000000000000F0 "$T/restored/x"
mkseg "$T/copy" 0000000100000000000000F0 --size $((1 << 20)) --seed $((cur - 100))
cmp -s "$T/restored/x" "$T/copy" || fail "copy picked among older generations"
rm -rf "${PGBAK:?}/$((cur - 200))" "${PGBAK:?}/$((cur - 100))"
ok "current's copy wins, then the newest older generation's"

# archive-wal stores a segment as two zstd frames (one per thread). A copy that lost its second
# frame is whole frames, so zstd alone finds nothing wrong: restore-wal checks the size against
# the segment header, and verify reports it too.
# (In a copy: the background sync may be hashing $PGBAK's files meanwhile.)
cut=$T/cut.pgbak
wal_only_copy "$cut"
stored="$cut/current/pg_wal/$seg.zst"
cp -p "$stored" "$T/whole.zst"
first=$(python3 - "$stored" <<'PY'
# The end of the first frame: the first frame magic after which the prefix is whole zstd data.
import subprocess, sys
data = open(sys.argv[1], "rb").read()
at = data.find(b"\x28\xb5\x2f\xfd", 4)
while at > 0 and subprocess.run(["zstd", "-tq"], input=data[:at], capture_output=True).returncode:
    at = data.find(b"\x28\xb5\x2f\xfd", at + 1)
print(at)
PY
)
head -c "$first" "$T/whole.zst" >"$stored"
assert_eq $((8 << 20)) "$(zstd -dc "$stored" | wc -c)" "the first frame alone decompresses to half a segment"
assert_exit 1 "$PGBAK_BIN" -D "$cut" restore-wal "$seg" "$T/restored/cut"
assert_match "corrupt archived file .*$seg.zst.*size 8388608" "$LAST_STDERR"
assert_no_file "$T/restored/cut"
assert_eq "" "$(temps)" "temp files left after a refused restore"
assert_exit 1 "$PGBAK_BIN" -D "$cut" verify
assert_match "$seg.*size 8388608" "$LAST_STDOUT"
ok "a segment that lost a frame is refused by restore-wal and reported by verify"

assert_exit 1 pgbak_run restore-wal 00000009.history "$T/restored/h"
assert_eq "" "$LAST_STDERR" "stderr for a file not archived"
assert_no_file "$T/restored/h"
assert_exit 1 pgbak_run restore-wal FFFFFFFF0000000000000001 "$T/restored/s"
assert_eq "" "$LAST_STDERR" "stderr for a segment not archived"
ok "names not archived: exit 1 without a message"

assert_exit 1 pgbak_run restore-wal not-a-wal-name "$T/restored/n"
assert_match 'invalid WAL file name' "$LAST_STDERR"
assert_exit 1 pgbak_run restore-wal "$seg" "$T/missing-dir/RECOVERYXLOG"
assert_match "cannot open '$T/missing-dir/'" "$LAST_STDERR"
ok "malformed names and missing destination directories are clear errors"

# restore: a non-empty PGDATA is refused untouched; no base is a clear error.
mkdir -p "$T/busy.data" && echo keep >"$T/busy.data/file"
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore "$T/busy.data"
assert_match 'not empty' "$LAST_STDERR"
assert_eq "file" "$(ls "$T/busy.data")" "non-empty PGDATA touched"
nobase=$T/nobase.pgbak
wal_only_copy "$nobase"
assert_exit 1 "$PGBAK_BIN" -D "$nobase" restore "$T/nobase.data"
assert_match 'has a base backup' "$LAST_STDERR"
assert_no_file "$T/nobase.data"
ok "restore refuses a non-empty PGDATA and a directory without base backups"

assert_exit 1 "$PGBAK_BIN" -D "$nobase" verify
assert_match 'no generation has a base backup' "$LAST_STDOUT"
assert_match 'no base backup \(WAL only\), .*: ok' "$LAST_STDOUT"
ok "verify: WAL without any base is a problem, the WAL itself is fine"

make_base
gen=$(readlink -f "$PGBAK/current")
assert_exit 0 pgbak_run verify
rc=0
PGBAK_FAULT=restore-before-rename "$PGBAK_BIN" -D "$PGBAK" restore "$T/killed.data" >/dev/null 2>&1 || rc=$?
assert_eq 137 "$rc" "exit status of a restore killed before its rename"
assert_no_file "$T/killed.data"
[[ -n $(ls -A "$T" | grep '^\.killed\.data\.pgbak-restore\.') ]] || fail "no temp directory left by the killed restore"
assert_exit 0 "$PGBAK_BIN" -D "$PGBAK" restore "$T/killed.data"
assert_file "$T/killed.data/backup_label"
assert_file "$T/killed.data/recovery.signal"
assert_eq "" "$(ls -A "$T" | grep pgbak-restore || true)" "temp directories after restoring again"
ok "a restore killed before its rename leaves no PGDATA; the next one cleans up and succeeds"

if ((EUID == 0)); then
  assert_exit 0 pgbak_run restore "$T/as_postgres.data"
  assert_eq "postgres 700" "$(stat -c '%U %a' "$T/as_postgres.data")" "PGDATA restored by postgres"
  assert_exit 0 "$PGBAK_BIN" -D "$PGBAK" restore "$T/nobody.data" --owner nobody
  assert_eq "" "$(find "$T/nobody.data" ! -user nobody)" "files not owned by --owner nobody"
  assert_exit 2 pgbak_run restore "$T/x.data" --owner nobody
  assert_match 'needs root' "$LAST_STDERR"
  ok "restore as the server's user; as root with --owner; --owner of another user needs root"
fi
size=$(stat -c %s "$gen/base.tzst")
truncate -s $((size * 2 / 3)) "$gen/base.tzst"
mkdir "$T/empty.data"
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore "$T/empty.data"
assert_match "$gen/base.tzst" "$LAST_STDERR" "error names the base"
assert_eq "" "$(ls -A "$T/empty.data")" "PGDATA after a failed restore"
assert_eq "" "$(ls -A "$T" | grep pgbak-restore || true)" "temp directories left behind"
ok "a corrupt base: clear error, nothing half-extracted left"
