#!/usr/bin/env bash
# Sustained-load check (bench/run --sustained): a cluster archiving through pgbak while
# `pgbench -c 8 -j 2 -T ${SUSTAINED_SECONDS:-180}` runs; every second, the archive lag is sampled as
# the number of finished segments not yet archived: segment of pg_current_wal_lsn() minus
# pg_stat_archiver.last_archived_wal minus 1. Prints a markdown section on stdout.
# Environment: PGBAK_BIN (required), SUSTAINED_SECONDS (180), SUSTAINED_SCALE (20).
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"
secs=${SUSTAINED_SECONDS:-180}
scale=${SUSTAINED_SCALE:-20}

e2e_init
pgbak_init
printf '#!/bin/sh\nexit 0\n' >"$PGBAK/scripts/backup"
# Checkpoints every 30 s: WAL is then dominated by full-page images (the heaviest archiving load).
cluster_init main "max_wal_size = 1GB" "checkpoint_timeout = 30s"
# archive_command straight into pgbak (lib.sh's wrapper also keeps a plain copy: not wanted here).
printf '#!/bin/sh\nexec %q -D %q archive-wal "$1"\n' "$PGBAK_BIN" "$PGBAK" >"$T/main.archive.sh"
cluster_start main
echo "sustained: pgbench -i -s $scale" >&2
cluster_pgbench main -i -s "$scale" -q >/dev/null 2>&1
wait_archived main --timeout 300

segno() { echo $((16#${1:8:8} * 256 + 16#${1:16:8})); }
lsn0=$(cluster_psql main -c 'SELECT pg_current_wal_lsn()')
echo "sustained: pgbench -c 8 -j 2 -T $secs" >&2
cluster_pgbench main -c 8 -j 2 -T "$secs" -n >"$T/pgbench.out" 2>&1 &
bench_pid=$!
lags=()
while kill -0 "$bench_pid" 2>/dev/null; do
  IFS='|' read -r cur last failed < <(cluster_psql main -c \
    "SELECT pg_walfile_name(pg_current_wal_lsn()), coalesce(last_archived_wal, ''), failed_count FROM pg_stat_archiver")
  if [[ $last =~ ^[0-9A-F]{24}$ ]]; then
    lags+=($(($(segno "$cur") - $(segno "$last") - 1)))
  fi
  sleep 1
done
wait "$bench_pid" || fail "pgbench failed: $(tail -n 3 "$T/pgbench.out")"
IFS='|' read -r wal_bytes archived failed < <(cluster_psql main -c \
  "SELECT pg_current_wal_lsn() - '$lsn0'::pg_lsn, archived_count, failed_count FROM pg_stat_archiver")
tps=$(grep -Eo 'tps = [0-9]+' "$T/pgbench.out" | head -n1 | cut -d' ' -f3)
sorted=($(printf '%s\n' "${lags[@]}" | sort -n))
n=${#sorted[@]}
max=${sorted[n - 1]}
p95=${sorted[(n * 95) / 100]}
mb_s=$(python3 -c "print(f'{$wal_bytes / 2**20 / $secs:.1f}')")
cat <<MD
## sustained load

\`pgbench -c 8 -j 2 -T $secs\` (scale $scale, checkpoint_timeout 30s) against a cluster with \`archive_command = pgbak archive-wal\`;
archive lag sampled every second ($n samples) as finished-but-unarchived segments
(segment of \`pg_current_wal_lsn()\` − \`pg_stat_archiver.last_archived_wal\` − 1).

| WAL rate | tps | archived segments | failed | lag max | lag p95 | target (max ≤ 2) |
|---:|---:|---:|---:|---:|---:|---|
| $mb_s MB/s | $tps | $archived | $failed | $max | $p95 | $( ((max <= 2)) && echo yes || echo '**no**') |
MD
