#!/usr/bin/env bash
# Encryption at rest, checked against an independent implementation of docs/format.md
# (tests/crypto/decrypt.py, python3-cryptography) in both directions: what archive-wal stores
# decrypts there, and what Python encrypts archive-wal reads back as the identical file (format
# version 2, and version 1 as older pgbak wrote it). Also: keygen, a wrong or missing key,
# rotation, tampering, files put under another name or into another generation, and key files
# that must be refused.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
pgbak_init
# Keep the background sync from doing anything here: a sync it starts has nothing to reach.
echo "pg-bindir = /nonexistent" >"$PGBAK/pgbak.conf"

# shellcheck source=../crypto/python.sh
source "$PGBAK_SRC/tests/crypto/python.sh"
# A segment with 3 MiB of random bytes after its header: its zstd stream spans many chunks.
mkseg_random() {
  mkseg "$1" "$(basename "$1")" --seed "${2:-1}"
  as_pg dd if=/dev/urandom of="$1" bs=1M seek=1 count=3 conv=notrunc status=none
}
conf() { printf '%s\n' "pg-bindir = /nonexistent" "$@" >"$PGBAK/pgbak.conf"; }
stored() { echo "$PGBAK/current/pg_wal/$1"; }
# A file placed into the backup directory as pgbak would have written it.
place() {
  cp "$1" "$2"
  chmod 600 "$2"
  if ((EUID == 0)); then chown postgres: "$2"; fi
}

as_pg mkdir -m 700 "$T/keys" "$T/in"

# ---- keygen -------------------------------------------------------------------------------
assert_exit 0 pgbak_run keygen "$T/keys/k1"
K1_ID=$LAST_STDOUT
assert_match '^[0-9a-f]{16}$' "$K1_ID" "keygen prints the key id"
assert_eq "600 $(as_pg id -un)" "$(stat -c '%a %U' "$T/keys/k1")" "key file mode and owner"
assert_match '^[0-9a-f]{64}$' "$(<"$T/keys/k1")" "key file is 64 hex digits"
assert_eq "$K1_ID" "$(DECRYPT_PY --key-id "$T/keys/k1")" "key id per docs/format.md"
before=$(<"$T/keys/k1")
assert_exit 1 pgbak_run keygen "$T/keys/k1"
assert_eq "$before" "$(<"$T/keys/k1")" "keygen never overwrites a key"
ok "keygen writes a 0600 key once and prints its id $K1_ID"

# ---- pgbak encrypts, Python decrypts --------------------------------------------------------
conf "encryption-key-file = $T/keys/k1"
S1=000000010000000000000001 S2=000000010000000000000002
mkseg_random "$T/in/$S1" 1
mkseg "$T/in/$S2" $S2 --seed 2
printf '1\t0/20000000\tno recovery target specified\n' >"$T/in/00000002.history"
for f in $S1 $S2 00000002.history; do
  assert_exit 0 pgbak_run archive-wal "$T/in/$f"
  assert_file "$(stored "$f.zst.enc")"
  assert_no_file "$(stored "$f.zst")"
  DECRYPT_PY --key "$T/keys/k1" "$(stored "$f.zst.enc")" "$T/$f.zst" || fail "decrypt.py rejected $f.zst.enc"
  zstd -qdc "$T/$f.zst" | cmp -s - "$T/in/$f" || fail "$f.zst.enc does not decrypt+decompress to $f"
done
chunks=$((($(stat -c %s "$(stored $S1.zst.enc)") - 44 + 65551) / 65552))
((chunks > 40)) || fail "$S1.zst.enc has only $chunks chunks; the test wants many"
assert_eq "PGBAKENC" "$(head -c 8 "$(stored $S1.zst.enc)")" "magic"
ok "archive-wal output decrypts with the independent decryptor (up to $chunks chunks)"

gen=$(readlink "$PGBAK/current")
bad=$T/bad.enc
cp "$(stored $S1.zst.enc)" "$bad"
DECRYPT_PY --key "$T/keys/k1" --identity "$gen/pg_wal/$S1.zst.enc" "$bad" /dev/null ||
  fail "decrypt.py rejected an intact copy given its identity"
assert_exit 1 DECRYPT_PY --key "$T/keys/k1" --identity "$gen/pg_wal/$S2.zst.enc" "$bad" "$T/bad.out"
assert_match "authentication failed" "$LAST_STDERR"
printf '\x55' | dd of="$bad" bs=1 seek=$((44 + 65552 * 3 + 7)) conv=notrunc status=none
assert_exit 1 DECRYPT_PY --key "$T/keys/k1" --identity "$gen/pg_wal/$S1.zst.enc" "$bad" "$T/bad.out"
assert_match "authentication failed" "$LAST_STDERR"
assert_no_file "$T/bad.out"
ok "the independent decryptor rejects a flipped byte and another identity too"

