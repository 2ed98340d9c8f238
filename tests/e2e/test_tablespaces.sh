#!/usr/bin/env bash
# A cluster with two extra tablespaces under pgbench: the snapshot stores base.tzst plus one
# OID.tzst per tablespace (all in SHA256SUMS); restore puts them back where --tablespace-mapping
# says, or at their original locations once those are empty, with pg_tblspc links to them; both
# restored servers start and show the source's rows; verify checks the tablespace files, and a
# generation missing one is refused by restore.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/restore_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/sync_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"
e2e_init
pgbak_init
echo "snapshot-min-wal-files = 1000000" >"$PGBAK/pgbak.conf"
chmod 644 "$PGBAK/pgbak.conf"
cluster_init main
cluster_start main
# The first generation's snapshot, of a cluster without tablespaces yet.
_e2e_with main pgbak_run -q sync || fail "the first sync failed"
as_pg mkdir "$T/ts1" "$T/ts2"
cluster_psql main -c "CREATE TABLESPACE ts1 LOCATION '$T/ts1'" -c "CREATE TABLESPACE ts2 LOCATION '$T/ts2'"
cluster_pgbench main -i -s 2 -q --tablespace=ts1 --index-tablespace=ts2 >>"$T/pgbench.log" 2>&1
oid1=$(cluster_psql main -c "SELECT oid FROM pg_tablespace WHERE spcname = 'ts1'")
oid2=$(cluster_psql main -c "SELECT oid FROM pg_tablespace WHERE spcname = 'ts2'")
wait_archived main --no-failures

_e2e_with main pgbak_run -q full-sync || fail "full-sync of a cluster with tablespaces failed"
gen=$(readlink "$PGBAK/current")
for f in base.tzst "$oid1.tzst" "$oid2.tzst"; do
  assert_file "$PGBAK/$gen/$f"
  grep -q "  $f\$" "$PGBAK/$gen/SHA256SUMS" || fail "$f is not in SHA256SUMS"
