#!/usr/bin/env bash
# verify on a healthy archive reports no problems; then each injected fault is
# found and named: a flipped byte, a truncated file, a deleted segment in the
# middle (gap), a segment of another cluster, a file changed after SHA256SUMS.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
start_main 1
make_base
for i in 1 2 3 4 5 6; do
  cluster_psql main -c "CREATE TABLE t$i AS SELECT generate_series(1, 20000) AS x"
  wait_archived main --no-failures
done
cluster_stop main
gen=$(readlink -f "$PGBAK/current")
write_sums "$gen"
assert_exit 0 pgbak_run verify
assert_match 'verify: 1 generation, .*: no problems' "$LAST_STDOUT"
ok "healthy archive: no problems"

start_seg=$(zstd -dc "$gen/base.tzst" | tar -xOf - backup_label | sed -n 's/^START WAL LOCATION: .*(file \(.*\))$/\1/p')
mapfile -t segs < <(cd "$gen/pg_wal" && ls | sed -n 's/^\([0-9A-F]\{24\}\)\.zst$/\1/p' | sort | awk -v s="$start_seg" '$0 >= s')
((${#segs[@]} >= 7)) || fail "expected at least 7 segments after the base start, got ${#segs[@]}"
flipped=${segs[1]} truncated=${segs[2]} deleted=${segs[3]} changed=${segs[4]}

size=$(stat -c %s "$gen/pg_wal/$flipped.zst")
printf '\xff' | dd of="$gen/pg_wal/$flipped.zst" bs=1 seek=$((size / 2)) conv=notrunc status=none
truncate -s $(($(stat -c %s "$gen/pg_wal/$truncated.zst") / 2)) "$gen/pg_wal/$truncated.zst"
rm "$gen/pg_wal/$deleted.zst"
zstd -qdc "$gen/pg_wal/$changed.zst" | zstd -q -19 --check -o "$gen/pg_wal/$changed.zst.new"
mv "$gen/pg_wal/$changed.zst.new" "$gen/pg_wal/$changed.zst"
as_pg initdb -D "$T/other.data" >/dev/null 2>&1 || fail "initdb of the other cluster failed"
other=$(cd "$T/other.data/pg_wal" && ls | grep -E '^[0-9A-F]{24}$' | head -n 1)
zstd -q --check -o "$gen/pg_wal/$other.new" "$T/other.data/pg_wal/$other"
mv -f "$gen/pg_wal/$other.new" "$gen/pg_wal/$other.zst"
ok "injected: flipped byte in $flipped, truncated $truncated, deleted $deleted, changed $changed, other cluster's $other"

assert_exit 1 pgbak_run verify
out=$LAST_STDOUT
echo "$out"
assert_match "corrupt compressed file '$gen/pg_wal/$flipped.zst'" "$out" "flipped byte"
assert_match "corrupt compressed file '$gen/pg_wal/$truncated.zst'" "$out" "truncated file"
assert_match "gap: missing segment $deleted" "$out" "deleted segment"
assert_match "$gen/pg_wal/$deleted.zst: listed in SHA256SUMS but missing" "$out" "deleted segment in SHA256SUMS"
assert_match "$gen/pg_wal/$other.zst: system identifier [0-9]+ differs from the generation's [0-9]+" "$out" "other cluster"
assert_match "$gen/pg_wal/$changed.zst: SHA-256 [0-9a-f]+ differs from SHA256SUMS" "$out" "changed file"
assert_match 'verify: 1 generation, .*: [0-9]+ problems?' "$out" "summary line"
ok "verify names every fault and exits 1"

# restore_command on the corrupt file: exit 1 naming it, and nothing at DEST.
echo stale >"$T/dest"
chown postgres "$T/dest" 2>/dev/null || true
assert_exit 1 pgbak_run restore-wal "$flipped" "$T/dest"
assert_match "$gen/pg_wal/$flipped.zst" "$LAST_STDERR" "restore-wal names the corrupt file"
assert_no_file "$T/dest"
assert_exit 1 pgbak_run restore-wal "$truncated" "$T/dest"
assert_no_file "$T/dest"
ok "restore-wal refuses corrupt and truncated files, DEST absent"
