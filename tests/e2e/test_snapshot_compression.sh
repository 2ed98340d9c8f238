#!/usr/bin/env bash
# Who compresses a snapshot (snapshot-compression), and restore's SHA-256 check of the base.
# auto on PostgreSQL 15: the server (pg_basebackup --compress=server-zstd), stored as it comes: a
# zstd stream without content checksum, listed in SHA256SUMS right after the snapshot. client:
# pgbak compresses (content checksum on). auto with a pg_basebackup older than 15: the client.
# `pgbak restore` of either recovers the source's data. A base damaged after the snapshot (in
# the middle, or before its backup_label) makes restore fail with the SHA-256 error and leaves
# no PGDATA behind; verify reports it. A base not listed in SHA256SUMS: restore warns and goes
# on.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
start_main 2
make_base
gen1=$(readlink "$PGBAK/current")
g1=$PGBAK/$gen1

# who_compressed GEN: the sync.log line that says how GEN's snapshot was compressed.
who_compressed() {
  grep -A 2 "snapshot: generation $1 is current" "$PGBAK/sync.log" | grep -oE 'snapshot: compressed by .*' |
    tail -n 1
}
# check_of FILE: the content checksum of a zstd file ("None" or "XXH64").
check_of() { zstd -lv "$1" 2>/dev/null | sed -n 's/^Check: \([A-Za-z0-9]*\).*/\1/p'; }
# listed_digest GENDIR: the digest SHA256SUMS lists for base.tzst.
listed_digest() { awk '$2 == "base.tzst" {print $1}' "$1/SHA256SUMS"; }

# auto on PostgreSQL 15: the server compressed it, without content checksum; SHA256SUMS has it.
assert_eq "snapshot: compressed by the server (zstd level 1, 2 workers)" "$(who_compressed "$gen1")" \
  "sync.log of the first snapshot"
assert_eq None "$(check_of "$g1/base.tzst")" "zstd content checksum of a server-compressed base"
assert_eq "$(sha256sum <"$g1/base.tzst" | cut -d' ' -f1)" "$(listed_digest "$g1")" "SHA256SUMS entry of base.tzst"
# The base's entry is written right after the snapshot, before the backup-script step.
assert_match "SHA256SUMS of generation $gen1: " \
  "$(grep -A 1 "snapshot: base.tzst of generation $gen1 stored" "$PGBAK/sync.log" | tail -n 1)" \
  "the log line after the snapshot"
ok "auto: generation $gen1's base compressed by the server (Check: None), in SHA256SUMS at once"

cluster_pgbench main -c 2 -j 2 -t 200 >>"$T/pgbench.log" 2>&1
assert_exit 0 _e2e_with main pgbak_run -q full-sync --snapshot-compression client
gen2=$(readlink "$PGBAK/current")
g2=$PGBAK/$gen2
[[ $gen2 != "$gen1" ]] || fail "full-sync did not start a new generation"
assert_eq "snapshot: compressed by pgbak (zstd level 1, 2 workers)" "$(who_compressed "$gen2")" \
  "sync.log of the client-compressed snapshot"
assert_eq XXH64 "$(check_of "$g2/base.tzst")" "zstd content checksum of a client-compressed base"
ok "--snapshot-compression client: generation $gen2's base compressed by pgbak (Check: XXH64)"

cluster_pgbench main -c 2 -j 2 -t 200 >>"$T/pgbench.log" 2>&1
expect=$(table_sums main)
wait_archived main --no-failures
pgbak_run wait 120 || fail "the sync did not finish"
restore_and_start from_server --generation "$gen1"
assert_eq "$expect" "$(table_sums from_server)" "data restored from the server-compressed base"
cluster_stop from_server
restore_and_start from_client --generation "$gen2"
assert_eq "$expect" "$(table_sums from_client)" "data restored from the client-compressed base"
cluster_stop from_client
ok "restores from both bases recover the source's data ($expect)"

# auto with a pg_basebackup older than 15 (a wrapper that says so): pgbak compresses.
mkdir -p "$T/old-bin"
cat >"$T/old-bin/pg_basebackup" <<EOF
#!/bin/sh
[ "\$1" = --version ] && echo 'pg_basebackup (PostgreSQL) 14.11' && exit 0
exec $(pg_bindir)/pg_basebackup "\$@"
EOF
chmod 755 "$T/old-bin/pg_basebackup"
assert_exit 0 _e2e_with main pgbak_run -q full-sync --pg-bindir "$T/old-bin"
gen3=$(readlink "$PGBAK/current")
assert_match "^snapshot: compressed by pgbak \(zstd level 1, 2 workers\): pg_basebackup is version 14, " \
  "$(who_compressed "$gen3")" "sync.log of a snapshot with an old pg_basebackup"
