#!/usr/bin/env bash
# kill -9 of the background sync mid-snapshot and mid-script: its children die with it, the
# running bits stay in the state byte, no base.tzst exists under its final name, and the next
# `pgbak sync` redoes exactly that work (the snapshot in the same generation).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
# pg_basebackup's slowest rate keeps the snapshot streaming for minutes.
write_conf "basebackup-options = --checkpoint=fast --max-rate=32k"
as_pg touch "$T/calls"
write_backup_script "echo \"\$\$ \$1 \$2\" >>'$T/calls'
[ -e '$T/slow' ] && exec sleep 120
exit 0"

# children_named PID NAME: pids of PID's children running NAME.
children_named() {
  local p
  for p in /proc/[0-9]*; do
    [[ $(awk '{print $4}' "$p/stat" 2>/dev/null) == "$1" && $(cat "$p/comm" 2>/dev/null) == "$2" ]] &&
      echo "${p#/proc/}"
  done
  return 0
}
basebackup_running() { [[ -n $(sync_pid) && -n $(children_named "$(sync_pid)" pg_basebackup) ]]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

cluster_init main
cluster_start main
cluster_env main
wait_archived main --no-failures
wait_for basebackup_running
sync=$(sync_pid)
bb=$(children_named "$sync" pg_basebackup)
gen=$(readlink "$PGBAK/current")
sleep 1
# Unthrottled from now on, in case the server archives something and starts a sync by itself.
write_conf "basebackup-options = --checkpoint=fast"
kill -9 "$sync"
wait_for gone "$bb"
ok "background sync $sync killed mid-snapshot; its pg_basebackup $bb died with it"
assert_match '^3' "$(state_byte)" "state byte after the kill (snapshot and script running)"
assert_no_file "$PGBAK/$gen/base.tzst" "partial base.tzst under its final name"
assert_eq "pg_wal system_identifier" "$(ls "$PGBAK/$gen" | tr '\n' ' ' | sed 's/ $//')" "files in generation $gen"
ok "no base.tzst and no temp file left; snapshot and script still marked running"

assert_exit 0 pgbak_run sync
assert_eq "$gen" "$(readlink "$PGBAK/current")" "current generation after the redone snapshot"
assert_file "$PGBAK/$gen/base.tzst"
members=$(zstd -qdc "$PGBAK/$gen/base.tzst" | tar -tf -)
grep -qx backup_label <<<"$members" || fail "base.tzst holds no backup_label"
assert_match 'interrupted during the snapshot and backup script' "$(cat "$PGBAK/sync.log")"
assert_match "^[0-9]+ $gen [0-9]+\$" "$(tail -n 1 "$T/calls")" "the script's run after the snapshot"
assert_eq 00 "$(state_byte)" "state byte after sync"
ok "pgbak sync redid the snapshot in generation $gen and ran the script"

as_pg touch "$T/slow"
calls=$(grep -c . "$T/calls")
script_started() { (($(grep -c . "$T/calls") > calls)); }
cluster_psql main -c 'CREATE TABLE t AS SELECT 1 AS x'
wait_archived main --no-failures
wait_for script_started
script=$(tail -n 1 "$T/calls" | awk '{print $1}')
sync=$(sync_pid)
[[ -n $sync ]] || fail "no running sync recorded in sync.status"
kill -9 "$sync"
wait_for gone "$script"
assert_match '^1' "$(state_byte)" "state byte after the kill (script running)"
ok "background sync $sync killed mid-script; the script $script died with it"

rm -f "$T/slow"
calls=$(grep -c . "$T/calls")
assert_exit 0 pgbak_run sync
(($(grep -c . "$T/calls") == calls + 1)) || fail "pgbak sync did not run the script exactly once more"
assert_eq 00 "$(state_byte)" "state byte after sync"
assert_exit 0 pgbak_run wait 0
ok "pgbak sync ran the interrupted script again"
cluster_stop main