done
(cd "$PGBAK/$gen" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS does not match"
assert_eq "" "$(find "$PGBAK/$gen" -maxdepth 1 -name '.snapshot.tmp.*')" "spool directory left behind"
# The tablespace tars hold the tablespaces' data: pgbench_accounts' file is in ts1's.
listing=$(zstd -dc "$PGBAK/$gen/$oid1.tzst" | tar -t)
assert_match $'(^|\n)PG_[0-9]+_[0-9]+/5/[0-9]+\n' "$listing" "$oid1.tzst holds ts1's data"
grep -q 'pg_basebackup cannot stream a cluster with extra tablespaces' "$PGBAK/sync.log" ||
  fail "sync.log does not say why the snapshot was spooled"
ok "snapshot: base.tzst, $oid1.tzst and $oid2.tzst in generation $gen, all in SHA256SUMS"

# A snapshot killed after storing the tablespaces, before base.tzst: the retry starts over in the
# same generation (the unfinished snapshot's tablespace files are removed first).
hold_syncs main
_e2e_with main pgbak_fault before-linkat:base.tzst full-sync
killed=$(readlink "$PGBAK/current")
assert_file "$PGBAK/$killed/$oid1.tzst"
assert_no_file "$PGBAK/$killed/base.tzst"
release_syncs main
_e2e_with main pgbak_run -q sync || fail "the sync after a killed snapshot failed"
assert_eq "$killed" "$(readlink "$PGBAK/current")" "generation after the retry"
assert_file "$PGBAK/$killed/base.tzst"
grep -q "snapshot: removed $oid1.tzst, left by an unfinished snapshot" "$PGBAK/sync.log" ||
  fail "the retry did not remove the unfinished snapshot's tablespace files"
gen=$killed
ok "a snapshot killed before its base.tzst is redone in the same generation"

cluster_pgbench main -c 2 -j 2 -T 3 >>"$T/pgbench.log" 2>&1
sums=$(table_sums main)
wait_archived main --no-failures
pgbak_run wait 120 || fail "the sync did not finish"
assert_exit 0 pgbak_run verify
assert_match "generation $gen: .*: ok" "$LAST_STDOUT"
ok "verify passes"

restore_and_start mapped --tablespace-mapping "$T/ts1=$T/m1" --tablespace-mapping "$T/ts2=$T/m2"
assert_eq "$sums" "$(table_sums mapped)" "rows after a restore with --tablespace-mapping"
assert_eq "$T/m1" "$(readlink "$T/mapped.data/pg_tblspc/$oid1")" "pg_tblspc link of ts1"
assert_eq "$T/m2" "$(cluster_psql mapped -c "SELECT pg_tablespace_location($oid2)")" "location of ts2"
assert_no_file "$T/mapped.data/tablespace_map"
if ((EUID == 0)); then
  assert_eq "postgres 700" "$(stat -c '%U %a' "$T/m1")" "owner and mode of a restored tablespace"
  assert_eq "" "$(find "$T/m1" "$T/m2" "$T/mapped.data/pg_tblspc" ! -user postgres)" "files not owned by postgres"
fi
cluster_stop mapped
ok "restore with --tablespace-mapping: tablespaces in m1 and m2, the server starts, rows match"

# Original locations in use: refused with a hint, nothing created.
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore "$T/busy.data"
assert_match "cannot restore into '$T/ts[12]': directory is not empty .*--tablespace-mapping" "$LAST_STDERR"
assert_no_file "$T/busy.data"
assert_exit 2 "$PGBAK_BIN" -D "$PGBAK" restore "$T/busy.data" --tablespace-mapping "$T/nowhere=$T/m3"
assert_match "no tablespace of generation $gen is in '$T/nowhere'" "$LAST_STDERR"
assert_no_file "$T/busy.data"
ok "restore into occupied original locations, or with a mapping that matches nothing, is refused"

# With encryption on: every tablespace file is stored encrypted too, and restores.
as_pg mkdir -m 700 "$T/keys"
assert_exit 0 pgbak_run keygen "$T/keys/k1"
echo "encryption-key-file = $T/keys/k1" >>"$PGBAK/pgbak.conf"
cluster_pgbench main -c 2 -j 2 -T 2 >>"$T/pgbench.log" 2>&1
_e2e_with main pgbak_run -q full-sync || fail "encrypted full-sync failed"
gen_enc=$(readlink "$PGBAK/current")
grep -q 'snapshot: the previous generation has tablespaces' "$PGBAK/sync.log" ||
  fail "the second snapshot of the cluster with tablespaces did not go straight to one tar each"
for f in base.tzst.enc "$oid1.tzst.enc" "$oid2.tzst.enc"; do
  grep -q "  $f\$" "$PGBAK/$gen_enc/SHA256SUMS" || fail "$f is not in SHA256SUMS"
done
sums=$(table_sums main)
wait_archived main --no-failures
pgbak_run wait 120 || fail "the sync did not finish"
assert_exit 0 pgbak_run verify "$gen_enc"
restore_and_start enc --tablespace-mapping "$T/ts1=$T/e1" --tablespace-mapping "$T/ts2=$T/e2"
assert_match "^restored generation $gen_enc " "$(head -n 1 "$T/enc.restore.out")"
assert_eq "$sums" "$(table_sums enc)" "rows after restoring the encrypted generation"
cluster_stop enc
ok "encrypted: base.tzst.enc and the tablespaces' OID.tzst.enc verify and restore, rows match"

# The source machine is lost: its tablespace directories are gone, restore puts them back there.
cluster_stop main
mv "$T/ts1" "$T/ts1.lost"
mv "$T/ts2" "$T/ts2.lost"
restore_and_start orig
assert_eq "$sums" "$(table_sums orig)" "rows after a restore into the original locations"
assert_eq "$T/ts1" "$(readlink "$T/orig.data/pg_tblspc/$oid1")" "pg_tblspc link of ts1"
assert_eq "" "$(find "$T" -maxdepth 1 -name '.*pgbak-restore*')" "restore temp directories left behind"
cluster_stop orig
ok "restore into the (empty) original locations: the server starts, rows match"

# A damaged or missing tablespace file.
printf 'garbage' | dd of="$PGBAK/$gen/$oid2.tzst" bs=1 seek=200 conv=notrunc status=none
assert_exit 1 pgbak_run verify "$gen"
assert_match "$gen/$oid2.tzst" "$LAST_STDOUT"
rm "$PGBAK/$gen/$oid2.tzst"
assert_exit 1 pgbak_run verify "$gen"
assert_match "$gen/$oid2.tzst: missing \(tablespace $oid2 in $T/ts2" "$LAST_STDOUT"
assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore "$T/broken.data" --generation "$gen" --tablespace-mapping "$T/ts1=$T/b1"
assert_match "lacks the tablespace $oid2 \($T/ts2\)" "$LAST_STDERR"
assert_no_file "$T/broken.data"
assert_no_file "$T/b1"
ok "verify names a damaged and a missing tablespace file; restore refuses a generation without one"
