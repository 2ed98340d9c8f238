#!/usr/bin/env bash
# Re-archiving: identical content is accepted unchanged; different content from the same cluster
# starts a new generation (old one untouched, snapshot requested); another cluster is refused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init
# Keep the background sync from racing the checks below: a sync it starts has nothing to reach.
echo "pg-bindir = /nonexistent" >"$PGBAK/pgbak.conf"

SEG=000000010000000000000003
listing() { dir_listing "$PGBAK/$1"; }

mkdir in && chown postgres: in 2>/dev/null || true
mkseg in/$SEG $SEG --seed 1
assert_exit 0 pgbak_run archive-wal in/$SEG
gen1=$(readlink "$PGBAK/current")
assert_file "$PGBAK/$gen1/pg_wal/$SEG.zst"
assert_eq 7300000000000000001 "$(tr -d '\n' <"$PGBAK/$gen1/system_identifier")" "sysid recorded"
(($(state_bits) & 2)) || fail "first generation must request a snapshot (state $(state_bits))"
(($(state_bits) & 1)) || fail "archive must mark the backup script pending"
ok "first archive-wal creates generation $gen1 and requests a snapshot"

before=$(listing "$gen1")
sleep 1.1
assert_exit 0 pgbak_run archive-wal in/$SEG
assert_eq "$before" "$(listing "$gen1")" "identical re-archive changes nothing"
assert_eq "$gen1" "$(readlink "$PGBAK/current")"
ok "identical re-archive exits 0 and changes nothing"

# Same name and cluster, different bytes: the server went back in time.
mkdir in2 && chown postgres: in2 2>/dev/null || true
mkseg in2/$SEG $SEG --seed 2
assert_exit 0 pgbak_run archive-wal in2/$SEG
gen2=$(readlink "$PGBAK/current")
[[ $gen2 != "$gen1" ]] || fail "no new generation after a conflicting re-archive"
((gen2 > gen1)) || fail "new generation $gen2 is not newer than $gen1"
assert_eq "$before" "$(listing "$gen1")" "old generation untouched"
cmp <(zstd -dc "$PGBAK/$gen2/pg_wal/$SEG.zst") in2/$SEG || fail "new copy differs"
cmp <(zstd -dc "$PGBAK/$gen1/pg_wal/$SEG.zst") in/$SEG || fail "old copy changed"
(($(state_bits) & 2)) || fail "conflict must request a snapshot"
assert_match "went back in time" "$LAST_STDERR"
ok "conflicting copy went into new generation $gen2, old one untouched"

# Another cluster: refused with both identifiers and a hint; nothing written.
mkdir in3 && chown postgres: in3 2>/dev/null || true
mkseg in3/000000010000000000000004 000000010000000000000004 --sysid 7400000000000000002
before2=$(listing "$gen2")
assert_exit 1 pgbak_run archive-wal in3/000000010000000000000004
assert_match "7400000000000000002.*7300000000000000001.*HINT: .*full-sync" "$LAST_STDERR"
assert_eq "$before2" "$(listing "$gen2")" "nothing written for another cluster"
assert_eq "$gen2" "$(readlink "$PGBAK/current")"
ok "segment of another cluster refused: ${LAST_STDERR:0:120}"

# History files have no header; they are archived and compared by content too.
printf '1\t0/20000000\tno recovery target specified\n' >in/00000002.history
assert_exit 0 pgbak_run archive-wal in/00000002.history
assert_exit 0 pgbak_run archive-wal in/00000002.history
cmp <(zstd -dc "$PGBAK/current/pg_wal/00000002.history.zst") in/00000002.history || fail "history differs"
ok "history file archived and re-archived"
