#!/usr/bin/env bash
# The classic accident: a copy restored to an earlier point is started with the original's
# archive_command and promotes to timeline 2 while the original goes on archiving timeline 1.
# The copy's history and WAL go into a side generation; verify (passing) and restore name it; a later
# restore of the original recovers the original's rows (not the copy's timeline) and starts.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/drill_lib.sh"
e2e_init
start_main 1
make_base
gen=$(readlink "$PGBAK/current")
cluster_psql main -c "SELECT pg_create_restore_point('before')" >/dev/null
wait_archived main --no-failures
cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
ok "main archived past restore point 'before' into generation $gen"

# The copy: restored to 'before', promoted, archiving into the same directory (the accident).
RESTORE_CONF="archive_mode = on" restore_and_start copy --target-name before --target-action promote
assert_eq 2 "$(cluster_psql copy -c 'SELECT timeline_id FROM pg_control_checkpoint()')" "copy's timeline"
cluster_psql copy -c "CREATE TABLE copy_only AS SELECT 1 AS x" >/dev/null
wait_archived copy --no-failures
assert_eq "$gen" "$(readlink "$PGBAK/current")" "current after the copy archived"
assert_no_file "$PGBAK/$gen/pg_wal/00000002.history.zst"
side=$(grep -l '^side: 00000002.history: timeline 2 branches off timeline 1' "$PGBAK"/*/new_history | xargs -r dirname | xargs -r basename)
[[ -n $side ]] || fail "no side generation holds the copy's timeline history"
assert_file "$PGBAK/$side/pg_wal/00000002.history.zst"
assert_file "$PGBAK/$side/pg_wal/$LAST_SWITCH_WAL.zst"
assert_match "archived into side generation $side" "$(cat "$T/copy.log")"
ok "the copy's timeline 2 went into side generation $side (current stays $gen)"

# The original goes on; a later restore of it must recover its own rows.
cluster_pgbench main -c 2 -T 2 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
sums=$(table_sums main)
cluster_stop main
cluster_stop copy

assert_exit 0 pgbak_run verify
assert_match "generation $side: side generation: another server's history, never read by restores of the other generations \(00000002.history: timeline 2 branches off" "$LAST_STDOUT"
assert_match "generation $gen: base at .* on timelines 1, .*: ok" "$LAST_STDOUT"
ok "verify names the side generation, and generation $gen is whole on timeline 1"

"$PGBAK_BIN" -D "$PGBAK" restore "$T/again.data" >"$T/again.restore.out" 2>"$T/again.restore.err" ||
  fail "pgbak restore failed: $(cat "$T/again.restore.err")"
assert_match "^restored generation $gen " "$(cat "$T/again.restore.out")"
cluster_configure again "archive_mode = off"
cluster_start again
wait_recovered again
assert_match "generation $side is not part of the restored history \(side generation" "$(cat "$T/again.restore.err")"
assert_eq "$sums" "$(table_sums again)" "the original's rows after restoring it"
assert_eq "" "$(cluster_psql again -c "SELECT to_regclass('copy_only')")" "the copy's table"
ok "a restore of the original recovers the original's rows, not the copy's timeline"
cluster_stop again

# The same from the remote copy alone (the host is gone; the upload scripts copy every file of a
# generation but dot names, the markers included): restore-wal of generation $gen follows its
# lineage there too, so the copy's timeline history is not served to it; for $side it is.
install -m 755 "$PGBAK_SRC/scripts/backup-rsync" "$T/backup-rsync"
mkdir -m 700 "$T/remote"
for g in "$gen" "$side"; do cp -a "$PGBAK/$g" "$T/remote/"; done
if ((EUID == 0)); then chown -R postgres: "$T/remote"; fi
echo "PGBAK_RSYNC_TARGET=$T/remote" >"$T/remote.env"
drill_newdir "$T/newdir" "$T/backup-rsync" "$T/remote.env"
assert_exit 1 as_pg "$PGBAK_BIN" -D "$T/newdir" restore-wal --generation "$gen" 00000002.history "$T/h2"
assert_no_file "$T/h2"
assert_exit 0 as_pg "$PGBAK_BIN" -D "$T/newdir" restore-wal --generation "$side" 00000002.history "$T/h2"
cmp <(zstd -qdc "$PGBAK/$side/pg_wal/00000002.history.zst") "$T/h2" || fail "the side's history differs"
ok "from the remote copy alone, restore-wal --generation $gen does not serve side generation $side's history"

# The copy was meant as the new primary after all: a snapshot that reaches it adopts its branch.
cluster_start copy
# Its postgresql.auto.conf still names the recovery target it was restored to, and a base backup
# of it carries that file: the restore below disables those settings (or recovery would stop at
# that old target).
grep -q "^recovery_target_name = 'before'" "$T/copy.data/postgresql.auto.conf" || fail "the copy's target setting"
printf '%s\n' "snapshot-min-wal-files = 1000000" "conninfo = host=$T/copy.sock port=$(<"$T/copy.port") dbname=postgres" >"$PGBAK/pgbak.conf"
assert_exit 0 _e2e_with copy pgbak_run full-sync
assert_eq "$side" "$(readlink "$PGBAK/current")" "current after a snapshot of the copy"
assert_file "$PGBAK/$side/base.tzst"
assert_match "^a snapshot reached the server on timeline 2; was a side generation: 00000002.history" "$(cat "$PGBAK/$side/new_history")"
cluster_psql copy -c "INSERT INTO copy_only VALUES (2)" >/dev/null
wait_archived copy --no-failures
pgbak_run wait 120 || fail "the sync did not finish"
cluster_stop copy
restore_and_start adopted
grep -q "^# Disabled by pgbak restore: recovery_target_name = 'before'" "$T/adopted.data/postgresql.auto.conf" ||
  fail "the restore left the base's recovery target enabled"
assert_eq "2" "$(cluster_psql adopted -c "SELECT count(*) FROM copy_only")" "the copy's rows after adopting its branch"
ok "a snapshot of the copy makes side generation $side current; a restore recovers the copy's rows"
