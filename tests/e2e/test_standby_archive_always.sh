#!/usr/bin/env bash
# A streaming standby with archive_mode = always. First into the primary's own $PGBAK: both
# servers archive the same segments there, every duplicate is identical and accepted (no archive
# failure on either, no second generation), verify passes and a restore has the primary's rows.
# Then the standby alone archives into its own $PGBAK, whose snapshots come from the standby
# (conninfo): its generation verifies and restores to the primary's rows.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/standby_lib.sh"
e2e_init
start_main 1
make_base
gen1=$(readlink "$PGBAK/current")
start_standby standby main "archive_mode = always"

# archived_by_both: WAL switched on the primary, archived by it and by the standby.
archived_by_both() {
  cluster_pgbench main -c 2 -T 1 >>"$T/pgbench.log" 2>&1
  wait_archived main --no-failures
  standby_archived standby "$LAST_SWITCH_WAL"
}
for _ in 1 2 3; do archived_by_both; done
pgbak_run wait 120 || fail "the sync did not finish"
both=$(comm -12 <(ls "$T/main.plain" | grep -E '^[0-9A-F]{24}$') <(ls "$T/standby.plain" | grep -E '^[0-9A-F]{24}$'))
(($(wc -l <<<"$both") >= 3)) || fail "segments archived by both servers: '$both'"
for seg in $both; do
  cmp -s "$T/main.plain/$seg" "$T/standby.plain/$seg" || fail "the standby's $seg differs from the primary's"
  assert_file "$PGBAK/$gen1/pg_wal/$seg.zst"
done
assert_eq 1 "$(generation_count)" "generations after both servers archived"
assert_eq "$gen1" "$(readlink "$PGBAK/current")" "current generation"
assert_no_file "$PGBAK/$gen1/new_history"
assert_exit 0 pgbak_run verify
ok "primary and standby both archived $(wc -w <<<"$both") segments into $gen1: accepted, one generation, verify passes"
caught_up standby main
sums=$(table_sums main)
restore_and_start both
assert_eq "$sums" "$(table_sums both)" "rows restored from the doubly archived generation"
cluster_stop both
ok "restore of $gen1: rows match the primary"

# The standby alone archives into its own $PGBAK (archive.sh is read at every call); the primary
# keeps archiving into its own. Snapshots come from the standby.
PGBAK_S=$T/pgbak.standby
snapshots_from "$PGBAK_S" standby
sed -i "s|-D $(printf %q "$PGBAK") |-D $(printf %q "$PGBAK_S") |" "$T/standby.archive.sh"
grep -qF -- "$PGBAK_S" "$T/standby.archive.sh" || fail "the standby's archive command was not redirected"
# tick: the primary writes and switches WAL. A backup from a standby archiving with
# archive_mode = always ends only once the standby has archived its last segment, which the
# primary must finish first (in production, its archive_timeout).
cluster_psql main -c 'CREATE TABLE ticks (t timestamptz)'
tick() { cluster_psql main -c 'INSERT INTO ticks VALUES (now())' -c 'SELECT pg_switch_wal()' >/dev/null; }
archived_by_both
# The first file archived there started a generation and a sync, whose snapshot from the standby
# starts at the standby's last restartpoint: the checkpoint it was made from, whose WAL was never
# archived into the new directory. Such a base cannot be restored: the sync refuses it, loudly.
deadline=$((SECONDS + 120))
until grep -q "cannot be restored: its base starts at" "$PGBAK_S/sync.log" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "the standby's sync did not refuse a base it cannot restore"
  tick
  sleep 1
done
PGBAK=$PGBAK_S assert_exit 0 pgbak_run status --json
assert_match '"failing_step": *"snapshot"' "$LAST_STDOUT" "status of the standby's directory"
ok "a base from before the first WAL archived into the standby's directory is refused and retried"
# Once the standby has made a restartpoint in WAL archived there (after the primary's next
# checkpoint), the retry succeeds.
cluster_psql main -c 'CHECKPOINT'
PGBAK=$PGBAK_S pgbak_run -q sync >"$T/standby.sync.out" 2>&1 &
sync_pid=$!
deadline=$((SECONDS + 120))
while kill -0 "$sync_pid" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "the standby's sync did not finish within 120s"
  tick
  sleep 1
done
wait "$sync_pid" || fail "the standby's sync failed: $(<"$T/standby.sync.out")"
gen_s=$(readlink "$PGBAK_S/current")
label=$(zstd -dc "$PGBAK_S/$gen_s/base.tzst" | tar -xO backup_label)
assert_match 'BACKUP FROM: standby' "$label" "backup_label of the standby's snapshot"
archived_by_both
PGBAK=$PGBAK_S pgbak_run wait 120 || fail "the standby's sync did not finish"
assert_eq 1 "$(generation_count "$PGBAK_S")" "generations of the standby's directory"
PGBAK=$PGBAK_S assert_exit 0 pgbak_run verify
assert_match "generation $gen_s: .*: ok" "$LAST_STDOUT"
ok "the standby alone archives into its own directory: snapshot from the standby ($gen_s), verify passes"
caught_up standby main
sums=$(table_sums main)
PGBAK=$PGBAK_S restore_and_start alone
assert_eq "$sums" "$(table_sums alone)" "rows restored from the standby's own archive"
cluster_stop alone
ok "restore of the standby's generation $gen_s: rows match the primary"
