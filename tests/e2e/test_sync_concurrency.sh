#!/usr/bin/env bash
# Two archive-wal calls and a force-sync at once (every other round the second archive-wal a
# few milliseconds later), 200 times: never two syncs at a time (the
# backup script detects overlap with an atomic mkdir), and no pending bit is lost: once no sync
# runs, the state byte is 0 and the last script run saw both new files.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
write_conf "snapshot-min-wal-files = 1000000"
fake_generation 1700000000
write_backup_script "mkdir '$T/flag' 2>/dev/null || echo \"overlap \$\$\" >>'$T/overlap'
ls pg_wal >'$T/seen.new' && mv -f '$T/seen.new' '$T/seen'
echo \$\$ >>'$T/runs'
sleep 0.01
rmdir '$T/flag' 2>/dev/null
exit 0"
ROUNDS=${ROUNDS:-200}
for ((i = 1; i <= 2 * ROUNDS; i++)); do history_file $((i + 1)) >/dev/null; done

cat >"$T/race.sh" <<EOF
#!/bin/bash
# One process per round of each kind, all started together; runs as the pgbak user.
set -u
pgbak() { "$PGBAK_BIN" -D "$PGBAK" -q "\$@"; }
for ((i = 1; i <= $ROUNDS; i++)); do
  a=\$(printf '%08X' \$((2 * i))).history
  b=\$(printf '%08X' \$((2 * i + 1))).history
  pgbak archive-wal "$T/hist/\$a" & pa=\$!
  pgbak force-sync & pf=\$!
  # Even rounds start b a little later, when a sync is likely finishing: nothing but b's own
  # start of a sync can then pick up its bit.
  if ((i % 2 == 0)); then sleep 0.0\$((RANDOM % 4))\$((RANDOM % 10)); fi
  pgbak archive-wal "$T/hist/\$b" & pb=\$!
  wait \$pa || { echo "round \$i: archive-wal \$a failed"; exit 1; }
  wait \$pb || { echo "round \$i: archive-wal \$b failed"; exit 1; }
  wait \$pf || { echo "round \$i: force-sync failed"; exit 1; }
  pgbak wait 30 || { echo "round \$i: wait timed out"; exit 1; }
  state=\$(od -An -tx1 -N1 "$PGBAK/pgbak.lock" | tr -d ' ')
  [ "\$state" = 00 ] || { echo "round \$i: state byte \$state with no sync running"; exit 1; }
  grep -qx "\$a.zst" "$T/seen" && grep -qx "\$b.zst" "$T/seen" ||
    { echo "round \$i: the last script run did not see \$a and \$b"; exit 1; }
done
EOF
chmod 755 "$T/race.sh"
start=$SECONDS
if ! as_pg "$T/race.sh"; then
  echo "--- $PGBAK/sync.status"
  cat "$PGBAK/sync.status" 2>/dev/null
  echo "--- processes"
  ps -eo pid,ppid,stat,args | grep -F "$PGBAK" | grep -v grep
  fail "race loop failed"
fi
assert_no_file "$T/overlap" "two backup scripts ran at the same time"
runs=$(grep -c . "$T/runs")
((runs >= ROUNDS)) || fail "only $runs script runs for $ROUNDS force-syncs"
ok "$ROUNDS rounds in $((SECONDS - start)) s: $runs script runs, never two at once, no bit lost"
