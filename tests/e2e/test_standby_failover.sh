#!/usr/bin/env bash
# Snapshots from a standby, and a failover. The primary archives into $PGBAK; conninfo points the
# snapshots at a streaming standby (pg_basebackup from a standby, whose backup starts at a
# restartpoint from before the generation began: the sync links that WAL in from the older
# generation). Then the documented failover: the standby gets a copy of the archive as its own
# $PGBAK, is promoted, archives its new timeline there, and a restore from the old primary's base
# crosses the switch to the new timeline's rows.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/standby_lib.sh"
e2e_init
start_main 1
make_base
gen1=$(readlink "$PGBAK/current")
PGBAK_NEW=$T/pgbak.new
PGBAK=$PGBAK_NEW start_standby standby main

# Snapshots from the standby: conninfo names it.
echo "conninfo = host=$T/standby.sock port=$(<"$T/standby.port") dbname=postgres" >>"$PGBAK/pgbak.conf"
cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
_e2e_with main pgbak_run -q full-sync || fail "full-sync from the standby failed"
gen2=$(readlink "$PGBAK/current")
[[ $gen2 != "$gen1" ]] || fail "full-sync did not start a new generation"
label=$(zstd -dc "$PGBAK/$gen2/base.tzst" | tar -xO backup_label)
assert_match 'BACKUP FROM: standby' "$label" "backup_label of the snapshot"
cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
pgbak_run wait 120 || fail "the sync did not finish"
assert_exit 0 pgbak_run verify "$gen2"
assert_match "generation $gen2: .*: ok" "$LAST_STDOUT"
ok "snapshot from the standby into generation $gen2 (WAL archived by the primary); verify passes"
sums=$(table_sums main)
caught_up standby main
restore_and_start from_standby --generation "$gen2"
assert_no_file "$T/from_standby.data/standby.signal" "the standby's standby.signal is left out"
assert_eq "$sums" "$(table_sums from_standby)" "rows restored from the standby's snapshot"
cluster_stop from_standby
ok "restore of generation $gen2 (standby's base, primary's WAL): rows match"

# Failover. The old primary goes away (its last WAL archived at shutdown), the standby has
# everything; the DBA gives the standby a copy of the archive (here: of the local one; in
# production a download of the remote copy), then promotes it.
cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
caught_up standby main
cluster_stop main fast
pgbak_run wait 120 || fail "the sync did not finish"
cp -a "$PGBAK" "$PGBAK_NEW"
promote standby
cluster_psql standby -c 'SELECT pg_switch_wal()' >/dev/null
cluster_pgbench standby -c 2 -T 2 >>"$T/pgbench.log" 2>&1
sums_new=$(table_sums standby)
PGBAK=$PGBAK_NEW wait_archived standby --no-failures
PGBAK=$PGBAK_NEW pgbak_run wait 120 || fail "the new primary's sync did not finish"
assert_file "$PGBAK_NEW/$gen2/pg_wal/00000002.history.zst"
ok "the promoted standby archives timeline 2 into its own \$PGBAK"

PGBAK=$PGBAK_NEW restore_and_start across --generation "$gen1"
assert_eq "$sums_new" "$(table_sums across)" "rows after a restore across the switch"
# Recovery followed timeline 2 (from the new primary's archive), so it promoted to timeline 3.
assert_eq 00000003 "$(cluster_psql across -c 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)')" "timeline after the restore"
cluster_stop across
ok "restore from the old primary's base ($gen1) crosses to timeline 2: rows match"

# The DBA's last step: a fresh base on the new primary's timeline.
# (conninfo in the copied pgbak.conf names the standby, now the primary.)
PGBAK=$PGBAK_NEW pgbak_run -q full-sync || fail "full-sync on the new primary failed"
PGBAK=$PGBAK_NEW wait_archived standby --no-failures
PGBAK=$PGBAK_NEW pgbak_run wait 120 || fail "the sync did not finish"
PGBAK=$PGBAK_NEW assert_exit 0 pgbak_run verify
ok "full-sync on the new primary; verify passes on its archive"
