# Sourced (after tests/e2e/lib.sh) by end-to-end tests that use the independent implementation of
# docs/format.md: DECRYPT_PY ARGS... runs tests/crypto/decrypt.py with a python3 that has the
# cryptography package (Debian's python3-cryptography, from scripts/install-deps).
# shellcheck shell=bash
_CRYPTO_PY=
for _p in /usr/bin/python3 python3; do
  if "$_p" -c 'import cryptography' 2>/dev/null; then _CRYPTO_PY=$_p && break; fi
done
[[ -n $_CRYPTO_PY ]] || fail "python3-cryptography is missing (run scripts/install-deps)"

DECRYPT_PY() { "$_CRYPTO_PY" "$PGBAK_SRC/tests/crypto/decrypt.py" "$@"; }
