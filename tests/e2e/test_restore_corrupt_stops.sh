#!/usr/bin/env bash
# A corrupt archived segment in the middle of the history a restore replays stops recovery
# (restore-wal exits above 125, PostgreSQL aborts): the server must not end recovery at that
# segment and promote with less data than the archive holds. Once the segment is repaired, the
# same data directory starts and recovers to the source's rows.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
start_main 1
make_base
# Three more segments of transactions after the base.
segs=()
for _ in 1 2 3; do
  cluster_pgbench main -t 200 -n >>"$T/pgbench.log" 2>&1
  wait_archived main --no-failures
  segs+=("$LAST_SWITCH_WAL")
done
want=$(table_sums main)
cluster_stop main
pgbak_run wait 120 || fail "the sync did not finish"

# The first of them damaged inside its stored file (a copy of the intact one kept).
stored=$PGBAK/current/pg_wal/${segs[0]}.zst
cp -p "$stored" "$T/intact.zst"
size=$(stat -c %s "$stored")
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of="$stored" bs=1 seek=$((size / 2)) conv=notrunc status=none

"$PGBAK_BIN" -D "$PGBAK" restore "$T/copy.data" >"$T/copy.restore.out" || fail "pgbak restore failed"
cluster_configure copy "archive_mode = off"
_e2e_with copy as_pg pg_ctl -D "$T/copy.data" -l "$T/copy.log" -w -t 60 start >/dev/null 2>&1 || true
deadline=$((SECONDS + 90))
while _e2e_with copy as_pg pg_ctl -D "$T/copy.data" status >/dev/null 2>&1; do
  if [[ $(cluster_psql copy -c 'SELECT pg_is_in_recovery()' 2>/dev/null) == f ]]; then
    fail "recovery ended at the corrupt segment and the server promoted with $(table_sums copy), not $want"
  fi
  ((SECONDS < deadline)) || fail "the server neither stopped nor promoted within 90 s"
  sleep 0.3
done
grep -q "could not restore file \"${segs[0]}\" from archive" "$T/copy.log" ||
  fail "the server log does not say the restore of ${segs[0]} failed: $(tail -n 5 "$T/copy.log")"
grep -qE "pgbak: .*corrupt.*recovery is stopped" "$T/copy.log" || fail "pgbak's one-line error is not in the server log"
assert_file "$T/copy.data/recovery.signal"
ok "a corrupt segment stops recovery (server stopped, still recovery.signal), no early promotion"

cp -p "$T/intact.zst" "$stored"
cluster_start copy
wait_recovered copy
assert_eq "$want" "$(table_sums copy)" "rows after the repaired segment"
ok "after the segment is repaired, the same data directory recovers to the source's rows"

# Run by hand (not in archive recovery), a corrupt file is still exit 1.
printf '\xde\xad\xbe\xef' | dd of="$stored" bs=1 seek=$((size / 2)) conv=notrunc status=none
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore-wal "${segs[0]}" "$T/by-hand"
ok "outside recovery a corrupt file is exit 1"
