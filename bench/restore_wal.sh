#!/usr/bin/env bash
# Wall time of `pgbak restore-wal` per 16 MiB segment, next to `archive-wal` of
# the same real segments (pgbench WAL from a throwaway cluster).
#   bench/restore_wal.sh [SCALE] [ROUNDS]      (defaults: 10 and 3)
# Prints one line per command: segments, rounds, mean and best milliseconds,
# then verify's wall time and peak memory over the same archive.
# The timed commands run as the invoking user (no runuser in the measurement).
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"
scale=${1:-10} rounds=${2:-3}
e2e_init
pgbak_init
cluster_init main
cluster_start main
cluster_pgbench main -i -s "$scale" -q >/dev/null 2>&1
wait_archived main --no-failures
cluster_stop main
mapfile -t segs < <(cd "$T/main.plain" && ls | grep -E '^[0-9A-F]{24}$' | sort)
mkdir "$T/out"

now_ns() { date +%s%N; }
report() { # NAME TOTAL_NS BEST_NS COUNT
  awk -v n="$1" -v t="$2" -v b="$3" -v c="$4" -v r="$rounds" -v s="${#segs[@]}" \
    'BEGIN { printf "%-12s %3d segments x %d rounds: mean %.1f ms, best %.1f ms per segment\n", n, s, r, t / c / 1e6, b / 1e6 }'
}

total=0 best=0 count=0
for ((r = 0; r < rounds; r++)); do
  dir=$T/bench$r
  "$PGBAK_BIN" -D "$dir" init >/dev/null
  for s in "${segs[@]}"; do
    t0=$(now_ns)
    "$PGBAK_BIN" -D "$dir" archive-wal "$T/main.plain/$s"
    d=$(($(now_ns) - t0))
    total=$((total + d)) count=$((count + 1))
    ((best == 0 || d < best)) && best=$d
  done
done
report archive-wal "$total" "$best" "$count"

total=0 best=0 count=0
for ((r = 0; r < rounds; r++)); do
  for s in "${segs[@]}"; do
    rm -f "$T/out/RECOVERYXLOG" # the server removes it before each call
    t0=$(now_ns)
    "$PGBAK_BIN" -D "$PGBAK" restore-wal "$s" "$T/out/RECOVERYXLOG"
    d=$(($(now_ns) - t0))
    total=$((total + d)) count=$((count + 1))
    ((best == 0 || d < best)) && best=$d
    cmp -s "$T/out/RECOVERYXLOG" "$T/main.plain/$s" || fail "restore-wal $s: content differs"
  done
done
report restore-wal "$total" "$best" "$count"

size=$(du -sm "$PGBAK" | cut -f1)
/usr/bin/time -q -f "verify       ${size} MiB archive: %e s, max RSS %M KiB" \
  "$PGBAK_BIN" -D "$PGBAK" -q verify >/dev/null || true
