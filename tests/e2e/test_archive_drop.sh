#!/usr/bin/env bash
# Issue 13, "the archive must never take the primary down": archive-full-disk = drop with a
# min-free-space floor. $PGBAK is a small tmpfs; pgbench writes several times its size in WAL
# while snapshots cannot be taken (replication connections rejected). archive-wal never fails
# (the server's pg_wal/ stays bounded), drops what does not fit, and makes each drop loud: a line
# in sync.log and in the server log, status (text, JSON), Prometheus, check failing, verify
# naming the gap. Once space is freed (and snapshots work again), the running sync starts a new
# generation by itself, and that generation restores to the source's rows.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
e2e_init
test_mount "$T/small" -t tmpfs -o size=32m,mode=0755 tmpfs
chown postgres: "$T/small"
PGBAK=$T/small/pgbak
pgbak_init
write_conf "archive-full-disk = drop" "min-free-space = 8388608" "snapshot-min-wal-files = 1000000" \
  "backoff-start = 0.2" "backoff-max = 1"
# archive_command calls pgbak directly (check looks for it; its stderr is the server log).
cluster_init main "archive_command = '\"$PGBAK_BIN\" -D \"$PGBAK\" archive-wal %p'" \
  "max_wal_size = 64MB" "min_wal_size = 32MB"
cluster_start main
cluster_pgbench main -i -s 1 -q >>"$T/pgbench.log" 2>&1
make_base main
gen1=$(readlink "$PGBAK/current")
ok "generation $gen1 with its base on a 32 MiB tmpfs"

# Snapshots fail from now on (the sync keeps retrying): the drops stay in $gen1.
hba=$T/main.data/pg_hba.conf
sed -i '1i local replication all reject' "$hba"
cluster_psql main -c 'SELECT pg_reload_conf()' >/dev/null

# ~150 MB of WAL (hex text, about half of it after compression), the table itself kept small.
cluster_psql main -c 'CREATE TABLE junk (v text); ALTER TABLE junk ALTER v SET STORAGE EXTERNAL'
cat >"$T/junk.sql" <<'SQL'
DELETE FROM junk;
INSERT INTO junk SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 3200);
SQL
chown postgres: "$T/junk.sql"
lsn0=$(cluster_psql main -c 'SELECT pg_current_wal_lsn()')
cluster_pgbench main -n -f "$T/junk.sql" -c 2 -t 750 >>"$T/pgbench.log" 2>&1
cluster_pgbench main -n -c 2 -t 200 >>"$T/pgbench.log" 2>&1
cluster_psql main -c 'TRUNCATE junk'
wait_archived main --no-failures
written=$(cluster_psql main -c "SELECT pg_current_wal_lsn() - '$lsn0'")
((written > 4 * 32 << 20)) || fail "only $written bytes of WAL written"
row=$(cluster_psql main -c "SELECT failed_count, (SELECT count(*) FROM pg_ls_archive_statusdir()
  WHERE name LIKE '%.ready'), (SELECT sum(size) FROM pg_ls_waldir()) FROM pg_stat_archiver")
IFS='|' read -r failed ready walbytes <<<"$row"
assert_eq 0 "$failed" "archive_command failures"
((ready <= 1)) || fail "$ready WAL files wait for archiving"
((walbytes <= 160 << 20)) || fail "pg_wal holds $walbytes bytes"
ok "server up, $written bytes of WAL written, archive_command never failed, pg_wal $walbytes bytes"

assert_exit 0 pgbak_run status --json
total=$(sed -n 's/^  "dropped_wal_total": \([0-9]*\),$/\1/p' <<<"$LAST_STDOUT")
((total > 0)) || fail "no drop reported: $LAST_STDOUT"
assert_match "\"dropped_wal_current\": $total," "$LAST_STDOUT"
assert_match "\"dropped_wal\": \[\{\"generation\": \"$gen1\", \"first\": \"[0-9A-F]{24}\"" "$LAST_STDOUT"
assert_eq "$total" "$(grep -c "ERROR: dropped WAL file [0-9A-F]\{24\} (generation $gen1): " "$PGBAK/sync.log")" \
  "drop lines in sync.log"
# Counted anywhere on a line: the server's own log lines can interleave with pgbak's stderr.
assert_eq "$total" "$(grep -oE "dropped WAL file [0-9A-F]{24} \(generation $gen1\): [^;]*(min-free-space|No space left)" "$T/main.log" | wc -l)" \
  "drop lines in the server log"
assert_exit 0 pgbak_run status
assert_match "dropped WAL +$total WAL file\(s\) dropped for lack of space" "$LAST_STDOUT"
assert_exit 0 pgbak_run status --prometheus
assert_match "pgbak_dropped_wal_total\{dir=\"$PGBAK\"\} $total" "$LAST_STDOUT"
assert_match "pgbak_dropped_wal_current\{dir=\"$PGBAK\"\} $total" "$LAST_STDOUT"
assert_match "# TYPE pgbak_dropped_wal_total counter" "$LAST_STDOUT"
ok "$total drops reported: sync.log, server log, status text/JSON, Prometheus"

assert_exit 1 _e2e_with main pgbak_run check --timeout 20
assert_match "archive-wal dropped $total WAL file\(s\) of generation $gen1 for lack of space" "$LAST_STDERR"
assert_exit 1 pgbak_run verify "$gen1"
assert_match "$gen1: $total WAL file\(s\) from [0-9A-F]{24} to [0-9A-F]{24} were dropped for lack of space" "$LAST_STDOUT"
ok "check fails and verify names the gap in $gen1"

# Space freed, snapshots possible again: the running sync starts a new generation by itself.
expected=$(table_sums main)
mount -o remount,size=512m "$T/small"
sed -i '/^local replication all reject$/d' "$hba"
cluster_psql main -c 'SELECT pg_reload_conf()' >/dev/null
wait_for has_new_generation "$gen1"
gen2=$(readlink "$PGBAK/current")
wait_archived main --no-failures
pgbak_run wait 120 || fail "the sync did not finish"
assert_exit 0 pgbak_run status --json
assert_match '"dropped_wal_current": 0,' "$LAST_STDOUT"
assert_match "\"dropped_wal_total\": $total," "$LAST_STDOUT"
assert_exit 0 pgbak_run verify "$gen2"
assert_exit 0 _e2e_with main pgbak_run check --timeout 60
ok "after freeing space: new generation $gen2 (verify passes), check passes again"

cluster_stop main
restore_and_start restored
assert_eq "$expected" "$(table_sums restored)" "pgbench tables restored from generation $gen2"
cluster_stop restored
ok "generation $gen2 restores to the source's rows"
