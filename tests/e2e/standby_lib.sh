# shellcheck shell=bash
# Streaming standbys for the end-to-end tests. Sourced after lib.sh and restore_lib.sh. Not a
# test itself (no test_ prefix).

# start_standby NAME PRIMARY [CONF_LINE...]: pg_basebackup -R of the running cluster PRIMARY into
# $T/NAME.data, configured as cluster NAME (archive_command into the current $PGBAK, the
# CONF_LINEs last) and started: a standby streaming from PRIMARY.
start_standby() {
  local name=$1 primary=$2
  shift 2
  _e2e_with "$primary" as_pg pg_basebackup -D "$T/$name.data" -R -X stream -c fast \
    >"$T/$name.basebackup.out" 2>&1 ||
    fail "pg_basebackup of standby $name failed: $(cat "$T/$name.basebackup.out")"
  cluster_configure "$name" "$@"
  cluster_start "$name"
  assert_eq t "$(cluster_psql "$name" -c 'SELECT pg_is_in_recovery()')" "standby $name is in recovery"
}

# caught_up STANDBY PRIMARY: wait (60 s) until STANDBY has replayed everything PRIMARY wrote so
# far.
caught_up() {
  local lsn deadline=$((SECONDS + 60))
  lsn=$(cluster_psql "$2" -c 'SELECT pg_current_wal_lsn()')
  until [[ $(cluster_psql "$1" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'") == t ]]; do
    ((SECONDS < deadline)) || fail "standby $1 did not replay up to $lsn"
    sleep 0.2
  done
}

# promote NAME: promote standby NAME and wait until it leaves recovery.
promote() {
  as_pg pg_ctl -D "$T/$1.data" promote -w -t 60 >/dev/null || fail "promotion of $1 failed"
  wait_recovered "$1"
}

# standby_archived NAME SEGMENT: wait (60 s) until standby NAME (archive_mode = always) has
# archived SEGMENT (its pg_stat_archiver, which counts only successes), with no failure.
standby_archived() {
  local deadline=$((SECONDS + 60)) row done failed
  while :; do
    row=$(cluster_psql "$1" -c "SELECT (coalesce(last_archived_wal, '') >= '$2')::int, failed_count
                                FROM pg_stat_archiver")
    IFS='|' read -r done failed <<<"$row"
    ((failed == 0)) || fail "standby $1: archive_command failed ($failed times)"
    ((done)) && return 0
    ((SECONDS < deadline)) || fail "standby $1 did not archive $2 within 60s"
    sleep 0.2
  done
}

# generation_count [DIR]: the number of generations in DIR (default $PGBAK).
generation_count() {
  find "${1:-$PGBAK}" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9]+' | wc -l
}

# snapshots_from DIR NAME: `pgbak init` of the backup directory DIR, whose snapshots come from
# cluster NAME (conninfo in its pgbak.conf) and whose generations start only where the test makes
# them (no snapshot heuristic).
snapshots_from() {
  PGBAK=$1 pgbak_init
  {
    echo "snapshot-min-wal-files = 1000000"
    echo "conninfo = host=$T/$2.sock port=$(<"$T/$2.port") dbname=postgres"
  } >"$1/pgbak.conf"
  chmod 644 "$1/pgbak.conf"
}
