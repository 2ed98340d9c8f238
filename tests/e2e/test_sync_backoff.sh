#!/usr/bin/env bash
# A failing backup script is retried with growing delays, with the same CURRENT_TS while no new
# WAL arrives; `wait 1` times out meanwhile; once the script is fixed the sync succeeds on its
# own, and sync.status and sync.log tell the story; a force-sync cuts a long delay short.
# Also: wait's TIMEOUT parsing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
write_conf "backoff-start = 0.2" "backoff-factor = 2" "backoff-max = 1.6" \
  "snapshot-min-wal-files = 1000000"
fake_generation 1700000000
as_pg touch "$T/calls"
write_backup_script "echo \"\$(date +%s.%N) \$1 \$2\" >>'$T/calls'
[ -e '$T/fixed' ] && exit 0
echo 'upload failed: remote unreachable' >&2
exit 3"

for bad in -1 abc 1e99 '' 1x; do
  assert_exit 2 pgbak_run wait "$bad"
done
assert_match 'TIMEOUT' "$LAST_STDERR"
assert_exit 0 pgbak_run wait 0
ok "wait rejects bad TIMEOUTs with exit 2; 'wait 0' with no sync exits 0"

assert_exit 0 pgbak_run archive-wal "$(history_file 2)"
calls_at_least() { (($(grep -c . "$T/calls") >= $1)); }
wait_for calls_at_least 6
assert_exit 1 pgbak_run wait 1
assert_match 'still running' "$LAST_STDERR"
ok "wait 1 times out while the script fails ($LAST_STDERR)"

# Delays between attempts: 0.2, 0.4, 0.8, 1.6, 1.6 s (plus the script's own run time).
mapfile -t times < <(awk '{print $1}' "$T/calls")
gaps=()
for ((i = 1; i < 6; i++)); do gaps+=("$(echo "${times[i]} - ${times[i - 1]}" | bc)"); done
echo "gaps between attempts: ${gaps[*]}"
for ((i = 0; i < 3; i++)); do
  (($(echo "${gaps[i + 1]} > ${gaps[i]} * 1.5" | bc))) || fail "delays do not grow: ${gaps[*]}"
done
(($(echo "${gaps[0]} >= 0.2 && ${gaps[4]} < 2.5" | bc))) || fail "delays outside 0.2 .. 1.6 s: ${gaps[*]}"
assert_eq 1 "$(awk '{print $2 " " $3}' "$T/calls" | sort -u | wc -l)" "BASE_TS CURRENT_TS pairs of the retries"
assert_eq 1700000000 "$(awk 'NR==1 {print $2}' "$T/calls")" "BASE_TS"
ok "retried with growing delays ${gaps[*]} and one CURRENT_TS"

st=$(cat "$PGBAK/sync.status")
assert_match 'consecutive_failures=([5-9]|[1-9][0-9])' "$st"
assert_match 'last_error=backup script .* exited with status 3: upload failed: remote unreachable' "$st"
assert_match 'ERROR: backup script .*exited with status 3: upload failed.*retrying in' "$(cat "$PGBAK/sync.log")"
ok "sync.status and sync.log record the failures with the script's stderr"

calls=$(grep -c . "$T/calls")
as_pg touch "$T/fixed"
assert_exit 0 pgbak_run wait 10
assert_eq 00 "$(state_byte)" "state byte after success"
((calls < $(grep -c . "$T/calls"))) || fail "the script was not run again"
st=$(cat "$PGBAK/sync.status")
assert_match 'consecutive_failures=0' "$st"
assert_match 'pid=0' "$st"
assert_match 'last_base_ts=1700000000' "$st"
assert_match 'succeeded after [0-9]+ failure' "$(cat "$PGBAK/sync.log")"
ok "once fixed, the retry succeeds without new WAL; wait returns 0"

# A long backoff delay is cut short once a foreground command waits for the sync.
write_conf "backoff-start = 120" "backoff-max = 120" "snapshot-min-wal-files = 1000000"
rm -f "$T/fixed"
calls=$(grep -c . "$T/calls")
assert_exit 0 pgbak_run archive-wal "$(history_file 3)"
wait_for calls_at_least $((calls + 1))
wait_for grep -q 'retrying in 120.0 s' "$PGBAK/sync.log"
as_pg touch "$T/fixed"
start=$SECONDS
assert_exit 0 pgbak_run force-sync
((SECONDS - start < 30)) || fail "force-sync waited $((SECONDS - start)) s for a 120 s backoff"
assert_match 'a foreground command is waiting: retrying now' "$(cat "$PGBAK/sync.log")"
assert_eq 00 "$(state_byte)" "state byte after force-sync"
ok "force-sync cut a 120 s backoff short ($((SECONDS - start)) s)"
