# Helpers for the restore and verify end-to-end tests; source after lib.sh.

# make_base: give the current generation a base backup and SHA256SUMS, as
# `pgbak full-sync` will (pg_basebackup -Ft -X none, zstd-compressed; digests
# of base.tzst and pg_wal/*.zst with relative paths). Needs cluster main
# running and a current generation (archive something first). Waits until the
# backup's WAL (up to its .backup file) is archived.
# Once pgbak has full-sync, this becomes `pgbak_run full-sync` (which starts a
# new generation instead of filling the current one) and new_generation below
# becomes make_base alone.
make_base() {
  local name=${1:-main} gen
  gen=$(readlink -f "$PGBAK/current") || fail "no current generation"
  _e2e_with "$name" as_pg sh -c \
    'pg_basebackup -D - -Ft -X none --checkpoint=fast | zstd -q -o "$1"' _ "$gen/base.tzst" ||
    fail "pg_basebackup failed"
  wait_archived "$name" --no-failures
  write_sums "$gen"
}

# write_sums GEN_DIR: (re)write GEN_DIR/SHA256SUMS for base.tzst and pg_wal/*.zst.
write_sums() {
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

# start_main SCALE: pgbak init, cluster main archiving through pgbak, started,
# pgbench -i at SCALE, and its WAL archived.
start_main() {
  pgbak_init
  cluster_init main
  cluster_start main
  cluster_pgbench main -i -s "$1" -q >>"$T/pgbench.log" 2>&1
  wait_archived main --no-failures
}

# new_generation [NAME]: start a generation and switch current to it, then
# make_base into it, as a snapshot by the sync does. Prints nothing; the new
# generation's name is in NEW_GEN.
new_generation() {
  local old now
  old=$(readlink "$PGBAK/current")
  now=$(date +%s)
  NEW_GEN=$((now > old ? now : old + 1))
  as_pg mkdir -m 700 "$PGBAK/$NEW_GEN" "$PGBAK/$NEW_GEN/pg_wal"
  as_pg cp "$PGBAK/$old/system_identifier" "$PGBAK/$NEW_GEN/"
  as_pg ln -sfn "$NEW_GEN" "$PGBAK/current.new"
  as_pg mv -T "$PGBAK/current.new" "$PGBAK/current"
  make_base "${1:-main}"
}
