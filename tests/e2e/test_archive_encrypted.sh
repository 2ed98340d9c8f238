#!/usr/bin/env bash
# archive-wal with encryption on, end to end: a real server archives pgbench WAL through pgbak
# with encryption-key-file set. Every stored file is NAME.zst.enc (nothing readable is stored),
# and the independent decryptor (tests/crypto/decrypt.py) plus zstd -d gives back exactly what
# PostgreSQL handed over. Archiving again is a no-op that succeeds.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init

# shellcheck source=../crypto/python.sh
source "$PGBAK_SRC/tests/crypto/python.sh"

as_pg mkdir -m 700 "$T/keys"
assert_exit 0 pgbak_run keygen "$T/keys/wal.key"
echo "encryption-key-file = $T/keys/wal.key" >"$PGBAK/pgbak.conf"
cluster_init main
cluster_start main
ok "cluster started, archiving with encryption key $LAST_STDOUT"

cluster_pgbench main -i -s 5 -q >>"$T/pgbench.log" 2>&1
cluster_pgbench main -c 2 -j 2 -T 5 >>"$T/pgbench.log" 2>&1
wait_archived main --no-failures
ok "pgbench WAL archived up to $LAST_SWITCH_WAL"

plain=$(find "$T/main.plain" -maxdepth 1 -type f ! -name '.*' -printf '%f\n' | sort)
(($(grep -c . <<<"$plain") >= 4)) || fail "too few files archived"
stored=$(find "$PGBAK" -mindepth 3 -maxdepth 3 -path "$PGBAK/[0-9]*/pg_wal/*" -printf '%f\n' | sort -u)
assert_eq "$(sed 's/$/.zst.enc/' <<<"$plain" | sort)" "$stored" "every stored file is NAME.zst.enc"
segments=0
while IFS= read -r name; do
  copy=$(find "$PGBAK" -mindepth 3 -maxdepth 3 -path "$PGBAK/[0-9]*/pg_wal/$name.zst.enc" | sort | tail -n 1)
  [[ $(head -c 8 "$copy") == PGBAKENC ]] || fail "$copy lacks the header"
  DECRYPT_PY --key "$T/keys/wal.key" "$copy" - | zstd -qdc |
    cmp -s - "$T/main.plain/$name" || fail "$copy does not decrypt to what PostgreSQL handed over"
  [[ $name == *.* ]] || segments=$((segments + 1))
done <<<"$plain"
ok "$(grep -c . <<<"$plain") files ($segments segments) decrypt + decompress byte-identical"

# Nothing of a segment is readable without the key: no zstd frame magic, no WAL page magic.
copy=$PGBAK/current/pg_wal/$LAST_SWITCH_WAL.zst.enc
! zstd -qt "$copy" 2>/dev/null || fail "$copy is a readable zstd stream"
[[ $(od -An -tx1 -j 44 -N 4 "$copy" | tr -d ' ') != 28b52ffd ]] || fail "zstd frame in the clear"

bad_modes=$(find "$PGBAK" \( -type d ! -perm 700 -printf '%m %p\n' \) -o \
  \( -type f ! -path "$PGBAK/scripts/*" ! -name pgbak.conf ! -perm 600 -printf '%m %p\n' \))
assert_eq "" "$bad_modes" "modes other than 0700 (directories) and 0600 (files)"
ok "stored files are opaque and 0600"

# (State, status and log files aside; replacing sync.status changes the mtime of $PGBAK itself.)
pgbak_run wait 60
before=$(dir_listing "$PGBAK")
assert_exit 0 pgbak_run archive-wal "$T/main.plain/$LAST_SWITCH_WAL"
assert_eq "$before" "$(dir_listing "$PGBAK")" "pgbak directory after archiving $LAST_SWITCH_WAL again"
ok "archiving $LAST_SWITCH_WAL again exits 0 and changes nothing"

cluster_stop main
