#!/usr/bin/env bash
# archive-wal end to end: a real server archives pgbench WAL through pgbak.
# Every file PostgreSQL handed over is stored once, compressed, byte-identical,
# 0600 in 0700 directories, and archiving it again is a no-op that succeeds.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init
cluster_init main
cluster_start main
ok "cluster started with archive_command through pgbak"

cluster_pgbench main -i -s 5 -q >>"$T/pgbench.log" 2>&1
cluster_pgbench main -c 2 -j 2 -T 5 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
ok "pgbench WAL archived up to $LAST_SWITCH_WAL"

# The plain copies and the server's counters must describe the same moment:
# read the counters on both sides of the listing until they agree.
for _ in {1..50}; do
  stats=$(cluster_psql main -c 'SELECT archived_count, failed_count FROM pg_stat_archiver')
  plain=$(find "$T/main.plain" -maxdepth 1 -type f ! -name '.*' -printf '%f\n' | sort)
  [[ $stats == "$(cluster_psql main -c 'SELECT archived_count, failed_count FROM pg_stat_archiver')" ]] && break
  sleep 0.2
done
IFS='|' read -r archived_count failed_count <<<"$stats"
assert_eq 0 "$failed_count" "pg_stat_archiver.failed_count"
assert_eq "$archived_count" "$(grep -c . <<<"$plain")" "files handed to archive_command vs archived_count"
((archived_count >= 4)) || fail "only $archived_count files archived; pgbench should have produced more"
ok "$archived_count files archived, none failed"

# A later generation may take over (snapshots): a file counts where the newest
# generation holding it has it, as restore-wal would pick it.
archived_copy() {
  find "$PGBAK" -mindepth 3 -maxdepth 3 -path "$PGBAK/[0-9]*/pg_wal/$1.zst" | sort | tail -n 1
}
stored=$(find "$PGBAK" -mindepth 3 -maxdepth 3 -path "$PGBAK/[0-9]*/pg_wal/*" -printf '%f\n' | sort -u)
assert_eq "$(sed 's/$/.zst/' <<<"$plain" | sort)" "$stored" "files in pg_wal/ of the generations vs files handed over"
assert_file "$PGBAK/current/pg_wal/$LAST_SWITCH_WAL.zst" "newest segment not in current generation"
while IFS= read -r name; do
  copy=$(archived_copy "$name")
  zstd -qdc "$copy" | cmp -s - "$T/main.plain/$name" || fail "$copy does not decompress to what PostgreSQL handed over"
done <<<"$plain"
ok "every file is stored once and decompresses byte-identical"
assert_match 'XXH64' "$(zstd -lv "$(archived_copy "$LAST_SWITCH_WAL")" 2>&1)" "zstd frame checksum"
ok "zstd frames carry a content checksum"

bad_modes=$(find "$PGBAK" \( -type d ! -perm 700 -printf '%m %p\n' \) -o \
  \( -type f ! -path "$PGBAK/scripts/*" ! -perm 600 -printf '%m %p\n' \))
assert_eq "" "$bad_modes" "modes other than 0700 (directories) and 0600 (files)"
ok "directories are 0700, files 0600"

# PostgreSQL hands a file over again after a crash: identical content must
# succeed and change nothing (state, status and log files aside; replacing sync.status
# changes the mtime of $PGBAK itself, so that is not compared).
pgbak_run wait 60
before=$(dir_listing "$PGBAK")
seg=$(grep -E '^[0-9A-F]{24}$' <<<"$plain" | tail -n 1)
assert_exit 0 pgbak_run archive-wal "$T/main.plain/$seg"
(cd "$T/main.plain" && assert_exit 0 pgbak_run archive-wal "$seg")
assert_eq "$before" "$(dir_listing "$PGBAK")" "pgbak directory after archiving $seg again"
ok "archiving $seg again exits 0 and changes nothing"

cluster_stop main
ok "cluster stopped"
