#!/usr/bin/env bash
# full-sync end to end: while pgbench writes, a snapshot lands in base.tzst of a new current
# generation, the backup script gets BASE_TS CURRENT_TS, the generation as working directory
# and PGBAK; its copy of the generation passes sha256sum -c and restores by hand to a cluster
# with the source's pgbench counts and balances.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
e2e_init
pgbak_init
write_backup_script "set -e
echo \"\$1 \$2 \$(pwd -P) \$PGBAK\" >>'$T/script.calls'
mkdir -p '$T/remote/'\"\$1\"
cp -pR . '$T/remote/'\"\$1\"/"

cluster_init main
cluster_start main
cluster_env main
cluster_pgbench main -i -s 2 -q >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 120
first=$(readlink "$PGBAK/current")
assert_file "$PGBAK/$first/base.tzst" "the first archive-wal did not lead to a snapshot"
ok "first archived WAL made generation $first with its snapshot"

cluster_pgbench main -c 2 -j 2 -T 6 >>"$T/pgbench.log" 2>&1 &
bench=$!
sleep 1
assert_exit 0 pgbak_run full-sync
wait "$bench"
gen=$(readlink "$PGBAK/current")
[[ $gen != "$first" ]] || fail "full-sync did not start a new generation"
assert_file "$PGBAK/$gen/base.tzst"
zstd -qt "$PGBAK/$gen/base.tzst" || fail "base.tzst is not a valid zstd file"
wait_archived main --no-failures
assert_exit 0 pgbak_run wait 60
ok "full-sync under pgbench load made generation $gen; archive_command never failed"

n=$(check_gap_free "$PGBAK/$gen")
((n >= 2)) || fail "only $n segments in the new generation; WAL should keep flowing"
ok "generation $gen holds all $n segments from its backup start"

last=$(tail -n 1 "$T/script.calls")
read -r base cur cwd env_pgbak <<<"$last"
assert_eq "$gen" "$base" "BASE_TS"
assert_match '^[0-9]+$' "$cur" "CURRENT_TS"
((cur >= base)) || fail "CURRENT_TS $cur before BASE_TS $base"
assert_eq "$(cd "$PGBAK/$gen" && pwd -P)" "$cwd" "working directory of scripts/backup"
assert_eq "$PGBAK" "$env_pgbak" "PGBAK in the script's environment"
ok "scripts/backup ran as '$base $cur' in the generation with PGBAK set"

(cd "$T/remote/$gen" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c of the copied generation"
assert_eq "$(cd "$PGBAK/$gen" && { echo base.tzst; ls pg_wal | sed 's|^|pg_wal/|'; } | sort)" \
  "$(awk '{print $2}' "$T/remote/$gen/SHA256SUMS" | sort)" "files listed in SHA256SUMS"
ok "SHA256SUMS lists base.tzst and every WAL file and verifies with sha256sum -c"

# WAL that reached the first generation after its last script run, just before the switch,
# is uploaded too: the script runs once more for that generation.
assert_eq "$(cd "$PGBAK/$first" && find . -type f ! -name system_identifier | sort)" \
  "$(cd "$T/remote/$first" && find . -type f ! -name system_identifier | sort)" "files of generation $first, local vs copied"
(cd "$T/remote/$first" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c of the copied generation $first"
ok "the previous generation $first was copied completely, $(grep -c "^$first " "$T/script.calls") script run(s)"

assert_exit 0 pgbak_run verify
ok "pgbak verify accepts every generation the sync wrote"

expect=$(cluster_psql main -c "SELECT (SELECT count(*) FROM pgbench_history), sum(abalance) FROM pgbench_accounts")
cluster_stop main
assert_exit 0 pgbak_run wait 60 # the shutdown may archive a last file; its upload must be done
restore_by_hand "$T/remote/$gen" "$T/r.data"
cluster_configure r "archive_mode = off"
cluster_start r
got=$(cluster_psql r -c "SELECT (SELECT count(*) FROM pgbench_history), sum(abalance) FROM pgbench_accounts")
assert_eq "$expect" "$got" "pgbench_history count | sum(abalance), source vs restored"
ok "restored by hand: history rows and sum(abalance) match ($got)"
cluster_stop r
