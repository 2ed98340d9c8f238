#!/usr/bin/env bash
# restore-wal serves the history being restored: with --generation G (what pgbak restore writes),
# only G and the newer generations that continue its history; without it, only a name that one
# history holds. Another server's timeline branching off behind the archived WAL goes into a side
# generation that is never current and never served for the original's generations; a segment
# that continues a timeline past where an archived newer timeline left it starts a new history.
# Synthetic WAL (no server): the files' names, headers and contents are all that matters here.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init
echo "pg-bindir = /nonexistent" >"$PGBAK/pgbak.conf" # background syncs have nothing to reach

mkdir in && chown postgres: in 2>/dev/null || true
seg() { printf '%08X%016X' "$1" "$2"; }
# archive TLI SEGNO SEED: a synthetic segment through archive-wal.
archive() {
  local name
  name=$(seg "$1" "$2")
  as_pg python3 "$PGBAK_SRC/tests/e2e/make_segment.py" "in/$name" "$name" --seed "$3"
  assert_exit 0 pgbak_run archive-wal "in/$name"
}
history() { # history TLI TEXT: archive a timeline history file
  local name
  name=$(printf '%08X.history' "$1")
  printf '%b' "$2" | as_pg tee "in/$name" >/dev/null
  assert_exit 0 pgbak_run archive-wal "in/$name"
}
served() { # served GEN NAME: restore-wal's copy of NAME for generation GEN, as cksum
  rm -f out
  assert_exit 0 pgbak_run restore-wal --generation "$1" "$2" "$T/out"
  cksum <out | cut -d' ' -f1
}
input() { cksum <"in/$1" | cut -d' ' -f1; }
touch out && chown postgres: out 2>/dev/null || true

for i in 1 2 3; do archive 1 "$i" 1; done
gen1=$(readlink "$PGBAK/current")
s3_old=$(input "$(seg 1 3)")
archive 1 3 2 # same name, other bytes: the server went back in time
gen2=$(readlink "$PGBAK/current")
[[ $gen2 != "$gen1" ]] || fail "no new generation after the conflict"
assert_match "differs from the copy in generation $gen1" "$(cat "$PGBAK/$gen2/new_history")"
s3_new=$(input "$(seg 1 3)")
archive 1 4 2

assert_eq "$s3_old" "$(served "$gen1" "$(seg 1 3)")" "generation $gen1 gets its own copy"
assert_eq "$s3_new" "$(served "$gen2" "$(seg 1 3)")" "generation $gen2 gets its own copy"
assert_exit 1 pgbak_run restore-wal --generation "$gen1" "$(seg 1 4)" "$T/out"
ok "--generation serves the chosen generation's copy; the later history is not served to it"

assert_exit 1 pgbak_run restore-wal "$(seg 1 3)" "$T/out"
assert_eq 1 "$(wc -l <<<"$LAST_STDERR")" "one line"
assert_match "^pgbak: cannot restore '$(seg 1 3)': generations $gen1 and $gen2 hold it from different histories" "$LAST_STDERR"
assert_exit 0 pgbak_run restore-wal "$(seg 1 1)" "$T/out"
ok "without --generation: refused when two histories hold the name, served when one does"

# A generation that continues gen2's history (as a snapshot makes it): gen2's restores read it.
gen3=$((gen2 + 10))
as_pg mkdir -m 700 "$PGBAK/$gen3" "$PGBAK/$gen3/pg_wal"
as_pg ln -sfn "$gen3" "$PGBAK/current"
archive 1 5 2
assert_file "$PGBAK/$gen3/pg_wal/$(seg 1 5).zst"
assert_eq "$(input "$(seg 1 5)")" "$(served "$gen2" "$(seg 1 5)")" "a later generation of the same history"
ok "--generation serves the newer generations that continue its history"

# Another server (a restored copy) branched off timeline 1 at 0/2000100, behind what gen3 holds:
# its history and its timeline's WAL go into a side generation; current stays.
history 2 '1\t0/2000100\tbefore 2026-12-05 02:00:00+00\n'
assert_eq "$gen3" "$(readlink "$PGBAK/current")" "current unchanged"
assert_match "archived into side generation [0-9]+" "$LAST_STDERR"
side=$(sed -E 's/.*side generation ([0-9]+).*/\1/' <<<"$LAST_STDERR")
assert_file "$PGBAK/$side/pg_wal/00000002.history.zst"
assert_match "^side: 00000002.history: timeline 2 branches off timeline 1 at 0/2000100" "$(cat "$PGBAK/$side/new_history")"
archive 2 3 3
assert_file "$PGBAK/$side/pg_wal/$(seg 2 3).zst"
assert_no_file "$PGBAK/$gen3/pg_wal/$(seg 2 3).zst"
assert_exit 1 pgbak_run restore-wal --generation "$gen2" 00000002.history "$T/out"
assert_exit 1 pgbak_run restore-wal --generation "$gen1" 00000002.history "$T/out"
assert_eq "$(input "$(seg 2 3)")" "$(served "$side" "$(seg 2 3)")" "the side generation serves its own"
archive 1 6 2
assert_file "$PGBAK/$gen3/pg_wal/$(seg 1 6).zst"
ok "a timeline branching off behind archived WAL goes into side generation $side, never served to the original's"

# A timeline that branches at the archive's end (a promotion) stays; a segment of the old
# timeline past that point afterwards (two servers on one history) starts a new history.
history 3 '1\t0/7000000\tno recovery target specified\n'
assert_file "$PGBAK/$gen3/pg_wal/00000003.history.zst"
archive 3 7 4
assert_eq "$gen3" "$(readlink "$PGBAK/current")"
archive 1 7 2
gen4=$(readlink "$PGBAK/current")
[[ $gen4 != "$gen3" ]] || fail "a segment past the switch point stayed in $gen3"
assert_file "$PGBAK/$gen4/pg_wal/$(seg 1 7).zst"
assert_match "continues timeline 1 past 0/7000000, where timeline 3 .* left it" "$(cat "$PGBAK/$gen4/new_history")"
assert_exit 1 pgbak_run restore-wal --generation "$gen2" "$(seg 1 7)" "$T/out"
ok "a segment continuing a timeline another one left starts new history $gen4"

assert_exit 1 pgbak_run verify
assert_match "generation $side: side generation: another server's history, never read by restores of the other generations \(00000002.history: timeline 2 branches off" "$LAST_STDOUT"
assert_match "generation $gen2: starts a new history \($(seg 1 3) differs" "$LAST_STDOUT"
ok "verify names the side generation and the new histories"
