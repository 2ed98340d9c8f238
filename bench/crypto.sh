#!/usr/bin/env bash
# Cost of encryption at rest: archive-wal on real 16 MiB segments with and without
# encryption-key-file, in alternating rounds; reports the median ratio (target: at most 1.10).
#
#   bench/crypto.sh [--rounds N] [--workdir DIR] [--corpus DIR] [--callgrind N]
#
# PGBAK_BIN (default build/pgbak). The corpus (bench/cache/crypto-corpus/, built once from a
# throwaway cluster running pgbench, through tests/e2e/lib.sh) holds the segments exactly as
# PostgreSQL handed them to archive_command. --workdir puts the backup directories elsewhere,
# e.g. /dev/shm to take the disk's fsync out and measure the CPU cost alone. --callgrind N also
# counts the instructions of N archive-wal calls per arm under valgrind, a figure that other load
# on the machine does not disturb.
set -Eeuo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=15 workdir=$ROOT/bench/work/crypto corpus=$ROOT/bench/cache/crypto-corpus callgrind=0
while (($#)); do
  case $1 in
  --rounds) rounds=$2 && shift ;;
  --workdir) workdir=$2 && shift ;;
  --corpus) corpus=$2 && shift ;;
  --callgrind) callgrind=$2 && shift ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
  *) echo "bench/crypto.sh: unknown argument $1" >&2 && exit 2 ;;
  esac
  shift
done
export PGBAK_BIN=${PGBAK_BIN:-$ROOT/build/pgbak}
[[ -x $PGBAK_BIN ]] || { echo "bench/crypto.sh: no $PGBAK_BIN (build first)" >&2; exit 1; }

if [[ ! -f $corpus/.complete ]]; then
  echo "bench/crypto.sh: building the corpus in $corpus" >&2
  mkdir -p "$corpus"
  # A subshell: lib.sh's traps stop the cluster and remove its directory when it ends.
  (
    # shellcheck source=../tests/e2e/lib.sh
    source "$ROOT/tests/e2e/lib.sh"
    e2e_init
    pgbak_init
    echo "pg-bindir = /nonexistent" >"$PGBAK/pgbak.conf"
    cluster_init c "max_wal_size = 1GB" "synchronous_commit = off"
    cluster_start c
    cluster_pgbench c -i -s 20 -q >"$T/pgbench.log" 2>&1
    for _ in 1 2 3 4; do
      cluster_psql c -c CHECKPOINT
      cluster_pgbench c -c 4 -j 2 -T 15 -n >>"$T/pgbench.log" 2>&1
    done
    wait_archived c --timeout 300
    rm -rf "$corpus/segments"
    mkdir "$corpus/segments"
    find "$T/c.plain" -maxdepth 1 -type f -regextype egrep -regex '.*/[0-9A-F]{24}' \
      -exec cp {} "$corpus/segments/" \;
  )
  touch "$corpus/.complete"
fi

echo "bench/crypto.sh: $(find "$corpus/segments" -type f | wc -l) segments, $rounds rounds, work in $workdir" >&2
exec python3 "$ROOT/bench/crypto_time.py" --bin "$PGBAK_BIN" --corpus "$corpus/segments" \
  --rounds "$rounds" --workdir "$workdir" --callgrind "$callgrind"