# ---- Python encrypts, pgbak reads -----------------------------------------------------------
# archive-wal of a file already stored reads the stored copy back and compares: "already
# archived" proves pgbak decrypted and decompressed Python's bytes to exactly the source.
n=3
for how in "16 2" "12 2" "20 2" "16 1"; do
  read -r shift version <<<"$how"
  seg=$(printf '0000000100000000000000%02X' $n)
  mkseg_random "$T/in/$seg" $n
  zstd -q -c "$T/in/$seg" >"$T/$seg.zst"
  DECRYPT_PY --encrypt --key "$T/keys/k1" --chunk-shift $shift --format-version "$version" \
    --identity "$gen/pg_wal/$seg.zst.enc" "$T/$seg.zst" "$T/$seg.zst.enc"
  place "$T/$seg.zst.enc" "$(stored "$seg.zst.enc")"
  assert_exit 0 pgbak_run -v archive-wal "$T/in/$seg"
  assert_match "already archived $seg" "$LAST_STDOUT"
  assert_eq "$gen" "$(readlink "$PGBAK/current")" "no new generation"
  n=$((n + 1))
done
ok "files encrypted by the independent encryptor (format 2 with chunk sizes 2^16, 2^12, 2^20; format 1) read back identical"

# ---- identity: a file under another name or in another generation does not authenticate -------
# (S3..S6 are archived above; S1, S2 and the history file with k1.)
as_pg mkdir -p "$T/out"
S7=000000010000000000000007
cp -p "$(stored $S2.zst.enc)" "$(stored $S7.zst.enc)"
assert_exit 1 pgbak_run restore-wal $S7 "$T/out/$S7"
assert_match "cannot decrypt '$PGBAK/$gen/pg_wal/$S7.zst.enc': authentication failed" "$LAST_STDERR"
assert_no_file "$T/out/$S7"
assert_exit 1 pgbak_run verify "$gen"
assert_match "$S7.zst.enc: .*authentication failed|$S7.zst.enc'?: authentication failed" "$LAST_STDOUT$LAST_STDERR"
rm "$(stored $S7.zst.enc)"
printf '1\t0/20000000\tno recovery target specified\n2\t0/21000000\tno recovery target specified\n' >"$T/in/00000003.history"
assert_exit 0 pgbak_run archive-wal "$T/in/00000003.history"
cp -p "$(stored 00000002.history.zst.enc)" "$T/h2.keep"
cp -p "$(stored 00000003.history.zst.enc)" "$(stored 00000002.history.zst.enc)"
assert_exit 1 pgbak_run restore-wal 00000002.history "$T/out/h2"
assert_match "authentication failed" "$LAST_STDERR"
assert_no_file "$T/out/h2"
cp -p "$T/h2.keep" "$(stored 00000002.history.zst.enc)"
assert_exit 0 pgbak_run restore-wal 00000002.history "$T/out/h2"
cmp -s "$T/out/h2" "$T/in/00000002.history" || fail "history file restored wrong"
# A version 1 file (identity not bound) still reads under its own name.
v1seg=$(printf '0000000100000000000000%02X' 6)
assert_exit 0 pgbak_run restore-wal "$v1seg" "$T/out/$v1seg"
cmp -s "$T/out/$v1seg" "$T/in/$v1seg" || fail "format 1 file restored wrong"
ok "a segment copied under another name and a history file replaced by another fail authentication (restore-wal, verify); no DEST"

# ---- rotation and wrong keys ----------------------------------------------------------------
assert_exit 0 pgbak_run keygen "$T/keys/k2"
K2_ID=$LAST_STDOUT
conf "encryption-key-file = $T/keys/k2"
assert_exit 1 pgbak_run archive-wal "$T/in/$S1"
assert_match "authentication failed: written with key id $K1_ID, which matches no configured key \(configured: $K2_ID\)" "$LAST_STDERR"
assert_match "$PGBAK/$gen/pg_wal/$S1.zst.enc" "$LAST_STDERR"
assert_match "HINT: .*encryption-old-key-files" "$LAST_STDERR"
[[ $LAST_STDERR != *"$(<"$T/keys/k2")"* && $LAST_STDERR != *"$(<"$T/keys/k1")"* ]] || fail "a key was printed"
assert_eq "$gen" "$(readlink "$PGBAK/current")" "a missing key must not start a generation"
ok "a file of a key that is not configured: exit 1, authentication failed, ids, hint"

conf "encryption-key-file = $T/keys/k2" "encryption-old-key-files = $T/keys/nonexistent.key, $T/keys/k1"
assert_exit 1 pgbak_run archive-wal "$T/in/$S1"
assert_match "cannot open encryption key file '$T/keys/nonexistent.key'" "$LAST_STDERR"
conf "encryption-key-file = $T/keys/k2" "encryption-old-key-files = $T/keys/k1"
assert_exit 0 pgbak_run -v archive-wal "$T/in/$S1"
assert_match "already archived" "$LAST_STDOUT"
S9=000000010000000000000009
mkseg "$T/in/$S9" $S9 --seed 9
assert_exit 0 pgbak_run archive-wal "$T/in/$S9"
assert_eq "$K2_ID" "$(head -c 20 "$(stored $S9.zst.enc)" | tail -c 8 | od -An -tx1 | tr -d ' \n')" "new files use the new key"
DECRYPT_PY --key "$T/keys/k2" "$(stored $S9.zst.enc)" - | zstd -qdc | cmp -s - "$T/in/$S9" || fail "$S9 with k2"
ok "rotation: old files read with encryption-old-key-files, new files use the new key"

