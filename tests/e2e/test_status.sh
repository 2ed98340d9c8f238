#!/usr/bin/env bash
# pgbak status: human, --json and --prometheus output against a real archive; never blocks, even
# while a sync holds its locks.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init
assert_exit 0 pgbak_run status
assert_match "generation +none yet" "$LAST_STDOUT"
ok "status on an empty directory"

cluster_init main
cluster_start main
cluster_pgbench main -i -s 2 -q >/dev/null 2>&1
assert_exit 0 pgbak_run full-sync
cluster_psql main -c "CREATE TABLE after_base AS SELECT 1 AS x"  # WAL after the base's own switch
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 60

assert_exit 0 pgbak_run status
text=$LAST_STDOUT
echo "$text"
gen=$(readlink "$PGBAK/current")
assert_match "generation +$gen " "$text"
assert_match "base backup +[0-9.]+ (KiB|MiB), [0-9]+s ago" "$text"
assert_match "newest WAL +$LAST_SWITCH_WAL \(" "$text"
assert_match "last backup run +[0-9]+s ago" "$text"
assert_match "failures +0" "$text"
ok "human status names generation, base, newest WAL and the last backup run"

assert_exit 0 pgbak_run status --json
json=$LAST_STDOUT
echo "$json" >status.json
python3 - "$gen" "$LAST_SWITCH_WAL" <<'PY' || fail "json status"
import json, sys
d = json.load(open("status.json"))
want = {"directory", "generation", "generations", "base_time", "base_bytes", "wal_files", "wal_bytes",
        "newest_wal", "newest_wal_time", "pending", "running", "sync_running", "sync_pid",
        "last_backup_success", "consecutive_failures", "last_failure", "last_error", "next_retry",
        "failing_step", "failing_since",
        "not_uploaded", "dropped_wal_total", "dropped_wal_current", "dropped_wal_last",
        "dropped_wal_last_time", "dropped_wal", "disk_used_bytes", "disk_free_bytes", "now"}
assert set(d) == want, set(d) ^ want
assert d["generation"] == sys.argv[1], d
assert d["newest_wal"] == sys.argv[2], d
assert d["wal_files"] >= 1 and d["wal_bytes"] > 0 and d["base_bytes"] > 0, d
assert d["last_backup_success"] and d["consecutive_failures"] == 0, d
assert d["sync_running"] is False and d["sync_pid"] is None, d
assert d["not_uploaded"] == [] and d["dropped_wal_total"] == 0 and d["dropped_wal"] == [], d
PY
ok "--json has the documented keys and values"

assert_exit 0 pgbak_run status --prometheus
prom=$LAST_STDOUT
families=$(python3 "$PGBAK_SRC/tests/e2e/check_prometheus.py" <<<"$prom") || fail "prometheus format: $families"
for m in pgbak_last_archive_timestamp_seconds pgbak_last_backup_success_timestamp_seconds \
  pgbak_sync_failures pgbak_wal_files pgbak_bytes; do
  [[ " $families " == *" $m "* ]] || fail "metric $m missing"
done
if command -v promtool >/dev/null; then
  promtool check metrics <<<"$prom" || fail "promtool check metrics"
  ok "promtool check metrics accepts it"
fi
ok "--prometheus passes a strict grammar check: $families"

# A failing backup script: failures and the last error show up.
printf '#!/bin/sh\necho "upload refused by test" >&2\nexit 3\n' >"$PGBAK/scripts/backup"
printf 'backoff-start = 30\n' >"$PGBAK/pgbak.conf"
as_pg "$PGBAK_BIN" -D "$PGBAK" force-sync >/dev/null 2>&1 &
for _ in $(seq 100); do
  grep -q '^consecutive_failures=[1-9]' "$PGBAK/sync.status" 2>/dev/null && break
  sleep 0.1
done
start=$(date +%s%N)
assert_exit 0 pgbak_run status
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_match "sync +running \(pid [0-9]+" "$LAST_STDOUT"
assert_match "failures +[1-9]" "$LAST_STDOUT"
assert_match "last error +.*(exit|status) 3" "$LAST_STDOUT"
((elapsed_ms < 5000)) || fail "status took ${elapsed_ms} ms while a sync runs"
ok "status during a failing sync: running, failures, last error; did not block (${elapsed_ms} ms)"
assert_exit 2 pgbak_run status --json --prometheus
