#!/usr/bin/env bash
# A Debian cluster (pg_createcluster) keeps its configuration in /etc/postgresql/VER/NAME/,
# outside the data directory: a snapshot stores it as config.tzst (listed in SHA256SUMS), and
# `pgbak restore --cluster VER/NAME` puts data and configuration back into a stopped cluster with
# an empty data directory, which `pg_ctlcluster VER NAME start` then recovers. The README's
# step-by-step flow, run for real: the cluster lost and recreated, then a copy into another one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
((EUID == 0)) || fail "pg_createcluster needs root"
e2e_init
ver=$(basename "$(dirname "$(pg_bindir)")")
a=pgbak_t$$_a
b=pgbak_t$$_b
drop_clusters() {
  local c
  for c in "$a" "$b"; do
    if [[ -d /etc/postgresql/$ver/$c ]]; then pg_dropcluster --stop "$ver" "$c" >/dev/null 2>&1 || true; fi
    rm -rf "/etc/postgresql/$ver/$c" # what pg_dropcluster keeps: the test's own conf.d files
  done
}
trap 'rc=$?; drop_clusters; _e2e_exit $rc' EXIT
port_a=$(_e2e_free_port)
echo "$port_a" >"$T/a.port"
port_b=$(_e2e_free_port)
sql() { # sql PORT SQL...: psql as postgres on the Debian socket
  local port=$1
  shift
  runuser -u postgres -- psql -X -qAt -v ON_ERROR_STOP=1 -h /var/run/postgresql -p "$port" -d postgres "$@"
}
# create_cluster NAME PORT: a new cluster, archiving into $PGBAK, not started.
create_cluster() {
  pg_createcluster "$ver" "$1" -p "$2" --start-conf=manual >/dev/null
  printf '%s\n' "listen_addresses = ''" "archive_mode = on" \
    "archive_command = '\"$PGBAK_BIN\" -D \"$PGBAK\" archive-wal %p'" >"/etc/postgresql/$ver/$1/conf.d/archive.conf"
}
data_a=/var/lib/postgresql/$ver/$a
conf_a=/etc/postgresql/$ver/$a

pgbak_init
write_conf "conninfo = 'host=/var/run/postgresql port=$port_a'"
create_cluster "$a" "$port_a"
echo "work_mem = '7MB'  # pgbak test marker" >>"$conf_a/postgresql.conf"
echo "# pgbak test marker" >>"$conf_a/pg_hba.conf"
# What a cluster that was itself restored may still carry (a primary ignores it): restored as
# is, the recovery would stop at this old target and promote, short of the archived history.
printf '%s\n' "restore_command = 'false'" "recovery_target_time = '2000-01-01 00:00:00+00'" \
  "recovery_target_action = 'promote'" >"$conf_a/conf.d/zz-old-restore.conf"
