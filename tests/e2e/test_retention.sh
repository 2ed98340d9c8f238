#!/usr/bin/env bash
# `pgbak info` and time-window retention against a real cluster whose generations were made a few
# seconds apart while rows kept arriving, locally and on a remote copy made by the real
# scripts/backup-rsync (to an rsync destination directory; the same script as scripts/fetch):
# - info --json: each base's start LSN and end (checked against the archived .backup files), and
#   a recoverable window that ends at the first missing segment (one hidden for the check);
#   info --remote --json: the same from the remote listing;
# - prune --keep-within with the window's start between two bases' ends: exactly the older
#   generations go, the one whose base ended just before the window stays; a generation whose
#   upload sync.uploaded does not record stays (with a hint), then goes once it does;
# - prune --remote: the same rule on the remote listing through `fetch delete`; a failing delete
#   exits 1 with one line and removes nothing after it; pgbak and its fetch script killed (-9)
#   in the middle of a delete leave a half-deleted generation that info shows and the next prune
#   removes;
# - a restore to the oldest point of each window (locally, and from the remote copy alone)
#   starts from the kept generation and has exactly the rows committed by then;
# - keep = 1 and remote-prune = on in pgbak.conf: the sync's own prune trims both copies.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
source "$PGBAK_SRC/tests/e2e/upload_lib.sh"
source "$PGBAK_SRC/tests/e2e/restore_lib.sh"
source "$PGBAK_SRC/tests/e2e/drill_lib.sh"

start_local_remote
cluster_psql main -c 'CREATE TABLE marks (n int, at timestamptz)'
# A row every 0.3 s while the generations are made: the points the restores aim between.
(
  n=0
  while [[ ! -e $T/stop-marks ]]; do
    n=$((n + 1))
    cluster_psql main -c "INSERT INTO marks VALUES ($n, clock_timestamp())" || exit 1
    sleep 0.3
  done
) &
marks_pid=$!
for i in 1 2 3 4; do
  sleep 4
  new_generation
done
touch "$T/stop-marks"
wait "$marks_pid" || fail "inserting marks failed"
wait_archived main --no-failures
pgbak_run wait 120 >/dev/null || fail "the sync did not finish"
assert_exit 0 pgbak_run force-sync
mapfile -t MARKS < <(cluster_psql main -c 'SELECT extract(epoch FROM at) FROM marks ORDER BY n')

# ---- what the archive holds, read straight from the files
mapfile -t GENS < <(ls "$PGBAK" | grep -E '^[0-9]+$' | sort -n)
BASES=()
declare -A END START_LSN START_FILE STOP_FILE
for g in "${GENS[@]}"; do
  [[ -f $PGBAK/$g/base.tzst ]] || continue
  BASES+=("$g")
  history=$(ls "$PGBAK/$g/pg_wal" | grep '\.backup\.zst$') || fail "no .backup file in generation $g"
  [[ $(wc -l <<<"$history") == 1 ]] || fail "several .backup files in generation $g: $history"
  text=$(zstd -qdc "$PGBAK/$g/pg_wal/$history")
  # pgbak takes a base as ended one second after its STOP TIME (cut to whole seconds).
  END[$g]=$(($(date -d "$(sed -n 's/^STOP TIME: //p' <<<"$text")" +%s) + 1))
  START_LSN[$g]=$(sed -n 's/^START WAL LOCATION: \([^ ]*\) .*/\1/p' <<<"$text")
  START_FILE[$g]=$(sed -n 's/^START WAL LOCATION: .*(file \(.*\))/\1/p' <<<"$text")
  STOP_FILE[$g]=$(sed -n 's/^STOP WAL LOCATION: .*(file \(.*\))/\1/p' <<<"$text")
