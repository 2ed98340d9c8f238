#!/usr/bin/env bash
# 8 archive-wal processes at once, each archiving its own segments, while force-sync and
# `wait` run in a loop, for a bounded time (CONCURRENCY_SECONDS, default 30): every segment is
# archived exactly once and decompresses to the original, never two backup scripts at a time
# (the script detects overlap with an atomic mkdir), and no pending bit is lost: once everything
# is quiet and one last `pgbak sync` ran, the state byte is 0 and the script's last run came after
# the last archive-wal and saw every segment.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
write_conf "snapshot-min-wal-files = 1000000" "backoff-start = 0.2" "backoff-max = 0.5"
fake_generation 1700000000
WORKERS=8
PER_WORKER=${PER_WORKER:-16}
SECONDS_MAX=${CONCURRENCY_SECONDS:-30}
write_backup_script "mkdir '$T/flag' 2>/dev/null || echo \"overlap \$\$\" >>'$T/overlap'
ls pg_wal >'$T/seen.new' && mv -f '$T/seen.new' '$T/seen'
echo \"\$2 \$(date +%s.%N)\" >>'$T/runs'
sleep 0.05
rmdir '$T/flag'
exit 0"

# 1 MiB segments (a valid WAL segment size) keep the input small.
as_pg mkdir "$T/in"
for ((w = 0; w < WORKERS; w++)); do
  for ((i = 0; i < PER_WORKER; i++)); do
    name=$(printf '00000001000000%02X%08X' "$w" "$i")
    echo "$T/in/$name $name --size 1048576 --seed $((w * 100 + i))"
  done
done | as_pg xargs -P 2 -L 1 python3 "$PGBAK_SRC/tests/e2e/make_segment.py"

cat >"$T/worker.sh" <<EOS
#!/bin/bash
# worker W: archive its segments in order, with small random pauses, until done or time is up.
set -u
end=\$((SECONDS + $SECONDS_MAX))
for f in "$T"/in/00000001000000\$(printf %02X "\$1")*; do
  ((SECONDS < end)) || break
  "$PGBAK_BIN" -D "$PGBAK" -q archive-wal "\$f" || { echo "archive-wal \$f failed"; exit 1; }
  date +%s.%N >>"$T/archived.\$1"
  sleep 0.\$((RANDOM % 3))\$((RANDOM % 10))
done
EOS
cat >"$T/syncer.sh" <<EOS
#!/bin/bash
# force-sync and wait in a loop while any worker runs.
set -u
while [ -e "$T/running" ]; do
  "$PGBAK_BIN" -D "$PGBAK" -q force-sync || { echo "force-sync failed"; exit 1; }
  "$PGBAK_BIN" -D "$PGBAK" -q wait 30 || { echo "wait timed out"; exit 1; }
done
EOS
chmod 755 "$T/worker.sh" "$T/syncer.sh"

as_pg touch "$T/running"
start=$SECONDS
pids=()
for ((w = 0; w < WORKERS; w++)); do
  as_pg "$T/worker.sh" "$w" &
  pids+=($!)
done
as_pg "$T/syncer.sh" &
syncer=$!
for p in "${pids[@]}"; do wait "$p" || fail "an archive-wal worker failed"; done
rm -f "$T/running"
wait "$syncer" || fail "the force-sync/wait loop failed"
elapsed=$((SECONDS - start))
assert_exit 0 pgbak_run wait 60
assert_exit 0 pgbak_run sync
assert_eq 00 "$(state_byte)" "state byte after everything quiesced and a final sync"

archived=$(cat "$T"/archived.* | wc -l)
((archived > WORKERS)) || fail "only $archived segments archived"
stored=$(find "$PGBAK" -name '00000001*.zst' | wc -l)
assert_eq "$archived" "$stored" "stored segments (each archived exactly once, in one generation)"
for f in "$PGBAK"/current/pg_wal/*.zst; do
  n=$(basename "$f" .zst)
  cmp -s <(zstd -qdc "$f") "$T/in/$n" || fail "$n does not decompress to the original"
done
last_archive=$(sort -n "$T"/archived.* | tail -n 1)
last_run=$(tail -n 1 "$T/runs" | cut -d' ' -f2)
(($(echo "$last_run > $last_archive" | bc))) ||
  fail "the last script run ($last_run) came before the last archive-wal ($last_archive)"
missing=$(cd "$PGBAK/current/pg_wal" && ls | sort | comm -23 - <(sort "$T/seen"))
assert_eq "" "$missing" "segments the script's last run did not see"
assert_no_file "$T/overlap" "two backup scripts ran at the same time"
ok "$archived segments by $WORKERS concurrent archive-wal in ${elapsed}s, $(grep -c . "$T/runs") script runs: each stored once and intact, never two scripts at once, no bit lost"
