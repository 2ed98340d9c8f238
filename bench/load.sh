#!/usr/bin/env bash
# Background load for `bench/run --busy`: a throwaway cluster (archiving off) running
# `pgbench -c ${LOAD_CLIENTS:-4} -j 2` (TPC-B-like, so the server both computes and writes and
# fsyncs WAL) until this script gets SIGTERM. Prints "ready" on stdout once pgbench runs, so the
# caller (bench/bench.py) starts timing under load; cleans up the cluster on exit.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"
scale=${LOAD_SCALE:-10}
clients=${LOAD_CLIENTS:-4}

e2e_init
cluster_init load "archive_mode = off" "max_wal_size = 1GB"
cluster_start load
cluster_pgbench load -i -s "$scale" -q >/dev/null 2>&1
# -T: far longer than any benchmark; the EXIT trap stops the cluster (and with it pgbench).
cluster_pgbench load -c "$clients" -j 2 -T 86400 -n >"$T/pgbench.out" 2>&1 &
sleep 2
kill -0 $! 2>/dev/null || fail "pgbench did not start: $(tail -n 3 "$T/pgbench.out")"
echo ready
wait $! || true