pg_ctlcluster "$ver" "$a" start
runuser -u postgres -- pgbench -h /var/run/postgresql -p "$port_a" -i -s 1 -q postgres >/dev/null 2>&1
assert_exit 0 pgbak_run full-sync
gen=$(readlink "$PGBAK/current")
assert_file "$PGBAK/$gen/config.tzst"
grep -q '  config.tzst$' "$PGBAK/$gen/SHA256SUMS" || fail "config.tzst not in SHA256SUMS"
(cd "$PGBAK/$gen" && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c"
members=$(zstd -qdc "$PGBAK/$gen/config.tzst" | tar -tf - | sort | tr '\n' ' ')
for m in .pgbak-origin postgresql.conf pg_hba.conf pg_ident.conf conf.d/ conf.d/archive.conf start.conf pg_ctl.conf environment; do
  [[ " $members" == *" $m "* ]] || fail "config.tzst lacks $m: $members"
done
assert_eq "$conf_a" "$(zstd -qdc "$PGBAK/$gen/config.tzst" | tar -xOf - .pgbak-origin)"
grep -q "configuration files of $conf_a stored as config.tzst" "$PGBAK/sync.log" || fail "sync.log"
ok "snapshot of a Debian cluster stores $conf_a as config.tzst, listed in SHA256SUMS"

sql "$port_a" -c "CREATE TABLE after_base AS SELECT generate_series(1, 1000) AS x"
seg=$(sql "$port_a" -c "SELECT pg_walfile_name(pg_switch_wal())")
wait_for test -f "$PGBAK/$gen/pg_wal/$seg.zst"
assert_exit 0 pgbak_run verify
ok "WAL after the snapshot archived; verify passes (it reads config.tzst too)"

# The machine loses the cluster; the administrator recreates it, stops it, empties its data.
pg_dropcluster --stop "$ver" "$a"
create_cluster "$a" "$port_a"
grep -q "pgbak test marker" "$conf_a/postgresql.conf" && fail "the recreated cluster has the old configuration"
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore --cluster "$ver/$a" # not empty yet
assert_match "directory is not empty" "$LAST_STDERR"
find "$data_a" -mindepth 1 -delete
assert_exit 0 "$PGBAK_BIN" -D "$PGBAK" restore --cluster "$ver/$a"
echo "$LAST_STDOUT"
assert_match "into cluster $ver/$a \($data_a\)" "$LAST_STDOUT"
assert_match "next: pg_ctlcluster $ver $a start" "$LAST_STDOUT"
assert_eq postgres "$(stat -c %U "$data_a/PG_VERSION")"
grep -q "work_mem = '7MB'" "$conf_a/postgresql.conf" || fail "postgresql.conf not restored"
grep -q "pgbak test marker" "$conf_a/pg_hba.conf" || fail "pg_hba.conf not restored"
grep -q '^archive_mode = off' "$conf_a/postgresql.conf" && fail "the same cluster must keep archiving"
assert_eq "# Disabled by pgbak restore: recovery_target_time = '2000-01-01 00:00:00+00'" \
  "$(grep recovery_target_time "$conf_a/conf.d/zz-old-restore.conf")" "the old recovery target"
pg_ctlcluster "$ver" "$a" start
wait_for test "$(sql "$port_a" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f
assert_eq 1000 "$(sql "$port_a" -c 'SELECT count(*) FROM after_base')"
assert_eq 7MB "$(sql "$port_a" -c 'SHOW work_mem')"
assert_eq 100000 "$(sql "$port_a" -c 'SELECT count(*) FROM pgbench_accounts')"
ok "restore --cluster $ver/$a + pg_ctlcluster start: recovered past the snapshot, configuration back"

# A copy into another cluster keeps that cluster's own identity and does not archive.
data_b=/var/lib/postgresql/$ver/$b
create_cluster "$b" "$port_b"
find "$data_b" -mindepth 1 -delete
assert_exit 0 "$PGBAK_BIN" -D "$PGBAK" restore --cluster "$ver/$b" --generation "$gen"
assert_match "archive_mode = off" "$LAST_STDOUT"
pg_ctlcluster "$ver" "$b" start
wait_for test "$(sql "$port_b" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f
assert_eq 1000 "$(sql "$port_b" -c 'SELECT count(*) FROM after_base')"
assert_eq "$data_b" "$(sql "$port_b" -c 'SHOW data_directory')"
assert_eq "$ver/$b" "$(sql "$port_b" -c 'SHOW cluster_name')"
assert_eq off "$(sql "$port_b" -c 'SHOW archive_mode')"
assert_eq 7MB "$(sql "$port_b" -c 'SHOW work_mem')"
ok "restore --cluster $ver/$b (a copy): its own port, data directory and name, archive_mode off"

assert_exit 2 "$PGBAK_BIN" -D "$PGBAK" restore
assert_exit 2 "$PGBAK_BIN" -D "$PGBAK" restore "$T/x" --cluster "$ver/$b"
assert_exit 2 "$PGBAK_BIN" -D "$PGBAK" restore --cluster "../etc"
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore --cluster "$ver/nonexistent_$$"
assert_match "no Debian cluster $ver/nonexistent_$$: .* \(HINT: create it with 'pg_createcluster $ver nonexistent_$$'" "$LAST_STDERR"
ok "restore: PGDATA or --cluster, one of them; a missing cluster says how to make it"
