#!/usr/bin/env bash
# Timeline switch: restore, let the restored server promote (timeline 2) and
# keep archiving into the same pgbak directory; verify follows the switch, and
# a second restore recovers across it to the promoted server's state.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
start_main 1
make_base
cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
cluster_stop main
ok "timeline 1 archived, main stopped"

RESTORE_CONF="archive_mode = on" restore_and_start promoted
assert_eq 2 "$(cluster_psql promoted -c 'SELECT timeline_id FROM pg_control_checkpoint()')" "timeline after promotion"
cluster_pgbench promoted -c 2 -T 2 >>"$T/pgbench.log" 2>&1
sums=$(table_sums promoted)
wait_archived promoted --no-failures
assert_file "$PGBAK/current/pg_wal/00000002.history.zst" "timeline 2 history archived"
ok "promoted to timeline 2, its WAL archived into the same directory"

assert_exit 0 pgbak_run verify
assert_match 'on timelines 1 -> 2 \(at [0-9A-F]+/[0-9A-F]+\)' "$LAST_STDOUT" "verify follows the switch"
assert_match 'verify: 1 generation, .*: no problems' "$LAST_STDOUT"
ok "verify follows the switch from timeline 1 to 2"

restore_and_start again
assert_eq "$sums" "$(table_sums again)" "checksums after restoring across the timeline switch"
assert_eq 3 "$(cluster_psql again -c 'SELECT timeline_id FROM pg_control_checkpoint()')" "timeline of the second restore"
ok "a second restore follows timeline 2 to its end"
