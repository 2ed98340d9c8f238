#!/usr/bin/env bash
# Issue 18: an upload outage that outlasts its generation. scripts/backup-rclone uploads to a
# local rclone remote, which stops taking writes for a while. Meanwhile WAL arrives (the failing
# runs hash it into SHA256SUMS) and a snapshot starts a new generation; then the outage ends.
# The sync must rerun the script for the old generation, whose newest files no successful run
# covered: its remote copy ends up with every file and the current SHA256SUMS. status (text,
# JSON, Prometheus) shows the generation as not uploaded until then. A restore from the remote
# copy to a time inside the outage works.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
source "$PGBAK_SRC/tests/e2e/sync_lib.sh"
source "$PGBAK_SRC/tests/e2e/restore_lib.sh"
source "$PGBAK_SRC/tests/e2e/upload_lib.sh"
command -v rclone >/dev/null || fail "no rclone (install rclone)"
SCRIPT=$PGBAK_SRC/scripts/backup-rclone
if ! as_pg test -x "$SCRIPT"; then
  mkdir -p "$T/bin" && cp "$SCRIPT" "$T/bin/" && SCRIPT=$T/bin/backup-rclone
fi

pgbak_init
ln -sfn "$SCRIPT" "$PGBAK/scripts/backup"
as_pg mkdir -m 700 "$T/remote"
as_pg touch "$T/rclone.conf"
printf '%s\n' "PGBAK_RCLONE_REMOTE=:local:$T/remote" "PGBAK_RCLONE_CONFIG=$T/rclone.conf" \
  "RCLONE_CACHE_DIR=$T/rclone-cache" "export RCLONE_CACHE_DIR" >"$PGBAK/scripts/backup.env"
if ((EUID == 0)); then chown -R postgres: "$PGBAK/scripts"; fi
chmod 600 "$PGBAK/scripts/backup.env"
write_conf "snapshot-min-wal-files = 1000000" "backoff-start = 0.2" "backoff-max = 1"
cluster_init main
cluster_start main
cluster_psql main -c 'CREATE TABLE t (id int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())'
cluster_psql main -c 'INSERT INTO t (id) SELECT g FROM generate_series(1, 1000) g'
wait_archived main --no-failures # the first archived file starts the generation
make_base main
old=$(readlink "$PGBAK/current")
assert_same_tree "$PGBAK/$old" "$T/remote/$old"
ok "generation $old uploaded to the rclone remote"

# The outage: the remote takes no writes (the sync's user cannot write there).
chmod 500 "$T/remote" "$T/remote/$old" "$T/remote/$old/pg_wal"
cluster_psql main -c 'INSERT INTO t (id) SELECT g FROM generate_series(1001, 2000) g'
wait_archived main --no-failures
target=$(cluster_psql main -c "SELECT clock_timestamp()")
sleep 1
cluster_psql main -c 'INSERT INTO t (id) SELECT g FROM generate_series(2001, 3000) g'
wait_archived main --no-failures
last=$LAST_SWITCH_WAL
# The failing runs hash the outage's WAL into SHA256SUMS: "hashed" runs ahead of "uploaded".
wait_for grep -q "pg_wal/$last.zst" "$PGBAK/$old/SHA256SUMS"
wait_for grep -q "ERROR: .*backup-rclone" "$PGBAK/sync.log"
ok "outage: the script fails, SHA256SUMS of $old lists $last"

# A snapshot during the outage: the running (failing) sync takes it when full-sync asks.
_e2e_with main pgbak_run -q full-sync >"$T/full-sync.out" 2>&1 &
full_sync=$!
wait_for has_new_generation "$old"
new=$(readlink "$PGBAK/current")
sleep 2 # a few more failing runs, now with $new current
assert_exit 0 pgbak_run status --json
assert_match "\"not_uploaded\": \[\{\"generation\": \"$old\", \"files\": [1-9][0-9]*\}" "$LAST_STDOUT"
assert_exit 0 pgbak_run status
assert_match "uploaded +$old: [0-9]+ file\(s\) not uploaded" "$LAST_STDOUT"
assert_exit 0 pgbak_run status --prometheus
assert_match "pgbak_generations_not_uploaded\{dir=\"[^\"]*\"\} [12]" "$LAST_STDOUT"
ok "status shows generation $old as not uploaded while the outage lasts"

# The outage ends: the sync reruns the script for $old, then for $new.
chmod 700 "$T/remote" "$T/remote/$old" "$T/remote/$old/pg_wal"
wait "$full_sync" || fail "full-sync failed: $(<"$T/full-sync.out")"
pgbak_run wait 120 || fail "the sync did not finish"
assert_same_tree "$PGBAK/$old" "$T/remote/$old"
assert_file "$T/remote/$old/pg_wal/$last.zst"
cmp "$PGBAK/$old/SHA256SUMS" "$T/remote/$old/SHA256SUMS" || fail "remote SHA256SUMS of $old is old"
assert_same_tree "$PGBAK/$new" "$T/remote/$new"
assert_exit 0 pgbak_run status --json
assert_match '"not_uploaded": \[\]' "$LAST_STDOUT"
ok "after the outage the remote copy of $old holds every file and the current SHA256SUMS"

# Restore from the remote copy to a time inside the outage.
cluster_stop main
dl=$T/download
cp -a "$T/remote" "$dl"
if ((EUID == 0)); then chown -R postgres: "$dl"; fi
assert_exit 0 as_pg "$PGBAK_BIN" -D "$dl" verify
PGBAK=$dl restore_and_start restored --target-time "$target" --target-action promote
assert_eq 2000 "$(cluster_psql restored -c 'SELECT count(*) FROM t')" "rows restored from the remote"
cluster_stop restored
ok "restored from the remote copy to $target (inside the outage): 2000 rows"
