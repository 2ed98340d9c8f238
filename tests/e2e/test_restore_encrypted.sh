#!/usr/bin/env bash
# The restore drill with encryption on: full-sync stores base.tzst.enc, archive-wal NAME.zst.enc;
# SHA256SUMS covers the encrypted bytes (checkable without the key); restore-wal and restore read
# them back, a restored server shows the same data; a flipped bit or a wrong key makes
# restore-wal and verify fail with "authentication failed" and leaves no DEST; a rotated key
# with the old one in encryption-old-key-files restores everything; a base moved into another
# generation (its SHA256SUMS line fixed too) fails authentication and restores nothing.
# A build without full-sync gets its base.tzst.enc from pg_basebackup, zstd and the independent
# encryptor (tests/crypto/decrypt.py --encrypt) instead.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for c in restore restore-wal verify; do
  if ! "$PGBAK_BIN" help "$c" >/dev/null 2>&1; then
    echo "ok - skipped: this build has no '$c' command yet"
    exit 0
  fi
done
have_sync=0
if "$PGBAK_BIN" help full-sync >/dev/null 2>&1; then have_sync=1; fi
e2e_init
# shellcheck source=../crypto/python.sh
source "$PGBAK_SRC/tests/crypto/python.sh"

sums() {
  cluster_psql "$1" -c "SELECT (SELECT sum(abalance) || ',' || count(*) FROM pgbench_accounts)
    || ';' || (SELECT coalesce(sum(delta), 0) || ',' || count(*) FROM pgbench_history)"
}
conf() { printf '%s\n' "$@" >"$PGBAK/pgbak.conf"; }
flip_byte() { printf '\x5a' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

pgbak_init
as_pg mkdir -m 700 "$T/keys" "$T/out"
assert_exit 0 pgbak_run keygen "$T/keys/k1"
conf "encryption-key-file = $T/keys/k1"
cluster_init main
cluster_start main
cluster_pgbench main -i -s 2 -q >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
gen=$(readlink -f "$PGBAK/current")
if ((have_sync)); then
  assert_exit 0 _e2e_with main pgbak_run full-sync
  gen=$(readlink -f "$PGBAK/current")
else
  _e2e_with main as_pg pg_basebackup -D - -Ft -X none --checkpoint=fast | zstd -q >"$T/base.tzst"
  DECRYPT_PY --encrypt --key "$T/keys/k1" --identity "$(basename "$gen")/base.tzst.enc" \
    "$T/base.tzst" "$T/base.tzst.enc"
  as_pg install -m 600 "$T/base.tzst.enc" "$gen/base.tzst.enc"
  wait_archived main --no-failures
fi
assert_file "$gen/base.tzst.enc"
assert_no_file "$gen/base.tzst"
assert_eq PGBAKENC "$(head -c 8 "$gen/base.tzst.enc")" "base backup header"
DECRYPT_PY --key "$T/keys/k1" "$gen/base.tzst.enc" - | zstd -qdc | tar tf - >"$T/base.list" ||
  fail "base.tzst.enc does not decrypt to a tar"
grep -qE '(^|/)PG_VERSION$' "$T/base.list" || fail "base.tzst.enc holds no data directory"
if ((have_sync)); then
  ok "full-sync stores base.tzst.enc (decrypts to the base backup tar)"
else
  ok "base.tzst.enc made by pg_basebackup, zstd and the independent encryptor"
fi

cluster_pgbench main -c 2 -j 2 -T 3 >>"$T/pgbench.log" 2>&1
want=$(sums main)
wait_archived main --no-failures
seg=$LAST_SWITCH_WAL
stored=$gen/pg_wal/$seg.zst.enc
assert_file "$stored"
assert_eq "" "$(find "$PGBAK"/[0-9]*/pg_wal -name '*.zst' | head -n 3)" "plain WAL stored with a key set"
if ((have_sync)); then
  assert_exit 0 pgbak_run sync
  grep -q ' base.tzst.enc$' "$gen/SHA256SUMS" || fail "SHA256SUMS does not list base.tzst.enc"
  grep -q " pg_wal/$seg.zst.enc\$" "$gen/SHA256SUMS" || fail "SHA256SUMS does not list $seg.zst.enc"
  (cd "$gen" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the stored bytes"
  ok "SHA256SUMS covers the encrypted files and checks without the key"
fi

assert_exit 0 pgbak_run restore-wal "$seg" "$T/out/$seg"
cmp -s "$T/out/$seg" "$T/main.plain/$seg" || fail "restore-wal gave different bytes"
assert_exit 0 pgbak_run verify
ok "restore-wal decrypts $seg byte-identical; verify passes"

cp -p "$stored" "$T/stored.orig"
flip_byte "$stored" $(($(stat -c %s "$stored") / 2))
assert_exit 1 pgbak_run restore-wal "$seg" "$T/out/tampered"
assert_match "authentication failed" "$LAST_STDERR"
assert_match "$seg.zst.enc" "$LAST_STDERR"
assert_no_file "$T/out/tampered"
assert_exit 1 pgbak_run verify
assert_match "authentication failed" "$LAST_STDOUT$LAST_STDERR"
cp "$T/stored.orig" "$stored"
assert_exit 0 pgbak_run verify
ok "a flipped bit: restore-wal and verify fail with authentication failed, no DEST"

assert_exit 0 pgbak_run keygen "$T/keys/k2"
conf "encryption-key-file = $T/keys/k2"
assert_exit 1 pgbak_run restore-wal "$seg" "$T/out/wrongkey"
assert_match "authentication failed.*matches no configured key" "$LAST_STDERR"
assert_no_file "$T/out/wrongkey"
conf "encryption-key-file = $T/keys/k2" "encryption-old-key-files = $T/keys/k1"
assert_exit 0 pgbak_run restore-wal "$seg" "$T/out/rotated"
cmp -s "$T/out/rotated" "$T/main.plain/$seg" || fail "restore-wal with the old key gave different bytes"
ok "wrong key refused; the old key in encryption-old-key-files reads it"

"$PGBAK_BIN" -D "$PGBAK" restore "$T/restored.data" >"$T/restore.out" || fail "pgbak restore failed"
cluster_configure restored "archive_mode = off"
cluster_start restored
deadline=$((SECONDS + 120))
until [[ $(cluster_psql restored -c 'SELECT pg_is_in_recovery()') == f ]]; do
  ((SECONDS < deadline)) || fail "restored cluster still in recovery"
  sleep 0.3
done
assert_eq "$want" "$(sums restored)" "data of the restored server"
ok "restore drill with encryption (and a rotated key): the restored server has the same data"
cluster_stop restored

if ((have_sync)); then
  assert_exit 0 _e2e_with main pgbak_run full-sync
  gen2=$(readlink -f "$PGBAK/current")
  [[ $gen2 != "$gen" ]] || fail "full-sync made no new generation"
  assert_exit 0 pgbak_run wait 120
  # Someone who can write the backup directory moves the older base into the newer generation
  # and fixes SHA256SUMS to match.
  cp -p "$gen/base.tzst.enc" "$gen2/base.tzst.enc"
  sum=$(sha256sum "$gen2/base.tzst.enc" | cut -d' ' -f1)
  sed -i "s/^[0-9a-f]*  base.tzst.enc\$/$sum  base.tzst.enc/" "$gen2/SHA256SUMS"
  (cd "$gen2" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS not fixed up"
  assert_exit 1 "$PGBAK_BIN" -D "$PGBAK" restore "$T/swapped.data" --generation "$(basename "$gen2")"
  assert_match "cannot decrypt '$gen2/base.tzst.enc': authentication failed" "$LAST_STDERR"
  assert_eq 1 "$(printf '%s\n' "$LAST_STDERR" | wc -l)" "lines of stderr"
  assert_no_file "$T/swapped.data"
  assert_eq "" "$(ls -A "$T" | grep pgbak-restore || true)" "temp directories left behind"
  ok "a base moved into another generation (SHA256SUMS fixed up): authentication failed, nothing restored"
fi
cluster_stop main
