#!/usr/bin/env bash
# full-sync against the bare stream (bench/run, when `pgbak help full-sync` succeeds): a pgbench
# scale-${FULLSYNC_SCALE:-50} database; alternating ${FULLSYNC_ROUNDS:-3} times:
#   bare   pg_basebackup -D - -Ft -X none --checkpoint=fast > /dev/null
#   pgbak  pgbak full-sync   (snapshot compressed in-process + scripts/backup, a no-op here)
# Prints a markdown section on stdout. Environment: PGBAK_BIN (required), FULLSYNC_PGBAK_ARGS
# (extra pgbak options, e.g. --snapshot-compress-workers 2, to compare settings).
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"
scale=${FULLSYNC_SCALE:-50}
rounds=${FULLSYNC_ROUNDS:-3}

e2e_init
pgbak_init
printf '#!/bin/sh\nexit 0\n' >"$PGBAK/scripts/backup"
cluster_init main "max_wal_size = 1GB"
printf '#!/bin/sh\nexec %q -D %q archive-wal "$1"\n' "$PGBAK_BIN" "$PGBAK" >"$T/main.archive.sh"
cluster_start main
echo "fullsync: pgbench -i -s $scale" >&2
cluster_pgbench main -i -s "$scale" -q >/dev/null 2>&1
wait_archived main --timeout 600
cluster_env main
size=$(cluster_psql main -c 'SELECT pg_database_size(current_database())')

now() { date +%s.%N; }
bare=() full=() ratios=()
for ((i = 0; i < rounds; i++)); do
  # Let a background sync started by archiving finish first.
  pgbak_run wait 600 >/dev/null 2>&1 || true
  t0=$(now)
  as_pg env PGHOST="$PGHOST" PGPORT="$PGPORT" pg_basebackup -D - -Ft -X none --checkpoint=fast >/dev/null
  t1=$(now)
  # shellcheck disable=SC2086 # FULLSYNC_PGBAK_ARGS is a list of options
  pgbak_run full-sync ${FULLSYNC_PGBAK_ARGS:-} >/dev/null 2>"$T/full-sync.err" || fail "pgbak full-sync failed: $(tail -n 5 "$T/full-sync.err")"
  t2=$(now)
  b=$(python3 -c "print($t1 - $t0)") f=$(python3 -c "print($t2 - $t1)")
  bare+=("$b") full+=("$f") ratios+=("$(python3 -c "print($f / $b)")")
  echo "fullsync: round $((i + 1)): bare ${b}s, full-sync ${f}s" >&2
done
base=$(ls -l "$PGBAK"/current/base.tzst 2>/dev/null | awk '{print $5}')
med() { printf '%s\n' "$@" | sort -g | python3 -c "import sys,statistics; print(f'{statistics.median(float(x) for x in sys.stdin):.3f}')"; }
cat <<MD
## full-sync

pgbench scale $scale database ($((size / 1048576)) MiB), $rounds alternating rounds.

| bare \`pg_basebackup -Ft -D - -X none\` median s | \`pgbak full-sync\` median s | ratio per pair (median) | base.tzst bytes | target (≤ 1.25) |
|---:|---:|---:|---:|---|
| $(med "${bare[@]}") | $(med "${full[@]}") | $(med "${ratios[@]}") | ${base:-?} | $(python3 -c "print('yes' if $(med "${ratios[@]}") <= 1.25 else '**no**')") |
MD
