#!/usr/bin/env bash
# full-sync against the bare stream, and verify against sha256sum over the same archive
# (bench/run). A pgbench scale-${FULLSYNC_SCALE:-50} database archiving into pgbak;
# ${FULLSYNC_ROUNDS:-5} rounds, the order alternating from round to round (odd rounds bare first,
# even rounds pgbak first):
#   bare   pg_basebackup -D - -Ft -X none --checkpoint=fast > /dev/null
#   pgbak  pgbak full-sync   (snapshot, SHA256SUMS, scripts/backup, a no-op here)
# Then, over the newest generation (a real base plus its WAL, every file in SHA256SUMS), alternating
# ${VERIFY_ROUNDS:-5} times: `pgbak verify` (which also decompresses every file and checks the WAL
# inside) against `sha256sum -c --quiet SHA256SUMS` (hashing only), both with a warm page cache.
# Prints markdown on stdout. Environment: PGBAK_BIN (required), FULLSYNC_PGBAK_ARGS (extra pgbak
# options, e.g. --snapshot-compress-workers 1, to compare settings).
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"
scale=${FULLSYNC_SCALE:-50}
rounds=${FULLSYNC_ROUNDS:-5}
vrounds=${VERIFY_ROUNDS:-5}

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
loadavg() { cut -d' ' -f1 /proc/loadavg; }
# spread VALUES...: "min / median / max" of the values, 3 decimals.
spread() {
  printf '%s\n' "$@" | python3 -c "
import sys, statistics
v = [float(x) for x in sys.stdin]
print(f'{min(v):.3f} / {statistics.median(v):.3f} / {max(v):.3f}')"
}
median() { spread "$@" | cut -d' ' -f3; }
bare_run() { as_pg env PGHOST="$PGHOST" PGPORT="$PGPORT" pg_basebackup -D - -Ft -X none --checkpoint=fast >/dev/null; }
# shellcheck disable=SC2086 # FULLSYNC_PGBAK_ARGS is a list of options
pgbak_full() { pgbak_run full-sync ${FULLSYNC_PGBAK_ARGS:-} >/dev/null 2>"$T/full-sync.err" || fail "pgbak full-sync failed: $(tail -n 5 "$T/full-sync.err")"; }
# timed CMD...: run CMD, print its wall time in seconds.
timed() {
  local t0
  t0=$(now)
  "$@"
  python3 -c "print($(now) - $t0)"
}

bare=() full=() ratios=() loads=()
for ((i = 0; i < rounds; i++)); do
  # Let a background sync started by archiving finish first.
  pgbak_run wait 600 >/dev/null 2>&1 || true
  loads+=("$(loadavg)")
  if ((i % 2 == 0)); then
    b=$(timed bare_run) f=$(timed pgbak_full) order="bare first"
  else
    f=$(timed pgbak_full) b=$(timed bare_run) order="pgbak first"
  fi
  bare+=("$b") full+=("$f") ratios+=("$(python3 -c "print($f / $b)")")
  echo "fullsync: round $((i + 1)) ($order): bare ${b}s, full-sync ${f}s" >&2
done
pgbak_run wait 600 >/dev/null 2>&1 || true
gen=$(readlink -f "$PGBAK/current")
base=$(stat -c %s "$gen"/base.tzst)
ratio_med=$(median "${ratios[@]}")

# verify against sha256sum -c over the same generation.
files=$(wc -l <"$gen/SHA256SUMS")
bytes=$(du -sb --apparent-size "$gen" | cut -f1)
verify_run() { pgbak_run verify "$(basename "$gen")" >/dev/null 2>"$T/verify.err" || fail "pgbak verify failed: $(tail -n 5 "$T/verify.err")"; }
sums_run() { (cd "$gen" && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c failed"; }
cat "$gen"/base.tzst "$gen"/pg_wal/* >/dev/null # warm the page cache for both
vt=() st=() vratios=()
for ((i = 0; i < vrounds; i++)); do
  if ((i % 2 == 0)); then
    v=$(timed verify_run) s=$(timed sums_run)
  else
    s=$(timed sums_run) v=$(timed verify_run)
  fi
  vt+=("$v") st+=("$s") vratios+=("$(python3 -c "print($v / $s)")")
  echo "verify: round $((i + 1)): pgbak verify ${v}s, sha256sum -c ${s}s" >&2
done
mbs() { python3 -c "print(f'{$bytes / 2**20 / $1:.0f}')"; }

cat <<MD
## full-sync

pgbench scale $scale database ($((size / 1048576)) MiB), $rounds rounds, the order alternating
(odd rounds the bare stream first, even rounds pgbak first); load average (1 min) before each
round: $(spread "${loads[@]}") (min / median / max).

| | min / median / max |
|---|---:|
| bare \`pg_basebackup -Ft -D - -X none\`, s | $(spread "${bare[@]}") |
| \`pgbak full-sync\`, s | $(spread "${full[@]}") |
| ratio per pair (full-sync / bare) | $(spread "${ratios[@]}") |

base.tzst: $base bytes. Target: median ratio ≤ 1.25: $(python3 -c "print('met' if $ratio_med <= 1.25 else '**not met**')").

## verify

The newest generation after those rounds: a real base and its WAL, $files files in SHA256SUMS,
$((bytes / 1048576)) MiB stored; page cache warm; $vrounds rounds, order alternating.
\`pgbak verify GENERATION\` hashes every file against SHA256SUMS *and* decompresses every file and
checks the WAL page headers; \`sha256sum -c --quiet SHA256SUMS\` only hashes.

| | min / median / max s | MB/s of stored bytes (median) |
|---|---:|---:|
| \`pgbak verify\` | $(spread "${vt[@]}") | $(mbs "$(median "${vt[@]}")") |
| \`sha256sum -c\` | $(spread "${st[@]}") | $(mbs "$(median "${st[@]}")") |
| ratio per pair (verify / sha256sum) | $(spread "${vratios[@]}") | |
MD