assert_eq XXH64 "$(check_of "$PGBAK/$gen3/base.tzst")" "content checksum with an old pg_basebackup"
ok "auto with pg_basebackup 14: compressed by pgbak"
wait_archived main --no-failures
cluster_stop main
pgbak_run wait 120 || fail "the sync did not finish"

# damage FILE OFFSET: 16 bytes at OFFSET replaced by their complement (so surely different).
damage() {
  dd if="$1" bs=1 skip="$2" count=16 status=none | perl -0777 -pe '$_ ^= "\xff" x length' |
    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# restore_fails NAME OFFSET...: with generation 1's base damaged at OFFSET (a fresh copy of the
# intact one each time), `pgbak restore` into $T/NAME.data (an empty directory) fails with the
# SHA-256 error and leaves the directory empty and no temporary directory beside it.
cp -p "$g1/base.tzst" "$T/base.tzst.intact"
restore_fails() {
  local name=$1 off=$2
  cp -p "$T/base.tzst.intact" "$g1/base.tzst"
  damage "$g1/base.tzst" "$off"
  mkdir -m 700 "$T/$name.data"
  assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore "$T/$name.data" --generation "$gen1"
  assert_match "^pgbak: base backup '$g1/base.tzst' is damaged: its SHA-256 [0-9a-f]{64} differs from SHA256SUMS \($(listed_digest "$g1")\) \(HINT: " \
    "$LAST_STDERR" "restore of a base damaged at $off"
  assert_eq 1 "$(wc -l <<<"$LAST_STDERR")" "lines on stderr"
  assert_eq "" "$(ls -A "$T/$name.data")" "PGDATA after the failed restore"
  assert_eq "" "$(find "$T" -maxdepth 1 -name ".$name.data.pgbak-restore.*")" "temporary directories left"
  rmdir "$T/$name.data"
}
size=$(stat -c %s "$g1/base.tzst")
restore_fails damaged_middle $((size / 2))
ok "base damaged in the middle: restore fails with the SHA-256 error, PGDATA stays empty"
assert_exit 1 pgbak_run verify "$gen1"
problem=$(grep -m 1 -F "$g1/base.tzst" <<<"$LAST_STDOUT") || fail "verify does not name the damaged base: $LAST_STDOUT"
assert_match "corrupt|differs from SHA256SUMS" "$problem" "verify of the damaged base"
ok "verify reports the damaged base: $problem"
restore_fails damaged_start 100
ok "base damaged before its backup_label: the same SHA-256 error"

# The same tar recompressed (a valid zstd stream, but not the file the snapshot wrote: another
# level than snapshot-compress-level's 1): verify decompresses it fully and finds its SHA-256
# differs; restore refuses it as well.
zstd -qdc "$T/base.tzst.intact" | zstd -q -4 --no-check -o "$g1/base.tzst" --force
cmp -s "$T/base.tzst.intact" "$g1/base.tzst" && fail "the recompressed base is the same file"
assert_exit 1 pgbak_run verify "$gen1"
assert_match "$g1/base.tzst: SHA-256 [0-9a-f]+ differs from SHA256SUMS" "$LAST_STDOUT" \
  "verify of a recompressed base"
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore "$T/recompressed.data" --generation "$gen1"
assert_match "^pgbak: base backup '$g1/base.tzst' is damaged: its SHA-256" "$LAST_STDERR"
assert_no_file "$T/recompressed.data"
ok "a recompressed base: verify and restore find it differs from SHA256SUMS"
cp -p "$T/base.tzst.intact" "$g1/base.tzst"
assert_exit 0 pgbak_run verify "$gen1"

# Not listed in SHA256SUMS: restore warns (one line) and goes on.
sed -i '/  base\.tzst$/d' "$g2/SHA256SUMS"
assert_exit 0 "$PGBAK_BIN" -D "$PGBAK" restore "$T/unlisted.data" --generation "$gen2"
assert_eq "pgbak: warning: $g2/base.tzst is not listed in SHA256SUMS: its SHA-256 is not checked" \
  "$LAST_STDERR" "stderr of a restore of an unlisted base"
assert_file "$T/unlisted.data/PG_VERSION"
ok "base not listed in SHA256SUMS: restore warns and restores"