done
((${#BASES[@]} >= 4)) || fail "expected at least 4 generations with a base, got: ${BASES[*]}"
NEWEST=$(ls "$PGBAK/${GENS[-1]}/pg_wal" | grep -E '^[0-9A-F]{24}\.zst$' | sort | tail -n 1)
NEWEST=${NEWEST%.zst}
ok "${#GENS[@]} generations (${#BASES[@]} with a base) made 4+ s apart, WAL up to $NEWEST"

# info_rows [INFO_ARGS...]: one line per generation of `pgbak info --json`.
info_rows() {
  pgbak_run info --json "$@" >"$T/info.json" || fail "pgbak info --json $* failed"
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for g in d["generations"]:
    print(g["name"], g["base"], g["stop_time"], g["start_lsn"], g["restorable"],
          g["window_end_wal"], g["window_gap"], g["current"])' "$T/info.json"
}
# expected_rows GAP_SEGMENT: what info_rows must print for the generations in $PGBAK, with
# GAP_SEGMENT (or "") missing from the archive.
expected_rows() {
  local g row prev
  [[ -z $1 ]] || prev=$(python3 -c 'import sys; s = sys.argv[1]; n = int(s[8:16], 16) * 256 + int(s[16:], 16) - 1
print("%s%08X%08X" % (s[:8], n // 256, n % 256))' "$1")
  for g in "${GENS[@]}"; do
    [[ -d $PGBAK/$g ]] || continue
    if [[ -z ${END[$g]:-} ]]; then
      row="$g False None None False None None"
    elif [[ -z $1 || ${START_FILE[$g]} > $1 ]]; then
      row="$g True ${END[$g]} ${START_LSN[$g]} True $NEWEST None"
    elif [[ ${STOP_FILE[$g]} < $1 ]]; then
      row="$g True ${END[$g]} ${START_LSN[$g]} True $prev $1"
    else
      row="$g True ${END[$g]} ${START_LSN[$g]} False None $1"
    fi
    echo "$row $([[ $g == "${GENS[-1]}" ]] && echo True || echo False)"
  done
}

# ---- info: bases and windows
assert_eq "$(expected_rows "")" "$(info_rows)" "pgbak info --json"
assert_exit 0 pgbak_run info
assert_match "generation ${GENS[-1]} \(current\)" "$LAST_STDOUT" "info text"
assert_match "recoverable window: from .* \(generation ${BASES[0]}\) to the end of $NEWEST" \
  "$LAST_STDOUT" "info text"
ok "info: every base's start and end as archived, each window reaches $NEWEST"
# A missing segment (hidden, then put back) ends every window that runs through it.
hide=$(ls "$PGBAK/${GENS[-2]}/pg_wal" | grep -E '^[0-9A-F]{24}\.zst$' | sort | tail -n 1)
mv "$PGBAK/${GENS[-2]}/pg_wal/$hide" "$T/aside"
assert_eq "$(expected_rows "${hide%.zst}")" "$(info_rows)" "pgbak info --json with ${hide%.zst} missing"
mv "$T/aside" "$PGBAK/${GENS[-2]}/pg_wal/$hide"
ok "info: with ${hide%.zst} missing, the windows through it end just before it"
ln -sfn "$SCRIPT" "$PGBAK/scripts/fetch"
assert_eq "$(expected_rows "")" "$(info_rows --remote)" "pgbak info --remote --json"
ok "info --remote: the same bases and windows from the remote listing"

# window_after I: a --keep-within value (whole seconds) whose window starts, now, midway between
# the ends of the bases BASES[I] and BASES[I+1], which are at least 4 s apart.
window_after() {
  local a=${END[${BASES[$1]}]} b=${END[${BASES[$1 + 1]}]}
  ((b - a >= 4)) || fail "bases ${BASES[$1]} and ${BASES[$1 + 1]} ended only $((b - a)) s apart"
  echo $(($(date +%s) - (a + b) / 2))
}
# target_after FROM I: a time between two marks just after FROM (unix time: the start of the
# window a prune just used) and before BASES[I+1] ended; sets TARGET (for --target-time) and ROWS
# (the marks committed before it).
target_after() {
  local from=$1 at prev="" i=0
  for at in "${MARKS[@]}"; do
    if [[ -n $prev ]] && python3 -c 'import sys; p, a, f = map(float, sys.argv[1:])
sys.exit(0 if (p + a) / 2 > f + 0.5 and a - p > 0.2 else 1)' "$prev" "$at" "$from"; then
      TARGET=$(python3 -c 'import sys, datetime; p, a = map(float, sys.argv[1:])
print(datetime.datetime.fromtimestamp((p + a) / 2, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00"))' "$prev" "$at")
      ROWS=$i
      python3 -c 'import sys; p, a, e = map(float, sys.argv[1:]); sys.exit(0 if (p + a) / 2 < e - 0.5 else 1)' \
        "$prev" "$at" "${END[${BASES[$2 + 1]}]}" || fail "no mark between the window's start and the end of ${BASES[$2 + 1]}"
      return
    fi
    prev=$at
    i=$((i + 1))
  done
  fail "no mark after the window's start"
}
local_gens() { ls "$PGBAK" | grep -E '^[0-9]+$' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
remote_gens() { ls "$T/remote" | grep -E '^[0-9]+$' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
# gens_from I: the generations from BASES[I] on.
gens_from() {
  local g out=()
  for g in "${GENS[@]}"; do ((g < ${BASES[$1]})) || out+=("$g"); done
  echo "${out[*]}"
}

# ---- prune --keep-within, locally: bad input first
assert_exit 2 pgbak_run prune --keep-within 7x
assert_match '^pgbak: .*keep-within.*7x' "$LAST_STDERR" "bad --keep-within"
assert_eq 1 "$(grep -c . <<<"$LAST_STDERR")" "lines of the bad --keep-within error"
ok "prune --keep-within 7x: exit 2, $LAST_STDERR"
pgbak_run wait 60 >/dev/null || fail "a sync is still running"
# A generation the window lets go but whose upload is not recorded stays.
cp "$PGBAK/sync.uploaded" "$T/uploaded.saved"
grep -v "^${BASES[0]} " "$T/uploaded.saved" | as_pg tee "$PGBAK/sync.uploaded" >/dev/null
W=$(window_after 1)
assert_exit 0 pgbak_run prune --keep-within "${W}s"
assert_match "keeping generation ${BASES[0]}: [0-9]+ file\(s\) not uploaded yet" "$LAST_STDERR" "prune stderr"
[[ -d $PGBAK/${BASES[0]} ]] || fail "generation ${BASES[0]} was pruned although not uploaded"
ok "prune keeps generation ${BASES[0]} while sync.uploaded does not record its upload"
as_pg tee "$PGBAK/sync.uploaded" <"$T/uploaded.saved" >/dev/null
W=$(window_after 1)
assert_exit 0 pgbak_run prune --keep-within "${W}s" --dry-run
dry=$LAST_STDOUT
assert_exit 0 pgbak_run prune --keep-within "${W}s"
window_start=$(($(date +%s) - W))
assert_eq "$(gens_from 1)" "$(local_gens)" "generations left by prune --keep-within ${W}s"
assert_eq "$(grep -o '^would remove [0-9]*' <<<"$dry" | cut -d' ' -f3)" \
  "$(grep -o '^removed [0-9]*' <<<"$LAST_STDOUT" | cut -d' ' -f2)" "dry run against the real prune"
ok "prune --keep-within ${W}s kept exactly $(local_gens) (${BASES[1]}'s base ended before the window)"
target_after "$window_start" 1
restore_and_start local_pitr --target-time "$TARGET" --target-action promote
assert_match "restored generation ${BASES[1]}" "$(<"$T/local_pitr.restore.out")" "restore output"
assert_eq "$ROWS" "$(cluster_psql local_pitr -c 'SELECT count(*) FROM marks')" "rows at $TARGET"
cluster_stop local_pitr
ok "restore to $TARGET (the window's oldest point) from ${BASES[1]}: exactly the $ROWS rows"

# ---- prune --remote through a fetch script that can fail or hang in `delete`
cat >"$T/fetch-wrap" <<EOF
#!/bin/sh
if [ "\$1" = delete ] && [ -e "$T/fail-delete" ]; then
  echo "fetch-wrap: deleting \$2: simulated failure" >&2
  exit 3
fi
if [ "\$1" = delete ] && [ -e "$T/hang-delete" ]; then
  rm -f "$T/remote/\$2/base.tzst"
  echo "\$\$ \$PPID" >"$T/hang.pids"
  exec sleep 60
fi
exec "$SCRIPT" "\$@"
EOF
chmod 755 "$T/fetch-wrap"
ln -sfn "$T/fetch-wrap" "$PGBAK/scripts/fetch"
all_remote=$(remote_gens)
assert_eq "${GENS[*]}" "$all_remote" "remote generations before the remote prune"
touch "$T/fail-delete"
W=$(window_after 1)
assert_exit 1 pgbak_run prune --remote --keep-within "${W}s"
assert_eq 1 "$(grep -c . <<<"$LAST_STDERR")" "lines of the failed remote prune's error"
assert_match "^pgbak: .*delete ${GENS[0]}.*simulated failure" "$LAST_STDERR" "failed remote prune"
assert_eq "$all_remote" "$(remote_gens)" "remote generations after a failing delete"
ok "fetch delete failing: exit 1, nothing removed ($LAST_STDERR)"
rm "$T/fail-delete"
W=$(window_after 1)
assert_exit 0 pgbak_run prune --remote --keep-within "${W}s"
assert_eq "$(gens_from 1)" "$(remote_gens)" "remote generations after prune --remote --keep-within ${W}s"
ok "prune --remote --keep-within ${W}s kept exactly $(remote_gens) on the remote"

touch "$T/hang-delete"
W=$(window_after 2)
pgbak_run prune --remote --keep-within "${W}s" >"$T/hang.out" 2>&1 &
runner=$!
for _ in {1..300}; do [[ -s $T/hang.pids ]] && break; sleep 0.1; done
[[ -s $T/hang.pids ]] || fail "the remote prune never reached fetch delete: $(<"$T/hang.out")"
read -r script_pid pgbak_pid <"$T/hang.pids"
kill -KILL "$pgbak_pid" "$script_pid"
wait "$runner" 2>/dev/null || true
rm "$T/hang-delete"
[[ -d $T/remote/${BASES[1]} && ! -e $T/remote/${BASES[1]}/base.tzst ]] ||
  fail "expected a half-deleted remote generation ${BASES[1]}"
row=$(info_rows --remote | grep "^${BASES[1]} ")
assert_eq "${BASES[1]} False None None False None None False" "$row" "info --remote of the half-deleted generation"
W=$(window_after 2)
assert_exit 0 pgbak_run prune --remote --keep-within "${W}s"
window_start=$(($(date +%s) - W))
assert_eq "$(gens_from 2)" "$(remote_gens)" "remote generations after the prune that followed the kill"
ok "killed (-9) during fetch delete: ${BASES[1]} half-deleted, shown without base; the next prune removed it"

PGBAK_MAIN=$PGBAK
PGBAK=$T/newdir
drill_newdir "$PGBAK" "$SCRIPT" "$T/backup.env"
target_after "$window_start" 2
restore_and_start remote_pitr --target-time "$TARGET" --target-action promote
assert_match "restored generation ${BASES[2]} of the remote copy" "$(<"$T/remote_pitr.restore.out")" \
  "remote restore output"
assert_eq "$ROWS" "$(cluster_psql remote_pitr -c 'SELECT count(*) FROM marks')" "rows at $TARGET"
cluster_stop remote_pitr
ok "restore from the remote copy alone to $TARGET: generation ${BASES[2]}, exactly the $ROWS rows"
PGBAK=$PGBAK_MAIN

# ---- the sync's own prune, with remote-prune = on
printf 'keep = 1\nremote-prune = on\n' >>"$PGBAK/pgbak.conf"
assert_exit 0 pgbak_run force-sync
assert_eq "${GENS[-1]}" "$(local_gens)" "local generations after the sync's prune (keep = 1)"
assert_eq "${GENS[-1]}" "$(remote_gens)" "remote generations after the sync's prune (remote-prune = on)"
assert_match "pruned remote generation ${BASES[2]}" "$(<"$PGBAK/sync.log")" "sync.log"
ok "keep = 1 with remote-prune = on: the sync pruned both copies to ${GENS[-1]}"
