#!/usr/bin/env bash
# Failover through the same remote destination. The primary archives into $PGBAK and uploads
# with backup-rsync (a local destination); a streaming standby has its own, empty $PGBAK whose
# scripts/backup uploads to the same destination. The primary stops, the standby is promoted: its
# first archived file (the timeline 2 history) starts a generation there, its sync snapshots it
# and uploads it beside the old primary's generation, which stays untouched. Then, from a new
# directory holding only scripts/fetch and backup.env: restore latest takes the new primary's
# generation, a restore from the old primary's base crosses to timeline 2, a restore to a time
# before the failover has exactly the rows of then, and with the old host's generation named
# later than the new one (its clock ahead) restore latest still replays to timeline 2's rows,
# through scripts/fetch and from a downloaded copy.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/standby_lib.sh"
e2e_init
source "$PGBAK_SRC/tests/e2e/upload_lib.sh"

start_local_remote
cluster_psql main -c 'CREATE TABLE marks (n int)'
make_base
gen1=$(readlink "$PGBAK/current")

# The standby's own backup directory: the same upload script and settings; snapshots of itself.
# (archive_mode = on: a standby archives nothing until it is promoted.)
PGBAK_NEW=$T/pgbak.new
PGBAK=$PGBAK_NEW start_standby standby main
snapshots_from "$PGBAK_NEW" standby
use_local_remote "$PGBAK_NEW"

cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
cluster_psql main -c 'INSERT INTO marks SELECT generate_series(1, 100)'
wait_archived main --no-failures
sleep 1
noted_time=$(cluster_psql main -c 'SELECT clock_timestamp()')
sleep 1
cluster_psql main -c 'INSERT INTO marks SELECT generate_series(101, 250)'
caught_up standby main
cluster_stop main fast
pgbak_run wait 120 >/dev/null || true
assert_exit 0 pgbak_run force-sync
old_remote=$(fingerprint "$T/remote/$gen1")
assert_eq "$gen1" "$(ls "$T/remote")" "generations on the remote before the failover"
ok "the old primary archived and uploaded generation $gen1, then stopped"

# Failover: the promoted standby archives into its own directory, uploading to the same place.
promote standby
cluster_psql standby -c 'INSERT INTO marks SELECT generate_series(251, 300)'
cluster_pgbench standby -c 2 -T 2 >>"$T/pgbench.log" 2>&1
PGBAK=$PGBAK_NEW wait_archived standby --no-failures
PGBAK=$PGBAK_NEW make_base standby
PGBAK=$PGBAK_NEW assert_exit 0 pgbak_run force-sync
sums_new=$(table_sums standby)
gen2=$(readlink "$PGBAK_NEW/current")
((gen2 > gen1)) || fail "the new primary's generation $gen2 is not newer than $gen1"
assert_eq 1 "$(generation_count "$PGBAK_NEW")" "generations in the new primary's directory"
assert_eq "$gen1 $gen2" "$(ls "$T/remote" | tr '\n' ' ' | sed 's/ $//')" "generations on the remote"
assert_file "$T/remote/$gen2/base.tzst"
assert_file "$T/remote/$gen2/pg_wal/00000002.history.zst"
assert_eq "$old_remote" "$(fingerprint "$T/remote/$gen1")" "the old primary's generation on the remote"
PGBAK=$PGBAK_NEW assert_exit 0 pgbak_run verify
ok "the new primary uploaded generation $gen2 (timeline 2, with its snapshot) beside $gen1"

NEW=$T/newdir
drill_newdir "$NEW" "$SCRIPT" "$T/backup.env"
# check_restored NAME GEN: restore NAME (from the remote copy) chose GEN and has the new primary's
# rows on the timeline after 2.
check_restored() {
  assert_match "restored generation $2( |$)" "$(<"$T/$1.restore.out")" "restore $1"
  assert_eq "$sums_new" "$(table_sums "$1")" "pgbench tables after restore $1"
  assert_eq 300 "$(cluster_psql "$1" -c 'SELECT count(*) FROM marks')" "marked rows after restore $1"
  assert_eq 00000003 "$(cluster_psql "$1" -c 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)')" \
    "timeline after restore $1"
  cluster_stop "$1"
}
PGBAK=$NEW restore_and_start latest
check_restored latest "$gen2"
ok "restore latest from the remote copy: the new primary's generation $gen2, its rows"

PGBAK=$NEW restore_and_start across --generation "$gen1"
check_restored across "$gen1"
ok "restore from the old primary's base ($gen1) on the remote crosses to timeline 2: rows match"

PGBAK=$NEW restore_and_start before --target-time "$noted_time" --target-action promote
assert_match "restored generation $gen1 of the remote copy" "$(<"$T/before.restore.out")"
assert_eq 100 "$(cluster_psql before -c 'SELECT count(*) FROM marks')" "marked rows at $noted_time"
cluster_stop before
ok "restore to $noted_time (before the failover) from the remote copy: exactly the rows of then"

# The old host's clock ahead of the new one's: its generation is named after the new primary's.
ahead=$((gen2 + 3600))
mv "$T/remote/$gen1" "$T/remote/$ahead"
PGBAK=$NEW restore_and_start skewed
check_restored skewed "$ahead"
ok "with the old host's generation named later ($ahead), restore latest still reaches timeline 2's rows"
# The same, downloaded: restore-wal reads the older generations of the restored one's lineage
# too, where the new primary's timeline is (in a generation named before the old one).
as_pg mkdir -m 700 "$T/download"
as_pg cp -a "$T/remote/." "$T/download/"
PGBAK=$T/download restore_and_start downloaded
check_restored downloaded "$ahead"
ok "the same from a downloaded copy of the remote: restore latest reaches timeline 2's rows"
[[ -z $(find "$NEW" -mindepth 1 -maxdepth 1 ! -name scripts) ]] || fail "pgbak stored files in $NEW"
cluster_stop standby
