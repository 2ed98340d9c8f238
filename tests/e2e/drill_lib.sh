# shellcheck shell=bash
# The disaster drill of the upload tests: restore with nothing but the remote copy. Sourced after
# lib.sh, restore_lib.sh and upload_lib.sh. Not a test itself (no test_ prefix).

# start_local_remote: a copy of backup-rsync in $T (reachable by the PostgreSQL user) as SCRIPT,
# a destination directory $T/remote and its settings in $T/backup.env; then start_main 1, with
# SCRIPT as scripts/backup.
start_local_remote() {
  SCRIPT=$T/backup-rsync
  install -m 755 "$PGBAK_SRC/scripts/backup-rsync" "$SCRIPT"
  as_pg mkdir -m 700 "$T/remote"
  echo "PGBAK_RSYNC_TARGET=$T/remote" >"$T/backup.env"
  start_main 1
  use_local_remote "$PGBAK"
}

# use_local_remote DIR: the backup directory DIR uploads to that destination too: its
# scripts/backup is SCRIPT, its scripts/backup.env a copy of $T/backup.env.
use_local_remote() {
  ln -sfn "$SCRIPT" "$1/scripts/backup"
  as_pg install -m 600 "$T/backup.env" "$1/scripts/backup.env"
}

# drill_newdir DIR SCRIPT ENV: a backup directory holding only scripts/fetch (a link to SCRIPT)
# and scripts/backup.env (a copy of ENV), owned by the PostgreSQL user.
drill_newdir() {
  mkdir -m 700 "$1" "$1/scripts"
  ln -s "$2" "$1/scripts/fetch"
  install -m 600 "$3" "$1/scripts/backup.env"
  if ((EUID == 0)); then chown -hR postgres: "$1"; fi
}

# disaster_drill SCRIPT ENV: a real cluster archives through pgbak, whose scripts/backup is SCRIPT
# (settings ENV), with pgbench running while the sync uploads; the test notes a time between two
# batches of marked rows. Then the host is gone: $PGBAK and the data directory are wiped. From a
# new directory holding only SCRIPT as scripts/fetch and ENV, `pgbak restore` brings back the
# latest state (every table exactly as the source had it) and the state at the noted time (only
# the first batch), each started and recovered through `restore-wal` fetching on demand.
disaster_drill() {
  local script env=$2 noted_time sums pid
  script=$(pg_reachable "$1")
  PGBAK=$T/drill.pgbak
  pgbak_init
  echo "snapshot-min-wal-files = 1000000" >"$PGBAK/pgbak.conf"
  chmod 644 "$PGBAK/pgbak.conf"
  ln -sfn "$script" "$PGBAK/scripts/backup"
  install -m 600 "$env" "$PGBAK/scripts/backup.env"
  if ((EUID == 0)); then chown -R postgres: "$PGBAK/scripts"; fi
  cluster_init drill
  cluster_start drill
  cluster_pgbench drill -i -s 2 -q >>"$T/pgbench.log" 2>&1
  cluster_psql drill -c 'CREATE TABLE marks (n int)'
  _e2e_with drill pgbak_run -q full-sync || fail "pgbak full-sync failed"
  cluster_pgbench drill -c 2 -T 6 >>"$T/pgbench.log" 2>&1 &
  pid=$!
  sleep 2
  cluster_psql drill -c 'INSERT INTO marks SELECT generate_series(1, 100)'
  sleep 1
  noted_time=$(cluster_psql drill -c 'SELECT clock_timestamp()')
  sleep 1
  cluster_psql drill -c 'INSERT INTO marks SELECT generate_series(101, 250)'
  wait "$pid" || fail "pgbench failed"
  sums=$(table_sums drill)
  wait_archived drill --no-failures
  cluster_stop drill
  pgbak_run wait 120 >/dev/null || true
  assert_exit 0 pgbak_run force-sync
  ok "drill: the cluster archived and uploaded through $(basename "$1") with pgbench running"

  rm -rf "$PGBAK" "$T/drill.data"
  PGBAK=$T/drill.newdir
  drill_newdir "$PGBAK" "$script" "$env"
  restore_and_start drill_latest
  assert_eq "$sums" "$(table_sums drill_latest)" "pgbench tables restored from the remote copy"
  assert_eq 250 "$(cluster_psql drill_latest -c 'SELECT count(*) FROM marks')" "marked rows, latest"
  ok "drill: restored from scripts/fetch alone, the latest state has exactly the source's rows"
  cluster_stop drill_latest
  restore_and_start drill_pitr --target-time "$noted_time" --target-action promote
  assert_eq 100 "$(cluster_psql drill_pitr -c 'SELECT count(*) FROM marks')" "marked rows at $noted_time"
  ok "drill: restored to the noted time ($noted_time) from the remote copy: exactly the first batch"
  cluster_stop drill_pitr
}
