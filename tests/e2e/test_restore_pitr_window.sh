#!/usr/bin/env bash
# Point-in-time targets inside the newest base backup's window (after it started, before it
# ended): that base cannot reach them (recovery is consistent only past the backup's end), so
# restore must take the previous generation, whose WAL carries on through the newer one's. The
# --target-time is given without a zone, in a shell TZ other than the server's timezone: pgbak
# must hand the server the same instant it chose the generation by.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
server_tz=Asia/Tokyo
shell_tz=America/New_York
start_main 2 "timezone = '$server_tz'"
cluster_psql main -c 'CREATE TABLE marks (n int)'
wait_archived main --no-failures
make_base
gen1=$(readlink "$PGBAK/current")
ok "generation $gen1 with its base backup"

# A slow snapshot: the server's compressed stream throttled to last ~8 s.
size=$(stat -c %s "$PGBAK/$gen1/base.tzst")
rate=$((size / 1024 / 8))
((rate >= 32)) || rate=32
echo "basebackup-options = --max-rate=${rate}k" >>"$PGBAK/pgbak.conf"
_e2e_with main pgbak_run -q full-sync >"$T/full-sync.out" 2>&1 &
sync_pid=$!
deadline=$((SECONDS + 60))
until [[ $(cluster_psql main -c "SELECT count(*) FROM pg_stat_progress_basebackup WHERE phase = 'streaming database files'") == 1 ]]; do
  ((SECONDS < deadline)) || fail "the snapshot did not start streaming"
  sleep 0.1
done
cluster_psql main -c 'INSERT INTO marks VALUES (1)'
row=$(cluster_psql main -c "SELECT extract(epoch FROM clock_timestamp()), pg_current_wal_lsn()")
IFS='|' read -r epoch target_lsn <<<"$row"
sleep 1.5
cluster_psql main -c 'INSERT INTO marks VALUES (2)'
[[ $(cluster_psql main -c "SELECT count(*) FROM pg_stat_progress_basebackup") == 1 ]] ||
  fail "the snapshot ended too early for this test (raise its throttle)"
wait "$sync_pid" || fail "full-sync failed: $(cat "$T/full-sync.out")"
gen2=$(readlink "$PGBAK/current")
[[ $gen2 != "$gen1" ]] || fail "full-sync did not start a new generation"
wait_archived main --no-failures
pgbak_run wait 120 || fail "the sync did not finish"
history=$(zstd -dc "$PGBAK/$gen2"/pg_wal/*.backup.zst)
start_lsn=$(sed -n 's/^START WAL LOCATION: \([^ ]*\).*/\1/p' <<<"$history")
stop_lsn=$(sed -n 's/^STOP WAL LOCATION: \([^ ]*\).*/\1/p' <<<"$history")
[[ $(cluster_psql main -c "SELECT '$start_lsn'::pg_lsn < '$target_lsn'::pg_lsn AND '$target_lsn'::pg_lsn < '$stop_lsn'::pg_lsn") == t ]] ||
  fail "target $target_lsn is not inside the backup's window $start_lsn-$stop_lsn"
ok "generation $gen2's backup ran from $start_lsn to $stop_lsn; mark 1 at $target_lsn inside it"

# The target time in the shell's zone, without the zone.
local_time=$(TZ=$shell_tz date -d "@$epoch" '+%Y-%m-%d %H:%M:%S.%N')
RESTORE_CONF="archive_mode = off
timezone = '$server_tz'" TZ=$shell_tz restore_and_start by_time --target-time "$local_time" --target-action promote
assert_eq '{1}' "$(cluster_psql by_time -c 'SELECT array_agg(n ORDER BY n) FROM marks')" "marks after --target-time"
assert_match "^restored generation $gen1 " "$(head -n 1 "$T/by_time.restore.out")" "generation for --target-time"
utc=$(TZ=UTC date -d "@$epoch" '+%Y-%m-%d %H:%M:%S')
grep -q "^recovery_target_time = '$utc[.0-9]*+00'\$" "$T/by_time.data/postgresql.auto.conf" ||
  fail "recovery_target_time is not the UTC form of $local_time ($shell_tz): $(grep recovery_target_time "$T/by_time.data/postgresql.auto.conf")"
assert_match "read in pgbak's time zone TZ=$shell_tz" "$(cat "$T/by_time.restore.out")"
cluster_stop by_time
ok "--target-time '$local_time' (TZ=$shell_tz, server in $server_tz): generation $gen1, passed as UTC, mark 1 only"

restore_and_start by_lsn --target-lsn "$target_lsn" --target-action promote
assert_eq '{1}' "$(cluster_psql by_lsn -c 'SELECT array_agg(n ORDER BY n) FROM marks')" "marks after --target-lsn"
assert_match "^restored generation $gen1 " "$(head -n 1 "$T/by_lsn.restore.out")" "generation for --target-lsn"
cluster_stop by_lsn
ok "--target-lsn $target_lsn: generation $gen1, mark 1 only"

after=$(cluster_psql main -c "SELECT pg_current_wal_lsn()")
assert_exit 0 "$PGBAK_BIN" -D "$PGBAK" restore "$T/after.data" --target-lsn "$after"
assert_match "^restored generation $gen2 .*ended at $stop_lsn" "$LAST_STDOUT"
ok "a target after the newest backup's end restores from generation $gen2"