# A plain copy from before encryption was turned on is the same file.
conf
S10=00000001000000000000000A
mkseg "$T/in/$S10" $S10 --seed 10
assert_exit 0 pgbak_run archive-wal "$T/in/$S10"
assert_file "$(stored $S10.zst)"
conf "encryption-key-file = $T/keys/k2"
assert_exit 0 pgbak_run -v archive-wal "$T/in/$S10"
assert_match "already archived" "$LAST_STDOUT"
assert_no_file "$(stored $S10.zst.enc)"
ok "a copy stored before encryption was turned on counts as already archived"

# ---- key files that must be refused ----------------------------------------------------------
chmod 640 "$T/keys/k2"
assert_exit 1 pgbak_run archive-wal "$T/in/00000002.history"
assert_match "cannot use encryption key file '$T/keys/k2': mode 0640 is too open.*HINT: chmod 600" "$LAST_STDERR"
chmod 600 "$T/keys/k2"
if ((EUID == 0)); then
  # Readable by postgres (otherwise open fails first), but someone else's.
  chown root: "$T/keys/k2"
  chmod 644 "$T/keys/k2"
  assert_exit 1 pgbak_run archive-wal "$T/in/00000002.history"
  assert_match "owned by uid 0, not by uid $(id -u postgres)" "$LAST_STDERR"
  chown postgres: "$T/keys/k2"
  chmod 600 "$T/keys/k2"
fi
head -c 31 /dev/urandom >"$T/keys/short"
chmod 600 "$T/keys/short"
((EUID != 0)) || chown postgres: "$T/keys/short"
conf "encryption-key-file = $T/keys/short"
assert_exit 1 pgbak_run archive-wal "$T/in/00000002.history"
assert_match "size 31 bytes: must hold 32 bytes" "$LAST_STDERR"
conf "encryption-key-file = keys/k2"
assert_exit 2 pgbak_run archive-wal "$T/in/00000002.history"
assert_match "not an absolute path" "$LAST_STDERR"
as_pg cp -p "$T/keys/k2" "$PGBAK/key"
conf
assert_exit 2 pgbak_run keygen "$PGBAK/current/new.key"
assert_match "cannot write key file .*inside the backup directory" "$LAST_STDERR"
assert_no_file "$PGBAK/current/new.key"
conf "encryption-key-file = $PGBAK/key"
assert_exit 2 pgbak_run archive-wal "$T/in/00000002.history"
assert_match "inside the backup directory" "$LAST_STDERR"
ok "bad key files refused: mode, owner, length, relative path, inside the backup directory (also for keygen)"

# ---- tampering makes the stored copy count as different, never as identical ----------------------
conf "encryption-key-file = $T/keys/k1"
S11=00000001000000000000000B
mkseg_random "$T/in/$S11" 11
zstd -q -c "$T/in/$S11" >"$T/$S11.zst"
DECRYPT_PY --encrypt --key "$T/keys/k1" --identity "$gen/pg_wal/$S11.zst.enc" "$T/$S11.zst" "$T/$S11.zst.enc"
printf '\x01' | dd of="$T/$S11.zst.enc" bs=1 seek=$((44 + 65552 + 65536 + 3)) conv=notrunc status=none
place "$T/$S11.zst.enc" "$(stored "$S11.zst.enc")"
assert_exit 0 pgbak_run archive-wal "$T/in/$S11"
assert_match "went back in time" "$LAST_STDERR"
[[ $(readlink "$PGBAK/current") != "$gen" ]] || fail "a tampered copy was taken as identical"
DECRYPT_PY --key "$T/keys/k1" "$(stored "$S11.zst.enc")" - | zstd -qdc | cmp -s - "$T/in/$S11" ||
  fail "the new copy of $S11 is wrong"
ok "a copy with a flipped tag byte is not the same file: archived afresh into a new generation"

# A segment of the old generation copied into the new one (the new history: restore-wal reads
# it there when told to restore that generation).
new=$(readlink "$PGBAK/current")
cp -p "$PGBAK/$gen/pg_wal/$S9.zst.enc" "$PGBAK/$new/pg_wal/$S9.zst.enc"
conf "encryption-key-file = $T/keys/k1" "encryption-old-key-files = $T/keys/k2"
assert_exit 1 pgbak_run restore-wal --generation "$new" $S9 "$T/out/$S9"
assert_match "cannot decrypt '$PGBAK/$new/pg_wal/$S9.zst.enc': authentication failed" "$LAST_STDERR"
assert_no_file "$T/out/$S9"
rm "$PGBAK/$new/pg_wal/$S9.zst.enc"
assert_exit 0 pgbak_run restore-wal --generation "$gen" $S9 "$T/out/$S9"
cmp -s "$T/out/$S9" "$T/in/$S9" || fail "$S9 restored wrong from its own generation"
ok "a file replayed into another generation fails authentication; from its own it restores"
