# Helpers for the restore and verify end-to-end tests; source after lib.sh.

# make_base [NAME]: make sure the current generation has its base backup and
# SHA256SUMS. The first archive-wal started the generation and a background
# sync that snapshots it (pg_basebackup -Ft -X none into base.tzst); `pgbak
# sync` finishes that work or waits for it. Then waits until the backup's WAL
# (up to its .backup file) is archived and uploaded.
make_base() {
  local name=${1:-main}
  _e2e_with "$name" pgbak_run -q sync || fail "pgbak sync failed"
  [[ -f $PGBAK/current/base.tzst ]] || fail "no base.tzst in the current generation after pgbak sync"
  wait_archived "$name" --no-failures
  pgbak_run wait 120 || fail "the sync did not finish"
}

# write_sums GEN_DIR: (re)write GEN_DIR/SHA256SUMS for base.tzst and pg_wal/*.zst,
# once no sync runs (the sync maintains the file too).
write_sums() {
  pgbak_run wait 120 || fail "the sync did not finish"
  as_pg sh -c 'umask 077 && cd "$1" && sha256sum base.tzst pg_wal/*.zst >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS' _ "$1"
}

# table_sums NAME: one line that changes with any pgbench transaction.
table_sums() {
  cluster_psql "$1" -c "SELECT (SELECT sum(abalance) || ',' || count(*) FROM pgbench_accounts)
    || ';' || (SELECT coalesce(sum(delta), 0) || ',' || count(*) FROM pgbench_history)
    || ';' || (SELECT sum(tbalance) FROM pgbench_tellers) || ';' || (SELECT sum(bbalance) FROM pgbench_branches)"
}

# restore_and_start NAME [RESTORE_ARGS...]: pgbak restore into $T/NAME.data
# (as root when run as root, so the owner comes from the backup), configure it
# as cluster NAME without archiving, start it and wait until recovery ends.
restore_and_start() {
  local name=$1 conf=${RESTORE_CONF:-"archive_mode = off"}
  shift
  "$PGBAK_BIN" -D "$PGBAK" restore "$T/$name.data" "$@" >"$T/$name.restore.out" ||
    fail "pgbak restore $* failed"
  cluster_configure "$name" "$conf"
  cluster_start "$name"
  wait_recovered "$name"
}

# wait_recovered NAME [TIMEOUT]: wait until cluster NAME leaves recovery.
wait_recovered() {
  local deadline=$((SECONDS + ${2:-120}))
  until [[ $(cluster_psql "$1" -c 'SELECT pg_is_in_recovery()') == f ]]; do
    ((SECONDS < deadline)) || fail "cluster $1 still in recovery after ${2:-120}s"
    sleep 0.3
  done
}

# start_main SCALE [CONF_LINE...]: pgbak init, cluster main archiving through
# pgbak (CONF_LINEs added to its postgresql.conf), started, pgbench -i at SCALE,
# and its WAL archived.
start_main() {
  local scale=$1
  shift
  pgbak_init
  # Generations only where a test makes them, not by the snapshot heuristic.
  echo "snapshot-min-wal-files = 1000000" >"$PGBAK/pgbak.conf"
  chmod 644 "$PGBAK/pgbak.conf"
  cluster_init main "$@"
  cluster_start main
  cluster_pgbench main -i -s "$scale" -q >>"$T/pgbench.log" 2>&1
  wait_archived main --no-failures
}

# new_generation [NAME]: `pgbak full-sync`: a new current generation with its
# own base backup, then its WAL archived and uploaded. Prints nothing; the new
# generation's name is in NEW_GEN.
new_generation() {
  local name=${1:-main} old
  old=$(readlink "$PGBAK/current")
  _e2e_with "$name" pgbak_run -q full-sync || fail "pgbak full-sync failed"
  NEW_GEN=$(readlink "$PGBAK/current")
  [[ $NEW_GEN != "$old" ]] || fail "full-sync did not start a new generation"
  wait_archived "$name" --no-failures
  pgbak_run wait 120 || fail "the sync did not finish"
}

# spool_segments SPOOL MAX: the segment names in restore-wal's prefetch spool SPOOL, one line; the
# test fails if there are more than MAX or one differs from the archived segment ($T/main.plain).
spool_segments() {
  local names f
  names=$(ls "$1" 2>/dev/null | grep -E '^[0-9A-F]{24}$' || true)
  (($(grep -c . <<<"$names") <= $2)) || fail "more than prefetch = $2 segments in the spool: $names"
  for f in $names; do
    [[ -e $1/$f ]] || continue # taken meanwhile
    cmp -s "$1/$f" "$T/main.plain/$f" || fail "spooled $f differs from the archived segment"
  done
  echo $names
}

# wait_listed LISTER WHERE NAMES...: wait (60 s) until the function LISTER prints NAMES (one
# line, space-separated); the test fails with "expected 'NAMES' WHERE, found '...'".
wait_listed() {
  local lister=$1 where=$2 deadline=$((SECONDS + 60))
  shift 2
  until [[ $($lister) == "$*" ]]; do
    ((SECONDS < deadline)) || fail "expected '$*' $where, found '$($lister)'"
    sleep 0.1
  done
}

# prefetch_source TABLES PREFETCH: cluster main archiving through pgbak, one table of 20000 rows
# per archived segment (TABLES of them), then `prefetch = PREFETCH` in pgbak.conf. Sets sums
# (the tables' sums), gen (the generation) and segs (its segments, in order).
prefetch_source() {
  local i
  start_main 1
  for ((i = 1; i <= $1; i++)); do
    cluster_psql main -c "CREATE TABLE t$i AS SELECT generate_series(1, 20000) g"
    wait_archived main --no-failures
  done
  sums=$(table_sums main)
  echo "prefetch = $2" >>"$PGBAK/pgbak.conf"
  gen=$(readlink "$PGBAK/current")
  mapfile -t segs < <(ls "$PGBAK/$gen/pg_wal" | sed -n 's/^\([0-9A-F]\{24\}\)\.zst$/\1/p' | sort)
  ((${#segs[@]} >= $1)) || fail "only ${#segs[@]} segments archived"
}
