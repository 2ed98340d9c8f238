#!/usr/bin/env bash
# Sustained load: pgbench -c 8 for PGBAK_SUSTAINED_SECONDS (default 60; 180 for the full run)
# while the backup script takes 2 s per run: pg_stat_archiver.failed_count stays 0 and at the end
# the archive lags at most 2 segments behind the server's current WAL file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
DURATION=${PGBAK_SUSTAINED_SECONDS:-60}
as_pg touch "$T/runs"
write_backup_script "echo \"\$1 \$2\" >>'$T/runs'
sleep 2"
cluster_init main
cluster_start main
cluster_env main
cluster_pgbench main -i -s 5 -q >/dev/null 2>&1
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 120
failed0=$(cluster_psql main -c 'SELECT failed_count FROM pg_stat_archiver')

cluster_pgbench main -c 8 -j 2 -T "$DURATION" -n >"$T/pgbench.out" 2>&1 ||
  fail "pgbench failed: $(tail -n 3 "$T/pgbench.out")"
row=$(cluster_psql main -c "SELECT failed_count, coalesce(last_archived_wal, ''),
  pg_walfile_name(pg_current_wal_lsn()), archived_count FROM pg_stat_archiver")
IFS='|' read -r failed last current count <<<"$row"
assert_eq "$failed0" "$failed" "pg_stat_archiver.failed_count after $DURATION s of pgbench"
# Segments between the current WAL file and the last archived one (same timeline, 16 MiB).
seg_no() { echo $(((16#${1:8:8}) * 256 + 16#${1:16:8})); }
lag=$(($(seg_no "$current") - $(seg_no "${last:0:24}") - 1))
echo "current $current, last archived $last, lag $lag, archived $count, $(grep -c . "$T/runs") script runs"
((lag <= 2)) || fail "archive lag $lag segments at the end of the run (current $current, last archived $last)"
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$T/pgbench.out" | head -n 1)
ok "pgbench -c 8 for $DURATION s ($tps tps): no archive failure, lag $lag segments at the end"
cluster_stop main
